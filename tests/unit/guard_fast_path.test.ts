// The Telegram guard's hand-written check (plainlyValid) may only ever accept what the zod schema
// accepts: anything it refuses is handed to zod, so being stricter is harmless and being looser would
// let a poison update through. Checked on Telegram's own shapes and on thousands of mutated ones.
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkUpdate, plainlyValid, updateSchema } from "../../functions/bot/telegram/guard.ts";
import {
  callbackQueryUpdate,
  chatMemberUpdate,
  messageUpdate,
  preCheckoutUpdate,
  successfulPaymentUpdate,
} from "../support/fake_telegram.ts";

const templates = (): Array<Record<string, unknown>> =>
  [
    messageUpdate({ from: { id: 5, username: "u", language_code: "ru" }, text: "/status" }),
    messageUpdate({ from: { id: 5 }, chatId: -1001234567890, text: "/status@bench_bot" }),
    callbackQueryUpdate({ from: { id: 5 }, data: "buy:month" }),
    chatMemberUpdate({ chatId: -1001234567890, user: { id: 5 }, oldStatus: "left", newStatus: "member" }),
    preCheckoutUpdate({ from: { id: 5 }, currency: "XTR", total_amount: 250, invoice_payload: "plan:month" }),
    successfulPaymentUpdate({
      from: { id: 5 },
      currency: "XTR",
      total_amount: 250,
      invoice_payload: "plan:month",
      telegram_payment_charge_id: "ch",
    }),
    { update_id: 1 },
  ] as unknown as Array<Record<string, unknown>>;

/** Every path to a value inside a JSON value (objects and arrays), the root excluded. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function withValue(root: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (value === undefined) delete at[path[path.length - 1]];
  else at[path[path.length - 1]] = value;
  return copy;
}

/** Values chosen to sit just outside (or just inside) a rule of the schema. */
const EDGES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER,
  "",
  "5",
  "x".repeat(32),
  "x".repeat(33),
  "x".repeat(35),
  "x".repeat(36),
  "x".repeat(256),
  "x".repeat(257),
  "x".repeat(1024),
  "x".repeat(1025),
  "x".repeat(16_385),
  true,
  [],
  {},
  [1],
  { id: 5 },
  { id: 5, type: "private" },
];
const EDGE = fc.constantFrom(...EDGES);

/** The field names the schema has rules for, at any level. */
const FIELDS = [
  "update_id",
  "message_id",
  "date",
  "chat",
  "from",
  "text",
  "caption",
  "successful_payment",
  "id",
  "type",
  "is_bot",
  "first_name",
  "last_name",
  "username",
  "language_code",
  "data",
  "message",
  "status",
  "user",
  "old_chat_member",
  "new_chat_member",
  "callback_query",
  "pre_checkout_query",
  "chat_member",
  "my_chat_member",
  "edited_message",
  "channel_post",
];

/** Every object inside a JSON value (the root included), as paths. */
function objectPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => objectPaths(v, [...prefix, k]))];
}

Deno.test("guard fast path: Telegram's common updates take it; payments and checkouts go to zod", () => {
  const [privateMsg, groupMsg, button, member, checkout, payment, bare] = templates();
  for (const u of [privateMsg, groupMsg, button, member, bare]) assert.equal(plainlyValid(u), true);
  for (const u of [checkout, payment]) {
    assert.equal(plainlyValid(u), false);
    assert.deepEqual(checkUpdate(u), { ok: true });
  }
});

Deno.test("guard fast path: whatever it accepts, the zod schema accepts (every field set to every edge)", () => {
  let checked = 0;
  for (const root of templates()) {
    for (const at of objectPaths(root)) {
      for (const field of FIELDS) {
        for (const value of EDGES) {
          const update = withValue(root, [...at, field], value);
          checked++;
          if (plainlyValid(update)) {
            assert.ok(updateSchema.safeParse(update).success, JSON.stringify(update));
          }
        }
      }
    }
  }
  assert.ok(checked > 10_000, `${checked} cases`);
});

Deno.test("guard fast path: whatever it accepts, the zod schema accepts (mutated updates)", () => {
  const roots = templates();
  const cases = fc.oneof(
    // one value somewhere inside a real update replaced (or removed)
    fc.tuple(fc.nat(roots.length - 1), fc.nat(), fc.oneof(EDGE, fc.jsonValue())).map(([r, p, v]) => {
      const all = paths(roots[r]);
      return all.length ? withValue(roots[r], all[p % all.length], v) : roots[r];
    }),
    // a new key of an update kind the bot reads, holding anything
    fc.tuple(
      fc.constantFrom(
        "message",
        "edited_message",
        "channel_post",
        "callback_query",
        "chat_member",
        "my_chat_member",
      ),
      fc.oneof(EDGE, fc.jsonValue()),
    ).map(([k, v]) => ({ update_id: 3, [k]: v })),
    fc.jsonValue(),
  );
  let accepted = 0;
  fc.assert(
    fc.property(cases, (update) => {
      if (!plainlyValid(update)) return true;
      accepted++;
      return updateSchema.safeParse(update).success;
    }),
    { numRuns: 20_000, seed: 20261126 },
  );
  assert.ok(accepted > 1000, `the fast path was exercised (${accepted} accepted)`);
});
