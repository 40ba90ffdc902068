/**
 * The access timeline (CONTRACT section 5) as a small, plain statement of the rules: a user's access is
 * a pure function of their ledger. Property tests hold the SQL (public._recompute_access) to this model
 * over random histories, delivery orders and duplicates. Times are epoch milliseconds.
 *
 *   1. Subscription windows: each Tribute subscription's events replayed in created_at order give a
 *      window [first event, expires_at] (cancelled: no renewal; no expires_at: created_at + 30 days).
 *      Each charge of a recurring Stars subscription (the first and every renewal, its own charge id) is
 *      a window of its own, [paid at, subscription_expiration_date]; a refund of that charge removes it.
 *   2. A cancelled Tribute subscription (no event after the newer one began) that a newer Tribute one
 *      overlaps ends where the newer one begins; its unused time becomes a banked item there (a bonus),
 *      once. Recurring Stars windows neither give nor take such bonuses.
 *   3. A revocation at R cuts every window from R until that subscription's next new/renewed event at or
 *      after R (forever without one). A recurring Stars charge's window that runs at R is cut for good; a
 *      charge at or after R is untouched (its own payment "reopens" it).
 *   4. Banked items (products mapped to plans, Stars payments, grants, access codes, bonuses), in event-time order, take
 *      uncovered time from their own event time on until their length is used; an item banked before a
 *      revocation takes nothing after it. A refunded item takes nothing.
 */

export const DAY = 86_400_000;

export type SubscriptionEventName = "new_subscription" | "renewed_subscription" | "cancelled_subscription";

export type LedgerEvent =
  | {
    type: "tribute_sub";
    name: SubscriptionEventName;
    subscriptionId: number;
    at: number;
    expiresAt: number | null;
  }
  | {
    type: "tribute_product";
    productId: number;
    purchaseId: number | null;
    at: number;
    /** the plan's duration_days, or null when no plan maps the product */
    days: number | null;
  }
  | { type: "tribute_refund"; productId: number; purchaseId: number | null; at: number }
  | { type: "stars"; chargeId: string; at: number; days: number }
  /** a charge of a recurring Stars subscription: the window [at, expiresAt] */
  | { type: "stars_recurring"; chargeId: string; at: number; expiresAt: number }
  /** /cancel or /resume of a Stars subscription: renewal only, the timeline does not change */
  | { type: "stars_cancel"; canceled: boolean; at: number }
  | { type: "stars_refund"; chargeId: string }
  | { type: "grant"; requestId: string; at: number; days: number }
  /** an access code redeemed at `at` (a member redeems a code once) */
  | { type: "code"; code: string; at: number; days: number }
  | { type: "revoke"; requestId: string; at: number };

export type Range = [number, number];

/** Sorted, disjoint, non-empty ranges. */
export type Ranges = Range[];

export function normalize(ranges: Ranges): Ranges {
  const sorted = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Ranges = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function subtract(ranges: Ranges, [c, d]: Range): Ranges {
  const out: Ranges = [];
  for (const [a, b] of ranges) {
    if (d <= a || c >= b) out.push([a, b]);
    else {
      if (a < c) out.push([a, c]);
      if (d < b) out.push([d, b]);
    }
  }
  return out;
}

/** Free time within [from, to) not covered by `occupied`, in order. */
function gaps(occupied: Ranges, from: number, to: number): Ranges {
  let free: Ranges = [[from, to]];
  for (const r of occupied) free = subtract(free, r);
  return free;
}

interface Window {
  key: string;
  start: number;
  end: number;
  status: "active" | "cancelled";
  last: number;
  /** a recurring Stars charge: never a donor or receiver of a bonus, reopened only by itself */
  fixed?: boolean;
  /** created_at of the new/renewed events, for where a revocation's cut ends */
  reopenings: number[];
}

interface Banked {
  key: string;
  at: number;
  length: number;
  refunded: boolean;
  productId?: number;
}

const RANK: Record<SubscriptionEventName, number> = {
  new_subscription: 0,
  renewed_subscription: 1,
  cancelled_subscription: 2,
};

function foldSubscription(id: number, events: Extract<LedgerEvent, { type: "tribute_sub" }>[]): Window {
  const sorted = [...events].sort((a, b) => a.at - b.at || RANK[a.name] - RANK[b.name]);
  let end = 0;
  let status: Window["status"] = "active";
  for (const e of sorted) {
    if (e.name === "cancelled_subscription") {
      status = "cancelled";
      end = e.expiresAt ?? (end || e.at + 30 * DAY);
    } else {
      status = "active";
      end = e.expiresAt ?? e.at + 30 * DAY;
    }
  }
  return {
    key: String(id),
    start: sorted[0].at,
    end,
    status,
    last: sorted[sorted.length - 1].at,
    reopenings: sorted.filter((e) => e.name !== "cancelled_subscription").map((e) => e.at),
  };
}

/** Removes exact duplicates (the same delivery twice): the ledger has each delivery once. */
function distinct(events: LedgerEvent[]): LedgerEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const k = JSON.stringify(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface TimelineResult {
  coverage: Ranges;
  accessUntil: number | null;
}

export function computeTimeline(ledger: LedgerEvent[]): TimelineResult {
  const events = distinct(ledger);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

  // 1. windows, in (start, key) order
  const bySub = new Map<number, Extract<LedgerEvent, { type: "tribute_sub" }>[]>();
  for (const e of events) {
    if (e.type === "tribute_sub") bySub.set(e.subscriptionId, [...(bySub.get(e.subscriptionId) ?? []), e]);
  }
  // a refunded recurring Stars charge gives no window
  const refundedCharges = new Set(
    events.flatMap((e) => e.type === "stars_refund" ? [e.chargeId] : []),
  );
  const charges: Window[] = events.flatMap((e) =>
    e.type === "stars_recurring" && !refundedCharges.has(e.chargeId)
      ? [{
        key: e.chargeId,
        start: e.at,
        end: Math.max(e.at, e.expiresAt),
        status: "active" as const,
        last: e.at,
        // a revocation before the charge does not touch it; one while it runs cuts it for good
        reopenings: [e.at],
        fixed: true,
      }]
      : []
  );
  const windows = [...[...bySub].map(([id, evs]) => foldSubscription(id, evs)), ...charges]
    .sort((a, b) => a.start - b.start || cmp(a.key, b.key));

  // 2. bonuses
  const banked: Banked[] = [];
  const donated = new Set<number>();
  for (let i = 0; i < windows.length; i++) {
    for (let j = 0; j < i; j++) {
      const d = windows[j], w = windows[i];
      if (
        !w.fixed && !d.fixed && !donated.has(j) && d.status === "cancelled" && d.start < w.start &&
        d.last < w.start &&
        d.end > w.start
      ) {
        donated.add(j);
        banked.push({ key: `bonus:${d.key}`, at: w.start, length: d.end - w.start, refunded: false });
        d.end = w.start;
      }
    }
  }

  // 3. windows minus revocations
  const revokes = events.filter((e) => e.type === "revoke").map((e) => e.at).sort((a, b) => a - b);
  let coverage: Ranges = [];
  for (const w of windows) {
    let segs: Ranges = w.end > w.start ? [[w.start, w.end]] : [];
    for (const r of revokes) {
      if (r >= w.end) continue;
      const reopen = w.reopenings.filter((t) => t >= r).sort((a, b) => a - b)[0] ?? Infinity;
      segs = subtract(segs, [r, reopen]);
    }
    coverage = normalize([...coverage, ...segs]);
  }

  // banked items of every source
  const purchases = new Map<string, Banked>();
  for (const e of events) {
    if (e.type === "tribute_product" && e.days !== null) {
      // a purchase is its purchase_id (dated by its earliest delivery), else the delivery itself
      const key = e.purchaseId !== null
        ? `purchase:${e.purchaseId}`
        : `purchase:delivery:${e.productId}:${e.at}`;
      const prev = purchases.get(key);
      if (!prev || e.at < prev.at) {
        purchases.set(key, { key, at: e.at, length: e.days * DAY, refunded: false, productId: e.productId });
      }
    }
    if (e.type === "stars") banked.push({ key: e.chargeId, at: e.at, length: e.days * DAY, refunded: false });
    if (e.type === "grant") {
      banked.push({ key: `grant:${e.requestId}`, at: e.at, length: e.days * DAY, refunded: false });
    }
    if (e.type === "code") {
      banked.push({ key: `code:${e.code}`, at: e.at, length: e.days * DAY, refunded: false });
    }
  }
  banked.push(...purchases.values());

  // refunds: by purchase id or charge id; without purchase id, the latest purchase of the product
  // made before the refund that no other refund took
  for (const e of events) {
    if (e.type === "tribute_refund" && e.purchaseId !== null) {
      const p = purchases.get(`purchase:${e.purchaseId}`);
      if (p) p.refunded = true;
    }
    if (e.type === "stars_refund") {
      const s = banked.find((b) => b.key === e.chargeId);
      if (s) s.refunded = true;
    }
  }
  const taken = new Set<Banked>(banked.filter((b) => b.refunded));
  const productRefunds = events.filter((e): e is Extract<LedgerEvent, { type: "tribute_refund" }> =>
    e.type === "tribute_refund" && e.purchaseId === null
  ).sort((a, b) => a.at - b.at);
  for (const r of productRefunds) {
    const candidate = [...purchases.values()]
      .filter((p) => p.productId === r.productId && p.at <= r.at && !taken.has(p))
      .sort((a, b) => b.at - a.at || cmp(b.key, a.key))[0];
    if (candidate) {
      candidate.refunded = true;
      taken.add(candidate);
    }
  }

  // 4. banked items take uncovered time, in (event time, key) order
  const ordered = banked.filter((b) => !b.refunded).sort((a, b) => a.at - b.at || cmp(a.key, b.key));
  for (const b of ordered) {
    const bound = revokes.find((r) => r > b.at) ?? Infinity;
    let left = b.length;
    const taken: Ranges = [];
    for (const [s, e] of gaps(coverage, b.at, bound)) {
      if (left <= 0) break;
      const len = Math.min(left, e - s);
      taken.push([s, s + len]);
      left -= len;
    }
    coverage = normalize([...coverage, ...taken]);
  }

  return { coverage, accessUntil: coverage.length ? coverage[coverage.length - 1][1] : null };
}

export function hasAccessAt(result: TimelineResult, now: number): boolean {
  return result.coverage.some(([a, b]) => a <= now && now < b);
}
