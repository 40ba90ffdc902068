import assert from "node:assert/strict";
import fc from "fast-check";
import { isIsoDateTime, parseTributeEvent, type TributeEvent } from "../../functions/bot/tribute/events.ts";

// ---------------------------------------------------------------------------------------------------
// Webhook bodies copied verbatim from shared/seeds (as raw text, parsed here as the webhook would).

/** seeds/001: Tribute "Integrating Digital Products", webhook format. */
const SEED_001_NEW_DIGITAL_PRODUCT = `{
  "name": "new_digital_product",
  "created_at": "2025-03-20T01:15:58.332Z",
  "sent_at": "2025-03-20T01:15:58.542Z",
  "payload": {
    "product_id": 456,
    "amount": 500,
    "currency": "usd",
    "user_id": 31326,
    "telegram_user_id": 12321321
  }
}`;

/** seeds/002: NewSubscriptionEvent. */
const SEED_002_NEW_SUBSCRIPTION = `{
  "created_at": "2025-03-20T01:15:58.33246Z",
  "name": "new_subscription",
  "payload": {
    "subscription_name": "Support my art 🌟",
    "subscription_id": 1644,
    "period_id": 1547,
    "period": "monthly",
    "price": 1000,
    "amount": 700,
    "currency": "eur",
    "user_id": 31326,
    "telegram_user_id": 12321321,
    "channel_id": 614,
    "channel_name": "lbs",
    "expires_at": "2025-04-20T01:15:57.305733Z"
  },
  "sent_at": "2025-03-20T01:15:58.542279448Z"
}`;

/** seeds/002: CancelledSubscriptionEvent. */
const SEED_002_CANCELLED_SUBSCRIPTION = `{
  "created_at": "2025-03-21T11:20:44.013969Z",
  "name": "cancelled_subscription",
  "payload": {
    "subscription_name": "Join the private club 🎉",
    "subscription_id": 1646,
    "period_id": 1549,
    "period": "monthly",
    "price": 1000,
    "amount": 1000,
    "currency": "eur",
    "user_id": 31326,
    "telegram_user_id": 12321321,
    "channel_id": 614,
    "channel_name": "lbs",
    "cancel_reason": "",
    "expires_at": "2025-03-20T11:13:44.737Z"
  },
  "sent_at": "2025-03-21T11:20:44.527657077Z"
}`;

/** seeds/004: new_subscription without period_id/user_id/channel fields. The seed has a trailing
 * `// ← КРИТИЧНО!` annotation after expires_at, which is not JSON; it is the only thing removed. */
const SEED_004_NEW_SUBSCRIPTION = `{
  "name": "new_subscription",
  "created_at": "2025-08-25T01:15:58.33246Z",
  "sent_at": "2025-08-25T01:15:58.542279448Z",
  "payload": {
    "subscription_name": "Support creativity 🌟",
    "subscription_id": 1644,
    "period": "monthly",
    "price": 1000,
    "amount": 700,
    "currency": "eur",
    "telegram_user_id": 12321321,
    "expires_at": "2025-04-20T01:15:57.305733Z"
  }
}`;

const SEEDS: Record<string, string> = {
  SEED_001_NEW_DIGITAL_PRODUCT,
  SEED_002_NEW_SUBSCRIPTION,
  SEED_002_CANCELLED_SUBSCRIPTION,
  SEED_004_NEW_SUBSCRIPTION,
};

// ---------------------------------------------------------------------------------------------------
// Helpers

function parseOk(json: unknown): TributeEvent {
  const r = parseTributeEvent(json);
  if (!r.ok) assert.fail(`expected ok, got ${r.field}: ${r.message}`);
  return r.event;
}

function parseFail(json: unknown): { field: string; message: string } {
  const r = parseTributeEvent(json);
  if (r.ok) assert.fail(`expected failure, got kind ${r.event.kind}`);
  return r;
}

function sub(name: string, payload: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    created_at: "2025-03-20T01:15:58.33246Z",
    sent_at: "2025-03-20T01:15:58.542279448Z",
    payload: {
      subscription_id: 1644,
      telegram_user_id: 12321321,
      expires_at: "2025-04-20T01:15:57Z",
      ...payload,
    },
  };
}

function purchase(name: string, payload: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    created_at: "2025-03-20T01:15:58.332Z",
    payload: { product_id: 456, telegram_user_id: 12321321, purchase_id: 777, ...payload },
  };
}

// ---------------------------------------------------------------------------------------------------
// Seeds

Deno.test("events: every seed example parses verbatim and keeps all its fields", () => {
  for (const [label, text] of Object.entries(SEEDS)) {
    const raw = JSON.parse(text);
    const r = parseTributeEvent(raw);
    assert.ok(r.ok, `${label}: ${r.ok ? "" : r.message}`);
    assert.equal(r.event.receivedName, raw.name, label);
    assert.equal(r.event.createdAt, raw.created_at, label);
    assert.equal(r.event.sentAt, raw.sent_at, label);
    assert.equal(r.event.telegramUserId, 12321321, label);
    // Original payload fields survive parsing untouched.
    for (const [k, v] of Object.entries(raw.payload)) {
      assert.deepEqual((r.event.payload as Record<string, unknown>)[k], v, `${label}: payload.${k}`);
    }
  }
});

Deno.test("events: seed kinds — subscriptions and a digital product purchase", () => {
  const created = parseOk(JSON.parse(SEED_002_NEW_SUBSCRIPTION));
  assert.equal(created.kind, "subscription");
  assert.equal(created.name, "new_subscription");
  if (created.kind !== "subscription") return;
  assert.equal(created.payload.subscription_id, 1644);
  assert.equal(created.payload.expires_at, "2025-04-20T01:15:57.305733Z");
  assert.equal(created.payload.amount, 700);
  assert.equal(created.payload.currency, "eur");
  assert.equal(created.payload.type, "regular");

  const cancelled = parseOk(JSON.parse(SEED_002_CANCELLED_SUBSCRIPTION));
  assert.equal(cancelled.kind, "subscription");
  assert.equal(cancelled.name, "cancelled_subscription");
  if (cancelled.kind === "subscription") assert.equal(cancelled.payload.cancel_reason, "");

  const bought = parseOk(JSON.parse(SEED_001_NEW_DIGITAL_PRODUCT));
  assert.equal(bought.kind, "purchase");
  assert.equal(bought.name, "new_digital_product");
  if (bought.kind === "purchase") {
    assert.equal(bought.payload.product_id, 456);
    assert.equal(bought.payload.amount, 500);
  }
});

// ---------------------------------------------------------------------------------------------------
// Each kind

Deno.test("events: renewed_subscription is a subscription event", () => {
  const e = parseOk(sub("renewed_subscription", { expires_at: "2025-05-20T01:15:57.305733Z" }));
  assert.equal(e.kind, "subscription");
  assert.equal(e.name, "renewed_subscription");
  if (e.kind === "subscription") assert.equal(e.payload.expires_at, "2025-05-20T01:15:57.305733Z");
});

Deno.test("events: expires_at may be absent or null; sent_at may be absent", () => {
  const absent = sub("new_subscription");
  delete (absent.payload as Record<string, unknown>).expires_at;
  delete absent.sent_at;
  const a = parseOk(absent);
  assert.equal(a.kind, "subscription");
  assert.equal(a.sentAt, null);
  if (a.kind === "subscription") assert.equal(a.payload.expires_at, undefined);

  const n = parseOk(sub("cancelled_subscription", { expires_at: null }));
  if (n.kind === "subscription") assert.equal(n.payload.expires_at, null);
  else assert.fail("expected subscription");
});

Deno.test("events: subscription type defaults to regular; gift and trial are kept; others rejected", () => {
  for (
    const [given, expected] of [[undefined, "regular"], [null, "regular"], ["gift", "gift"], [
      "trial",
      "trial",
    ], ["regular", "regular"]] as const
  ) {
    const e = parseOk(sub("new_subscription", given === undefined ? {} : { type: given }));
    if (e.kind !== "subscription") assert.fail("expected subscription");
    assert.equal(e.payload.type, expected, `type ${given}`);
  }
  assert.equal(parseFail(sub("new_subscription", { type: "lifetime" })).field, "payload.type");
});

Deno.test("events: new_digital_product is a purchase with optional product fields", () => {
  const e = parseOk(
    purchase("new_digital_product", { product_name: "1 month", currency: "rub", amount: 99900 }),
  );
  assert.equal(e.kind, "purchase");
  if (e.kind !== "purchase") return;
  assert.equal(e.payload.product_id, 456);
  assert.equal(e.payload.purchase_id, 777);
  assert.equal(e.payload.product_name, "1 month");
  assert.equal(e.telegramUserId, 12321321);
});

Deno.test("events: every refund spelling is the canonical digital_product_refund", () => {
  for (
    const name of [
      "digital_product_refund",
      "digital_product_refunded",
      "digitalProductRefund",
      "refund_digital_product",
      "DIGITAL_PRODUCT_REFUND",
    ]
  ) {
    const e = parseOk(purchase(name, { amount: 500, currency: "usd" }));
    assert.equal(e.kind, "refund", name);
    assert.equal(e.name, "digital_product_refund", name);
    assert.equal(e.receivedName, name);
    if (e.kind === "refund") {
      assert.equal(e.payload.product_id, 456);
      assert.equal(e.payload.purchase_id, 777);
    }
  }
});

Deno.test("events: a refund still requires product_id and telegram_user_id", () => {
  const noProduct = purchase("digitalProductRefund");
  delete (noProduct.payload as Record<string, unknown>).product_id;
  assert.equal(parseFail(noProduct).field, "payload.product_id");
  const noUser = purchase("digital_product_refund");
  delete (noUser.payload as Record<string, unknown>).telegram_user_id;
  assert.equal(parseFail(noUser).field, "payload.telegram_user_id");
});

Deno.test("events: an unknown name is ignored, keeping its payload and user id when usable", () => {
  const e = parseOk({
    name: "new_donation",
    created_at: "2025-03-20T01:15:58Z",
    payload: { donation_id: 5, telegram_user_id: 42, note: "hi" },
  });
  assert.equal(e.kind, "ignored");
  assert.equal(e.name, "new_donation");
  assert.equal(e.telegramUserId, 42);
  assert.deepEqual(e.payload, { donation_id: 5, telegram_user_id: 42, note: "hi" });

  const noUser = parseOk({ name: "something_else", created_at: "2025-03-20T01:15:58Z", payload: {} });
  assert.equal(noUser.kind, "ignored");
  assert.equal(noUser.telegramUserId, null);
  const stringUser = parseOk({
    name: "something_else",
    created_at: "2025-03-20T01:15:58Z",
    payload: { telegram_user_id: "42" },
  });
  assert.equal(stringUser.telegramUserId, null);
});

Deno.test("events: an ignored event still needs a valid envelope", () => {
  assert.equal(parseFail({ name: "whatever", created_at: "yesterday", payload: {} }).field, "created_at");
  assert.equal(parseFail({ name: "whatever", created_at: "2025-03-20T01:15:58Z" }).field, "payload");
  assert.equal(
    parseFail({ name: "whatever", created_at: "2025-03-20T01:15:58Z", payload: [1] }).field,
    "payload",
  );
  assert.equal(parseFail({ name: "", created_at: "2025-03-20T01:15:58Z", payload: {} }).field, "name");
  assert.equal(parseFail({ created_at: "2025-03-20T01:15:58Z", payload: {} }).field, "name");
});

Deno.test("events: a body that is not an object fails at the root", () => {
  for (const body of [null, "new_subscription", 42, [sub("new_subscription")]]) {
    const f = parseFail(body);
    assert.equal(f.field, "(root)");
    assert.ok(f.message.length > 0);
  }
});

// ---------------------------------------------------------------------------------------------------
// Field errors

Deno.test("events: missing telegram_user_id is reported as payload.telegram_user_id", () => {
  for (const make of [sub.bind(null, "new_subscription"), purchase.bind(null, "new_digital_product")]) {
    const body = make();
    delete (body.payload as Record<string, unknown>).telegram_user_id;
    const f = parseFail(body);
    assert.equal(f.field, "payload.telegram_user_id");
    assert.match(f.message, /payload\.telegram_user_id/);
    assert.match(f.message, /required/);
  }
});

Deno.test("events: missing subscription_id / product_id name the field", () => {
  const s = sub("renewed_subscription");
  delete (s.payload as Record<string, unknown>).subscription_id;
  assert.equal(parseFail(s).field, "payload.subscription_id");
  const p = purchase("new_digital_product");
  delete (p.payload as Record<string, unknown>).product_id;
  assert.equal(parseFail(p).field, "payload.product_id");
});

Deno.test("events: a bad created_at is reported as created_at", () => {
  for (
    const created_at of [
      "yesterday",
      "2025-03-20",
      "2025-03-20T01:15:58", // no timezone: ordering needs an absolute instant
      "2025-13-20T01:15:58Z",
      "2025-02-30T01:15:58Z",
      "2025-03-20T24:00:00Z",
      "2025-03-20T01:15:58.1234567890Z", // 10 fractional digits
      "",
      1742433358,
    ]
  ) {
    const f = parseFail({ ...sub("new_subscription"), created_at });
    assert.equal(f.field, "created_at", String(created_at));
    assert.match(f.message, /created_at/);
  }
  const missing = sub("new_subscription");
  delete missing.created_at;
  assert.equal(parseFail(missing).field, "created_at");
});

Deno.test("events: a bad expires_at is reported as payload.expires_at", () => {
  assert.equal(parseFail(sub("new_subscription", { expires_at: "next month" })).field, "payload.expires_at");
});

Deno.test("events: accepted date-time forms", () => {
  for (
    const ok of [
      "2025-03-20T01:15:58Z",
      "2025-03-20T01:15:58.3Z",
      "2025-03-20T01:15:58.33246Z",
      "2025-03-20T01:15:58.542279448Z",
      "2025-03-20T04:15:58.332+03:00",
      "2025-03-19T20:15:58-05:00",
      "2024-02-29T00:00:00Z",
    ]
  ) {
    assert.equal(isIsoDateTime(ok), true, ok);
    const e = parseOk({ ...sub("new_subscription", { expires_at: ok }), created_at: ok });
    assert.equal(e.createdAt, ok, "created_at is kept exactly as received");
  }
  assert.equal(isIsoDateTime("2025-02-29T00:00:00Z"), false);
  assert.equal(isIsoDateTime("2025-03-20T01:15:58+25:00"), false);
});

Deno.test("isIsoDateTime: the fields read by position judge as the pattern's own groups would", () => {
  // the reference: the same checks on the capture groups of a pattern that captures every field
  const groups = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):?(\d{2}))$/;
  const reference = (v: string) => {
    const m = groups.exec(v);
    if (!m) return false;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
    const [oh, om] = [Number(m[7] ?? 0), Number(m[8] ?? 0)];
    const days = mo === 2
      ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28)
      : [4, 6, 9, 11].includes(mo)
      ? 30
      : 31;
    return y >= 1970 && y <= 2200 && mo >= 1 && mo <= 12 && d >= 1 && d <= days && h <= 23 && mi <= 59 &&
      s <= 59 && oh <= 15 && om <= 59;
  };
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  const digits = (w: number) => fc.integer({ min: 0, max: 10 ** w - 1 }).map((n) => pad(n, w));
  const date = fc.tuple(
    fc.oneof(digits(4), fc.constantFrom("1969", "1970", "2000", "2024", "2100", "2200", "2201")),
    fc.oneof(digits(2), fc.constantFrom("00", "01", "02", "12", "13")),
    fc.oneof(digits(2), fc.constantFrom("00", "28", "29", "30", "31", "32")),
    fc.oneof(digits(2), fc.constantFrom("23", "24")),
    fc.oneof(digits(2), fc.constantFrom("59", "60")),
    fc.oneof(digits(2), fc.constantFrom("59", "60")),
    fc.oneof(fc.constant(""), fc.integer({ min: 1, max: 10 }).chain((w) => digits(w).map((f) => `.${f}`))),
    fc.oneof(
      fc.constant("Z"),
      fc.tuple(fc.constantFrom("+", "-"), digits(2), fc.constantFrom(":", ""), digits(2)).map((p) =>
        p.join("")
      ),
      fc.constantFrom("", "+3", "+03:0", "z", "+0300Z"),
    ),
  ).map(([y, mo, d, h, mi, s, f, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f}${z}`);
  fc.assert(fc.property(date, (v) => isIsoDateTime(v) === reference(v)), { numRuns: 20_000 });
});

Deno.test("events: ids must be positive integers — strings, fractions, zero, negatives are rejected", () => {
  for (const bad of ["12321321", 1.5, 0, -7, null, true]) {
    assert.equal(
      parseFail(sub("new_subscription", { telegram_user_id: bad })).field,
      "payload.telegram_user_id",
      `telegram_user_id ${JSON.stringify(bad)}`,
    );
    assert.equal(
      parseFail(sub("new_subscription", { subscription_id: bad })).field,
      "payload.subscription_id",
      `subscription_id ${JSON.stringify(bad)}`,
    );
    assert.equal(
      parseFail(purchase("new_digital_product", { product_id: bad })).field,
      "payload.product_id",
      `product_id ${JSON.stringify(bad)}`,
    );
  }
});

Deno.test("events: amounts are integer minor units", () => {
  assert.equal(parseFail(sub("new_subscription", { amount: 7.5 })).field, "payload.amount");
  assert.equal(parseFail(sub("new_subscription", { amount: "700" })).field, "payload.amount");
  assert.equal(parseFail(purchase("new_digital_product", { amount: 4.99 })).field, "payload.amount");
  assert.equal(
    parseFail(purchase("digital_product_refund", { purchase_id: "777" })).field,
    "payload.purchase_id",
  );
});

Deno.test("events: unknown extra fields are kept at every level", () => {
  const body = { ...sub("new_subscription", { brand_new_field: { nested: true } }), trace_id: "abc" };
  const e = parseOk(body);
  assert.deepEqual((e.payload as Record<string, unknown>).brand_new_field, { nested: true });
});
