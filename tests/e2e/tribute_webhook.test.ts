// CONTRACT section 5 end to end: signed deliveries over real HTTP into the real handler and Postgres,
// asserting the database after each scenario.
import assert from "node:assert/strict";
import { createAppDeps } from "../../functions/bot/app.ts";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { createHandler } from "../../functions/bot/handler.ts";
import { memoryLogger } from "../../functions/bot/log.ts";
import { signTributeBody } from "../../functions/bot/tribute/signature.ts";
import { type Harness, startHarness, TRIBUTE_KEY } from "../support/harness.ts";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const now = () => Date.now();

function subEvent(
  name: string,
  o: { sub: number; user: number; created: number; expires?: number | null; type?: string; amount?: number },
) {
  const payload: Record<string, unknown> = {
    subscription_name: "Club",
    subscription_id: o.sub,
    period_id: 1547,
    period: "monthly",
    price: 1000,
    amount: o.amount ?? 700,
    currency: "eur",
    user_id: 31326,
    telegram_user_id: o.user,
    channel_id: 614,
    channel_name: "lbs",
  };
  if (o.expires !== null) payload.expires_at = iso(o.expires ?? o.created + 30 * DAY);
  if (o.type) payload.type = o.type;
  return { name, created_at: iso(o.created), sent_at: iso(o.created + 1000), payload };
}

async function send(h: Harness, body: unknown) {
  const res = await h.postTribute(body);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function sub(h: Harness, externalId: string) {
  const [row] = await h
    .sql`select * from public.subscriptions where provider = 'tribute' and external_id = ${externalId}`;
  return row;
}

async function access(h: Harness, user: number) {
  const [row] = await h.sql`select public.has_access(${user}) as has, public.access_until(${user}) as until`;
  return row as { has: boolean; until: Date | null };
}

Deno.test("tribute: the seed documents' payloads are accepted verbatim", async () => {
  const h = await startHarness();
  try {
    const samples = [
      `{"created_at":"2025-03-20T01:15:58.33246Z","name":"new_subscription","payload":{"subscription_name":"Support my art 🌟","subscription_id":1644,"period_id":1547,"period":"monthly","price":1000,"amount":700,"currency":"eur","user_id":31326,"telegram_user_id":12321321,"channel_id":614,"channel_name":"lbs","expires_at":"2025-04-20T01:15:57.305733Z"},"sent_at":"2025-03-20T01:15:58.542279448Z"}`,
      `{"created_at":"2025-03-21T11:20:44.013969Z","name":"cancelled_subscription","payload":{"subscription_name":"Join the private club 🎉","subscription_id":1646,"period_id":1549,"period":"monthly","price":1000,"amount":1000,"currency":"eur","user_id":31326,"telegram_user_id":12321321,"channel_id":614,"channel_name":"lbs","cancel_reason":"","expires_at":"2025-03-20T11:13:44.737Z"},"sent_at":"2025-03-21T11:20:44.527657077Z"}`,
      `{"name":"new_digital_product","created_at":"2025-03-20T01:15:58.332Z","sent_at":"2025-03-20T01:15:58.542Z","payload":{"product_id":456,"amount":500,"currency":"usd","user_id":31326,"telegram_user_id":12321321}}`,
    ];
    for (const raw of samples) {
      const res = await h.postTribute(null, { raw });
      assert.equal(res.status, 200, raw.slice(0, 60));
      assert.equal((await res.json()).status, "processed");
    }
    // the journal keeps the envelope exactly as received
    const events = await h.sql`select payload from public.webhook_events order by id`;
    assert.deepEqual(events.map((e) => e.payload), samples.map((s) => JSON.parse(s)));
    // a past expires_at: the subscription exists but gives no access now
    assert.equal((await sub(h, "1644")).status, "expired");
    assert.equal((await access(h, 12321321)).has, false);
    // amounts stored exactly as received, no conversion
    const pays = await h.sql`select amount::int, currency, kind, status from public.payments order by id`;
    assert.deepEqual(pays.map((p) => [p.amount, p.currency, p.kind]), [[700, "eur", "subscription"], [
      500,
      "usd",
      "purchase",
    ]]);
    assert.equal(pays[1].status, "unmatched"); // no plan maps product 456
  } finally {
    await h.close();
  }
});

Deno.test("tribute: new subscription grants access until payload.expires_at, stores type, ledger and notice", async () => {
  const h = await startHarness();
  try {
    const t0 = now() - 60_000;
    const r = await send(
      h,
      subEvent("new_subscription", {
        sub: 500,
        user: 700,
        created: t0,
        expires: t0 + 31 * DAY,
        type: "gift",
      }),
    );
    assert.equal(r.status, 200);
    const s = await sub(h, "500");
    assert.equal(s.status, "active");
    assert.equal(s.auto_renew, true);
    assert.equal(s.type, "gift");
    assert.equal(s.expires_at.getTime(), t0 + 31 * DAY);
    assert.equal((await access(h, 700)).has, true);
    const [pay] = await h.sql`select amount::int, currency, kind from public.payments`;
    assert.deepEqual([pay.amount, pay.currency, pay.kind], [700, "eur", "subscription"]);
    const outbox = await h.sql`select kind, template from public.outbox where telegram_user_id = 700`;
    assert.deepEqual(outbox.map((o) => [o.kind, o.template]), [["invite", "activated"]]);
    const [ev] = await h.sql`select status, name, source from public.webhook_events`;
    assert.deepEqual([ev.status, ev.name, ev.source], ["processed", "new_subscription", "tribute"]);
  } finally {
    await h.close();
  }
});

Deno.test("tribute: the same delivery N times has one effect, even with a new sent_at", async () => {
  const h = await startHarness();
  try {
    const t0 = now() - 60_000;
    const ev = subEvent("new_subscription", { sub: 501, user: 701, created: t0 });
    const first = await send(h, ev);
    assert.equal(first.body.status, "processed");
    for (let i = 0; i < 4; i++) {
      const again = await send(h, { ...ev, sent_at: iso(t0 + (i + 2) * 60_000) });
      assert.equal(again.status, 200);
      assert.equal(again.body.status, "duplicate");
      assert.equal(again.body.event_id, first.body.event_id);
    }
    const [c] = await h
      .sql`select (select count(*) from public.webhook_events)::int as e, (select count(*) from public.payments)::int as p,
                                   (select count(*) from public.subscriptions)::int as s, (select count(*) from public.outbox)::int as o`;
    assert.deepEqual({ ...c }, { e: 1, p: 1, s: 1, o: 1 });
  } finally {
    await h.close();
  }
});

Deno.test("tribute: renewal extends, cancellation keeps access until expires_at and turns auto_renew off", async () => {
  const h = await startHarness();
  try {
    const t0 = now() - 2 * DAY;
    await send(h, subEvent("new_subscription", { sub: 502, user: 702, created: t0, expires: t0 + 30 * DAY }));
    await send(
      h,
      subEvent("renewed_subscription", { sub: 502, user: 702, created: t0 + DAY, expires: t0 + 60 * DAY }),
    );
    let s = await sub(h, "502");
    assert.equal(s.expires_at.getTime(), t0 + 60 * DAY);
    const kinds = await h.sql`select kind from public.payments order by id`;
    assert.deepEqual(kinds.map((k) => k.kind), ["subscription", "renewal"]);

    await send(
      h,
      subEvent("cancelled_subscription", {
        sub: 502,
        user: 702,
        created: t0 + 2 * DAY - 1000,
        expires: t0 + 60 * DAY,
      }),
    );
    s = await sub(h, "502");
    assert.equal(s.status, "cancelled");
    assert.equal(s.auto_renew, false);
    assert.equal(s.expires_at.getTime(), t0 + 60 * DAY);
    assert.equal((await access(h, 702)).has, true);
    const notices = await h.sql`select template from public.outbox where telegram_user_id = 702 order by id`;
    assert.deepEqual(notices.map((n) => n.template), ["activated", "renewed", "cancelled"]);
  } finally {
    await h.close();
  }
});

Deno.test("tribute: cancellation whose expires_at is past ends access now and queues the removal", async () => {
  const h = await startHarness();
  try {
    const t0 = now() - 40 * DAY;
    await send(h, subEvent("new_subscription", { sub: 503, user: 703, created: t0, expires: now() + DAY }));
    assert.equal((await access(h, 703)).has, true);
    await send(
      h,
      subEvent("cancelled_subscription", {
        sub: 503,
        user: 703,
        created: now() - 1000,
        expires: now() - 3600_000,
      }),
    );
    assert.equal((await sub(h, "503")).status, "expired");
    assert.equal((await access(h, 703)).has, false);
    const removal = await h
      .sql`select template from public.outbox where telegram_user_id = 703 and kind = 'remove'`;
    assert.equal(removal.length, 1);
  } finally {
    await h.close();
  }
});

Deno.test("tribute: without expires_at, access lasts created_at + 30 days", async () => {
  const h = await startHarness();
  try {
    const t0 = now() - 1000;
    await send(h, subEvent("new_subscription", { sub: 504, user: 704, created: t0, expires: null }));
    assert.equal((await sub(h, "504")).expires_at.getTime(), t0 + 30 * DAY);
  } finally {
    await h.close();
  }
});

Deno.test("tribute: unused time of a cancelled subscription is banked after the new one, once", async () => {
  const h = await startHarness();
  try {
    const tNew = now() - 1000;
    const t0 = tNew - 20 * DAY - 1000; // the cancelled one has 10 days and a second left at tNew
    const left = t0 + 30 * DAY - tNew;
    await send(h, subEvent("new_subscription", { sub: 600, user: 800, created: t0, expires: t0 + 30 * DAY }));
    await send(
      h,
      subEvent("cancelled_subscription", { sub: 600, user: 800, created: t0 + DAY, expires: t0 + 30 * DAY }),
    );
    await send(
      h,
      subEvent("new_subscription", { sub: 601, user: 800, created: tNew, expires: tNew + 30 * DAY }),
    );
    let s = await sub(h, "601");
    assert.equal(s.expires_at.getTime(), tNew + 30 * DAY, "the new window is what Tribute says");
    const old = await sub(h, "600");
    assert.equal(old.status, "expired");
    assert.equal(old.bonus_to, s.id);
    assert.equal(old.expires_at.getTime(), tNew, "the cancelled one ends where the new one begins");
    let bonus = await sub(h, "bonus:600");
    assert.equal(bonus.kind, "bonus");
    assert.equal(bonus.starts_at.getTime(), tNew + 30 * DAY, "its unused time follows the new window");
    assert.equal(bonus.expires_at.getTime(), tNew + 30 * DAY + left);
    assert.equal((await access(h, 800)).until!.getTime(), tNew + 30 * DAY + left);
    // access never dropped, so no removal and no second invite
    const removals = await h
      .sql`select 1 from public.outbox where telegram_user_id = 800 and kind = 'remove'`;
    assert.equal(removals.length, 0);
    // a renewal moves the bonus behind the new end (banked once, not compounded)
    await send(
      h,
      subEvent("renewed_subscription", {
        sub: 601,
        user: 800,
        created: tNew + 1000,
        expires: tNew + 60 * DAY,
      }),
    );
    s = await sub(h, "601");
    assert.equal(s.expires_at.getTime(), tNew + 60 * DAY);
    bonus = await sub(h, "bonus:600");
    assert.equal(bonus.starts_at.getTime(), tNew + 60 * DAY);
    assert.equal((await access(h, 800)).until!.getTime(), tNew + 60 * DAY + left);
    const [{ n }] = await h.sql`select count(*)::int as n from public.subscriptions where kind = 'bonus'`;
    assert.equal(n, 1);
  } finally {
    await h.close();
  }
});

Deno.test("tribute: digital products stack after current access; refunds (any spelling) revoke exactly that purchase", async () => {
  const h = await startHarness();
  try {
    await h.sql`update public.plans set tribute_product_id = 456 where code = 'month'`;
    await h.sql`update public.plans set tribute_product_id = 457 where code = 'quarter'`;
    const t0 = now() - 1000;
    await send(h, subEvent("new_subscription", { sub: 700, user: 900, created: t0, expires: t0 + 30 * DAY }));
    const buy = (product: number, purchase: number, created: number) => ({
      name: "new_digital_product",
      created_at: iso(created),
      sent_at: iso(created),
      payload: {
        product_id: product,
        purchase_id: purchase,
        amount: 500,
        currency: "rub",
        telegram_user_id: 900,
      },
    });
    await send(h, buy(456, 1, t0 + 1));
    await send(h, buy(457, 2, t0 + 2));
    let { until } = await access(h, 900);
    assert.equal(until!.getTime(), t0 + (30 + 30 + 90) * DAY);
    // the subscriber is told each time their access was extended
    const extended = await h.sql`select params->>'until' as until from public.outbox
                                 where telegram_user_id = 900 and template = 'renewed' order by id`;
    assert.deepEqual(extended.map((e) => new Date(e.until).getTime()), [t0 + 60 * DAY, t0 + 150 * DAY]);

    // refunding the first purchase removes its 30 days; the later purchase moves up (no gap)
    for (const name of ["digital_product_refund", "digitalProductRefund"]) {
      const r = await send(h, {
        name,
        created_at: iso(t0 + 3),
        payload: { product_id: 456, purchase_id: 1, telegram_user_id: 900, amount: 500, currency: "rub" },
      });
      assert.equal(r.status, 200);
    }
    ({ until } = await access(h, 900));
    assert.equal(until!.getTime(), t0 + (30 + 90) * DAY);
    const [p1] = await h.sql`select status from public.subscriptions where external_id = 'purchase:1'`;
    assert.equal(p1.status, "refunded");
    const pays = await h.sql`select status from public.payments where kind = 'purchase' order by id`;
    assert.deepEqual(pays.map((p) => p.status), ["refunded", "paid"]);

    // refund delivered before its purchase: the purchase arrives already refunded
    await send(h, {
      name: "digital_product_refund",
      created_at: iso(t0 + 10),
      payload: { product_id: 456, purchase_id: 3, telegram_user_id: 900 },
    });
    await send(h, buy(456, 3, t0 + 5));
    const [p3] = await h.sql`select status from public.subscriptions where external_id = 'purchase:3'`;
    assert.equal(p3.status, "refunded");
    ({ until } = await access(h, 900));
    assert.equal(until!.getTime(), t0 + (30 + 90) * DAY);
  } finally {
    await h.close();
  }
});

Deno.test("tribute: unknown events are 200 and journaled ignored; invalid payloads 400 naming the field, journaled failed", async () => {
  const h = await startHarness();
  try {
    let r = await send(h, { name: "new_donation", created_at: iso(now()), payload: { amount: 1 } });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, "ignored");

    r = await send(h, { name: "new_subscription", created_at: iso(now()), payload: { subscription_id: 1 } });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, "payload.telegram_user_id");
    r = await send(h, {
      name: "renewed_subscription",
      created_at: "yesterday",
      payload: { subscription_id: 1, telegram_user_id: 2 },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, "created_at");

    const journal = await h.sql`select name, status from public.webhook_events order by id`;
    assert.deepEqual(journal.map((j) => [j.name, j.status]), [["new_donation", "ignored"], [
      "new_subscription",
      "failed",
    ], ["renewed_subscription", "failed"]]);
    const [c] = await h
      .sql`select (select count(*) from public.subscriptions)::int as s, (select count(*) from public.payments)::int as p`;
    assert.deepEqual({ ...c }, { s: 0, p: 0 });
  } finally {
    await h.close();
  }
});

Deno.test("tribute: database unavailable answers 503 and writes nothing", async () => {
  const h = await startHarness();
  const deadDb = createPostgresDb("postgresql://postgres:postgres@127.0.0.1:1/postgres", {
    connectTimeoutSeconds: 2,
  });
  const deps = createAppDeps(h.config, { db: deadDb, log: memoryLogger() });
  const handle = createHandler(deps);
  try {
    const body = JSON.stringify(subEvent("new_subscription", { sub: 900, user: 999, created: now() }));
    const res = await handle(
      new Request(h.url, {
        method: "POST",
        headers: { "trbt-signature": await signTributeBody(body, TRIBUTE_KEY) },
        body,
      }),
    );
    assert.equal(res.status, 503);
    const text = await res.text();
    assert.ok(!text.includes("postgres:postgres"), "no connection string in the answer");
    const [c] = await h.sql`select count(*)::int as n from public.webhook_events`;
    assert.equal(c.n, 0);
  } finally {
    await deps.settle();
    await deadDb.close();
    await h.close();
  }
});
