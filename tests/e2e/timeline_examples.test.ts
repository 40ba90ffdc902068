// The access timeline's worked examples (CONTRACT section 5), as a member would live them: signed
// Tribute deliveries over real HTTP into the real handler and Postgres. Days are counted from now (T).
import assert from "node:assert/strict";
import type postgres from "postgres";
import { type Harness, startHarness } from "../support/harness.ts";
import { computeTimeline, DAY, type LedgerEvent } from "../support/timeline_model.ts";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const T = Date.now();

const sub = (name: string, user: number, id: number, created: number, expires: number) => ({
  name,
  created_at: iso(created),
  sent_at: iso(Date.now()),
  payload: {
    subscription_id: id,
    telegram_user_id: user,
    expires_at: iso(expires),
    amount: 700,
    currency: "eur",
  },
});
const product = (user: number, created: number, productId: number, purchaseId?: number) => ({
  name: "new_digital_product",
  created_at: iso(created),
  sent_at: iso(Date.now()),
  payload: {
    product_id: productId,
    telegram_user_id: user,
    amount: 500,
    currency: "usd",
    ...(purchaseId === undefined ? {} : { purchase_id: purchaseId }),
  },
});
const refund = (user: number, created: number, productId: number, purchaseId: number) => ({
  name: "digital_product_refund",
  created_at: iso(created),
  sent_at: iso(Date.now()),
  payload: {
    product_id: productId,
    purchase_id: purchaseId,
    telegram_user_id: user,
    amount: 500,
    currency: "usd",
  },
});

async function deliver(h: Harness, body: unknown) {
  const res = await h.postTribute(body);
  assert.equal(res.status, 200, await res.text());
}

async function until(sql: postgres.Sql, user: number): Promise<number> {
  const [row] = await sql<{ until: Date }[]>`select public.access_until(${user}) as until`;
  return row.until.getTime();
}

async function withPlans<T>(fn: (h: Harness) => Promise<T>): Promise<T> {
  const h = await startHarness();
  try {
    await h.sql`update public.plans set tribute_product_id = 501 where code = 'month'`;
    await h.sql`update public.plans set tribute_product_id = 502 where code = 'year'`;
    return await fn(h);
  } finally {
    await h.close();
  }
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

Deno.test("timeline: a product bought during a subscription is not swallowed by a later renewal (T+40)", async () => {
  await withPlans(async (h) => {
    const user = 91001;
    // subscription [T-50, T-20], a 30-day product bought at T-40, then the renewal to T+10
    await deliver(h, sub("new_subscription", user, 1, T - 50 * DAY, T - 20 * DAY));
    await deliver(h, product(user, T - 40 * DAY, 501, 1));
    assert.equal(await until(h.sql, user), T + 10 * DAY, "before the renewal the product runs to T+10");
    await deliver(h, sub("renewed_subscription", user, 1, T - 20 * DAY, T + 10 * DAY));
    assert.equal(await until(h.sql, user), T + 40 * DAY);

    // the member heard each new end date once: the invite, then the move to T+40
    await h.settle();
    const rows = await h.sql<{ kind: string; template: string; until: string }[]>`
      select kind, template, params ->> 'until' as until from public.outbox where telegram_user_id = ${user}
      order by id`;
    assert.deepEqual(rows.map((r) => [r.kind, r.template, Date.parse(r.until)]), [
      ["invite", "activated", T + 10 * DAY],
      ["message", "renewed", T + 40 * DAY],
    ]);
    // the same renewal again (Tribute's retry) changes nothing and says nothing
    await deliver(h, sub("renewed_subscription", user, 1, T - 20 * DAY, T + 10 * DAY));
    const [{ n }] = await h
      .sql`select count(*)::int as n from public.outbox where telegram_user_id = ${user}`;
    assert.equal(n, 2);
  });
});

Deno.test("timeline: cancelled subscription, two products and a refunded one give T+63 in every delivery order", async () => {
  await withPlans(async (h) => {
    const events = [
      sub("new_subscription", 0, 2, T - 27 * DAY, T + 3 * DAY),
      sub("cancelled_subscription", 0, 2, T - 10 * DAY, T + 3 * DAY),
      product(0, T - 9 * DAY, 501, 11),
      product(0, T - 2 * DAY, 501, 12),
      product(0, T - 15 * DAY, 501, 13),
      refund(0, T - 14 * DAY, 501, 13),
    ];
    const orders = permutations(events.map((_, i) => i));
    assert.equal(orders.length, 720);
    // every order, each for its own member (user id and subscription/purchase ids shifted per order)
    const results = new Set<number>();
    for (let k = 0; k < orders.length; k++) {
      const user = 92_000 + k;
      for (const i of orders[k]) {
        const e = structuredClone(events[i]) as unknown as { payload: Record<string, number> };
        e.payload.telegram_user_id = user;
        if (e.payload.subscription_id) e.payload.subscription_id = user * 10 + 2;
        if (e.payload.purchase_id) e.payload.purchase_id = user * 100 + e.payload.purchase_id;
        // every 60th order over HTTP like Tribute; the rest straight into the SQL function the door calls
        if (k % 60 === 0) await deliver(h, e);
        else {
          const { name, created_at, payload } = e as unknown as {
            name: string;
            created_at: string;
            payload: object;
          };
          await h.sql`select public.apply_tribute_event(${name}, ${created_at}, ${
            h.sql.json(payload as never)
          },
                                                        ${h.sql.json(e as never)})`;
        }
      }
      results.add(await until(h.sql, user));
    }
    assert.deepEqual([...results], [T + 63 * DAY]);
  });
});

Deno.test("timeline: the same product bought twice without purchase_id, an hour apart, counts twice (T+730)", async () => {
  await withPlans(async (h) => {
    const user = 93001;
    await deliver(h, product(user, T - HOUR, 502));
    await deliver(h, product(user, T, 502));
    // a retry of the second delivery is the same purchase
    await deliver(h, product(user, T, 502));
    assert.equal(await until(h.sql, user), T - HOUR + 730 * DAY);
    const [{ n }] = await h
      .sql`select count(*)::int as n from public.subscriptions where telegram_user_id = ${user}`;
    assert.equal(n, 2);
  });
});

Deno.test("timeline: Stars, /grant and /revoke through the bot follow the model", async () => {
  await withPlans(async (h) => {
    const user = 94001;
    const ledger: LedgerEvent[] = [];
    // a Stars payment dated by its message, processed late: banked at its own date
    const paidAt = Math.floor((T - 5 * DAY) / 1000) * 1000;
    await h.sql`select public.apply_star_payment(${user}, 'month', 250, 'XTR', 'ch-late', null, ${
      iso(paidAt)
    })`;
    ledger.push({ type: "stars", chargeId: "ch-late", at: paidAt, days: 30 });
    await h.sql`select public.grant_access(${user}, 10, 1, 'g1', ${iso(T - 3 * DAY)})`;
    ledger.push({ type: "grant", requestId: "g1", at: T - 3 * DAY, days: 10 });
    assert.equal(await until(h.sql, user), computeTimeline(ledger).accessUntil);
    assert.equal(await until(h.sql, user), paidAt + 40 * DAY);

    // a revoke ends access at its time and forfeits what was banked before it
    await h.sql`select public.revoke_access(${user}, 1, 'r1', ${iso(T - DAY)})`;
    ledger.push({ type: "revoke", requestId: "r1", at: T - DAY });
    assert.equal(await until(h.sql, user), T - DAY);
    const [{ has }] = await h.sql`select public.has_access(${user}) as has`;
    assert.equal(has, false);
    // time bought after the revoke counts in full
    await h.sql`select public.grant_access(${user}, 7, 1, 'g2', ${iso(T - 12 * HOUR)})`;
    ledger.push({ type: "grant", requestId: "g2", at: T - 12 * HOUR, days: 7 });
    const model = computeTimeline(ledger);
    assert.equal(await until(h.sql, user), model.accessUntil);
    assert.equal(model.accessUntil, T - 12 * HOUR + 7 * DAY);
  });
});
