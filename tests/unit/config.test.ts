import assert from "node:assert/strict";
import { ConfigError, LOCAL_DATABASE_URL, parseConfig } from "../../functions/bot/config.ts";

const valid = {
  TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi",
  TELEGRAM_WEBHOOK_SECRET: "s3cret",
  TRIBUTE_API_KEY: "tribute-key",
  CRON_SECRET: "cron",
};

Deno.test("config: defaults for optional values", () => {
  const c = parseConfig(valid);
  assert.equal(c.telegramApiRoot, "https://api.telegram.org");
  assert.equal(c.tributeApiUrl, "https://tribute.tg/api/v1");
  assert.deepEqual(c.adminIds, []);
  assert.deepEqual(c.paidChatIds, []);
  assert.deepEqual(c.db, { kind: "postgres", url: LOCAL_DATABASE_URL });
});

Deno.test("config: database target: DATABASE_URL, SUPABASE_DB_URL, or SUPABASE_URL + service key", () => {
  assert.deepEqual(parseConfig({ ...valid, SUPABASE_DB_URL: "postgres://x@h/db" }).db, {
    kind: "postgres",
    url: "postgres://x@h/db",
  });
  assert.deepEqual(
    parseConfig({ ...valid, SUPABASE_URL: "https://abc.supabase.co", SUPABASE_SERVICE_ROLE_KEY: "k" }).db,
    {
      kind: "supabase",
      url: "https://abc.supabase.co",
      serviceRoleKey: "k",
    },
  );
  assert.throws(
    () => parseConfig({ ...valid, SUPABASE_URL: "https://abc.supabase.co" }),
    /SUPABASE_SERVICE_ROLE_KEY/,
  );
  // what Supabase injects into a deployed function: RPC wins over the injected SUPABASE_DB_URL ...
  const injected = {
    ...valid,
    SUPABASE_URL: "https://abc.supabase.co",
    SUPABASE_SERVICE_ROLE_KEY: "k",
    SUPABASE_DB_URL: "postgresql://postgres:pw@db.abc.supabase.co:5432/postgres",
  };
  assert.equal(parseConfig(injected).db.kind, "supabase");
  // ... unless DATABASE_URL is set on purpose
  assert.deepEqual(parseConfig({ ...injected, DATABASE_URL: "postgres://direct/db" }).db, {
    kind: "postgres",
    url: "postgres://direct/db",
  });
});

Deno.test("config: one clear line per bad variable, never the value", () => {
  try {
    parseConfig({
      TELEGRAM_BOT_TOKEN: "not-a-token",
      ADMIN_TELEGRAM_IDS: "1,abc",
      PAID_CHAT_ID: "@channel",
      TELEGRAM_API_ROOT: "ftp://x",
    });
    assert.fail("should throw");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const byVar = new Map(err.problems.map((p) => [p.split(":")[0], p]));
    for (
      const v of [
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "TRIBUTE_API_KEY",
        "CRON_SECRET",
        "ADMIN_TELEGRAM_IDS",
        "PAID_CHAT_ID",
        "TELEGRAM_API_ROOT",
      ]
    ) {
      assert.ok(byVar.has(v), `${v} named in: ${err.problems.join(" | ")}`);
    }
    assert.equal(err.problems.length, byVar.size, "one line per variable");
    assert.ok(!err.message.includes("not-a-token"));
  }
});

Deno.test("config: admin ids and paid chat id parse to numbers", () => {
  const c = parseConfig({ ...valid, ADMIN_TELEGRAM_IDS: " 1, 22 ,333", PAID_CHAT_ID: "-1001234567890" });
  assert.deepEqual(c.adminIds, [1, 22, 333]);
  assert.deepEqual(c.paidChatIds, [-1001234567890]);
  // several paid chats, comma-separated (duplicates collapse)
  const several = parseConfig({ ...valid, PAID_CHAT_ID: "-1001, -1002,-1001" });
  assert.deepEqual(several.paidChatIds, [-1001, -1002]);
});
