// `npm run deploy` and the two shared secrets (issue #10): the .env.example placeholders and anything
// shorter than 32 characters are refused; strong ones are generated and written to the env file on
// request (--generate-secrets, or a yes at the prompt), and a dry run only says what it would write.
import assert from "node:assert/strict";
import {
  deploy,
  GENERATED_SECRET_LENGTH,
  generateSecret,
  MIN_SECRET_LENGTH,
  placeholderSecrets,
  secretProblem,
  setEnvValues,
} from "../../scripts/deploy.ts";
import { parseDotEnv } from "../../scripts/env.ts";
import { startFakeTelegram } from "../support/fake_telegram.ts";
import { DEPLOY_REF, DEPLOY_SECRETS, fakeSupabaseCli, PROJECT_ROOT, runScript } from "../support/scripts.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const EXAMPLE = parseDotEnv(Deno.readTextFileSync(`${PROJECT_ROOT}/.env.example`));
const { TELEGRAM_WEBHOOK_SECRET: _w, CRON_SECRET: _c, ...OTHERS } = DEPLOY_SECRETS;
const BASE = { SUPABASE_PROJECT_REF: DEPLOY_REF, ...OTHERS };

Deno.test("secrets: .env.example's values and short ones are refused; 32 random characters pass", () => {
  const known = placeholderSecrets();
  for (const name of ["TELEGRAM_WEBHOOK_SECRET", "CRON_SECRET"]) {
    assert.ok(known.has(EXAMPLE[name]), `${name} of .env.example is a known placeholder`);
    assert.match(secretProblem(name, EXAMPLE[name])!, /example value from \.env\.example/);
    assert.match(
      secretProblem(name, "x".repeat(MIN_SECRET_LENGTH - 1))!,
      /at least 32 characters \(has 31\)/,
    );
    assert.match(secretProblem(name, "please-change-me-" + "x".repeat(40))!, /example value/);
    assert.equal(secretProblem(name, generateSecret(MIN_SECRET_LENGTH)), null);
  }
});

Deno.test("secrets: generated secrets are 48 characters of A-Z a-z 0-9 _ -, never the same", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const s = generateSecret();
    assert.equal(s.length, GENERATED_SECRET_LENGTH);
    assert.match(s, /^[A-Za-z0-9_-]+$/);
    seen.add(s);
  }
  assert.equal(seen.size, 200);
  // every symbol of the alphabet shows up (a biased or truncated alphabet would not)
  assert.equal(new Set([...seen].join("")).size, 64);
});

Deno.test("secrets: setEnvValues replaces existing lines (also `export KEY=`) and appends the others", () => {
  const text = "# settings\nexport TELEGRAM_WEBHOOK_SECRET=change-me-random-string\nPAID_CHAT_ID=-100\n";
  assert.equal(
    setEnvValues(text, { TELEGRAM_WEBHOOK_SECRET: "A".repeat(48), CRON_SECRET: "B".repeat(48) }),
    `# settings\nTELEGRAM_WEBHOOK_SECRET=${"A".repeat(48)}\nPAID_CHAT_ID=-100\nCRON_SECRET=${
      "B".repeat(48)
    }\n`,
  );
  assert.equal(setEnvValues("", { CRON_SECRET: "c" }), "CRON_SECRET=c\n");
});

async function tempDir(envText: string) {
  const dir = await Deno.makeTempDir({ prefix: "deploy-secrets-" });
  await Deno.writeTextFile(`${dir}/.env`, envText);
  return dir;
}

Deno.test(
  "deploy: the .env.example placeholders are refused, with the way out named; nothing runs",
  opts,
  async () => {
    const dir = await tempDir(
      `TELEGRAM_WEBHOOK_SECRET=${EXAMPLE.TELEGRAM_WEBHOOK_SECRET}\nCRON_SECRET=${EXAMPLE.CRON_SECRET}\n`,
    );
    const cli = await fakeSupabaseCli(dir);
    try {
      for (const args of [["--dry-run"], []]) {
        const r = await runScript("scripts/deploy.ts", [...args, "--env-file", `${dir}/.env`], {
          ...BASE,
          SUPABASE_CLI: cli.path,
        });
        assert.equal(r.code, 1, r.output);
        assert.match(r.stderr, /^TELEGRAM_WEBHOOK_SECRET: is the example value from \.env\.example/m);
        assert.match(r.stderr, /^CRON_SECRET: is the example value from \.env\.example/m);
        assert.match(r.stderr, /--generate-secrets writes strong TELEGRAM_WEBHOOK_SECRET and CRON_SECRET/);
        assert.ok(!r.output.includes(EXAMPLE.CRON_SECRET), "the refused value is not echoed");
      }
      await assert.rejects(Deno.stat(cli.log), Deno.errors.NotFound);
      assert.equal(
        await Deno.readTextFile(`${dir}/.env`),
        `TELEGRAM_WEBHOOK_SECRET=${EXAMPLE.TELEGRAM_WEBHOOK_SECRET}\nCRON_SECRET=${EXAMPLE.CRON_SECRET}\n`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("deploy --dry-run --generate-secrets: says what it would write, writes nothing", opts, async () => {
  const dir = await tempDir("PAID_CHAT_ID=-1001234567890\n");
  try {
    const r = await runScript(
      "scripts/deploy.ts",
      ["--dry-run", "--generate-secrets", "--env-file", `${dir}/.env`],
      BASE,
    );
    assert.equal(r.code, 0, r.output);
    for (const name of ["TELEGRAM_WEBHOOK_SECRET", "CRON_SECRET"]) {
      assert.match(
        r.stdout,
        new RegExp(`would generate ${name} \\(48 random characters\\) and write it to .*\\.env`),
      );
    }
    assert.match(r.stdout, /"secret_token":"\*\*\*"/);
    assert.equal(await Deno.readTextFile(`${dir}/.env`), "PAID_CHAT_ID=-1001234567890\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "deploy --generate-secrets: strong secrets written to .env and deployed, never printed",
  opts,
  async () => {
    const dir = await tempDir(
      `# mine\nTELEGRAM_WEBHOOK_SECRET=${EXAMPLE.TELEGRAM_WEBHOOK_SECRET}\nPAID_CHAT_ID=-1001234567890\n`,
    );
    const cli = await fakeSupabaseCli(dir);
    const telegram = startFakeTelegram();
    try {
      const r = await runScript("scripts/deploy.ts", ["--generate-secrets", "--env-file", `${dir}/.env`], {
        ...BASE,
        SUPABASE_CLI: cli.path,
        TELEGRAM_API_ROOT: telegram.apiRoot,
      });
      assert.equal(r.code, 0, r.output);
      const text = await Deno.readTextFile(`${dir}/.env`);
      const written = parseDotEnv(text);
      assert.match(written.TELEGRAM_WEBHOOK_SECRET, /^[A-Za-z0-9_-]{48}$/);
      assert.match(written.CRON_SECRET, /^[A-Za-z0-9_-]{48}$/);
      assert.ok(text.startsWith("# mine\n") && text.includes("PAID_CHAT_ID=-1001234567890\n"), text);
      assert.equal((await Deno.stat(`${dir}/.env`)).mode! & 0o777, 0o600);
      assert.match(r.stdout, /generated TELEGRAM_WEBHOOK_SECRET \(48 random characters\) and wrote it to/);
      for (const value of [written.TELEGRAM_WEBHOOK_SECRET, written.CRON_SECRET]) {
        assert.ok(!r.output.includes(value), "a generated secret is never printed");
      }
      // what was deployed is what was written
      const [setWebhook] = telegram.callsOf("setWebhook");
      assert.equal(setWebhook.body.secret_token, written.TELEGRAM_WEBHOOK_SECRET);
      const fnEnv = await Deno.readTextFile(`${dir}/copied-function.env`);
      assert.ok(fnEnv.includes(`CRON_SECRET=${written.CRON_SECRET}\n`));
    } finally {
      await telegram.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "deploy --generate-secrets: a weak secret from the process environment is not overridden",
  opts,
  async () => {
    const dir = await tempDir("");
    try {
      const r = await runScript("scripts/deploy.ts", [
        "--dry-run",
        "--generate-secrets",
        "--env-file",
        `${dir}/.env`,
      ], {
        ...BASE,
        CRON_SECRET: "short",
      });
      assert.equal(r.code, 1, r.output);
      assert.match(r.stderr, /^CRON_SECRET: must be at least 32 characters \(has 5\)$/m);
      assert.match(r.stderr, /CRON_SECRET comes from the environment/);
      assert.match(r.stdout, /would generate TELEGRAM_WEBHOOK_SECRET/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "deploy on a terminal: asks before generating; no means nothing is written or run",
  opts,
  async () => {
    const dir = await tempDir("");
    const cli = await fakeSupabaseCli(dir);
    const telegram = startFakeTelegram();
    const questions: string[] = [];
    const lines: string[] = [];
    const run = (answer: boolean) =>
      deploy({
        dryRun: false,
        env: { ...BASE, SUPABASE_CLI: cli.path, TELEGRAM_API_ROOT: telegram.apiRoot },
        envFile: `${dir}/.env`,
        generateSecrets: "ask",
        confirm: (q) => (questions.push(q), answer),
        environment: {},
        out: (l) => lines.push(l),
        err: (l) => lines.push(l),
      });
    try {
      assert.equal(await run(false), 1);
      assert.equal(questions.length, 1);
      assert.match(
        questions[0],
        /TELEGRAM_WEBHOOK_SECRET and CRON_SECRET are missing or weak\. Generate .* to .*\.env\?/,
      );
      assert.equal(await Deno.readTextFile(`${dir}/.env`), "");
      await assert.rejects(Deno.stat(cli.log), Deno.errors.NotFound);

      assert.equal(await run(true), 0, lines.join("\n"));
      const written = parseDotEnv(await Deno.readTextFile(`${dir}/.env`));
      assert.equal(written.TELEGRAM_WEBHOOK_SECRET.length, 48);
      assert.equal(telegram.callsOf("setWebhook")[0].body.secret_token, written.TELEGRAM_WEBHOOK_SECRET);
    } finally {
      await telegram.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
