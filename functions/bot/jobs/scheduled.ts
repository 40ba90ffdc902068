/**
 * The scheduled work behind the X-Cron-Secret route, called every minute (pg_cron + pg_net in
 * production, scripts/local_cron.ts locally): end what is past due, queue reminders, drain the outbox.
 * Each step is one SQL call (expiry and reminders are idempotent and safe to run concurrently).
 */
import type { AppDeps } from "../app.ts";
import { DbUnavailableError } from "../db/port.ts";
import { errorMessage } from "../log.ts";
import { type DrainOptions, drainOutbox, emptyCounts, type OutboxCounts } from "../outbox/drain.ts";

export interface ScheduledReport {
  /** subscriptions ended by expire_subscriptions */
  expired: number;
  /** reminder rows queued by queue_reminders */
  reminders: number;
  outbox: OutboxCounts;
  /** steps that failed (the others still ran); absent when everything worked */
  errors?: Array<{ step: string; error: string }>;
}

/**
 * Runs the three steps in order. An unreachable database aborts the run (the route answers 503 and the
 * next minute tries again); any other failure of one step is reported and the next steps still run,
 * so a bug in one cannot stop notifications.
 */
export async function runScheduled(
  deps: Pick<AppDeps, "config" | "db" | "log">,
  opts: { outbox?: DrainOptions } = {},
): Promise<ScheduledReport> {
  const started = Date.now();
  const errors: Array<{ step: string; error: string }> = [];

  async function attempt<T>(name: string, fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DbUnavailableError) throw err;
      deps.log.error("scheduled step failed", { step: name, error: errorMessage(err) });
      errors.push({ step: name, error: errorMessage(err) });
      return fallback;
    }
  }

  const expired = await attempt("expire", 0, async () => Number(await deps.db.call("expire_subscriptions")));
  const reminders = await attempt(
    "reminders",
    0,
    async () =>
      Number(await deps.db.call("queue_reminders", { p_include_auto_renew: deps.config.remindAutoRenew })),
  );
  const outbox = await attempt(
    "outbox",
    emptyCounts(),
    () => drainOutbox(deps, deps.config.outboxBatch, opts.outbox),
  );

  const report: ScheduledReport = { expired, reminders, outbox };
  if (errors.length) report.errors = errors;
  deps.log.info("scheduled run", {
    expired,
    reminders,
    ...prefixed(outbox),
    errors: errors.length,
    ms: Date.now() - started,
  });
  return report;
}

function prefixed(counts: OutboxCounts): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`outbox_${k}`, v]));
}
