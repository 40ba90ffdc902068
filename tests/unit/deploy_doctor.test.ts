// `npm run doctor` and the checks it shares with /tribute_test (functions/bot/jobs/checks.ts).
import assert from "node:assert/strict";
import { parseConfig } from "../../functions/bot/config.ts";
import { checkTelegramWebhook, checkTributeApi, tributeTestReport } from "../../functions/bot/jobs/checks.ts";
import { startFakeTelegram } from "../support/fake_telegram.ts";
import { startFakeTribute } from "../support/fake_tribute.ts";
import { adminSql, DATABASE_URL } from "../support/harness.ts";
import { runScript } from "../support/scripts.ts";
import { isLocalSetup } from "../../scripts/local_defaults.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const KEY = "doctor-tribute-key";
const TOKEN = "123456:DoctorToken_abc";
const PUBLIC_URL = "https://abcdefghijklmnopqrst.supabase.co/functions/v1/bot";

/** What npm start serves at /functions/v1/bot, as far as the doctor looks: GET health. */
function startHealth(): { port: number; close: () => Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ ok: true }),
  );
  return { port: server.addr.port, close: () => server.shutdown() };
}

/** A port nothing listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function fakes() {
  const telegram = startFakeTelegram();
  const tribute = await startFakeTribute({ apiKey: KEY });
  const health = startHealth();
  const env = {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_WEBHOOK_SECRET: "doctor-secret",
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TRIBUTE_API_KEY: KEY,
    TRIBUTE_API_URL: tribute.url,
    CRON_SECRET: "doctor-cron",
    DATABASE_URL,
    PUBLIC_URL,
    FN_PORT: String(health.port), // DATABASE_URL is on 127.0.0.1: the doctor checks the local function too
  };
  return {
    telegram,
    tribute,
    env,
    close: async () => (await telegram.close(), await tribute.close(), await health.close()),
  };
}

Deno.test(
  "checks: Tribute API reachable with the key; a rejected key is named, never shown",
  opts,
  async () => {
    const f = await fakes();
    try {
      const ok = await checkTributeApi(parseConfig(f.env));
      assert.equal(ok.ok, true, ok.detail);
      assert.match(ok.detail, /reachable, key accepted/);
      assert.equal(f.tribute.calls[0].apiKey, KEY);

      const bad = await checkTributeApi(parseConfig({ ...f.env, TRIBUTE_API_KEY: "wrong-key-123" }));
      assert.equal(bad.ok, false);
      assert.match(bad.detail, /key rejected \(HTTP 401/);
      assert.ok(!bad.detail.includes("wrong-key-123"));

      const down = await checkTributeApi(
        parseConfig({ ...f.env, TRIBUTE_API_URL: "http://127.0.0.1:9/api/v1" }),
      );
      assert.equal(down.ok, false);
      assert.match(down.detail, /unreachable/);
    } finally {
      await f.close();
    }
  },
);

Deno.test("checks: Telegram webhook url, expected URL, recent and old delivery errors", opts, async () => {
  const f = await fakes();
  try {
    const config = parseConfig(f.env);
    const none = await checkTelegramWebhook(config);
    assert.equal(none.ok, false);
    assert.match(none.detail, /no webhook set/);

    f.telegram.setWebhookInfo({ url: PUBLIC_URL, pending_update_count: 2 });
    const ok = await checkTelegramWebhook(config);
    assert.equal(ok.ok, true, ok.detail);
    assert.match(ok.detail, new RegExp(`url ${PUBLIC_URL}, pending 2, no delivery errors`));

    const now = Math.floor(Date.now() / 1000);
    f.telegram.setWebhookInfo({
      last_error_date: now - 60,
      last_error_message: "Wrong response from the webhook: 401",
    });
    const recent = await checkTelegramWebhook(config);
    assert.equal(recent.ok, false);
    assert.match(recent.detail, /last error at .*: Wrong response from the webhook: 401/);
    f.telegram.setWebhookInfo({ last_error_date: now - 3 * 3600 });
    assert.equal((await checkTelegramWebhook(config)).ok, true, "an old error is history");

    f.telegram.setWebhookInfo({ url: "https://elsewhere.example/bot" });
    const wrong = await checkTelegramWebhook(config);
    assert.equal(wrong.ok, false);
    assert.match(wrong.detail, /expected https:\/\/abcdefghijklmnopqrst/);

    f.telegram.failNext("getWebhookInfo", { status: 401, description: "Unauthorized" });
    const unauthorized = await checkTelegramWebhook(config);
    assert.equal(unauthorized.ok, false);
    assert.ok(!unauthorized.detail.includes(TOKEN));

    // what /tribute_test shows
    f.telegram.setWebhookInfo({ url: PUBLIC_URL });
    const report = await tributeTestReport(config);
    assert.equal(report.webhookUrl, PUBLIC_URL);
    assert.equal(report.apiKeyPresent, true);
    assert.match(report.apiReachable, /^✅ reachable/);
    assert.match(report.webhookInfo, /^✅ url https/);
  } finally {
    await f.close();
  }
});

Deno.test("doctor: a healthy setup is all PASS (exit 0)", opts, async () => {
  const f = await fakes();
  const sql = adminSql();
  try {
    await sql`delete from public.webhook_events where status = 'failed'`;
    f.telegram.setWebhookInfo({ url: PUBLIC_URL });
    const r = await runScript("scripts/doctor.ts", ["--env-file", "/nonexistent/.env"], f.env);
    assert.equal(r.code, 0, r.output);
    for (
      const name of [
        "env",
        "database",
        "migrations",
        "cron job",
        "failed deliveries",
        "function",
        "telegram webhook",
        "tribute api",
      ]
    ) {
      assert.match(r.stdout, new RegExp(`^${name}\\s+PASS\\s`, "m"), `${name}\n${r.stdout}`);
    }
    assert.match(r.stdout, /All checks passed/);
    assert.ok(!r.output.includes(KEY) && !r.output.includes(TOKEN));
  } finally {
    await sql.end();
    await f.close();
  }
});

Deno.test(
  "doctor: deliveries journaled as failed in the last 24 h are a FAIL row with counts",
  opts,
  async () => {
    const f = await fakes();
    const sql = adminSql();
    try {
      await sql`delete from public.webhook_events where status = 'failed'`;
      await sql`insert into public.webhook_events (source, name, dedupe_key, status, payload, error, received_at)
              values ('tribute', 'new_subscription', 'doctor-1', 'failed', '{}', 'payload.expires_at: bad', now()),
                     ('tribute', 'new_subscription', 'doctor-2', 'failed', '{}', 'payload.amount: bad', now()),
                     ('telegram', 'chat_member', 'doctor-3', 'failed', '{}', 'invalid update', now()),
                     ('telegram', 'message', 'doctor-4', 'failed', '{}', 'too old', now() - interval '25 hours')`;
      f.telegram.setWebhookInfo({ url: PUBLIC_URL });
      const r = await runScript("scripts/doctor.ts", ["--env-file", "/nonexistent/.env"], f.env);
      assert.equal(r.code, 1, r.output);
      assert.match(r.stdout, /^failed deliveries\s+FAIL\s+3 in the last 24 h/m);
      assert.match(r.stdout, /tribute new_subscription: 2 \(latest: payload\.amount: bad\)/);
      assert.match(r.stdout, /telegram chat_member: 1/);
      assert.doesNotMatch(r.stdout, /telegram message/, "older than 24 h is not counted");
    } finally {
      await sql`delete from public.webhook_events where dedupe_key like 'doctor-%'`;
      await sql.end();
      await f.close();
    }
  },
);

Deno.test("doctor: problems are FAIL rows (exit 1), secrets never printed", opts, async () => {
  const f = await fakes();
  try {
    const bad = await runScript("scripts/doctor.ts", ["--env-file", "/nonexistent/.env"], {
      ...f.env,
      TRIBUTE_API_KEY: "wrong-key-456",
      DATABASE_URL: "postgresql://postgres:topsecretpw@127.0.0.1:9/postgres",
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^env\s+PASS/m);
    assert.match(bad.stdout, /^database\s+FAIL\s+unreachable/m);
    assert.match(bad.stdout, /^migrations\s+SKIP/m);
    assert.match(bad.stdout, /^telegram webhook\s+FAIL\s+no webhook set/m);
    assert.match(bad.stdout, /^tribute api\s+FAIL\s+key rejected/m);
    assert.ok(!bad.output.includes("wrong-key-456") && !bad.output.includes("topsecretpw"));

    // a Supabase project, nothing else: no local placeholders there, the missing values are failures
    const empty = await runScript("scripts/doctor.ts", ["--env-file", "/nonexistent/.env"], {
      SUPABASE_URL: "https://abcdefghijklmnopqrst.supabase.co",
      SUPABASE_SERVICE_ROLE_KEY: "service-role-key-123",
    });
    assert.equal(empty.code, 1);
    assert.match(empty.stdout, /^env\s+FAIL\s+TELEGRAM_BOT_TOKEN: is required/m);
    assert.match(empty.stdout, /^\s+CRON_SECRET: is required/m);
    assert.match(empty.stdout, /^tribute api\s+SKIP/m);
    assert.doesNotMatch(empty.stdout, /placeholder|^function/m);
    assert.ok(!empty.output.includes("service-role-key-123"));
  } finally {
    await f.close();
  }
});

Deno.test(
  "doctor: the local stack with npm start's placeholders passes; placeholder checks are skipped",
  opts,
  async () => {
    const health = startHealth();
    try {
      // what npm start runs with when nothing is configured (only the database URL of this test run)
      const r = await runScript("scripts/doctor.ts", ["--env-file", "/nonexistent/.env"], {
        DATABASE_URL,
        FN_PORT: String(health.port),
      });
      assert.equal(r.code, 0, r.output);
      for (const name of ["env", "database", "migrations", "cron job", "function"]) {
        assert.match(r.stdout, new RegExp(`^${name}\\s+PASS\\s`, "m"), `${name}\n${r.stdout}`);
      }
      assert.match(
        r.stdout,
        /^placeholders\s+INFO\s+local stack: TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, TRIBUTE_API_KEY, CRON_SECRET are placeholders$/m,
      );
      assert.match(r.stdout, /^\s+TELEGRAM_BOT_TOKEN: placeholder: /m);
      assert.match(
        r.stdout,
        new RegExp(
          `^function\\s+PASS\\s+health 200 at http://127.0.0.1:${health.port}/functions/v1/bot`,
          "m",
        ),
      );
      assert.match(r.stdout, /^telegram webhook\s+SKIP\s+skipped: placeholder TELEGRAM_BOT_TOKEN/m);
      assert.match(r.stdout, /^tribute api\s+SKIP\s+skipped: placeholder TRIBUTE_API_KEY/m);
      assert.match(r.stdout, /All checks passed \(2 skipped: placeholder\)\./);

      // the same values given explicitly are placeholders too; a real token is checked (here: unreachable)
      const half = await runScript("scripts/doctor.ts", ["--env-file", "/nonexistent/.env"], {
        DATABASE_URL,
        FN_PORT: String(health.port),
        TELEGRAM_BOT_TOKEN: "123456:local-placeholder-token",
        TELEGRAM_WEBHOOK_SECRET: "local-webhook-secret",
        TRIBUTE_API_KEY: "my-real-tribute-key-42",
        TRIBUTE_API_URL: "http://127.0.0.1:9/api/v1",
        CRON_SECRET: "my-cron-secret-42",
      });
      assert.equal(half.code, 1);
      assert.match(
        half.stdout,
        /^placeholders\s+INFO\s+local stack: TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET are/m,
      );
      assert.match(half.stdout, /^\s+TELEGRAM_BOT_TOKEN: placeholder \(the value npm start uses locally\)/m);
      assert.match(half.stdout, /^telegram webhook\s+SKIP\s+skipped: placeholder/m);
      assert.match(half.stdout, /^tribute api\s+FAIL\s+/m);
      assert.match(half.stdout, /1 failed, 0 not checked \(1 skipped: placeholder\)/);
      assert.ok(
        !half.output.includes("my-real-tribute-key-42") && !half.output.includes("my-cron-secret-42"),
      );
    } finally {
      await health.close();
    }
  },
);

Deno.test("doctor: locally, a function that is not served is a FAIL row", opts, async () => {
  const port = closedPort();
  const r = await runScript("scripts/doctor.ts", ["--env-file", "/nonexistent/.env"], {
    DATABASE_URL,
    FN_PORT: String(port),
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    new RegExp(
      `^function\\s+FAIL\\s+not answering at http://127.0.0.1:${port}/functions/v1/bot \\(npm start serves it\\)`,
      "m",
    ),
  );
  assert.match(r.stdout, /^database\s+PASS/m);
  assert.match(r.stdout, /1 failed, 0 not checked \(2 skipped: placeholder\)/);
});

Deno.test("doctor: which setups count as the local stack", () => {
  const cases: Array<[Record<string, string>, boolean]> = [
    [{}, true],
    [{ DATABASE_URL: "postgresql://postgres:postgres@127.0.0.1:54322/postgres" }, true],
    [{ DATABASE_URL: "postgres://u:p@localhost/db" }, true],
    [
      { SUPABASE_DB_URL: "postgresql://postgres:pw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres" },
      false,
    ],
    [{ DATABASE_URL: "postgresql://u:p@db.example.com/postgres" }, false],
    [{ SUPABASE_URL: "https://abcdefghijklmnopqrst.supabase.co", SUPABASE_SERVICE_ROLE_KEY: "k" }, false],
    [{ SUPABASE_PROJECT_REF: "abcdefghijklmnopqrst" }, false],
    [{ DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/db", SUPABASE_URL: "https://x.supabase.co" }, true],
  ];
  for (const [env, local] of cases) assert.equal(isLocalSetup(env), local, JSON.stringify(env));
});
