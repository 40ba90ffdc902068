/**
 * Measuring a send rate: the most events in any sliding window (half-open, [t, t + windowMs)), and
 * setting the shared broadcast pace for a test or the bench.
 */
import type postgres from "postgres";

/** The largest number of `times` (ms, any order) inside one window of `windowMs`. */
export function maxPerWindow(times: number[], windowMs = 1000): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  // every busiest window can be moved to start at one of the events
  for (let i = 0; i < t.length; i++) {
    if (j < i) j = i;
    while (j < t.length && t[j] < t[i] + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

/** Values that occur more than once (e.g. a chat id that got a broadcast twice). */
export function duplicates<T>(values: T[]): T[] {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}

/** Sets the bot-wide broadcast budget (production default: 25 per second, 100 ms margin). */
export async function setPace(sql: postgres.Sql, perSecond: number, marginMs = 100) {
  await sql`insert into public.broadcast_pace (id, per_second, margin_ms) values (true, ${perSecond}, ${marginMs})
            on conflict (id) do update set per_second = excluded.per_second, margin_ms = excluded.margin_ms,
                                           next_slot = '-infinity'`;
}
