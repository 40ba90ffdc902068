/**
 * The scheduled work behind the X-Cron-Secret route, called every minute (pg_cron + pg_net in
 * production, scripts/local_cron.ts locally): apply the Tribute deliveries still in the inbox (an
 * instance that acknowledged them died before applying), end what is past due, queue reminders, drain
 * the outbox, then send broadcast copies at the shared pace.
 * Each step is one SQL call (expiry and reminders are idempotent and safe to run concurrently).
 */
import type { AppDeps } from "../app.ts";
import { DbUnavailableError } from "../db/port.ts";
import { errorMessage } from "../log.ts";
import { applyTributeInbox, emptyInboxCounts, type InboxCounts } from "../tribute/inbox.ts";
import { type DrainOptions, drainOutbox, emptyCounts, type OutboxCounts } from "../outbox/drain.ts";
import {
  type BroadcastCounts,
  type BroadcastDrainOptions,
  drainBroadcasts,
  emptyBroadcastCounts,
} from "../outbox/paced.ts";

/**
 * How long one run may keep sending (pg_net gives the call 55 s; cron comes back every minute). At
 * the broadcast pace (25/s with a 100 ms margin: one copy per 44 ms) a run sends ~1,140 copies: a
 * 10,000-recipient broadcast needs ~440 s of sending, i.e. 9 runs, about 9 minutes from confirmation.
 */
export const RUN_BUDGET_MS = 50_000;

export interface ScheduledReport {
  /** Tribute deliveries acknowledged earlier and applied by this run */
  inbox: InboxCounts;
  /** subscriptions ended by expire_subscriptions */
  expired: number;
  /** reminder rows queued by queue_reminders */
  reminders: number;
  outbox: OutboxCounts;
  /** broadcast copies, sent at the bot-wide pace with what is left of the run's time */
  broadcasts: BroadcastCounts;
  /** steps that failed (the others still ran); absent when everything worked */
  errors?: Array<{ step: string; error: string }>;
}

/**
 * Runs the five steps in order (notices before broadcast copies, so they never wait behind one). An unreachable database aborts the run (the route answers 503 and the
 * next minute tries again); any other failure of one step is reported and the next steps still run,
 * so a bug in one cannot stop notifications.
 */
export async function runScheduled(
  deps: Pick<AppDeps, "config" | "db" | "log">,
  opts: { outbox?: DrainOptions; broadcasts?: BroadcastDrainOptions } = {},
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

  // first: an acknowledged payment grants access before anything else of the run looks at access
  const inbox = await attempt(
    "inbox",
    emptyInboxCounts(),
    () => applyTributeInbox(deps, { budgetMs: 20_000 }),
  );
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
  const broadcasts = await attempt(
    "broadcasts",
    emptyBroadcastCounts(),
    () => drainBroadcasts(deps, { budgetMs: RUN_BUDGET_MS - (Date.now() - started), ...opts.broadcasts }),
  );

  const report: ScheduledReport = { inbox, expired, reminders, outbox, broadcasts };
  if (errors.length) report.errors = errors;
  deps.log.info("scheduled run", {
    inbox_applied: inbox.applied,
    inbox_failed: inbox.failed,
    expired,
    reminders,
    ...prefixed("outbox", outbox),
    ...prefixed("broadcast", broadcasts),
    errors: errors.length,
    ms: Date.now() - started,
  });
  return report;
}

function prefixed(prefix: string, counts: OutboxCounts): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}_${k}`, v]));
}
