/**
 * Outbox drains: claim due rows and deliver them (outbox/deliver.ts). Every door imports this after
 * queueing rows (a short drain in the background), and the scheduled job calls it every minute.
 *
 * - Rows are claimed in small chunks (`claim_outbox`: `for update skip locked` + a lease), so concurrent
 *   drains never get the same row, and delivered one after another (Telegram rate limits).
 * - Broadcast copies are not claimed here: outbox/paced.ts sends them at the bot-wide pace.
 * - Each row ends in `complete_outbox` (sent | skipped) or `fail_outbox`, which owns the retry policy.
 */
import type { Api } from "grammy";
import type { AppDeps } from "../app.ts";
import { createBotApi } from "../telegram/api.ts";
import { deliverSafely, deliveryContextOf, type OutboxRow, type Outcome, withTimeout } from "./deliver.ts";

/** What a drain did; every claimed row is counted in exactly one of the other fields. */
export interface OutboxCounts {
  claimed: number;
  sent: number;
  /** completed without sending: user blocked earlier, access restored/ended, nothing to do */
  skipped: number;
  /** failed this time, back to pending with backoff (or Telegram's retry_after) */
  retried: number;
  /** given up: a permanent error or too many attempts */
  failed: number;
  /** Telegram answered 403 now: user marked as blocked, their queued messages skipped */
  blocked: number;
}

export interface DrainOptions {
  /** Bot API client (default: createBotApi(config) with a per-request timeout). */
  api?: Api;
  /** Rows claimed per round trip (default 10, never more than the limit). */
  chunkSize?: number;
  /** Lease of a claimed row (default 120 s): a worker that dies lets its rows come back after it. */
  leaseSeconds?: number;
  /** Timeout of each Bot API request (default 20 s); only applied to the default client. */
  requestTimeoutMs?: number;
  /** No new chunk is claimed after this much time (default 50 s): the scheduled route runs every minute. */
  budgetMs?: number;
  /** Attempts before a row is given up (fail_outbox's p_max_attempts, default 8). */
  maxAttempts?: number;
}

export const DRAIN_DEFAULTS = {
  chunkSize: 10,
  leaseSeconds: 120,
  requestTimeoutMs: 20_000,
  budgetMs: 50_000,
  maxAttempts: 8,
};

export function emptyCounts(): OutboxCounts {
  return { claimed: 0, sent: 0, skipped: 0, retried: 0, failed: 0, blocked: 0 };
}

/**
 * Claims and delivers up to `limit` due outbox rows, one at a time. Database errors propagate (the
 * caller answers 503 or logs); delivery errors never do: they become the row's retry state.
 */
export async function drainOutbox(
  deps: Pick<AppDeps, "config" | "db" | "log">,
  limit: number,
  opts: DrainOptions = {},
): Promise<OutboxCounts> {
  const counts = emptyCounts();
  const max = Math.max(0, Math.floor(limit));
  if (max === 0) return counts;
  const o = { ...DRAIN_DEFAULTS, ...opts };
  const api = opts.api ?? withTimeout(createBotApi(deps.config), o.requestTimeoutMs);
  const chats = deliveryContextOf(deps);
  const started = Date.now();
  // a row is given up (released for a later drain) rather than delivered once its lease is nearly over
  const safeWindowMs = Math.max(5_000, o.leaseSeconds * 1000 - 3 * o.requestTimeoutMs - 5_000);
  let rateLimited = false;

  while (counts.claimed < max && !rateLimited && Date.now() - started < o.budgetMs) {
    const chunk = Math.min(o.chunkSize, max - counts.claimed);
    const claimedAt = Date.now();
    const rows = await deps.db.call<OutboxRow[]>("claim_outbox", {
      p_limit: chunk,
      p_lease_seconds: o.leaseSeconds,
    });
    if (!Array.isArray(rows) || rows.length === 0) break;
    counts.claimed += rows.length;

    for (const row of rows) {
      let outcome: Outcome;
      if (Date.now() - claimedAt > safeWindowMs) {
        outcome = { type: "fail", error: "not attempted: lease nearly over", retryAfter: 0 };
      } else {
        outcome = await deliverSafely(api, chats, row);
      }
      if (outcome.type === "fail" && outcome.rateLimited) rateLimited = true;
      await recordOutcome(deps, row, outcome, counts, o.maxAttempts);
    }
    if (rows.length < chunk) break;
  }
  return counts;
}

/** Stores a row's outcome (complete_outbox or fail_outbox) and counts it. */
export async function recordOutcome(
  deps: Pick<AppDeps, "db" | "log">,
  row: OutboxRow,
  outcome: Outcome,
  counts: OutboxCounts,
  maxAttempts: number,
): Promise<void> {
  const fields = { outbox_id: row.id, kind: row.kind, template: row.template, attempt: row.attempts };
  if (outcome.type === "sent" || outcome.type === "skipped") {
    await deps.db.call("complete_outbox", {
      p_id: row.id,
      p_status: outcome.type,
      p_note: outcome.note ?? null,
    });
    counts[outcome.type]++;
    return;
  }
  const status = await deps.db.call<string>("fail_outbox", {
    p_id: row.id,
    p_error: outcome.error,
    p_retry_after_seconds: outcome.retryAfter ?? null,
    p_blocked: outcome.blocked ?? false,
    p_permanent: outcome.permanent ?? false,
    p_max_attempts: maxAttempts,
  });
  if (outcome.blocked) counts.blocked++;
  else if (status === "pending") counts.retried++;
  else if (status === "failed" || status === "not_found") counts.failed++;
  else counts.skipped++; // the row was finished elsewhere meanwhile (lease ran out)
  const line = { ...fields, status, error: outcome.error };
  if (status === "pending" || outcome.blocked) deps.log.warn("outbox delivery failed", line);
  else deps.log.error("outbox delivery failed", line);
}
