// Starts a coalesced outbox drain after a request (see kickOutboxDrain). Kept apart from outbox/drain.ts so that
// the Tribute door does not load grammY (the outbox's Bot API client) before its first drain: grammY is
// the largest part of a cold start.
import type { AppDeps } from "../app.ts";
import { backgroundDb } from "../db/port.ts";

/**
 * Starts delivering the outbox after a request queued rows in it, coalesced: at most one such drain
 * runs per instance (per `deps`). A kick while it runs makes it go round once more, and it keeps going
 * while chunks come back full, so a burst of events is delivered by one worker in order instead of
 * one drain per event competing for the pool. What it leaves (a crash, a killed task) the scheduled
 * drain delivers.
 */
export function kickOutboxDrain(
  deps: Pick<AppDeps, "config" | "db" | "log" | "background">,
  chunk = 10,
): void {
  // (the Tribute door's acknowledgements, when a burst is under way, come first: see yieldToBurst)
  let state = kicks.get(deps);
  if (!state) kicks.set(deps, state = { running: false, again: false });
  if (state.running) {
    state.again = true;
    return;
  }
  const s = state;
  s.running = true;
  const bg = { ...deps, db: backgroundDb(deps.db) };
  deps.background((async () => {
    try {
      let full = false;
      do {
        s.again = false;
        await yieldToBurst(deps);
        const { drainOutbox } = await import("../outbox/drain.ts");
        const counts = await drainOutbox(bg, chunk);
        full = counts.claimed >= chunk;
      } while (s.again || full);
    } finally {
      s.running = false;
    }
  })());
}
const kicks = new WeakMap<object, { running: boolean; again: boolean }>();

/**
 * While a burst of Tribute deliveries is being acknowledged (tribute/inbox.ts), a chunk of notices
 * waits, up to NOTICES_WAIT_MS: the payments' acknowledgements and access come first, the messages
 * about them a moment later, and a long stream still gets its notices out.
 */
const NOTICES_WAIT_MS = 2_000;
async function yieldToBurst(deps: object): Promise<void> {
  const { waitForBurst } = await import("../tribute/inbox.ts");
  await waitForBurst(deps, NOTICES_WAIT_MS);
}
