/**
 * `npm run doctor [-- --env-file PATH]`: a pass/fail table of what the bot needs, exit code 1 when a
 * check fails.
 *
 *   env               the configuration parses (the same zod schema the function uses)
 *   database          DATABASE_URL / SUPABASE_DB_URL answers
 *   migrations        every file in migrations/ is recorded in supabase_migrations.schema_migrations
 *   cron job          pg_cron job `expire-subscriptions` exists, every minute, active
 *   function          (local stack only) GET http://127.0.0.1:$FN_PORT/functions/v1/bot answers {"ok":true}
 *   failed deliveries Tribute webhooks / Telegram updates journaled as failed in the last 24 h
 *   telegram webhook  getWebhookInfo: url set (to PUBLIC_URL when given), no recent delivery error
 *   tribute api       the Tribute API answers with TRIBUTE_API_KEY
 *
 * Local stack (the database URL is on 127.0.0.1/localhost, or no database / Supabase project is
 * configured): missing values get npm start's local defaults (scripts/local_defaults.ts), an INFO row says
 * which values are placeholders, and the Telegram/Tribute checks of a placeholder token or key are
 * skipped ("skipped: placeholder"), which is not a failure.
 *
 * The Telegram and Tribute checks are functions/bot/jobs/checks.ts, shared with /tribute_test.
 */
import "../functions/bot/node_warnings.ts"; // first: before checks.ts imports grammY (see the file)
import postgres from "postgres";
import { type Config, ConfigError, LOCAL_DATABASE_URL, parseConfig } from "../functions/bot/config.ts";
import { type CheckResult, checkTelegramWebhook, checkTributeApi } from "../functions/bot/jobs/checks.ts";
import { redactUrlPasswords } from "../functions/bot/log.ts";
import { type InboxBacklog, inboxHealth } from "../functions/bot/tribute/inbox.ts";
import { argValue, loadEnv } from "./env.ts";
import {
  isLocalSetup,
  LOCAL_FUNCTION_PATH,
  LOCAL_FUNCTION_PORT,
  placeholderNames,
  withLocalDefaults,
} from "./local_defaults.ts";

const MIGRATIONS_DIR = new URL("../migrations/", import.meta.url);

/**
 * skipped: not checked because something else failed (counts against "all passed");
 * placeholder: not checked because the value is a local placeholder (does not);
 * note: information, not a check.
 */
type Row = CheckResult & { skipped?: boolean; placeholder?: boolean; note?: boolean };

/** Versions of the migration files (the timestamp before the first underscore). */
export function migrationVersions(dir: URL = MIGRATIONS_DIR): string[] {
  const versions: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const m = entry.isFile && entry.name.match(/^(\d+)_.*\.sql$/);
    if (m) versions.push(m[1]);
  }
  return versions.sort();
}

export async function databaseChecks(url: string): Promise<Row[]> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, idle_timeout: 1, onnotice: () => {} });
  try {
    let version: string;
    try {
      const [row] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
      version = row.v;
    } catch (err) {
      const why = redactUrlPasswords(err instanceof Error ? err.message : String(err));
      return [
        { name: "database", ok: false, detail: `unreachable at ${redactUrlPasswords(url)}: ${why}` },
        { name: "migrations", ok: false, detail: "not checked (no database)", skipped: true },
        { name: "cron job", ok: false, detail: "not checked (no database)", skipped: true },
        { name: "failed deliveries", ok: false, detail: "not checked (no database)", skipped: true },
      ];
    }
    const rows: Row[] = [{ name: "database", ok: true, detail: `reachable (PostgreSQL ${version})` }];

    const files = migrationVersions();
    try {
      const applied =
        (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`)
          .map((r) => r.version);
      const missing = files.filter((v) => !applied.includes(v));
      const unknown = applied.filter((v) => !files.includes(v));
      rows.push({
        name: "migrations",
        ok: missing.length === 0,
        detail: `${files.length - missing.length}/${files.length} applied` +
          (missing.length ? `; missing ${missing.join(", ")} (npm start or supabase db push)` : "") +
          (unknown.length ? `; the database also has ${unknown.join(", ")} not in migrations/` : ""),
      });
    } catch {
      rows.push({
        name: "migrations",
        ok: false,
        detail: `none applied (0/${files.length}): no supabase_migrations table`,
      });
    }

    try {
      const jobs = await sql<{ schedule: string; active: boolean; command: string }[]>`
        select schedule, active, command from cron.job where jobname = 'expire-subscriptions'`;
      const job = jobs[0];
      rows.push(
        !job
          ? {
            name: "cron job",
            ok: false,
            detail: "expire-subscriptions is not scheduled (migration 20261126000004)",
          }
          : {
            name: "cron job",
            ok: job.active && job.schedule === "* * * * *",
            detail: `expire-subscriptions: '${job.schedule}'${job.active ? "" : " (inactive)"}`,
          },
      );
    } catch {
      rows.push({ name: "cron job", ok: false, detail: "pg_cron is not installed in this database" });
    }

    try {
      const [{ b }] = await sql<{ b: InboxBacklog }[]>`select public.tribute_inbox_backlog() as b`;
      rows.push(inboxHealth(b));
    } catch {
      rows.push({
        name: "tribute inbox",
        ok: false,
        detail: "not checked: tribute_inbox_backlog() is missing (migrations)",
      });
    }
    rows.push(await failedDeliveries(sql));
    return rows;
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}

/** The locally served function (npm start) answers its health check. */
export async function checkLocalFunction(url: string): Promise<Row> {
  const name = "function";
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    let ok = false;
    try {
      ok = res.status === 200 && JSON.parse(body)?.ok === true;
    } catch { /* not JSON */ }
    return ok
      ? { name, ok: true, detail: `health 200 at ${url}` }
      : { name, ok: false, detail: `health at ${url} answered HTTP ${res.status}, not {"ok":true}` };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { name, ok: false, detail: `not answering at ${url} (npm start serves it): ${why}` };
  }
}

/**
 * Deliveries that failed for good in the last 24 h (journaled `failed`, acknowledged so the sender
 * stopped retrying): each is a payment event or an update nobody acted on, so someone should look.
 */
async function failedDeliveries(sql: postgres.Sql): Promise<Row> {
  const name = "failed deliveries";
  try {
    const rows = await sql<{ source: string; name: string; n: number; error: string | null }[]>`
      select source, name, count(*)::int as n, (array_agg(error order by id desc))[1] as error
      from public.webhook_events
      where status = 'failed' and received_at > now() - interval '24 hours'
      group by source, name order by count(*) desc, source, name`;
    const total = rows.reduce((sum, r) => sum + r.n, 0);
    if (total === 0) return { name, ok: true, detail: "none in the last 24 h" };
    const lines = rows.slice(0, 5).map((r) =>
      `${r.source} ${r.name}: ${r.n}${r.error ? ` (latest: ${r.error.slice(0, 120)})` : ""}`
    );
    if (rows.length > 5) lines.push(`… and ${rows.length - 5} more kinds`);
    return {
      name,
      ok: false,
      detail: `${total} in the last 24 h; see public.webhook_events where status = 'failed'\n` +
        lines.join("\n"),
    };
  } catch {
    return { name, ok: false, detail: "not checked: public.webhook_events is missing (migrations)" };
  }
}

export async function runDoctor(given: Record<string, string | undefined>): Promise<Row[]> {
  const rows: Row[] = [];
  const local = isLocalSetup(given);
  // locally, what npm start would fill in is filled in the same way (and said so below)
  const { env, used } = local ? withLocalDefaults(given) : { env: given, used: [] };
  const placeholders = local ? placeholderNames(env) : [];
  let config: Config | null = null;
  try {
    config = parseConfig(env);
    rows.push({
      name: "env",
      ok: true,
      detail:
        `config parses (admins: ${config.adminIds.length}, paid chats: ${
          config.paidChatIds.join(", ") || "not set"
        }, ` +
        `database: ${config.db.kind})`,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    rows.push({ name: "env", ok: false, detail: err.problems.join("\n") });
  }
  if (local) {
    const notes = used.map(({ name, note }) => `${name}: ${note}`);
    for (const name of placeholders) {
      if (!used.some((u) => u.name === name)) {
        notes.push(`${name}: placeholder (the value npm start uses locally)`);
      }
    }
    rows.push({
      name: "placeholders",
      ok: true,
      note: true,
      detail: `local stack: ${placeholders.length ? placeholders.join(", ") : "no value"} ` +
        `${placeholders.length === 1 ? "is a placeholder" : "are placeholders"}` +
        (notes.length ? `\n${notes.join("\n")}` : ""),
    });
  }

  const dbUrl = env.DATABASE_URL || env.SUPABASE_DB_URL ||
    (config?.db.kind === "supabase" ? undefined : LOCAL_DATABASE_URL);
  if (dbUrl) rows.push(...await databaseChecks(dbUrl));
  else {
    for (const name of ["database", "migrations", "cron job", "failed deliveries"]) {
      rows.push({
        name,
        ok: false,
        detail: "not checked: set SUPABASE_DB_URL for direct checks",
        skipped: true,
      });
    }
  }

  if (local) {
    const port = env.FN_PORT || String(LOCAL_FUNCTION_PORT);
    rows.push(await checkLocalFunction(`http://127.0.0.1:${port}${LOCAL_FUNCTION_PATH}`));
  }

  if (config) {
    const skip = (name: string, variable: string, what: string): Row => ({
      name,
      ok: false,
      skipped: true,
      placeholder: true,
      detail:
        `skipped: placeholder ${variable} (npm start's local value); set your ${what} in .env to check it`,
    });
    const [telegram, tribute] = await Promise.all([
      placeholders.includes("TELEGRAM_BOT_TOKEN")
        ? skip("telegram webhook", "TELEGRAM_BOT_TOKEN", "bot token")
        : checkTelegramWebhook(config),
      placeholders.includes("TRIBUTE_API_KEY")
        ? skip("tribute api", "TRIBUTE_API_KEY", "Tribute API key")
        : checkTributeApi(config),
    ]);
    rows.push(telegram, tribute);
  } else {
    for (const name of ["telegram webhook", "tribute api"]) {
      rows.push({ name, ok: false, detail: "not checked: fix env first", skipped: true });
    }
  }
  return rows;
}

export function formatTable(rows: Row[]): string {
  const width = Math.max(...rows.map((r) => r.name.length), "CHECK".length);
  const lines = [`${"CHECK".padEnd(width)}  RESULT  DETAIL`];
  for (const r of rows) {
    const [first, ...more] = r.detail.split("\n");
    lines.push(
      `${r.name.padEnd(width)}  ${
        (r.note ? "INFO" : r.skipped ? "SKIP" : r.ok ? "PASS" : "FAIL").padEnd(6)
      }  ${first}`,
    );
    for (const line of more) lines.push(`${"".padEnd(width)}          ${line}`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const env = loadEnv(argValue(Deno.args, "--env-file") ?? ".env");
  const rows = await runDoctor(env);
  console.log(formatTable(rows));
  const failed = rows.filter((r) => !r.ok && !r.skipped).length;
  const skipped = rows.filter((r) => r.skipped && !r.placeholder).length;
  const placeholder = rows.filter((r) => r.placeholder).length;
  const note = placeholder ? ` (${placeholder} skipped: placeholder)` : "";
  console.log(
    failed || skipped ? `\n${failed} failed, ${skipped} not checked${note}.` : `\nAll checks passed${note}.`,
  );
  Deno.exit(failed || skipped ? 1 : 0);
}
