// The access timeline against its reference model (tests/support/timeline_model.ts): random ledgers over
// both rails (Tribute subscription events, products with and without purchase ids, refunds, Stars
// payments, recurring Stars charges (first and renewals), /cancel and /resume of those, Stars refunds,
// /grant, /revoke, access codes), delivered in random orders with duplicates, must store exactly
// the coverage the model computes, to the millisecond, and the same as when delivered in created_at
// order. Deliveries go through the same SQL functions the doors call.
import assert from "node:assert/strict";
import fc from "fast-check";
import type postgres from "postgres";
import { adminSql, resetDb } from "../support/harness.ts";
import {
  computeTimeline,
  DAY,
  hasAccessAt,
  type LedgerEvent,
  type Ranges,
  type SubscriptionEventName,
} from "../support/timeline_model.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MIN = 60_000;
const RUNS = Number(Deno.env.get("TIMELINE_RUNS") ?? 1000);

// products 11 and 12 map to 30- and 90-day plans; 13 maps to none
const PRODUCT_DAYS: Record<number, number | null> = { 11: 30, 12: 90, 13: null };
const PLAN_BY_DAYS: Record<number, string> = { 30: "month", 90: "quarter", 365: "year" };

type Draft =
  | { type: "tribute_sub"; name: SubscriptionEventName; sub: number; expiresDays: number | null }
  | { type: "tribute_product"; productId: number; purchaseId: number | null }
  | { type: "tribute_refund"; productId: number; purchaseId: number | null }
  | { type: "stars"; days: 30 | 90 }
  | { type: "stars_recurring"; plan: "month" | "quarter"; expiresDays: number; first: boolean }
  | { type: "stars_cancel"; canceled: boolean }
  | { type: "stars_refund" }
  | { type: "grant"; days: number }
  | { type: "code"; days: number }
  | { type: "revoke" };

const draftArb: fc.Arbitrary<Draft> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant("tribute_sub" as const),
      name: fc.constantFrom<SubscriptionEventName>(
        "new_subscription",
        "renewed_subscription",
        "cancelled_subscription",
      ),
      sub: fc.integer({ min: 1, max: 2 }),
      expiresDays: fc.option(fc.integer({ min: -5, max: 40 }), { freq: 6 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant("tribute_product" as const),
      productId: fc.constantFrom(11, 12, 13),
      purchaseId: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("tribute_refund" as const),
      productId: fc.constantFrom(11, 12),
      purchaseId: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("stars" as const),
      days: fc.constantFrom(30 as const, 90 as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("stars_recurring" as const),
      plan: fc.constantFrom("month" as const, "quarter" as const),
      // Telegram's period is 30 days; a renewal may come a little early or late, or already be past
      expiresDays: fc.integer({ min: -1, max: 35 }),
      first: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("stars_cancel" as const), canceled: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.constant({ type: "stars_refund" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant("grant" as const), days: fc.integer({ min: 1, max: 20 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ type: "revoke" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("code" as const), days: fc.integer({ min: 1, max: 20 }) }),
  },
);

/** A distinct access code per draft, in the code alphabet (base 30, padded). */
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
function codeFor(n: number): string {
  let s = "";
  do {
    s = ALPHABET[n % 30] + s;
    n = Math.floor(n / 30);
  } while (n > 0);
  return "PRPT" + s.padStart(8, "2");
}

/** A history: drafts at distinct minutes in the last 60 days, a delivery order, some duplicates. */
const historyArb = fc.uniqueArray(fc.integer({ min: 1, max: 60 * 24 * 60 }), { minLength: 1, maxLength: 9 })
  .chain((minutes) =>
    fc.record({
      minutes: fc.constant(minutes),
      drafts: fc.array(draftArb, { minLength: minutes.length, maxLength: minutes.length }),
      order: fc.array(fc.nat(), { minLength: minutes.length, maxLength: minutes.length }),
      dups: fc.array(fc.nat({ max: minutes.length - 1 }), { maxLength: 3 }),
    })
  );

interface Delivery {
  event: LedgerEvent;
  /** created_at order (a Stars refund: right after its payment) */
  at: number;
  /** index of the event this one must follow (a Stars refund follows its payment) */
  after?: number;
  call: (sql: postgres.Sql, user: number) => Promise<unknown>;
}

let userSeq = 0;

/** Turns drafts into ledger events (for the model) and SQL calls (for the database). */
function build(h: { minutes: number[]; drafts: Draft[] }, now: number): Delivery[] {
  const out: Delivery[] = [];
  let lastStars: { index: number; chargeId: string; at: number } | null = null;
  h.drafts.forEach((d, i) => {
    const at = now - h.minutes[i] * MIN;
    const iso = new Date(at).toISOString();
    const tag = `${userSeq}-${i}`;
    switch (d.type) {
      case "tribute_sub": {
        const expiresAt = d.expiresDays === null ? null : at + d.expiresDays * DAY;
        out.push({
          event: { type: "tribute_sub", name: d.name, subscriptionId: d.sub, at, expiresAt },
          at,
          call: (sql, user) => {
            const payload: Record<string, unknown> = {
              subscription_id: user * 10 + d.sub,
              telegram_user_id: user,
            };
            if (expiresAt !== null) payload.expires_at = new Date(expiresAt).toISOString();
            return tribute(sql, d.name, iso, payload);
          },
        });
        break;
      }
      case "tribute_product":
        out.push({
          event: {
            type: "tribute_product",
            productId: d.productId,
            purchaseId: d.purchaseId,
            at,
            days: PRODUCT_DAYS[d.productId],
          },
          at,
          call: (sql, user) =>
            tribute(sql, "new_digital_product", iso, {
              product_id: d.productId,
              telegram_user_id: user,
              ...(d.purchaseId === null ? {} : { purchase_id: user * 10 + d.purchaseId }),
            }),
        });
        break;
      case "tribute_refund":
        out.push({
          event: { type: "tribute_refund", productId: d.productId, purchaseId: d.purchaseId, at },
          at,
          call: (sql, user) =>
            tribute(sql, "digital_product_refund", iso, {
              product_id: d.productId,
              telegram_user_id: user,
              ...(d.purchaseId === null ? {} : { purchase_id: user * 10 + d.purchaseId }),
            }),
        });
        break;
      case "stars": {
        const chargeId = `charge-${tag}`;
        lastStars = { index: out.length, chargeId, at };
        out.push({
          event: { type: "stars", chargeId, at, days: d.days },
          at,
          call: (sql, user) =>
            sql`select public.apply_star_payment(${user}, ${
              PLAN_BY_DAYS[d.days]
            }, 1, 'XTR', ${`${chargeId}-${user}`}, null, ${iso})`,
        });
        break;
      }
      case "stars_recurring": {
        const chargeId = `rcharge-${tag}`;
        const expiresAt = at + d.expiresDays * DAY;
        lastStars = { index: out.length, chargeId, at };
        out.push({
          event: { type: "stars_recurring", chargeId, at, expiresAt },
          at,
          call: (sql, user) =>
            sql`select public.apply_star_subscription_payment(${user}, ${d.plan}, 1, 'XTR', ${`${chargeId}-${user}`},
                                                              null, ${iso}, ${
              new Date(expiresAt).toISOString()
            },
                                                              ${d.first})`,
        });
        break;
      }
      case "stars_cancel":
        out.push({
          event: { type: "stars_cancel", canceled: d.canceled, at },
          at,
          call: (sql, user) => sql`select public.set_stars_subscription_canceled(${user}, ${d.canceled})`,
        });
        break;
      case "stars_refund": {
        if (!lastStars) break; // nothing to refund yet: an admin cannot refund what was not paid
        const { chargeId, index, at: paidAt } = lastStars;
        lastStars = null;
        out.push({
          event: { type: "stars_refund", chargeId },
          at: paidAt + 1,
          after: index,
          call: (sql, user) => sql`select public.refund_star_payment(${`${chargeId}-${user}`})`,
        });
        break;
      }
      case "grant":
        out.push({
          event: { type: "grant", requestId: tag, at, days: d.days },
          at,
          call: (sql, user) =>
            sql`select public.grant_access(${user}, ${d.days}, 1, ${`${tag}-${user}`}, ${iso})`,
        });
        break;
      case "code": {
        // created once (the request id dedupes), redeemed at `at` by each user it is delivered to
        const code = codeFor(userSeq * 100 + i);
        out.push({
          event: { type: "code", code, at, days: d.days },
          at,
          call: async (sql, user) => {
            await sql`select public.create_access_code(${code}, ${d.days}, 1000, null, 1, ${"prop-" + code})`;
            return await sql`select public.redeem_access_code(${user}, ${code}, null, ${iso})`;
          },
        });
        break;
      }
      case "revoke":
        out.push({
          event: { type: "revoke", requestId: tag, at },
          at,
          call: (sql, user) => sql`select public.revoke_access(${user}, 1, ${`${tag}-${user}`}, ${iso})`,
        });
        break;
    }
  });
  return out;
}

/**
 * Half the histories deliver their Tribute events the way a burst does: accepted into the inbox
 * (accept_tribute_events) and applied later in batches (apply_tribute_inbox), at random moments
 * between the other deliveries and at the end. The result must be the same.
 */
let viaInbox = false;
let inboxRng = 1;
function tribute(sql: postgres.Sql, name: string, createdAt: string, payload: Record<string, unknown>) {
  const envelope = { name, created_at: createdAt, payload };
  if (viaInbox) {
    return (async () => {
      await sql`select public.accept_tribute_events(${[name]}::text[], ${JSON.stringify([envelope])}::text)`;
      inboxRng = (inboxRng * 1103515245 + 12345) % 2147483648;
      if (inboxRng % 3 === 0) await applyInbox(sql, 1 + (inboxRng % 7));
    })();
  }
  return sql`select public.apply_tribute_event(${name}, ${createdAt}, ${
    sql.json(payload as postgres.JSONValue)
  },
                                               ${sql.json(envelope as postgres.JSONValue)})`;
}

/** Applies everything waiting in the inbox, `batch` rows per call (the fast path, as the applier does). */
async function applyInbox(sql: postgres.Sql, batch = 64) {
  for (;;) {
    const [{ r }] = await sql<
      { r: { claimed: number } }[]
    >`select public.apply_tribute_inbox(${batch}, false) as r`;
    if (r.claimed < batch) return;
  }
}

/** A delivery order: the shuffle, with a Stars refund moved after its payment, plus duplicates. */
function deliveryOrder(deliveries: Delivery[], order: number[], dups: number[]): Delivery[] {
  const idx = deliveries.map((_, i) => i).sort((a, b) => (order[a] ?? 0) - (order[b] ?? 0) || a - b);
  for (let i = 0; i < idx.length; i++) {
    const after = deliveries[idx[i]].after;
    if (after === undefined) continue;
    const at = idx.indexOf(after);
    if (at > i) {
      const [moved] = idx.splice(i, 1);
      idx.splice(at, 0, moved);
      i--;
    }
  }
  const seq = idx.map((i) => deliveries[i]);
  for (const d of dups) if (deliveries[d]) seq.splice(Math.min(d + 1, seq.length), 0, deliveries[d]);
  return seq;
}

async function storedCoverage(
  sql: postgres.Sql,
  user: number,
): Promise<{ coverage: Ranges; until: number | null }> {
  const rows = await sql<{ a: Date; b: Date }[]>`
    select lower(p) as a, upper(p) as b from public.user_access ua, unnest(ua.coverage) p
    where ua.telegram_user_id = ${user} order by 1`;
  const [u] = await sql<{ until: Date | null }[]>`select public.access_until(${user}) as until`;
  return {
    coverage: rows.map((r) => [r.a.getTime(), r.b.getTime()]),
    until: u.until ? u.until.getTime() : null,
  };
}

Deno.test(
  `timeline: stored access equals the reference model in any delivery order (${RUNS} runs)`,
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      await sql`update public.plans set tribute_product_id = 11 where code = 'month'`;
      await sql`update public.plans set tribute_product_id = 12 where code = 'quarter'`;
      const now = Date.now();
      await fc.assert(
        fc.asyncProperty(historyArb, async (h) => {
          userSeq++;
          const deliveries = build(h, now);
          const model = computeTimeline(deliveries.map((d) => d.event));
          const shuffled = 7_000_000 + userSeq * 2;
          viaInbox = userSeq % 2 === 0;
          for (const d of deliveryOrder(deliveries, h.order, h.dups)) await d.call(sql, shuffled);
          await applyInbox(sql);
          viaInbox = false;
          const got = await storedCoverage(sql, shuffled);
          assert.deepEqual(got.coverage, model.coverage, "shuffled delivery vs model");
          assert.equal(got.until, model.accessUntil);
          const [{ has }] = await sql<{ has: boolean }[]>`select public.has_access(${shuffled}) as has`;
          assert.equal(has, hasAccessAt(model, Date.now()));

          // every fifth history is also delivered in created_at order, to a second user
          if (userSeq % 5 === 0) {
            const inOrder = 7_000_000 + userSeq * 2 + 1;
            const sorted = deliveries.map((d, i) => ({ d, i })).sort((x, y) => x.d.at - y.d.at || x.i - y.i);
            for (const { d } of sorted) await d.call(sql, inOrder);
            assert.deepEqual(
              (await storedCoverage(sql, inOrder)).coverage,
              got.coverage,
              "created_at order vs shuffled",
            );
          }
        }),
        { numRuns: RUNS },
      );
    } finally {
      await sql.end();
    }
  },
);
