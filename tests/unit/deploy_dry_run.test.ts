// `npm run deploy -- --dry-run`: every step listed, secrets masked, nothing executed; a missing
// configuration is one line per missing variable and exit code 1.
import assert from "node:assert/strict";
import { startFakeTelegram } from "../support/fake_telegram.ts";
import { DEPLOY_REF, DEPLOY_SECRETS, fakeSupabaseCli, runScript } from "../support/scripts.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const REF = DEPLOY_REF;
const SECRETS = DEPLOY_SECRETS;
const FULL = {
  SUPABASE_PROJECT_REF: REF,
  ...SECRETS,
  ADMIN_TELEGRAM_IDS: "111,222",
  PAID_CHAT_ID: "-1001234567890",
};

async function emptyEnvFile(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "deploy-test-" });
  await Deno.writeTextFile(`${dir}/empty.env`, "");
  return `${dir}/empty.env`;
}

Deno.test("deploy --dry-run: every step listed, secrets masked, nothing executed", opts, async () => {
  const dir = await Deno.makeTempDir({ prefix: "deploy-test-" });
  const cli = await fakeSupabaseCli(dir);
  const telegram = startFakeTelegram();
  try {
    const r = await runScript("scripts/deploy.ts", ["--dry-run", "--env-file", await emptyEnvFile()], {
      ...FULL,
      SUPABASE_CLI: cli.path,
      TELEGRAM_API_ROOT: telegram.apiRoot,
    });
    assert.equal(r.code, 0, r.output);
    const out = r.output;
    const expected = [
      `supabase link --project-ref ${REF}`,
      "supabase db push --linked --yes",
      `supabase secrets set --project-ref ${REF} --env-file`,
      "TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, TRIBUTE_API_KEY, CRON_SECRET, ADMIN_TELEGRAM_IDS, PAID_CHAT_ID",
      `supabase functions deploy bot --project-ref ${REF} --no-verify-jwt`,
      `${telegram.apiRoot}/bot***/setWebhook`,
      `"url":"https://${REF}.supabase.co/functions/v1/bot"`,
      `"secret_token":"***"`,
      `"allowed_updates":["message","callback_query","pre_checkout_query","chat_member","my_chat_member"]`,
      `"drop_pending_updates":false`,
      "setMyCommands commands: /start /status /plans /cancel /resume /paysupport /terms",
      "language_code: ru",
      "scope: chat 111",
      "scope: chat 222",
      `${telegram.apiRoot}/bot***/setChatMenuButton`,
      `{"menu_button":{"type":"web_app","text":"Membership","web_app":{"url":"https://${REF}.supabase.co/functions/v1/bot/app"}}}`,
      "the Mini App page needs PUBLIC_URL on a Supabase custom domain",
      "supabase db query --linked --file",
      `public.set_scheduled_route_secrets('https://${REF}.supabase.co/functions/v1/bot', '***')`,
      `Tribute webhook URL (Tribute dashboard > Settings > API Keys > Webhook): https://${REF}.supabase.co/functions/v1/bot`,
      "Dry run: nothing was executed.",
    ];
    for (const e of expected) assert.ok(out.includes(e), `missing in output: ${e}\n---\n${out}`);
    // the eight steps, in order
    const steps = [...out.matchAll(/^\[(\d)\/8\] (.+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.match(out, /^\[7\/8\] set the Mini App menu button$/m);
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(!out.includes(value), `${name} leaked into the output`);
    }
    // nothing ran: the CLI was never called, Telegram never reached
    await assert.rejects(Deno.stat(cli.log), Deno.errors.NotFound);
    assert.equal(telegram.calls.length, 0);
  } finally {
    await telegram.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "deploy --dry-run: SUPABASE_DB_URL is used for push and the schedule, its password masked",
  opts,
  async () => {
    const dbUrl =
      `postgresql://postgres.${REF}:${SECRETS.SUPABASE_DB_PASSWORD}@aws-0-eu.pooler.supabase.com:5432/postgres`;
    const r = await runScript("scripts/deploy.ts", ["--dry-run", "--env-file", await emptyEnvFile()], {
      ...FULL,
      SUPABASE_DB_URL: dbUrl,
    });
    assert.equal(r.code, 0, r.output);
    assert.ok(
      r.output.includes(
        `supabase db push --db-url postgresql://postgres.${REF}:***@aws-0-eu.pooler.supabase.com`,
      ),
    );
    assert.ok(r.output.includes(`supabase db query --db-url postgresql://postgres.${REF}:***@`));
    for (const value of Object.values(SECRETS)) assert.ok(!r.output.includes(value));
  },
);

Deno.test(
  "deploy --dry-run: missing configuration → one line per missing variable, exit 1, no step",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "deploy-test-" });
    const cli = await fakeSupabaseCli(dir);
    try {
      const r = await runScript("scripts/deploy.ts", ["--dry-run", "--env-file", await emptyEnvFile()], {
        SUPABASE_CLI: cli.path,
        PAID_CHAT_ID: "not-a-number",
      });
      assert.equal(r.code, 1);
      const lines = r.stderr.trim().split("\n");
      for (
        const name of [
          "SUPABASE_PROJECT_REF",
          "TELEGRAM_BOT_TOKEN",
          "TELEGRAM_WEBHOOK_SECRET",
          "TRIBUTE_API_KEY",
          "CRON_SECRET",
        ]
      ) {
        assert.equal(lines.filter((l) => l.startsWith(`missing ${name}:`)).length, 1, `${name}\n${r.stderr}`);
      }
      assert.equal(
        lines.filter((l) => l.startsWith("PAID_CHAT_ID:")).length,
        1,
        "malformed optional value named",
      );
      assert.match(r.stderr, /6 problems in the configuration; nothing was done/);
      assert.doesNotMatch(r.output, /\[\d\/8\]/, "no step was started");
      await assert.rejects(Deno.stat(cli.log), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("deploy: the env file fills what the environment lacks, the environment wins", opts, async () => {
  const dir = await Deno.makeTempDir({ prefix: "deploy-test-" });
  try {
    await Deno.writeTextFile(
      `${dir}/.env`,
      [
        "# deploy settings",
        `export SUPABASE_PROJECT_REF=zyxwvutsrqponmlkjihg`,
        `TELEGRAM_BOT_TOKEN="${SECRETS.TELEGRAM_BOT_TOKEN}"`,
        `TELEGRAM_WEBHOOK_SECRET='${SECRETS.TELEGRAM_WEBHOOK_SECRET}'`,
        `TRIBUTE_API_KEY=${SECRETS.TRIBUTE_API_KEY}   # from the dashboard`,
        `CRON_SECRET=${SECRETS.CRON_SECRET}`,
      ].join("\n"),
    );
    const r = await runScript("scripts/deploy.ts", ["--dry-run", "--env-file", `${dir}/.env`], {
      SUPABASE_PROJECT_REF: REF,
    });
    assert.equal(r.code, 0, r.output);
    assert.ok(r.output.includes(`supabase link --project-ref ${REF}`), "environment wins over the env file");
    for (const value of Object.values(SECRETS)) assert.ok(!r.output.includes(value));
    assert.match(r.output, /SUPABASE_ACCESS_TOKEN is not set/);

    const missing = await runScript(
      "scripts/deploy.ts",
      ["--dry-run", "--env-file", `${dir}/nope.env`],
      FULL,
    );
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--env-file .*nope\.env: no such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "deploy --dry-run: one-letter secrets are refused, and not printed while refusing",
  opts,
  async () => {
    const telegram = startFakeTelegram();
    try {
      const r = await runScript("scripts/deploy.ts", ["--dry-run", "--env-file", await emptyEnvFile()], {
        ...FULL,
        TELEGRAM_WEBHOOK_SECRET: "Q",
        CRON_SECRET: "Z",
        TELEGRAM_API_ROOT: telegram.apiRoot,
      });
      assert.equal(r.code, 1, r.output);
      assert.match(r.stderr, /^TELEGRAM_WEBHOOK_SECRET: must be at least 32 characters \(has 1\)$/m);
      assert.match(r.stderr, /^CRON_SECRET: must be at least 32 characters \(has 1\)$/m);
      assert.doesNotMatch(r.output, /\[\d\/7\]/, "no step was started");
      assert.doesNotMatch(r.output, /"Q"|'Z'|=Q\b|=Z\b/);
    } finally {
      await telegram.close();
    }
  },
);

Deno.test("deploy --dry-run: with PUBLIC_URL the menu button opens PUBLIC_URL/app", opts, async () => {
  const r = await runScript("scripts/deploy.ts", ["--dry-run", "--env-file", await emptyEnvFile()], {
    ...FULL,
    PUBLIC_URL: "https://members.example.com/functions/v1/bot/",
  });
  assert.equal(r.code, 0, r.output);
  assert.ok(
    r.output.includes(`"web_app":{"url":"https://members.example.com/functions/v1/bot/app"}`),
    r.output,
  );
  // a custom domain serves HTML: no warning about supabase.co
  assert.doesNotMatch(r.output, /custom domain/);
});
