// The Tribute door's hand-written check (plainSubscriptionEvent) must give exactly what the zod schemas
// give: it may decline anything (zod then decides, and names the failing field), but whatever it accepts
// zod must accept too, with the same event out. Checked on Tribute's own examples and on every field of
// them set to every edge value, then on random bodies.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MAX_TEXT_LENGTH,
  parseTributeEvent,
  parseWithSchemas,
  plainSubscriptionEvent,
} from "../../functions/bot/tribute/events.ts";

const subscription = (name: string, payload: Record<string, unknown>) => ({
  name,
  created_at: "2025-03-20T01:15:58.33246Z",
  sent_at: "2025-03-20T01:15:58.542279448Z",
  payload,
});

/** Tribute's examples (shared/seeds 002 and 004) and a gift with every optional field set. */
const templates = (): Array<Record<string, unknown>> => [
  subscription("new_subscription", {
    subscription_name: "Support my art 🌟",
    subscription_id: 1644,
    period_id: 1547,
    period: "monthly",
    price: 1000,
    amount: 700,
    currency: "eur",
    user_id: 31326,
    telegram_user_id: 12321321,
    channel_id: 614,
    channel_name: "lbs",
    expires_at: "2025-04-20T01:15:57.305733Z",
  }),
  subscription("cancelled_subscription", {
    subscription_name: "Join the private club 🎉",
    subscription_id: 1646,
    period: "monthly",
    amount: 1000,
    currency: "eur",
    telegram_user_id: 12321321,
    cancel_reason: "",
    expires_at: "2025-03-20T11:13:44.737Z",
  }),
  subscription("renewed_subscription", {
    subscription_id: 1644,
    telegram_user_id: 12321321,
    type: "gift",
    amount: 0,
    price: null,
    expires_at: "2025-05-20T01:15:57+03:00",
    extra_field: { kept: true },
  }),
];

/** Values chosen to sit just inside or just outside a rule of the schemas. */
const EDGES: unknown[] = [
  undefined,
  null,
  0,
  -0,
  -1,
  1,
  1.5,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  "",
  "5",
  "x".repeat(16),
  "x".repeat(17),
  "x".repeat(40),
  "x".repeat(64),
  "x".repeat(65),
  "x".repeat(MAX_TEXT_LENGTH),
  "x".repeat(MAX_TEXT_LENGTH + 1),
  "2025-04-20T01:15:57.305733Z",
  "2025-04-20T01:15:57",
  "2025-02-30T01:15:57Z",
  "1969-12-31T23:59:59Z",
  "2025-04-20T01:15:57.305733123456789012345+03:00",
  "regular",
  "gift",
  "trial",
  "Regular",
  "new_subscription",
  "new_digital_product",
  "digital_product_refund",
  true,
  [],
  {},
  [1],
];

const FIELDS = [
  "name",
  "created_at",
  "sent_at",
  "payload",
  "subscription_id",
  "telegram_user_id",
  "expires_at",
  "period_id",
  "period",
  "price",
  "amount",
  "currency",
  "subscription_name",
  "user_id",
  "channel_id",
  "channel_name",
  "cancel_reason",
  "type",
  "unknown_field",
];

function withValue(root: Record<string, unknown>, inPayload: boolean, field: string, value: unknown) {
  const copy = structuredClone(root);
  const at = inPayload ? copy.payload as Record<string, unknown> : copy;
  if (at === null || typeof at !== "object") return copy; // (the payload was replaced by an edge value)
  if (value === undefined) delete at[field];
  else at[field] = value;
  return copy;
}

/** Whatever the fast path accepts, zod accepts, with the same event (output included). */
function agrees(body: unknown): boolean {
  const plain = plainSubscriptionEvent(body);
  if (!plain) return false;
  const zod = parseWithSchemas(body);
  assert.ok(zod.ok, `fast path accepted what zod refuses: ${JSON.stringify(body)} (${JSON.stringify(zod)})`);
  assert.deepStrictEqual(plain, zod.event, JSON.stringify(body));
  return true;
}

Deno.test("tribute fast path: Tribute's subscription events take it, with zod's result; others go to zod", () => {
  for (const t of templates()) {
    assert.equal(agrees(t), true, JSON.stringify(t));
    assert.deepStrictEqual(parseTributeEvent(t), parseWithSchemas(t));
  }
  // not subscriptions, or not plainly valid: declined, and parseTributeEvent is zod's verdict
  const declined = [
    {
      name: "new_digital_product",
      created_at: "2025-03-20T01:15:58Z",
      payload: { product_id: 1, telegram_user_id: 2 },
    },
    { name: "new_subscription", created_at: "2025-03-20T01:15:58Z", payload: { subscription_id: "1644" } },
    {
      name: "new_subscription",
      created_at: "2025-03-20",
      payload: { subscription_id: 1, telegram_user_id: 2 },
    },
    [],
    null,
  ];
  for (const body of declined) {
    assert.equal(plainSubscriptionEvent(body), undefined, JSON.stringify(body));
    assert.deepStrictEqual(parseTributeEvent(body), parseWithSchemas(body));
  }
});

Deno.test("tribute fast path: every field of every example set to every edge value agrees with zod", () => {
  let checked = 0;
  let taken = 0;
  for (const root of templates()) {
    for (const inPayload of [false, true]) {
      for (const field of FIELDS) {
        for (const value of EDGES) {
          checked++;
          if (agrees(withValue(root, inPayload, field, value))) taken++;
        }
      }
    }
  }
  assert.ok(checked > 3_000, `${checked} cases`);
  assert.ok(taken > 300, `the fast path took ${taken} of ${checked}`);
});

Deno.test("tribute fast path: random bodies (two fields changed at once) agree with zod", () => {
  const edge = fc.constantFrom(...EDGES);
  const change = fc.record({ inPayload: fc.boolean(), field: fc.constantFrom(...FIELDS), value: edge });
  fc.assert(
    fc.property(fc.constantFrom(...templates()), change, change, (root, a, b) => {
      const body = withValue(withValue(root, a.inPayload, a.field, a.value), b.inPayload, b.field, b.value);
      agrees(body);
    }),
    { numRuns: 3000 },
  );
});
