// `npm run deploy` for real, against a stand-in Supabase CLI and the fake Bot API: the steps run in
// order, the secrets reach the CLI only through a temporary file, and a failing step stops the run.
import assert from "node:assert/strict";
import { startFakeTelegram } from "../support/fake_telegram.ts";
import { DEPLOY_REF, DEPLOY_SECRETS, fakeSupabaseCli, runScript } from "../support/scripts.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const REF = DEPLOY_REF;
const SECRETS = DEPLOY_SECRETS;

async function setup(failOn?: string) {
  const dir = await Deno.makeTempDir({ prefix: "deploy-run-" });
  const cli = await fakeSupabaseCli(dir, failOn);
  const telegram = startFakeTelegram();
  await Deno.writeTextFile(`${dir}/empty.env`, "");
  const env = {
    SUPABASE_PROJECT_REF: REF,
    ...SECRETS,
    ADMIN_TELEGRAM_IDS: "111",
    PAID_CHAT_ID: "-1001234567890",
    SUPABASE_CLI: cli.path,
    TELEGRAM_API_ROOT: telegram.apiRoot,
  };
  const run = () => runScript("scripts/deploy.ts", ["--env-file", `${dir}/empty.env`], env);
  const cliCalls = async () => {
    try {
      return (await Deno.readTextFile(cli.log)).trim().split("\n");
    } catch {
      return [];
    }
  };
  const cleanup = async () => {
    await telegram.close();
    await Deno.remove(dir, { recursive: true });
  };
  return { dir, telegram, run, cliCalls, cleanup };
}

Deno.test("deploy: runs every step in order and prints the Tribute URL", opts, async () => {
  const t = await setup();
  try {
    const r = await t.run();
    assert.equal(r.code, 0, r.output);
    const calls = await t.cliCalls();
    assert.equal(calls.length, 5, calls.join("\n"));
    assert.equal(calls[0], `link --project-ref ${REF}`);
    assert.equal(calls[1], "db push --linked --yes --include-seed");
    assert.match(calls[2], new RegExp(`^secrets set --project-ref ${REF} --env-file /.+/function\\.env$`));
    assert.equal(calls[3], `functions deploy bot --project-ref ${REF} --no-verify-jwt --use-api`);
    assert.match(calls[4], /^db query --linked --file \/.+\/schedule\.sql$/);

    // what the CLI got through the temporary files (which are gone afterwards)
    const secretsFile = calls[2].split("--env-file ")[1];
    await assert.rejects(Deno.stat(secretsFile), Deno.errors.NotFound);
    const fnEnv = await Deno.readTextFile(`${t.dir}/copied-function.env`);
    assert.ok(fnEnv.includes(`TELEGRAM_BOT_TOKEN=${SECRETS.TELEGRAM_BOT_TOKEN}\n`));
    assert.ok(fnEnv.includes(`CRON_SECRET=${SECRETS.CRON_SECRET}\n`));
    assert.ok(fnEnv.includes(`PUBLIC_URL=https://${REF}.supabase.co/functions/v1/bot\n`));
    assert.ok(!fnEnv.includes("TELEGRAM_API_ROOT"), "a local Bot API root is not deployed");
    assert.ok(!fnEnv.includes("SUPABASE_"), "the CLI refuses SUPABASE_* secrets");
    const scheduleSql = await Deno.readTextFile(`${t.dir}/copied-schedule.sql`);
    assert.equal(
      scheduleSql.trim(),
      `select public.set_scheduled_route_secrets('https://${REF}.supabase.co/functions/v1/bot', '${SECRETS.CRON_SECRET}');`,
    );

    const [hook] = t.telegram.callsOf("setWebhook");
    assert.deepEqual(hook.body, {
      url: `https://${REF}.supabase.co/functions/v1/bot`,
      secret_token: SECRETS.TELEGRAM_WEBHOOK_SECRET,
      allowed_updates: ["message", "callback_query", "pre_checkout_query", "chat_member", "my_chat_member"],
      drop_pending_updates: false,
    });
    assert.equal(hook.token, SECRETS.TELEGRAM_BOT_TOKEN);
    const commands = t.telegram.callsOf("setMyCommands");
    assert.equal(commands.length, 3);
    assert.equal(commands[1].body.language_code, "ru");
    assert.deepEqual(commands[2].body.scope, { type: "chat", chat_id: 111 });
    const menu = t.telegram.callsOf("setChatMenuButton");
    assert.equal(menu.length, 1);
    assert.deepEqual(menu[0].body, {
      menu_button: {
        type: "web_app",
        text: "Membership",
        web_app: { url: `https://${REF}.supabase.co/functions/v1/bot/app` },
      },
    });
    // after the commands, before the schedule (the last CLI call)
    const order = t.telegram.calls.map((c) => c.method);
    assert.ok(order.lastIndexOf("setMyCommands") < order.indexOf("setChatMenuButton"));

    assert.match(
      r.stdout,
      new RegExp(`Tribute webhook URL .*: https://${REF}\\.supabase\\.co/functions/v1/bot`),
    );
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(!r.output.includes(value), `${name} leaked`);
    }
  } finally {
    await t.cleanup();
  }
});

Deno.test("deploy: a failing step stops the run and is named; nothing after it runs", opts, async () => {
  const t = await setup("db push");
  try {
    const r = await t.run();
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /FAILED at step 2\/8 \(push the migrations\): supabase db push exited with code 1/,
    );
    assert.match(
      r.stderr,
      /not run: set the function's secrets; deploy the function; set the Telegram webhook/,
    );
    assert.deepEqual(await t.cliCalls(), [
      `link --project-ref ${REF}`,
      "db push --linked --yes --include-seed",
    ]);
    assert.equal(t.telegram.calls.length, 0);
    assert.doesNotMatch(r.stdout, /Tribute webhook URL/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("deploy: a Bot API error at setWebhook stops before the schedule", opts, async () => {
  const t = await setup();
  try {
    t.telegram.failNext("setWebhook", {
      status: 400,
      description: "Bad Request: bad webhook: HTTPS url must be provided",
    });
    const r = await t.run();
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /FAILED at step 5\/8 \(set the Telegram webhook\): setWebhook failed: HTTP 400 Bad Request/,
    );
    const calls = await t.cliCalls();
    assert.equal(calls.length, 4, "link, push, secrets, functions deploy; no schedule");
    assert.equal(t.telegram.callsOf("setMyCommands").length, 0);
    assert.equal(t.telegram.callsOf("setChatMenuButton").length, 0);
    assert.ok(!r.output.includes(SECRETS.TELEGRAM_BOT_TOKEN));
  } finally {
    await t.cleanup();
  }
});

Deno.test(
  "deploy: a Bot API error at setChatMenuButton is named and stops before the schedule",
  opts,
  async () => {
    const t = await setup();
    try {
      t.telegram.failNext("setChatMenuButton", {
        status: 400,
        description: "Bad Request: invalid web app URL",
      });
      const r = await t.run();
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /FAILED at step 7\/8 \(set the Mini App menu button\): setChatMenuButton failed: HTTP 400 Bad Request/,
      );
      assert.match(r.stderr, /not run: store the production schedule's Vault secrets/);
      assert.equal((await t.cliCalls()).length, 4, "no schedule query");
    } finally {
      await t.cleanup();
    }
  },
);
