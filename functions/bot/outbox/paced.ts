/**
 * The broadcast drain: copies (outbox kind "copy") sent at one pace for the whole bot.
 *
 * The budget lives in Postgres (`broadcast_pace`), not in this process: every drain, in every edge
 * function instance, asks the same row for send slots (`claim_broadcast`), so the bot sends at most
 * `per_second` (25) copies in any one-second window however many drains run at once. A drain:
 * 1. claims up to `chunkSize` copies whose slots begin within the next `horizonMs` (1 s), so it never
 *    holds more than about a second of the budget;
 * 2. starts each copyMessage at its row's slot without waiting for the previous one to answer (a Bot
 *    API round trip can take longer than the 44 ms between slots; at most `maxInFlight` at once), and
 *    records each outcome when it arrives;
 * 3. gives back the rest of the chunk (`release_outbox`) when it reaches a row more than `late_ms`
 *    after its slot, instead of sending it late and bunching it with the next slots; the next claim
 *    books fresh slots from now, so an overloaded drain slows down instead of wasting the budget;
 * 4. when other drains hold every slot of the horizon, sleeps `wait_ms` and asks again; it stops when
 *    nothing is due or its time budget is spent, then waits for the copies still in flight.
 * A 429 pauses every drain for Telegram's retry_after (`pause_broadcasts`) and the rest of the chunk
 * is given back. Slot times come from the database's clock as offsets, so clocks of different
 * machines never need to agree.
 */
import type { AppDeps } from "../app.ts";
import { createBotApi } from "../telegram/api.ts";
import { deliverSafely, deliveryContextOf, type OutboxRow, withTimeout } from "./deliver.ts";
import { DRAIN_DEFAULTS, type DrainOptions, emptyCounts, type OutboxCounts, recordOutcome } from "./drain.ts";

export interface BroadcastCounts extends OutboxCounts {
  /** claimed but given back unsent (slot missed, or Telegram asked to wait): due again at once */
  released: number;
}

export interface BroadcastDrainOptions extends DrainOptions {
  /** How far ahead a claim may book slots (claim_broadcast's p_horizon_ms, default 1000). */
  horizonMs?: number;
  /** Copies sent but not answered yet, at most (default 8). */
  maxInFlight?: number;
}

/** What claim_broadcast returns. */
interface PacedClaim {
  rows: Array<OutboxRow & { send_in_ms: number }>;
  /** null: nothing due; else milliseconds until slots are free again (0: ask again now) */
  wait_ms: number | null;
  late_ms: number;
}

/** copyMessage answers meaning the broadcast's message no longer exists. */
const SOURCE_GONE = /message to copy not found|message_id_invalid/i;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, Math.ceil(ms))));

/**
 * Minutes from confirmation until the last copy is out, roughly: slots are (1 s + 100 ms) / perSecond
 * apart and each once-a-minute scheduled run sends for about 50 s (jobs/scheduled.ts RUN_BUDGET_MS).
 * 10,000 recipients at 25/s: 440 s of sending, 9 runs.
 */
export function broadcastMinutes(recipients: number, perSecond = 25, sendingSecondsPerRun = 50): number {
  return Math.max(1, Math.ceil((recipients * 1.1) / perSecond / sendingSecondsPerRun));
}

export function emptyBroadcastCounts(): BroadcastCounts {
  return { ...emptyCounts(), released: 0 };
}

/**
 * Sends due broadcast copies at their slots until nothing is due or `budgetMs` (default 50 s) is
 * spent; rows claimed before that are still sent (at most `horizonMs` of them). Database errors
 * propagate (after the copies in flight are recorded); delivery errors become the row's retry state,
 * as in drainOutbox.
 */
export async function drainBroadcasts(
  deps: Pick<AppDeps, "config" | "db" | "log">,
  opts: BroadcastDrainOptions = {},
): Promise<BroadcastCounts> {
  const counts = emptyBroadcastCounts();
  const o = { ...DRAIN_DEFAULTS, horizonMs: 1000, maxInFlight: 8, ...opts };
  const api = opts.api ?? withTimeout(createBotApi(deps.config), o.requestTimeoutMs);
  const chats = deliveryContextOf(deps);
  const started = performance.now();
  const remaining = () => o.budgetMs - (performance.now() - started);
  // learnt from answers during this drain; SQL already skipped the matching rows that were pending
  const blockedNow = new Set<number>();
  const cancelledNow = new Set<number>();
  let pausedUntil = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;

  const track = (task: Promise<void>) => {
    const tracked = task.catch((err) => void (failure ??= err)).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const send = async (row: OutboxRow) => {
    const outcome = await deliverSafely(api, chats, row);
    const fail = outcome.type === "fail" ? outcome : null;
    // what the answer means for the next rows is known now, before any database round trip
    const gone = fail?.permanent === true && SOURCE_GONE.test(fail.error);
    if (fail?.blocked) blockedNow.add(row.telegram_user_id);
    if (gone) cancelledNow.add(Number(row.broadcast_id));
    if (fail?.rateLimited) {
      const seconds = fail.retryAfter ?? 1;
      pausedUntil = Math.max(pausedUntil, performance.now() + seconds * 1000);
      await deps.db.call("pause_broadcasts", { p_seconds: seconds });
    }
    await recordOutcome(deps, row, outcome, counts, o.maxAttempts);
    if (gone) {
      // the admin deleted the message: every other copy would fail the same way, one slot each
      const r = await deps.db.call<{ status: string }>("cancel_broadcast", { p_id: row.broadcast_id });
      deps.log.warn("broadcast cancelled: its message is gone", {
        broadcast_id: row.broadcast_id,
        status: r.status,
        error: fail!.error,
      });
    }
  };

  try {
    while (remaining() > 0 && failure === null) {
      const asked = performance.now();
      const claim = await deps.db.call<PacedClaim>("claim_broadcast", {
        p_limit: o.chunkSize,
        p_lease_seconds: o.leaseSeconds,
        p_horizon_ms: o.horizonMs,
      });
      // the database read its clock somewhere during the round trip: take the middle as its "now"
      const origin = (asked + performance.now()) / 2;
      if (claim.rows.length === 0) {
        if (claim.wait_ms === null) break;
        await sleep(Math.min(claim.wait_ms, remaining()));
        continue;
      }
      counts.claimed += claim.rows.length;

      for (let i = 0; i < claim.rows.length; i++) {
        const row = claim.rows[i];
        while (inFlight.size >= o.maxInFlight) await Promise.race(inFlight);
        if (failure !== null) break; // the database failed: send nothing more that cannot be recorded
        const slot = origin + Number(row.send_in_ms);
        if (performance.now() >= pausedUntil) await sleep(slot - performance.now());
        // answers that arrived meanwhile (SQL skipped the matching pending rows; these are claimed)
        const skip = blockedNow.has(row.telegram_user_id)
          ? "user blocked the bot"
          : cancelledNow.has(Number(row.broadcast_id))
          ? "broadcast cancelled"
          : null;
        if (skip) {
          track(recordOutcome(deps, row, { type: "skipped", note: skip }, counts, o.maxAttempts));
          continue;
        }
        if (performance.now() < pausedUntil || performance.now() - slot > claim.late_ms) {
          const rest = claim.rows.slice(i).map((r) => r.id);
          await deps.db.call("release_outbox", { p_ids: rest });
          counts.released += rest.length;
          break;
        }
        track(send(row));
      }
    }
  } finally {
    await Promise.all(inFlight);
  }
  if (failure !== null) throw failure;
  return counts;
}
