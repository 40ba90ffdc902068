/**
 * One-command deployment to a Supabase project (CONTRACT section 8, issue 6).
 *
 *   npm run deploy [-- --dry-run] [--env-file .env] [--generate-secrets]
 *
 * Steps, in order; the first one that fails stops the run and is named (nothing after it runs):
 *   1. supabase link --project-ref REF
 *   2. supabase db push                       (migrations, incl. pg_cron expiry + the pg_net schedule)
 *   3. supabase secrets set --env-file TMP    (the function's environment; values never printed)
 *   4. supabase functions deploy bot --no-verify-jwt
 *   5. Telegram setWebhook                    (function URL, secret_token, allowed_updates)
 *   6. Telegram setMyCommands                 (user commands en/ru; admin commands for ADMIN_TELEGRAM_IDS)
 *   7. Telegram setChatMenuButton             (the menu button opens the Mini App at PUBLIC_URL/app)
 *   8. production schedule                    (Vault secrets bot_function_url + bot_cron_secret)
 * and finally prints the webhook URL to paste into Tribute.
 *
 * Inputs (environment first, then the env file): SUPABASE_PROJECT_REF, TELEGRAM_BOT_TOKEN,
 * TELEGRAM_WEBHOOK_SECRET, TRIBUTE_API_KEY, CRON_SECRET (required); ADMIN_TELEGRAM_IDS, PAID_CHAT_ID,
 * PUBLIC_URL, REMIND_AUTO_RENEW, OUTBOX_BATCH (optional, passed to the function); SUPABASE_ACCESS_TOKEN
 * (or an existing `supabase login`), SUPABASE_DB_PASSWORD (else the CLI asks), SUPABASE_DB_URL (optional:
 * push and query that database directly). TELEGRAM_API_ROOT is where the Bot API calls go; SUPABASE_CLI
 * overrides the CLI binary (default node_modules/.bin/supabase). Secrets are masked in everything printed.
 *
 * TELEGRAM_WEBHOOK_SECRET and CRON_SECRET guard the two doors anyone on the internet can knock on: the
 * .env.example placeholders and anything shorter than 32 characters are refused. When they are missing
 * (or weak, and not set in the process environment), deploy generates strong ones (48 random characters
 * of A-Z a-z 0-9 _ -) and writes them to the env file: with --generate-secrets, or after a yes at the
 * prompt when stdin is a terminal. With --dry-run it only says what it would write.
 */
import { ConfigError, parseConfig } from "../functions/bot/config.ts";
import { redactSecrets, redactUrlPasswords } from "../functions/bot/log.ts";
import { BOT_COMMANDS, BOT_COMMANDS_RU } from "../functions/bot/telegram/bot.ts";
import { argValue, loadEnv, parseDotEnv } from "./env.ts";
import { LOCAL_DEFAULTS } from "./local_defaults.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DEFAULT_CLI = `${ROOT}/node_modules/.bin/supabase`;

/** Update types the bot handles (messages, buttons, Stars checkout, paid-chat membership). */
export const ALLOWED_UPDATES = [
  "message",
  "callback_query",
  "pre_checkout_query",
  "chat_member",
  "my_chat_member",
];

/** Variables of the function's environment that deploy hands to `supabase secrets set`. */
const FUNCTION_ENV_REQUIRED = [
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "TRIBUTE_API_KEY",
  "CRON_SECRET",
];
const FUNCTION_ENV_OPTIONAL = [
  "ADMIN_TELEGRAM_IDS",
  "PAID_CHAT_ID",
  "REMIND_AUTO_RENEW",
  "OUTBOX_BATCH",
  "TELEGRAM_API_ROOT",
  "TRIBUTE_API_URL",
];

const REQUIRED: Array<[string, string]> = [
  [
    "SUPABASE_PROJECT_REF",
    "the project ref (Supabase dashboard > Project Settings > General, 20 lowercase letters)",
  ],
  ["TELEGRAM_BOT_TOKEN", "the bot token from @BotFather"],
  [
    "TELEGRAM_WEBHOOK_SECRET",
    "any random string (A-Z a-z 0-9 _ -); Telegram sends it back with every update",
  ],
  ["TRIBUTE_API_KEY", "Tribute dashboard > Settings > API Keys"],
  ["CRON_SECRET", "any random string; the schedule sends it as X-Cron-Secret"],
];

/** Names whose values are secret: never printed. */
const SECRET_NAMES = [
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "TRIBUTE_API_KEY",
  "CRON_SECRET",
  "SUPABASE_ACCESS_TOKEN",
  "SUPABASE_DB_PASSWORD",
  "SUPABASE_SERVICE_ROLE_KEY",
];

// ---------------------------------------------------------------------------------------------------
// The two shared secrets deploy can generate

export const GENERATED_SECRETS = ["TELEGRAM_WEBHOOK_SECRET", "CRON_SECRET"] as const;
export const MIN_SECRET_LENGTH = 32;
export const GENERATED_SECRET_LENGTH = 48;
/** Telegram accepts 1-256 of these in secret_token; the cron header takes them as they are. */
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/** Values everyone who cloned the repository knows: .env.example's and the local stack's. */
export function placeholderSecrets(): Set<string> {
  const known = new Set<string>([
    "change-me-random-string",
    "change-me-another-random-string",
    LOCAL_DEFAULTS.TELEGRAM_WEBHOOK_SECRET,
    LOCAL_DEFAULTS.CRON_SECRET,
  ]);
  try {
    const example = parseDotEnv(Deno.readTextFileSync(`${ROOT}/.env.example`));
    for (const name of GENERATED_SECRETS) if (example[name]) known.add(example[name]);
  } catch { /* no .env.example next to the script: the built-in list still applies */ }
  return known;
}

/** Why a webhook/cron secret may not be deployed (null: fine, or missing, which is reported apart). */
export function secretProblem(
  name: string,
  value: string,
  placeholders = placeholderSecrets(),
): string | null {
  if (!value) return null;
  if (placeholders.has(value) || /change[-_]?me/i.test(value)) {
    return `${name}: is the example value from .env.example; it must be your own random string`;
  }
  if (value.length < MIN_SECRET_LENGTH) {
    return `${name}: must be at least ${MIN_SECRET_LENGTH} characters (has ${value.length})`;
  }
  return null;
}

/** A random secret: every character uniform over 64 symbols (a byte's low 6 bits), from crypto. */
export function generateSecret(length = GENERATED_SECRET_LENGTH): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => SECRET_ALPHABET[b & 63]).join("");
}

/** The env file's text with `values` set: an existing `KEY=` line is replaced, others are appended. */
export function setEnvValues(text: string, values: Record<string, string>): string {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  for (const [key, value] of Object.entries(values)) {
    const line = `${key}=${value}`;
    const at = lines.findIndex((l) => new RegExp(`^\\s*(export\\s+)?${key}\\s*=`).test(l));
    if (at >= 0) lines[at] = line;
    else lines.push(line);
  }
  return lines.join("\n") + "\n";
}

// The command menus come from the bot itself, so the menu and the handlers cannot drift apart.
export const USER_COMMANDS = { en: BOT_COMMANDS.user, ru: BOT_COMMANDS_RU.user };
export const ADMIN_COMMANDS = BOT_COMMANDS.admin;

/** Label of the bot's menu button (one for every language: the Bot API has no per-language menu). */
export const MINI_APP_MENU_TEXT = "Membership";

/** The Mini App page of a deployed function (functions/bot/miniapp/page.ts, served on GET .../bot/app). */
export function miniAppUrl(functionUrl: string): string {
  return `${functionUrl.replace(/\/+$/, "")}/app`;
}

// ---------------------------------------------------------------------------------------------------

interface Step {
  title: string;
  /** What will be done, one line per command/call, already masked. */
  describe: string[];
  run(): Promise<void>;
}

class StepFailed extends Error {}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function onSupabaseDomain(url: string): boolean {
  try {
    return /\.supabase\.co$/i.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

function isLoopback(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.");
  } catch {
    return false;
  }
}

/** A .env file the Supabase CLI reads (godotenv): bare when safe, else double-quoted with escapes. */
export function formatEnvFile(vars: Record<string, string>): string {
  return Object.entries(vars).map(([k, v]) =>
    /^[A-Za-z0-9_:.,/+@=-]*$/.test(v)
      ? `${k}=${v}`
      : `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`
  ).join("\n") + "\n";
}

export function createMasker(env: Record<string, string>): (text: string) => string {
  const secrets = SECRET_NAMES.map((n) => env[n]).filter((v): v is string => !!v && v.length >= 3);
  try {
    const pw = env.SUPABASE_DB_URL ? decodeURIComponent(new URL(env.SUPABASE_DB_URL).password) : "";
    if (pw.length >= 3) secrets.push(pw, encodeURIComponent(pw));
  } catch { /* not a URL: nothing to add */ }
  return (text: string) => {
    const out = redactUrlPasswords(text)
      // by position too, so a secret too short to search for safely is still hidden
      .replace(/("secret_token":)"(?:[^"\\]|\\.)*"/g, '$1"***"')
      .replace(/(set_scheduled_route_secrets\('(?:[^']|'')*', )'(?:[^']|'')*'/g, "$1'***'");
    return redactSecrets(out, secrets);
  };
}

async function runCli(
  cli: string,
  args: string[],
  env: Record<string, string>,
  label: string,
): Promise<void> {
  let status: Deno.CommandStatus;
  try {
    status = await new Deno.Command(cli, {
      args,
      cwd: ROOT,
      env,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
  } catch (err) {
    throw new StepFailed(`could not run ${label}: ${err instanceof Error ? err.message : err}`);
  }
  if (!status.success) throw new StepFailed(`${label} exited with code ${status.code}`);
}

async function telegramCall(
  apiRoot: string,
  token: string,
  method: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${apiRoot}/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  } catch (err) {
    throw new StepFailed(`Bot API unreachable (${method}): ${err instanceof Error ? err.message : err}`);
  }
  const data = await res.json().catch(() => null) as
    | { ok?: boolean; result?: unknown; description?: string }
    | null;
  if (!data?.ok) {
    throw new StepFailed(`${method} failed: HTTP ${res.status} ${data?.description ?? ""}`.trim());
  }
  return data.result;
}

export interface DeployOptions {
  dryRun: boolean;
  env: Record<string, string>;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** where generated secrets are written (default .env) */
  envFile?: string;
  /** generate missing/weak webhook and cron secrets: yes, ask (`confirm`), or no (default) */
  generateSecrets?: boolean | "ask";
  confirm?: (question: string) => boolean;
  /** the process environment: a value set there cannot be replaced by writing the env file */
  environment?: Record<string, string | undefined>;
}

/**
 * Generates the webhook/cron secrets that are missing or weak and writes them to the env file (only
 * reports it on a dry run). Returns the names it could not fix, for the problem list.
 */
async function provideSecrets(
  opts: DeployOptions,
  out: (line: string) => void,
): Promise<{ unfixed: string[]; generated: string[] }> {
  const env = opts.env;
  const placeholders = placeholderSecrets();
  const weak = GENERATED_SECRETS.filter((n) =>
    !(env[n] ?? "").trim() || secretProblem(n, env[n].trim(), placeholders)
  );
  if (weak.length === 0) return { unfixed: [], generated: [] };
  const fixable = weak.filter((n) => !(opts.environment?.[n] ?? "").trim());
  const envFile = opts.envFile ?? ".env";
  const wanted = fixable.length > 0 && (opts.generateSecrets === true ||
    (opts.generateSecrets === "ask" && !opts.dryRun && (opts.confirm?.(
      `${fixable.join(" and ")} ${fixable.length === 1 ? "is" : "are"} missing or weak. ` +
        `Generate strong random ${fixable.length === 1 ? "value" : "values"} and write ${
          fixable.length === 1 ? "it" : "them"
        } to ${envFile}?`,
    ) ?? false)));
  if (!wanted) return { unfixed: weak, generated: [] };

  const values = Object.fromEntries(fixable.map((n) => [n, generateSecret()]));
  if (opts.dryRun) {
    for (const n of fixable) {
      out(`would generate ${n} (${GENERATED_SECRET_LENGTH} random characters) and write it to ${envFile}`);
    }
  } else {
    let text = "";
    try {
      text = await Deno.readTextFile(envFile);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    await Deno.writeTextFile(envFile, setEnvValues(text, values), { mode: 0o600 });
    for (const n of fixable) {
      out(`generated ${n} (${GENERATED_SECRET_LENGTH} random characters) and wrote it to ${envFile}`);
    }
  }
  Object.assign(env, values);
  return { unfixed: weak.filter((n) => !fixable.includes(n)), generated: fixable };
}

/** The whole deployment; returns the exit code. */
export async function deploy(opts: DeployOptions): Promise<number> {
  const env = opts.env;
  // secrets first: the masker below must know the generated values too
  const early = createMasker(env);
  const secrets = await provideSecrets(opts, (line) => (opts.out ?? console.log)(early(line)));
  const mask = createMasker(env);
  const out = (line: string) => (opts.out ?? console.log)(mask(line));
  const err = (line: string) => (opts.err ?? console.error)(mask(line));
  const val = (k: string) => (env[k] ?? "").trim();

  // ---- inputs: every problem, one line each, before anything runs
  const problems: string[] = [];
  for (const [name, what] of REQUIRED) if (!val(name)) problems.push(`missing ${name}: ${what}`);
  for (const name of secrets.unfixed) {
    const problem = secretProblem(name, val(name));
    if (problem) problems.push(problem);
  }
  const ref = val("SUPABASE_PROJECT_REF");
  if (ref && !/^[a-z]{20}$/.test(ref)) {
    problems.push("SUPABASE_PROJECT_REF: must be the 20-letter project ref (lowercase a-z), not a URL");
  }
  const functionEnv: Record<string, string> = {};
  for (const k of [...FUNCTION_ENV_REQUIRED, ...FUNCTION_ENV_OPTIONAL, "PUBLIC_URL"]) {
    if (val(k)) functionEnv[k] = val(k);
  }
  try {
    // format checks of what is present (missing ones are reported above)
    parseConfig({ ...Object.fromEntries(FUNCTION_ENV_REQUIRED.map((k) => [k, "x"])), ...functionEnv });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) {
      const name = p.split(":")[0];
      if (FUNCTION_ENV_REQUIRED.includes(name) && !val(name)) continue;
      problems.push(p);
    }
  }
  const cli = val("SUPABASE_CLI") || DEFAULT_CLI;
  if (!opts.dryRun && !problems.length) {
    try {
      Deno.statSync(cli);
    } catch {
      problems.push(`supabase CLI not found at ${cli}: run npm install (or set SUPABASE_CLI)`);
    }
  }
  if (problems.length) {
    for (const p of problems) err(p);
    err(
      `deploy: ${problems.length} problem${
        problems.length === 1 ? "" : "s"
      } in the configuration; nothing was done.`,
    );
    if (secrets.unfixed.length) {
      const inEnvironment = secrets.unfixed.filter((n) => (opts.environment?.[n] ?? "").trim());
      err(
        inEnvironment.length
          ? `hint: ${inEnvironment.join(" and ")} come${
            inEnvironment.length === 1 ? "s" : ""
          } from the environment: unset or replace it there, then run npm run deploy -- --generate-secrets`
          : `hint: npm run deploy -- --generate-secrets writes strong ${secrets.unfixed.join(" and ")} to ${
            opts.envFile ?? ".env"
          }`,
      );
    }
    return 1;
  }

  const functionUrl = val("PUBLIC_URL") || `https://${ref}.supabase.co/functions/v1/bot`;
  functionEnv.PUBLIC_URL = functionUrl;
  const notes: string[] = [];
  for (const k of ["TELEGRAM_API_ROOT", "TRIBUTE_API_URL"]) {
    if (isLoopback(functionEnv[k])) {
      delete functionEnv[k];
      notes.push(`${k} points at this machine: not passed to the deployed function (it uses the default)`);
    }
  }
  if (onSupabaseDomain(functionUrl)) {
    // Supabase rewrites text/html answers to GET into text/plain on its own domains (a platform
    // limit), so the Mini App page renders only where the function is reached by a custom domain.
    notes.push(
      "the Mini App page needs PUBLIC_URL on a Supabase custom domain: *.supabase.co serves HTML as text/plain",
    );
  }
  if (!val("SUPABASE_ACCESS_TOKEN")) {
    notes.push("SUPABASE_ACCESS_TOKEN is not set: the CLI uses your `supabase login` session");
  }
  if (!val("SUPABASE_DB_PASSWORD") && !val("SUPABASE_DB_URL")) {
    notes.push("SUPABASE_DB_PASSWORD is not set: the CLI may ask for the database password");
  }

  const apiRoot = (val("TELEGRAM_API_ROOT") || "https://api.telegram.org").replace(/\/+$/, "");
  const token = val("TELEGRAM_BOT_TOKEN");
  const admins = val("ADMIN_TELEGRAM_IDS").split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const dbUrl = val("SUPABASE_DB_URL");
  const cliEnv: Record<string, string> = { ...Deno.env.toObject() };
  for (const k of ["SUPABASE_ACCESS_TOKEN", "SUPABASE_DB_PASSWORD"]) if (val(k)) cliEnv[k] = val(k);

  const tmpDir = opts.dryRun ? "<temp dir>" : await Deno.makeTempDir({ prefix: "bot-deploy-" });
  const secretsFile = `${tmpDir}/function.env`;
  const scheduleFile = `${tmpDir}/schedule.sql`;
  const scheduleSql = `select public.set_scheduled_route_secrets(${sqlString(functionUrl)}, ${
    sqlString(val("CRON_SECRET"))
  });`;
  const dbTarget = dbUrl ? ["--db-url", dbUrl] : ["--linked"];
  const webhookBody = {
    url: functionUrl,
    secret_token: val("TELEGRAM_WEBHOOK_SECRET"),
    allowed_updates: ALLOWED_UPDATES,
    drop_pending_updates: false,
  };
  const call = (method: string, body: unknown) =>
    `POST ${apiRoot}/bot${token}/${method} ${JSON.stringify(body)}`;
  const brief = (method: string) => `POST ${apiRoot}/bot${token}/${method}`;
  const names = (list: Array<{ command: string }>) => list.map((c) => `/${c.command}`).join(" ");
  const cmd = (args: string[]) => `supabase ${args.join(" ")}`;

  const linkArgs = ["link", "--project-ref", ref];
  // --include-seed: the example plans of supabase/seed.sql (never overwriting plans edited since)
  const pushArgs = ["db", "push", ...dbTarget, "--yes", "--include-seed"];
  const secretsArgs = ["secrets", "set", "--project-ref", ref, "--env-file", secretsFile];
  const deployArgs = ["functions", "deploy", "bot", "--project-ref", ref, "--no-verify-jwt", "--use-api"];
  const queryArgs = ["db", "query", ...dbTarget, "--file", scheduleFile];
  const adminScopes = admins.map((id) => ({ scope: { type: "chat", chat_id: id } }));
  const menuButtonBody = {
    menu_button: { type: "web_app", text: MINI_APP_MENU_TEXT, web_app: { url: miniAppUrl(functionUrl) } },
  };

  const steps: Step[] = [
    {
      title: "link the project",
      describe: [cmd(linkArgs)],
      run: () => runCli(cli, linkArgs, cliEnv, "supabase link"),
    },
    {
      title: "push the migrations",
      describe: [cmd(pushArgs)],
      run: () => runCli(cli, pushArgs, cliEnv, "supabase db push"),
    },
    {
      title: "set the function's secrets",
      describe: [`${cmd(secretsArgs)}   # ${Object.keys(functionEnv).join(", ")} (values hidden)`],
      async run() {
        await Deno.writeTextFile(secretsFile, formatEnvFile(functionEnv), { mode: 0o600 });
        try {
          await runCli(cli, secretsArgs, cliEnv, "supabase secrets set");
        } finally {
          await Deno.remove(secretsFile).catch(() => {});
        }
      },
    },
    {
      title: "deploy the function",
      describe: [cmd(deployArgs)],
      run: () => runCli(cli, deployArgs, cliEnv, "supabase functions deploy"),
    },
    {
      title: "set the Telegram webhook",
      describe: [call("getMe", {}), call("setWebhook", webhookBody)],
      async run() {
        const me = await telegramCall(apiRoot, token, "getMe", {}) as { username?: string };
        out(`      bot @${me?.username ?? "?"}`);
        await telegramCall(apiRoot, token, "setWebhook", webhookBody);
      },
    },
    {
      title: "set the bot's commands",
      describe: [
        `${brief("setMyCommands")} commands: ${names(USER_COMMANDS.en)}`,
        `${brief("setMyCommands")} language_code: ru, commands: ${names(USER_COMMANDS.ru)}`,
        ...admins.map((id) =>
          `${brief("setMyCommands")} scope: chat ${id}, commands: ${
            names([...USER_COMMANDS.en, ...ADMIN_COMMANDS])
          }`
        ),
      ],
      async run() {
        await telegramCall(apiRoot, token, "setMyCommands", { commands: USER_COMMANDS.en });
        await telegramCall(apiRoot, token, "setMyCommands", {
          commands: USER_COMMANDS.ru,
          language_code: "ru",
        });
        for (const s of adminScopes) {
          // an admin who never opened the bot has no chat yet: a warning, not a failed deploy
          try {
            await telegramCall(apiRoot, token, "setMyCommands", {
              commands: [...USER_COMMANDS.en, ...ADMIN_COMMANDS],
              ...s,
            });
          } catch (e) {
            out(
              `      warning: admin commands for ${s.scope.chat_id} not set (${(e as Error).message}); ` +
                "they still work, the menu just does not list them",
            );
          }
        }
      },
    },
    {
      title: "set the Mini App menu button",
      describe: [call("setChatMenuButton", menuButtonBody)],
      // no chat_id: the default menu button, shown in every private chat with the bot
      run: () => telegramCall(apiRoot, token, "setChatMenuButton", menuButtonBody).then(() => {}),
    },
    {
      title: "store the production schedule's Vault secrets",
      describe: [`${cmd(queryArgs)}   # ${scheduleSql}`],
      async run() {
        await Deno.writeTextFile(scheduleFile, scheduleSql + "\n", { mode: 0o600 });
        try {
          await runCli(cli, queryArgs, cliEnv, "supabase db query");
        } catch (e) {
          err(
            "      you can run this in the Supabase SQL editor instead (with your CRON_SECRET in place of ***):",
          );
          err(`      ${scheduleSql}`);
          throw e;
        } finally {
          await Deno.remove(scheduleFile).catch(() => {});
        }
      },
    },
  ];

  out(`${opts.dryRun ? "Dry run: deploy" : "Deploying"} the bot to Supabase project ${ref}`);
  for (const n of notes) out(`note: ${n}`);
  try {
    for (const [i, step] of steps.entries()) {
      out(`[${i + 1}/${steps.length}] ${step.title}`);
      for (const line of step.describe) out(`      ${opts.dryRun ? "would run: " : "$ "}${line}`);
      if (opts.dryRun) continue;
      try {
        await step.run();
      } catch (e) {
        const why = e instanceof StepFailed
          ? e.message
          : e instanceof Error
          ? `${e.name}: ${e.message}`
          : String(e);
        err(`FAILED at step ${i + 1}/${steps.length} (${step.title}): ${why}`);
        const skipped = steps.slice(i + 1).map((s) => s.title);
        if (skipped.length) err(`not run: ${skipped.join("; ")}`);
        return 1;
      }
    }
  } finally {
    if (!opts.dryRun) await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
  }

  out("");
  out(`Tribute webhook URL (Tribute dashboard > Settings > API Keys > Webhook): ${functionUrl}`);
  out(opts.dryRun ? "Dry run: nothing was executed." : "Deployed.");
  return 0;
}

if (import.meta.main) {
  const args = Deno.args;
  if (args.includes("--help") || args.includes("-h")) {
    console.log("usage: npm run deploy [-- --dry-run] [--env-file PATH] [--generate-secrets]");
    Deno.exit(0);
  }
  const envFile = argValue(args, "--env-file");
  if (envFile !== undefined) {
    try {
      Deno.statSync(envFile);
    } catch {
      console.error(`--env-file ${envFile}: no such file`);
      Deno.exit(1);
    }
  }
  const env = loadEnv(envFile ?? ".env");
  Deno.exit(
    await deploy({
      dryRun: args.includes("--dry-run"),
      env,
      envFile: envFile ?? ".env",
      generateSecrets: args.includes("--generate-secrets") ? true : Deno.stdin.isTerminal() ? "ask" : false,
      confirm: (question) => confirm(question),
      environment: Deno.env.toObject(),
    }),
  );
}
