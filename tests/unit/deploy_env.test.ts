// scripts/env.ts (.env loading: the environment wins) and scripts/local_defaults.ts.
import assert from "node:assert/strict";
import { loadEnv, mergeEnv, parseDotEnv } from "../../scripts/env.ts";
import { cliDatabaseUrl, LOCAL_DEFAULTS, withLocalDefaults } from "../../scripts/local_defaults.ts";
import { parseConfig } from "../../functions/bot/config.ts";

Deno.test(".env: comments, export, quotes, escapes, inline comments, multi-line values", () => {
  const warnings: string[] = [];
  const env = parseDotEnv(
    [
      "# a comment",
      "",
      "PLAIN=value",
      "export EXPORTED=yes",
      "SPACED = around equals ",
      'DOUBLE="two words # not a comment"',
      "SINGLE='literal \\n $HOME'",
      "INLINE=abc # a comment",
      "HASH=abc#def",
      'ESCAPED="line1\\nline2 \\"quoted\\""',
      'MULTI="first',
      'second"',
      "EMPTY=",
      "not a line",
      "1BAD=x",
      "URL=postgresql://u:p@h:5432/db?sslmode=require",
    ].join("\n"),
    (w) => warnings.push(w),
  );
  assert.deepEqual(env, {
    PLAIN: "value",
    EXPORTED: "yes",
    SPACED: "around equals",
    DOUBLE: "two words # not a comment",
    SINGLE: "literal \\n $HOME",
    INLINE: "abc",
    HASH: "abc#def",
    ESCAPED: 'line1\nline2 "quoted"',
    MULTI: "first\nsecond",
    EMPTY: "",
    URL: "postgresql://u:p@h:5432/db?sslmode=require",
  });
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /line 14/);
});

Deno.test(".env only fills what the environment lacks", async () => {
  assert.deepEqual(
    mergeEnv({ A: "from-env", B: "", D: "only-env" }, {
      A: "from-file",
      B: "file-fills-empty",
      C: "only-file",
    }),
    { A: "from-env", B: "file-fills-empty", C: "only-file", D: "only-env" },
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.env`, "CRON_SECRET=file\nPAID_CHAT_ID=-100\n");
    assert.deepEqual(loadEnv(`${dir}/.env`, { CRON_SECRET: "env" }), {
      CRON_SECRET: "env",
      PAID_CHAT_ID: "-100",
    });
    assert.deepEqual(loadEnv(`${dir}/missing.env`, { X: "1" }), { X: "1" }, "a missing .env is fine");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local defaults: placeholders for what is missing, one note each, and they parse", () => {
  const { env, used } = withLocalDefaults({ CRON_SECRET: "mine" });
  assert.deepEqual(used.map((u) => u.name), [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TRIBUTE_API_KEY",
    "DATABASE_URL",
  ]);
  assert.equal(env.CRON_SECRET, "mine");
  assert.equal(env.TELEGRAM_BOT_TOKEN, LOCAL_DEFAULTS.TELEGRAM_BOT_TOKEN);
  const config = parseConfig(env);
  assert.equal(config.db.kind, "postgres");

  // another database target configured: no local DATABASE_URL forced on it
  const other = withLocalDefaults({ SUPABASE_DB_URL: "postgresql://x@y/z" });
  assert.ok(!other.used.some((u) => u.name === "DATABASE_URL"));
  assert.equal(other.env.DATABASE_URL, undefined);
});

Deno.test("cliDatabaseUrl: a local database is given to the Supabase CLI without TLS, any other as it is", () => {
  const local = "postgresql://postgres:postgres@127.0.0.1:54399/bench_1";
  assert.equal(cliDatabaseUrl(local), `${local}?sslmode=disable`);
  assert.equal(cliDatabaseUrl(`${local}?application_name=x`), `${local}?application_name=x&sslmode=disable`);
  assert.equal(cliDatabaseUrl(`${local}?sslmode=require`), `${local}?sslmode=require`);
  const remote = "postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres";
  assert.equal(cliDatabaseUrl(remote), remote);
});
