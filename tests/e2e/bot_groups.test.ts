// Commands in groups: /status (plain or @bot) answers in private with a pointer in the group, or asks
// the user to open the bot when Telegram will not let it write to them; /plans shows Tribute links and
// Stars buttons that open the private chat, where `/start buy_<code>` sends the invoice.
import assert from "node:assert/strict";
import { texts } from "../../functions/bot/telegram/texts.ts";
import { messageUpdate } from "../support/fake_telegram.ts";
import { ADMIN_ID, lastText, send, sentTexts, withHarness } from "../support/bot_helpers.ts";
import { replyUpdate } from "../support/relay_helpers.ts";

const en = texts.en;
const ru = texts.ru;
const GROUP = -1005550001; // a supergroup
const USER = 4001;

type Button = { text: string; url?: string; callback_data?: string };

Deno.test("groups: /status@bot answers in private and points there in the group (en, ru)", async () => {
  await withHarness(async (h) => {
    await h.sql`select public.grant_access(${USER}, 30, ${ADMIN_ID}, 'seed')`;
    const [{ until }] = await h.sql`select public.access_until(${USER}) as until`;
    const command = messageUpdate({
      from: { id: USER, first_name: "Ann", language_code: "en" },
      chatId: GROUP,
      text: "/status@test_bot",
    });
    await send(h, command);

    assert.deepEqual(sentTexts(h, USER), [en.statusActive({ until, provider: "manual", autoRenew: false })]);
    const [pointer] = h.telegram.callsOf("sendMessage").filter((c) => Number(c.body.chat_id) === GROUP);
    assert.equal(pointer.body.text, en.groupStatusSent({ name: "Ann" }));
    assert.equal(pointer.body.text, "Ann, I've sent you your status in a private message.");
    assert.equal(
      (pointer.body.reply_parameters as { message_id: number }).message_id,
      command.message!.message_id,
      "the pointer answers the command message",
    );
    assert.ok(!String(pointer.body.text).includes("UTC"), "nothing about the user's payments in the group");

    // Russian, and a plain /status where the bot sees it
    h.telegram.reset();
    await send(
      h,
      messageUpdate({
        from: { id: USER, first_name: "Аня", language_code: "ru" },
        chatId: GROUP,
        text: "/status",
      }),
    );
    assert.deepEqual(sentTexts(h, USER), [ru.statusActive({ until, provider: "manual", autoRenew: false })]);
    assert.deepEqual(sentTexts(h, GROUP), ["Аня, я отправил ваш статус в личные сообщения."]);

    // addressed to another bot: not ours to answer
    h.telegram.reset();
    await send(h, messageUpdate({ from: { id: USER }, chatId: GROUP, text: "/status@other_bot" }));
    // an anonymous group admin (GroupAnonymousBot) has no status of its own
    await send(
      h,
      messageUpdate({
        from: { id: 1087968824, is_bot: true, first_name: "Group" },
        chatId: GROUP,
        text: "/status@test_bot",
      }),
    );
    assert.equal(h.telegram.callsOf("sendMessage").length, 0);
    const [{ n }] = await h.sql`select count(*)::int as n from public.users where telegram_user_id = ${USER}
                                and language_code is not null`;
    assert.equal(n, 0, "group commands do not register or change the user");
  });
});

Deno.test("groups: someone who never started the bot (403) is asked in the group to open it (en, ru)", async () => {
  await withHarness(async (h) => {
    h.telegram.failNext("sendMessage", {
      status: 403,
      description: "Forbidden: bot can't initiate conversation with a user",
    });
    await send(
      h,
      messageUpdate({
        from: { id: USER, first_name: "Bob", language_code: "en" },
        chatId: GROUP,
        text: "/status",
      }),
    );
    const [tried, group] = h.telegram.callsOf("sendMessage");
    assert.equal(Number(tried.body.chat_id), USER, "the private answer was tried first");
    assert.equal(Number(group.body.chat_id), GROUP);
    assert.equal(group.body.text, en.groupOpenBot({ name: "Bob", bot: "test_bot" }));
    assert.match(String(group.body.text), /open @test_bot, press Start/);
    assert.deepEqual((group.body.reply_markup as { inline_keyboard: Button[][] }).inline_keyboard, [
      [{ text: en.buttonOpenBot, url: "https://t.me/test_bot" }],
    ]);

    h.telegram.reset();
    h.telegram.failNext("sendMessage", { status: 400, description: "Bad Request: chat not found" });
    await send(
      h,
      messageUpdate({
        from: { id: USER, first_name: "Боб", language_code: "ru" },
        chatId: GROUP,
        text: "/status@test_bot",
      }),
    );
    assert.equal(lastText(h, GROUP), ru.groupOpenBot({ name: "Боб", bot: "test_bot" }));
  });
});

Deno.test("groups: an admin's override of the group pointer is used there", async () => {
  await withHarness(async (h) => {
    await send(
      h,
      replyUpdate({ id: ADMIN_ID, language_code: "en" }, "/text group_status_sent", {
        message_id: 1,
        text: "📬 {name}, check your DMs.",
      }),
    );
    await send(
      h,
      messageUpdate({
        from: { id: USER, first_name: "Ann", language_code: "en" },
        chatId: GROUP,
        text: "/status",
      }),
    );
    assert.equal(lastText(h, GROUP), "📬 Ann, check your DMs.");
  });
});

Deno.test("groups: /plans@bot shows Tribute links and Stars buttons that open the private chat", async () => {
  await withHarness(async (h) => {
    await h
      .sql`update public.plans set tribute_link = 'https://t.me/tribute/app?startapp=sAbc' where code = 'month'`;
    for (const [lang, t] of [["en", en], ["ru", ru]] as const) {
      h.telegram.reset();
      await send(
        h,
        messageUpdate({ from: { id: USER, language_code: lang }, chatId: GROUP, text: "/plans@test_bot" }),
      );
      const [call] = h.telegram.callsOf("sendMessage");
      assert.equal(Number(call.body.chat_id), GROUP, "answered in the group");
      assert.ok(String(call.body.text).startsWith(t.plansHeader));
      const buttons = (call.body.reply_markup as { inline_keyboard: Button[][] }).inline_keyboard.flat();
      assert.deepEqual(buttons.map((b) => [b.text, b.url]), [
        [t.buttonTribute("1 month"), "https://t.me/tribute/app?startapp=sAbc"],
        [t.buttonStars({ title: "1 month", stars: 250 }), "https://t.me/test_bot?start=buy_month"],
        [t.buttonStars({ title: "3 months", stars: 650 }), "https://t.me/test_bot?start=buy_quarter"],
        [t.buttonStars({ title: "1 year", stars: 2200 }), "https://t.me/test_bot?start=buy_year"],
      ]);
      assert.ok(buttons.every((b) => b.callback_data === undefined), "no invoice is sent into the group");
      assert.equal(h.telegram.callsOf("sendInvoice").length, 0);
    }
  });
});

Deno.test("groups: /start buy_<code> in private sends that plan's Stars invoice; an unknown plan is refused (en, ru)", async () => {
  await withHarness(async (h) => {
    await send(h, messageUpdate({ from: { id: USER, language_code: "en" }, text: "/start buy_quarter" }));
    const [invoice] = h.telegram.callsOf("sendInvoice");
    assert.equal(Number(invoice.body.chat_id), USER);
    assert.equal(invoice.body.currency, "XTR");
    assert.equal(invoice.body.provider_token, "");
    assert.equal(invoice.body.payload, "plan:quarter");
    assert.deepEqual(invoice.body.prices, [{ label: "3 months", amount: 650 }]);
    assert.equal(h.telegram.callsOf("sendMessage").length, 0, "the invoice instead of the welcome");

    await send(h, messageUpdate({ from: { id: USER, language_code: "en" }, text: "/start buy_gone" }));
    assert.equal(lastText(h, USER), en.precheckoutUnknownPlan);
    await send(h, messageUpdate({ from: { id: USER, language_code: "ru" }, text: "/start buy_gone" }));
    assert.equal(lastText(h, USER), ru.precheckoutUnknownPlan);
    assert.equal(h.telegram.callsOf("sendInvoice").length, 1);
  });
});
