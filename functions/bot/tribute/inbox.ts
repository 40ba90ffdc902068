// The Tribute inbox (migrations/20261126000015_tribute_inbox.sql): deliveries acknowledged under a burst
// and applied right after, in batches, by one coalesced applier per instance. What an instance leaves
// behind (a crash, a killed background task) the next applier anywhere takes: the next request's, the
// scheduled route's (runScheduled) or pg_cron's.
import type { AppDeps } from "../app.ts";
import { kickOutboxDrain } from "../jobs/kick.ts";
import { backgroundDb, DbUnavailableError } from "../db/port.ts";
import { isDeterministicDbError } from "../journal.ts";

/** What accept_tribute_events says of one delivery. */
export interface Accepted {
  status: "accepted" | "duplicate";
  event_id: number;
}

/**
 * Deliveries per write, and writes under way at once per instance. While the write is under way the
 * deliveries that arrive wait for the next one, so a burst is written several rows per round trip and
 * commit (group commit) instead of one each, and every delivery is still answered only once its own
 * row is durable. One write at a time: at concurrency 16 each then carries more rows, and Postgres
 * spent 120–170 µs of CPU per acknowledgement against 180–250 with two writes at once (three A/B runs
 * of 7–9 rounds beside the floor), at the same throughput or better.
 */
const ACCEPT_ROWS = 128;
const ACCEPT_WRITES = 1;

interface Waiting {
  name: string;
  body: string;
  resolve(result: Accepted): void;
  reject(err: unknown): void;
}
const acceptQueues = new WeakMap<object, { waiting: Waiting[]; writing: number }>();

/**
 * Writes one verified, validated delivery (`body`: the envelope as text; `name`: its canonical event
 * name) to the inbox, together with whatever other deliveries are waiting; resolves once it is durable.
 * A database that is down rejects (the door answers 503); a body the database refuses rejects with that
 * error alone, without failing the deliveries written with it.
 */
export function acceptTributeDelivery(
  deps: Pick<AppDeps, "db">,
  name: string,
  body: string,
): Promise<Accepted> {
  let queue = acceptQueues.get(deps);
  if (!queue) acceptQueues.set(deps, queue = { waiting: [], writing: 0 });
  const q = queue;
  return new Promise((resolve, reject) => {
    q.waiting.push({ name, body, resolve, reject });
    if (q.writing < ACCEPT_WRITES) void writeWaiting(deps, q);
  });
}

async function writeWaiting(deps: Pick<AppDeps, "db">, q: { waiting: Waiting[]; writing: number }) {
  q.writing++;
  try {
    while (q.waiting.length) {
      try {
        await writeBatch(deps, q.waiting.splice(0, ACCEPT_ROWS));
      } catch (err) {
        // The database is away (refused, or silent for the call's 3 s): what waits behind this write
        // would wait as long again, so it is answered now (503, the sender retries), and every
        // delivery hears within about 3 s of arriving, as a call of its own would.
        for (const w of q.waiting.splice(0)) w.reject(err);
      }
    }
  } finally {
    q.writing--;
  }
}

async function writeBatch(deps: Pick<AppDeps, "db">, batch: Waiting[]): Promise<void> {
  try {
    const results = await deps.db.call<Accepted[]>("accept_tribute_events", {
      p_names: batch.map((w) => w.name),
      // one JSON array text, sent as it is (an array of texts would have every quote escaped)
      p_envelopes: `[${batch.map((w) => w.body).join(",")}]`,
    });
    batch.forEach((w, i) => w.resolve(results[i]));
  } catch (err) {
    // one body the database refuses fails its whole call: each is written again alone, so only that one
    // is refused (the transaction rolled back: nothing of the batch was written)
    if (batch.length > 1 && isDeterministicDbError(err)) {
      for (const w of batch) await writeBatch(deps, [w]);
      return;
    }
    for (const w of batch) w.reject(err);
    if (err instanceof DbUnavailableError) throw err;
  }
}

/** What apply_tribute_inbox returns. */
export interface InboxCounts {
  claimed: number;
  applied: number;
  duplicates: number;
  failed: number;
  deferred: number;
  /** some applied event queued outbox rows (notices, invites) */
  queued: boolean;
}

/**
 * Events per transaction. Small enough that a batch is a few tens of milliseconds (the users it holds
 * locked wait no longer than that, and the 3 s call limit is far), large enough that the per-call and
 * per-commit costs are shared by many events.
 */
export const INBOX_BATCH = 64;

export const emptyInboxCounts = (): InboxCounts => ({
  claimed: 0,
  applied: 0,
  duplicates: 0,
  failed: 0,
  deferred: 0,
  queued: false,
});

/**
 * Applies what is waiting, batch after batch, until a batch comes back short (the inbox is empty, or
 * what is left waits for its retry) or `budgetMs` is spent. Returns the summed counts.
 */
export async function applyTributeInbox(
  deps: Pick<AppDeps, "db">,
  opts: { batch?: number; budgetMs?: number; onBatch?: (counts: InboxCounts) => void } = {},
): Promise<InboxCounts> {
  const batch = opts.batch ?? INBOX_BATCH;
  const started = Date.now();
  const total = emptyInboxCounts();
  for (;;) {
    const c = await applyBatch(deps, batch);
    opts.onBatch?.(c);
    total.claimed += c.claimed;
    total.applied += c.applied;
    total.duplicates += c.duplicates;
    total.failed += c.failed;
    total.deferred += c.deferred;
    total.queued ||= c.queued;
    if (c.claimed < batch || Date.now() - started > (opts.budgetMs ?? Infinity)) return total;
  }
}

/**
 * One batch, in one transaction without subtransactions (they cost about 40% more per event). A batch
 * that fails for any reason other than the database being away rolled back whole: the same rows are
 * then applied one subtransaction each, so a poison event is journaled as failed (or retried later)
 * without holding the others back.
 */
async function applyBatch(deps: Pick<AppDeps, "db">, batch: number): Promise<InboxCounts> {
  try {
    return await deps.db.call<InboxCounts>("apply_tribute_inbox", { p_limit: batch, p_isolate: false });
  } catch (err) {
    if (err instanceof DbUnavailableError) throw err;
    return await deps.db.call<InboxCounts>("apply_tribute_inbox", { p_limit: batch, p_isolate: true });
  }
}

/**
 * Acknowledging comes first: while deliveries keep arriving (one accepted within ACKS_FLOWING_MS), the
 * appliers wait, but never longer than APPLY_WITHIN_MS after the oldest acknowledgement they have not
 * applied. A burst is acknowledged at the speed of a bare INSERT and applied in the gaps and right
 * after it; under a longer stream the appliers share the machine and keep access within about that
 * bound of each acknowledgement (as long as the stream does not outrun what the database can apply).
 * The bound leaves 400 ms of the 1 s lag target for the catch-up: the appliers take the oldest rows
 * first, 64 per batch, a new subscriber's in about 0.2 ms and any other event in about 0.8 ms.
 */
const ACKS_FLOWING_MS = 10;
const APPLY_WITHIN_MS = 600;

/**
 * Appliers per instance. Two keep both cores of a small machine busy on a burst (each batch is one
 * backend working through its events); they never wait for each other (SKIP LOCKED).
 */
const APPLIERS = 2;

/**
 * Starts applying the inbox after a request wrote to it, coalesced: at most APPLIERS per instance (per
 * `deps`); a kick while they all run makes one go round once more, so a burst is applied in a few large
 * batches instead of one transaction per event. The notices the events queued are delivered each time
 * an applier has caught up: a burst's payments grant access first, their messages follow.
 */
export function kickTributeApplier(deps: Pick<AppDeps, "config" | "db" | "log" | "background">): void {
  const state = applierState(deps);
  if (state.running >= APPLIERS) {
    state.again = true;
    return;
  }
  state.running++;
  const bg = { db: backgroundDb(deps.db) };
  deps.background((async () => {
    try {
      do {
        state.again = false;
        await ackFirst(state);
        const counts = await applyTributeInbox(bg, { onBatch: (c) => noteBatch(state, c) });
        // caught up (for now): deliver what the applied events queued, even if the stream goes on
        if (counts.queued) kickOutboxDrain(deps);
        if (counts.failed > 0 || counts.deferred > 0) {
          deps.log.warn("tribute inbox: events not applied", { ...counts });
        }
      } while (state.again);
    } finally {
      state.running--;
    }
  })());
}

/** Waits while acknowledgements flow, up to APPLY_WITHIN_MS after the oldest one not yet applied. */
async function ackFirst(state: ApplierState): Promise<void> {
  const deferUntil = (state.waitingSince ?? performance.now()) + APPLY_WITHIN_MS;
  state.waitingSince = undefined;
  await whileAcksFlow(state, deferUntil);
}

/** Waits while acknowledgements flow here (one within ACKS_FLOWING_MS), until `deadline` at the latest. */
async function whileAcksFlow(state: ApplierState, deadline: number): Promise<void> {
  while (performance.now() - state.lastAccepted < ACKS_FLOWING_MS && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, ACKS_FLOWING_MS));
  }
}

/**
 * Notes an acknowledgement: for the appliers' scheduling (see ackFirst) and the door's burst test
 * (msSinceAccepted), one clock for both.
 */
export function noteAccepted(deps: object): void {
  const state = applierState(deps);
  const now = performance.now();
  state.lastAccepted = now;
  state.waitingSince ??= now;
  state.unapplied++;
}

/** Milliseconds since this instance last accepted a delivery into the inbox (Infinity: never). */
export function msSinceAccepted(deps: object): number {
  return performance.now() - applierState(deps).lastAccepted;
}

/**
 * How far behind the appliers may fall: once this many deliveries acknowledged here wait unapplied
 * (about a second of work for two appliers on a small machine), the door applies each delivery before
 * answering again until they catch up. A stream that outruns the database is slowed to what it can
 * apply (backpressure) instead of piling up acknowledged work; a burst of a thousand never gets here.
 */
export const INBOX_MAX_UNAPPLIED = 2000;

/** Should the door stop acknowledging early (see INBOX_MAX_UNAPPLIED)? */
export function inboxFull(deps: object): boolean {
  return applierState(deps).unapplied >= INBOX_MAX_UNAPPLIED;
}

/** After each batch: what is left to apply. */
function noteBatch(state: ApplierState, c: InboxCounts): void {
  state.unapplied = Math.max(0, state.unapplied - c.claimed + c.deferred);
}

/** Waits, for at most `maxMs`, while this instance is acknowledging a burst (other work yields to it). */
export function waitForBurst(deps: object, maxMs: number): Promise<void> {
  return whileAcksFlow(applierState(deps), performance.now() + maxMs);
}

/** Is this instance still applying deliveries it acknowledged? */
export function tributeApplierBusy(deps: object): boolean {
  return applierState(deps).running > 0;
}

interface ApplierState {
  running: number;
  /** kicked while every applier ran: one goes round once more */
  again: boolean;
  /** performance.now() of the latest acknowledgement */
  lastAccepted: number;
  /** of the oldest acknowledgement since an applier last started a round; undefined: none */
  waitingSince?: number;
  /** acknowledged here and not yet claimed by an applier (an estimate: appliers also take others' rows) */
  unapplied: number;
}
const appliers = new WeakMap<object, ApplierState>();
function applierState(deps: object): ApplierState {
  let state = appliers.get(deps);
  if (!state) {
    appliers.set(
      deps,
      state = {
        running: 0,
        again: false,
        lastAccepted: -Infinity,
        unapplied: 0,
      },
    );
  }
  return state;
}

/** What tribute_inbox_backlog() returns. */
export interface InboxBacklog {
  pending: number;
  oldest_received_at: string | null;
  retrying: number;
  last_error: string | null;
}

/**
 * Deliveries acknowledged longer ago than this and still not applied mean that nothing is applying
 * them: the appliers start with every acknowledgement, and pg_cron and the scheduled route run every
 * minute.
 */
export const INBOX_STUCK_MS = 3 * 60 * 1000;

/** The health check of the inbox (npm run doctor, the Mini App's Health panel). */
export function inboxHealth(
  b: InboxBacklog,
  now = Date.now(),
): { name: "tribute inbox"; ok: boolean; detail: string } {
  const name = "tribute inbox";
  if (b.pending === 0) return { name, ok: true, detail: "empty: every acknowledged delivery is applied" };
  const oldest = b.oldest_received_at ? Date.parse(b.oldest_received_at) : now;
  const ok = now - oldest <= INBOX_STUCK_MS;
  return {
    name,
    ok,
    detail: `${b.pending} acknowledged, not applied yet, oldest since ${b.oldest_received_at}` +
      (b.retrying > 0 ? `; ${b.retrying} retrying (latest error: ${b.last_error ?? "?"})` : "") +
      (ok ? "" : ": nothing is applying them (is the pg_cron job apply-tribute-inbox scheduled?)"),
  };
}
