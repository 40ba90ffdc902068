// The poison-proof doors (issue #10) in isolation: the Telegram guard accepts what Telegram sends and
// names the first field it cannot use; Tribute bodies that used to reach SQL and fail there are
// refused at the door; the journal can store any parsed body; what counts as retryable.
import assert from "node:assert/strict";
import { GrammyError, HttpError } from "grammy";
import { DbQueryError, DbUnavailableError, isLostRace } from "../../functions/bot/db/port.ts";
import { jsonDepth, parseJsonBody } from "../../functions/bot/http.ts";
import { isDeterministicDbError, storableJson, storableText } from "../../functions/bot/journal.ts";
import { isRetryable } from "../../functions/bot/telegram/bot.ts";
import { checkUpdate, updateKind } from "../../functions/bot/telegram/guard.ts";
import { parseTributeEvent } from "../../functions/bot/tribute/events.ts";
import {
  callbackQueryUpdate,
  chatMemberUpdate,
  messageUpdate,
  preCheckoutUpdate,
  successfulPaymentUpdate,
} from "../support/fake_telegram.ts";

const pay = () =>
  successfulPaymentUpdate({
    from: { id: 5 },
    currency: "XTR",
    total_amount: 250,
    invoice_payload: "plan:month",
    telegram_payment_charge_id: "ch",
  }) as unknown as Record<string, Record<string, Record<string, unknown>>>;

Deno.test("guard: every kind of update the bot handles passes as Telegram sends it", () => {
  const updates = [
    messageUpdate({ from: { id: 5, username: "u", language_code: "ru" }, text: "/start" }),
    messageUpdate({ from: { id: 5 }, chatId: -1001234567890, text: "hi" }),
    preCheckoutUpdate({ from: { id: 5 }, currency: "XTR", total_amount: 250, invoice_payload: "plan:month" }),
    pay(),
    callbackQueryUpdate({ from: { id: 5 }, data: "buy:month" }),
    chatMemberUpdate({ chatId: -1001234567890, user: { id: 5 }, oldStatus: "left", newStatus: "member" }),
    { update_id: 1 },
    { update_id: 2, poll: { id: "p", question: "?" } },
  ];
  for (const u of updates) assert.deepEqual(checkUpdate(u), { ok: true }, JSON.stringify(u));
});

Deno.test("guard: the poison updates of issue #10 are named by their field", () => {
  const member = chatMemberUpdate({ chatId: -100, user: { id: 5 }, oldStatus: "left", newStatus: "member" });
  delete (member.chat_member!.new_chat_member as { user?: unknown }).user;
  const negative = pay();
  negative.message.successful_payment.total_amount = -250;
  const stringId = messageUpdate({ from: { id: 5 }, text: "/start" }) as unknown as {
    message: { from: { id: unknown } };
  };
  stringId.message.from.id = "5";
  const cases: Array<[unknown, string]> = [
    [member, "chat_member.new_chat_member.user"],
    [negative, "message.successful_payment.total_amount"],
    [stringId, "message.from.id"],
    [{ update_id: "7" }, "update_id"],
    [[1, 2], "(root)"],
  ];
  for (const [update, field] of cases) {
    const r = checkUpdate(update);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.field, field);
  }
  assert.equal(updateKind(member), "chat_member");
  assert.equal(updateKind(42), "malformed");
});

Deno.test("events: the Tribute bodies that used to fail inside SQL are refused at the door", () => {
  const created_at = "2025-03-20T01:15:58Z";
  const purchase = { product_id: 456, telegram_user_id: 7, amount: 500, currency: "usd" };
  const field = (body: unknown) => {
    const r = parseTributeEvent(body);
    return r.ok ? "ok" : r.field;
  };
  assert.equal(
    field({ name: "new_digital_product", created_at, payload: { ...purchase, product_id: { a: 1 } } }),
    "payload.product_id",
  );
  assert.equal(field({ name: "x".repeat(300), created_at, payload: purchase }), "name");
  assert.equal(
    field({ name: "new_digital_product", created_at, payload: { ...purchase, amount: -1 } }),
    "payload.amount",
  );
  assert.equal(
    field({ name: "new_digital_product", created_at: "0000-01-01T00:00:00Z", payload: purchase }),
    "created_at",
  );
  assert.equal(
    field({ name: "new_digital_product", created_at: "2025-03-20T01:15:58+23:00", payload: purchase }),
    "created_at",
  );
  assert.equal(
    field({ name: "new_digital_product", created_at, payload: { ...purchase, product_id: 2 ** 63 } }),
    "payload.product_id",
  );
  // an unknown event is still ignored, but a user id SQL could not cast stays out of the payload
  const r = parseTributeEvent({
    name: "new_donation",
    created_at,
    payload: { telegram_user_id: "abc", n: 1 },
  });
  assert.ok(r.ok && r.event.kind === "ignored");
  assert.deepEqual(r.ok && r.event.payload, { n: 1 });
});

Deno.test("journal: any parsed body becomes storable jsonb; deep bodies are refused at parse", () => {
  assert.equal(storableText("a\u0000b\ud800"), "a\uFFFDb\uFFFD");
  assert.deepEqual(storableJson({ "k\u0000": ["\udfff", 1, Infinity] }), { "k\uFFFD": ["\uFFFD", 1, null] });
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.equal(JSON.stringify(storableJson(deep)).includes("nested too deeply"), true);
  const huge = "[".repeat(200_000) + "]".repeat(200_000);
  assert.equal(jsonDepth(JSON.parse(huge), 64), 65, "counted without recursion, stopping early");
  const parsed = parseJsonBody(new TextEncoder().encode(huge));
  assert.deepEqual(parsed, { ok: false, error: "body is nested deeper than 64 levels" });
});

Deno.test("errors: data and constraint errors are deterministic; outages and Bot API 5xx/429 retryable", () => {
  for (const code of ["22P02", "22P05", "22021", "23514", "23505", "54001"]) {
    assert.equal(isDeterministicDbError(new DbQueryError("x", code)), true, code);
  }
  for (const code of ["40001", "42883", "P0001", undefined]) {
    assert.equal(isDeterministicDbError(new DbQueryError("x", code)), false, String(code));
  }
  const api = (error_code: number) =>
    new GrammyError("e", { ok: false, error_code, description: "d" }, "sendMessage", {});
  assert.equal(isRetryable(new DbUnavailableError("down")), true);
  assert.equal(isRetryable(api(502)), true);
  assert.equal(isRetryable(api(429)), true);
  assert.equal(isRetryable(new HttpError("net", new Error("x"))), true);
  assert.equal(isRetryable(api(400)), false);
  assert.equal(isRetryable(api(403)), false);
  assert.equal(isRetryable(new TypeError("x")), false);
  assert.equal(isRetryable(new DbQueryError("bad", "22P02")), false);
  assert.equal(isRetryable(new DbQueryError("no such function", "42883")), false);
  assert.equal(isRetryable(new DbQueryError("deadlock", "40P01")), true);
  assert.equal(isRetryable(new DbQueryError("serialization", "40001")), true);
  assert.equal(isRetryable(new DbQueryError("lock not available", "55P03")), true);
  assert.equal(isRetryable(new DbQueryError("canceling statement due to user request", "57014")), true);
  // the door's 503 for a lost race (handler.ts) and the bot's redelivery agree on what a race is
  for (const code of ["40001", "40P01", "55P03", "57014"]) {
    assert.equal(isLostRace(new DbQueryError("x", code)), true);
  }
  for (const code of ["22P02", "23505", "42883", "P0001", "57P01", undefined]) {
    assert.equal(isLostRace(new DbQueryError("x", code)), false, String(code));
  }
});
