import assert from "node:assert/strict";
import { Bot, GrammyError, InputFile } from "grammy";
import {
  callbackQueryUpdate,
  chatMemberUpdate,
  messageUpdate,
  preCheckoutUpdate,
  startFakeTelegram,
  successfulPaymentUpdate,
  testBotInfo,
} from "../support/fake_telegram.ts";

const TOKEN = "123456:TEST-token";

function botAt(apiRoot: string, token = TOKEN): Bot {
  return new Bot(token, { client: { apiRoot }, botInfo: testBotInfo });
}

Deno.test("fake telegram: sendMessage and createChatInviteLink are answered and recorded", async () => {
  const fake = startFakeTelegram({ token: TOKEN });
  try {
    const bot = botAt(fake.apiRoot);
    const m1 = await bot.api.sendMessage(42, "hello");
    const m2 = await bot.api.sendMessage(42, "again", { reply_markup: { inline_keyboard: [] } });
    assert.equal(m1.text, "hello");
    assert.equal(m1.chat.id, 42);
    assert.equal(m1.chat.type, "private");
    assert.equal(typeof m1.date, "number");
    assert.equal(m2.message_id, m1.message_id + 1);

    const expire = Math.floor(Date.now() / 1000) + 3600;
    const link = await bot.api.createChatInviteLink(-1001234567890, { member_limit: 1, expire_date: expire });
    assert.match(link.invite_link, /^https:\/\/t\.me\/\+fake\d+$/);
    assert.equal(link.member_limit, 1);
    assert.equal(link.expire_date, expire);
    assert.equal(link.is_revoked, false);
    assert.equal(link.is_primary, false);
    assert.equal(link.creates_join_request, false);
    assert.equal(link.creator.id, testBotInfo.id);

    const revoked = await bot.api.revokeChatInviteLink(-1001234567890, link.invite_link);
    assert.equal(revoked.is_revoked, true);
    assert.equal(revoked.invite_link, link.invite_link);

    assert.deepEqual(fake.calls.map((c) => c.method), [
      "sendMessage",
      "sendMessage",
      "createChatInviteLink",
      "revokeChatInviteLink",
    ]);
    const sends = fake.callsOf("sendMessage");
    assert.equal(sends.length, 2);
    assert.equal(sends[0].token, TOKEN);
    assert.deepEqual(sends[0].body, { chat_id: 42, text: "hello" });
    assert.deepEqual(sends[1].body.reply_markup, { inline_keyboard: [] });
    assert.equal(typeof sends[0].at, "number");
    assert.deepEqual(fake.callsOf("createChatInviteLink")[0].body, {
      chat_id: -1001234567890,
      member_limit: 1,
      expire_date: expire,
    });
  } finally {
    await fake.close();
  }
});

Deno.test("fake telegram: failNext 429 yields GrammyError with retry_after, then recovers", async () => {
  const fake = startFakeTelegram();
  try {
    const bot = botAt(fake.apiRoot);
    fake.failNext("sendMessage", { status: 429, retry_after: 7 });
    const err = await bot.api.sendMessage(1, "x").then(
      () => assert.fail("expected an error"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GrammyError);
    assert.equal(err.error_code, 429);
    assert.equal(err.parameters.retry_after, 7);
    assert.match(err.description, /Too Many Requests/);

    // only the next call failed; other methods were never affected
    const ok = await bot.api.sendMessage(1, "y");
    assert.equal(ok.text, "y");
    assert.equal(fake.callsOf("sendMessage").length, 2, "failed calls are recorded too");
  } finally {
    await fake.close();
  }
});

Deno.test("fake telegram: failNext 403 (blocked) for N times", async () => {
  const fake = startFakeTelegram();
  try {
    const bot = botAt(fake.apiRoot);
    fake.failNext("sendMessage", { status: 403 }, 2);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(bot.api.sendMessage(5, "hi"), (e: unknown) => {
        assert.ok(e instanceof GrammyError);
        assert.equal(e.error_code, 403);
        assert.equal(e.description, "Forbidden: bot was blocked by the user");
        assert.deepEqual(e.parameters, {});
        return true;
      });
    }
    await bot.api.sendMessage(5, "hi");

    fake.failNext("banChatMember", { status: 400, description: "Bad Request: user not found" });
    await assert.rejects(bot.api.banChatMember(-100, 5), (e: unknown) => {
      assert.ok(e instanceof GrammyError);
      assert.equal(e.error_code, 400);
      assert.equal(e.description, "Bad Request: user not found");
      return true;
    });
    assert.equal(await bot.api.banChatMember(-100, 5), true);
    assert.equal((await bot.api.getChatMember(-100, 5)).status, "kicked");
    assert.equal(await bot.api.unbanChatMember(-100, 5, { only_if_banned: true }), true);
    assert.equal((await bot.api.getChatMember(-100, 5)).status, "left");
  } finally {
    await fake.close();
  }
});

Deno.test("fake telegram: reset clears calls and pending failures", async () => {
  const fake = startFakeTelegram();
  try {
    const bot = botAt(fake.apiRoot);
    await bot.api.sendMessage(1, "a");
    fake.failNext("sendMessage", { status: 500 }, 3);
    fake.reset();
    assert.equal(fake.calls.length, 0);
    const m = await bot.api.sendMessage(1, "b");
    assert.equal(m.text, "b");
    assert.equal(fake.calls.length, 1);
  } finally {
    await fake.close();
  }
});

Deno.test("fake telegram: wrong token is 401, webhook info follows setWebhook", async () => {
  const fake = startFakeTelegram({ token: TOKEN });
  try {
    const wrong = botAt(fake.apiRoot, "999:wrong");
    await assert.rejects(wrong.api.getMe(), (e: unknown) => {
      assert.ok(e instanceof GrammyError);
      assert.equal(e.error_code, 401);
      assert.equal(e.description, "Unauthorized");
      return true;
    });
    assert.equal(fake.calls[0].token, "999:wrong");

    const bot = botAt(fake.apiRoot);
    const me = await bot.api.getMe();
    assert.deepEqual(me, testBotInfo);
    assert.deepEqual(await bot.api.getWebhookInfo(), {
      url: "",
      has_custom_certificate: false,
      pending_update_count: 0,
    });
    await bot.api.setWebhook("https://example.test/functions/v1/bot", {
      secret_token: "s3cret",
      allowed_updates: ["message", "pre_checkout_query"],
    });
    const info = await bot.api.getWebhookInfo();
    assert.equal(info.url, "https://example.test/functions/v1/bot");
    assert.deepEqual(info.allowed_updates, ["message", "pre_checkout_query"]);
    fake.setWebhookInfo({ pending_update_count: 3, last_error_message: "boom" });
    const info2 = await bot.api.getWebhookInfo();
    assert.equal(info2.pending_update_count, 3);
    assert.equal(info2.last_error_message, "boom");
    await bot.api.deleteWebhook();
    assert.equal((await bot.api.getWebhookInfo()).url, "");

    assert.equal(await bot.api.answerPreCheckoutQuery("q1", true), true);
    assert.equal(await bot.api.refundStarPayment(7, "charge-1"), true);
    assert.equal(await bot.api.setMyCommands([{ command: "start", description: "Start" }]), true);
    const inv = await bot.api.sendInvoice(7, "Month", "30 days", "plan:month", "XTR", [
      { label: "Month", amount: 150 },
    ], { provider_token: "" });
    assert.equal(inv.invoice?.currency, "XTR");
    assert.equal(inv.invoice?.total_amount, 150);
    assert.equal(fake.callsOf("sendInvoice")[0].body.payload, "plan:month");
    const unknown = await fetch(`${fake.apiRoot}/bot${TOKEN}/someFutureMethod`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: 1 }),
    });
    assert.deepEqual(await unknown.json(), { ok: true, result: true });
    assert.deepEqual(fake.callsOf("someFutureMethod")[0].body, { a: 1 });
  } finally {
    await fake.close();
  }
});

Deno.test("fake telegram: update builders drive a real bot", async () => {
  const fake = startFakeTelegram();
  try {
    const bot = botAt(fake.apiRoot);
    const seen: string[] = [];
    bot.command("start", async (ctx) => {
      seen.push(`start:${ctx.from?.language_code}`);
      await ctx.reply("welcome");
    });
    bot.on("pre_checkout_query", async (ctx) => {
      seen.push(`pcq:${ctx.preCheckoutQuery.invoice_payload}`);
      await ctx.answerPreCheckoutQuery(true);
    });
    bot.on("message:successful_payment", (ctx) => {
      seen.push(`paid:${ctx.message.successful_payment.telegram_payment_charge_id}`);
    });
    bot.on("callback_query:data", async (ctx) => {
      seen.push(`cb:${ctx.callbackQuery.data}`);
      await ctx.answerCallbackQuery();
    });
    bot.on("chat_member", (ctx) => {
      const u = ctx.chatMember;
      seen.push(
        `member:${u.old_chat_member.status}->${u.new_chat_member.status}:${u.invite_link?.invite_link}`,
      );
    });

    const from = { id: 777, language_code: "ru", first_name: "Ivan" };
    const start = messageUpdate({ from, text: "/start ref123" });
    assert.deepEqual(start.message?.entities, [{ type: "bot_command", offset: 0, length: 6 }]);
    await bot.handleUpdate(start);
    await bot.handleUpdate(
      preCheckoutUpdate({ from, currency: "XTR", total_amount: 150, invoice_payload: "plan:month" }),
    );
    await bot.handleUpdate(successfulPaymentUpdate({
      from,
      currency: "XTR",
      total_amount: 150,
      invoice_payload: "plan:month",
      telegram_payment_charge_id: "ch_1",
    }));
    await bot.handleUpdate(callbackQueryUpdate({ from, data: "buy:month" }));
    await bot.handleUpdate(chatMemberUpdate({
      chatId: -1001234567890,
      user: from,
      oldStatus: "left",
      newStatus: "member",
      inviteLink: "https://t.me/+fake1",
    }));

    assert.deepEqual(seen, [
      "start:ru",
      "pcq:plan:month",
      "paid:ch_1",
      "cb:buy:month",
      "member:left->member:https://t.me/+fake1",
    ]);
    assert.deepEqual(fake.calls.map((c) => c.method), [
      "sendMessage",
      "answerPreCheckoutQuery",
      "answerCallbackQuery",
    ]);
    assert.equal(fake.callsOf("sendMessage")[0].body.chat_id, 777);
    assert.equal(fake.callsOf("answerPreCheckoutQuery")[0].body.ok, true);

    const plain = messageUpdate({ from, text: "hi", updateId: 5000 });
    assert.equal(plain.update_id, 5000);
    assert.equal(plain.message?.entities, undefined);
    assert.ok(messageUpdate({ from, text: "x" }).update_id > 5000);
  } finally {
    await fake.close();
  }
});

Deno.test("fake telegram: multipart uploads are parsed best-effort", async () => {
  const fake = startFakeTelegram();
  try {
    const bot = botAt(fake.apiRoot);
    const msg = await bot.api.sendDocument(321, new InputFile(new Uint8Array([1, 2, 3]), "a.txt"), {
      caption: "report",
      reply_markup: { inline_keyboard: [[{ text: "ok", callback_data: "ok" }]] },
    });
    assert.equal(msg.chat.id, 321);
    const body = fake.callsOf("sendDocument")[0].body;
    assert.equal(body.chat_id, 321);
    assert.equal(body.caption, "report");
    assert.deepEqual(body.reply_markup, { inline_keyboard: [[{ text: "ok", callback_data: "ok" }]] });
    assert.equal(typeof body.document, "string"); // "attach://<id>"
  } finally {
    await fake.close();
  }
});

Deno.test("fake telegram: copyMessage answers a MessageId; replies carry reply_to_message", async () => {
  const fake = startFakeTelegram({ token: TOKEN });
  try {
    const bot = botAt(fake.apiRoot);
    const copied = await bot.api.copyMessage(42, 9001, 777);
    assert.equal(typeof copied.message_id, "number");
    const [call] = fake.callsOf("copyMessage");
    assert.deepEqual([call.body.chat_id, call.body.from_chat_id, call.body.message_id], [42, 9001, 777]);
    assert.equal(typeof call.t, "number");

    const update = messageUpdate({
      from: { id: 9001 },
      text: "/broadcast all",
      replyTo: { message_id: 777 },
    });
    assert.equal(update.message?.reply_to_message?.message_id, 777);
    assert.equal(update.message?.reply_to_message?.chat.id, 9001);
  } finally {
    await fake.close();
  }
});
