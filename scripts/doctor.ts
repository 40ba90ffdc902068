/**
 * `npm run doctor [-- --env-file PATH]`: a pass/fail table of what the bot needs, exit code 1 when a
 * check fails.
 *
 *   env               the configuration parses (the same zod schema the function uses)
 *   database          DATABASE_URL / SUPABASE_DB_URL answers
 *   migrations        every file in migrations/ is recorded in supabase_migrations.schema_migrations
 *   cron job          pg_cron job `expire-subscriptions` exists, every minute, active
 *   failed deliveries Tribute webhooks / Telegram updates journaled as failed in the last 24 h
 *   telegram webhook  getWebhookInfo: url set (to PUBLIC_URL when given), no recent delivery error
 *   tribute api       the Tribute API answers with TRIBUTE_API_KEY
 *
 * The Telegram and Tribute checks are functions/bot/jobs/checks.ts, shared with /tribute_test.
 */
import postgres from "postgres";
import { type Config, ConfigError, LOCAL_DATABASE_URL, parseConfig } from "../functions/bot/config.ts";
import { type CheckResult, checkTelegramWebhook, checkTributeApi } from "../functions/bot/jobs/checks.ts";
import { redactUrlPasswords } from "../functions/bot/log.ts";
import { argValue, loadEnv } from "./env.ts";

const MIGRATIONS_DIR = new URL("../migrations/", import.meta.url);

type Row = CheckResult & { skipped?: boolean };

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

    rows.push(await failedDeliveries(sql));
    return rows;
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
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

export async function runDoctor(env: Record<string, string | undefined>): Promise<Row[]> {
  const rows: Row[] = [];
  let config: Config | null = null;
  try {
    config = parseConfig(env);
    rows.push({
      name: "env",
      ok: true,
      detail:
        `config parses (admins: ${config.adminIds.length}, paid chat: ${config.paidChatId ?? "not set"}, ` +
        `database: ${config.db.kind})`,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    rows.push({ name: "env", ok: false, detail: err.problems.join("\n") });
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

  if (config) {
    const [telegram, tribute] = await Promise.all([checkTelegramWebhook(config), checkTributeApi(config)]);
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
      `${r.name.padEnd(width)}  ${(r.skipped ? "SKIP" : r.ok ? "PASS" : "FAIL").padEnd(6)}  ${first}`,
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
  const skipped = rows.filter((r) => r.skipped).length;
  console.log(
    failed || skipped ? `\n${failed} failed, ${skipped} not checked.` : "\nAll checks passed.",
  );
  Deno.exit(failed || skipped ? 1 : 0);
}
