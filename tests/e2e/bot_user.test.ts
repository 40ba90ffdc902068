// User-facing commands over real HTTP + real Postgres, the Bot API faked: /start, /status, /plans,
// /paysupport, /terms, language, the webhook secret and malformed updates.
import assert from "node:assert/strict";
import { texts } from "../../functions/bot/telegram/texts.ts";
import { callbackQueryUpdate, chatMemberUpdate, messageUpdate } from "../support/fake_telegram.ts";
import {
  assertNear,
  DAY_MS,
  flakyDb,
  lastText,
  send,
  sentTexts,
  withHarness,
} from "../support/bot_helpers.ts";

const USER = 5001;
const en = texts.en;
const ru = texts.ru;

type Button = { text: string; url?: string; callback_data?: string };

Deno.test("bot /start and /status without access: welcome, no access, how to pay; user row upserted", async () => {
  await withHarness(async (h) => {
    await send(
      h,
      messageUpdate({
        from: { id: USER, first_name: "Ann", username: "ann", language_code: "en" },
        text: "/start",
      }),
    );
    assert.equal(lastText(h, USER), [en.welcome("Ann"), en.statusNone, en.howToPay].join("\n\n"));

    await send(h, messageUpdate({ from: { id: USER, first_name: "Ann" }, text: "/status" }));
    assert.equal(lastText(h, USER), en.statusNone);

    const [user] = await h
      .sql`select username, first_name, language_code from public.users where telegram_user_id = ${USER}`;
    assert.deepEqual({ ...user }, { username: "ann", first_name: "Ann", language_code: "en" });
    assert.equal(h.telegram.callsOf("getMe").length, 1, "getMe once per handler, cached");
  });
});

Deno.test("bot /status with access after a grant: until, source, auto-renewal", async () => {
  await withHarness(async (h) => {
    await h.sql`select public.grant_access(${USER}, 30, 9001, 'seed-grant')`;
    await send(h, messageUpdate({ from: { id: USER }, text: "/status" }));
    const [row] = await h.sql`select public.access_until(${USER}) as until`;
    assertNear(row.until, Date.now() + 30 * DAY_MS);
    assert.equal(
      lastText(h, USER),
      en.statusActive({ until: row.until, provider: "manual", autoRenew: false }),
    );
    assert.match(lastText(h, USER), /Manual grant/);

    // ended access: "your access ended on ..."
    // granted 40 days ago: its 30 days are over (the trigger recomputes the timeline)
    await h
      .sql`update public.subscriptions set event_at = now() - interval '40 days' where telegram_user_id = ${USER}`;
    await send(h, messageUpdate({ from: { id: USER }, text: "/status" }));
    const [after] = await h.sql`select public.access_until(${USER}) as until`;
    assert.equal(lastText(h, USER), en.statusExpired({ until: after.until }));
  });
});

Deno.test("bot /plans: one line per plan, Tribute url buttons and Stars callback buttons", async () => {
  await withHarness(async (h) => {
    await h
      .sql`update public.plans set tribute_link = 'https://t.me/tribute/app?startapp=sAbc' where code = 'month'`;
    await h.sql`insert into public.plans (code, title, duration_days, stars_price, tribute_link)
                values ('tribute_only', 'Tribute only', 60, null, 'https://web.tribute.tg/s/xyz')`;
    await h.sql`insert into public.plans (code, title, duration_days, stars_price, active)
                values ('old', 'Old plan', 7, 10, false)`;
    await send(h, messageUpdate({ from: { id: USER }, text: "/plans" }));

    const [call] = h.telegram.callsOf("sendMessage");
    const text = String(call.body.text);
    assert.ok(text.startsWith(en.plansHeader));
    assert.ok(text.includes(en.planLine({ title: "1 month", days: 30, starsPrice: 250 })));
    assert.ok(text.includes(en.planLine({ title: "Tribute only", days: 60, starsPrice: null })));
    assert.ok(!text.includes("Old plan"), "inactive plans are not offered");

    const rows = (call.body.reply_markup as { inline_keyboard: Button[][] }).inline_keyboard;
    const buttons = rows.flat();
    assert.deepEqual(buttons.filter((b) => b.url).map((b) => [b.text, b.url]), [
      [en.buttonTribute("1 month"), "https://t.me/tribute/app?startapp=sAbc"],
      [en.buttonTribute("Tribute only"), "https://web.tribute.tg/s/xyz"],
    ]);
    assert.deepEqual(buttons.filter((b) => b.callback_data).map((b) => [b.text, b.callback_data]), [
      [en.buttonStars({ title: "1 month", stars: 250 }), "buy:month"],
      [en.buttonStars({ title: "3 months", stars: 650 }), "buy:quarter"],
      [en.buttonStars({ title: "1 year", stars: 2200 }), "buy:year"],
    ]);
  });
});

Deno.test("bot /plans with no active plan says so, without a keyboard", async () => {
  await withHarness(async (h) => {
    await h.sql`update public.plans set active = false`;
    await send(h, messageUpdate({ from: { id: USER }, text: "/plans" }));
    const [call] = h.telegram.callsOf("sendMessage");
    assert.equal(call.body.text, en.plansNone);
    assert.equal(call.body.reply_markup, undefined);
  });
});

Deno.test("bot /paysupport and /terms", async () => {
  await withHarness(async (h) => {
    await send(h, messageUpdate({ from: { id: USER }, text: "/paysupport" }));
    await send(h, messageUpdate({ from: { id: USER }, text: "/terms" }));
    assert.deepEqual(sentTexts(h, USER), [en.paySupport, en.terms]);
  });
});

Deno.test("bot answers in Russian for a Russian language_code (and remembers it)", async () => {
  await withHarness(async (h) => {
    await send(
      h,
      messageUpdate({ from: { id: USER, first_name: "Аня", language_code: "ru" }, text: "/start" }),
    );
    assert.equal(lastText(h, USER), [ru.welcome("Аня"), ru.statusNone, ru.howToPay].join("\n\n"));
    await send(h, messageUpdate({ from: { id: USER, language_code: "ru-RU" }, text: "/plans" }));
    assert.ok(lastText(h, USER).startsWith(ru.plansHeader));
    await send(h, messageUpdate({ from: { id: USER, language_code: "uk" }, text: "/terms" }));
    assert.equal(lastText(h, USER), ru.terms);
    // an update without language_code: the stored language is used
    await send(h, messageUpdate({ from: { id: USER }, text: "/paysupport" }));
    assert.equal(lastText(h, USER), ru.paySupport);
  });
});

Deno.test("bot: wrong webhook secret → 401, no Bot API call, nothing written", async () => {
  await withHarness(async (h) => {
    const res = await h.postUpdate(messageUpdate({ from: { id: USER }, text: "/start" }), {
      secret: "wrong",
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    await h.settle();
    assert.equal(h.telegram.calls.length, 0);
    const [{ n }] = await h.sql`select count(*)::int as n from public.users`;
    assert.equal(n, 0);
  });
});

Deno.test("bot: malformed or uninteresting updates are acknowledged without side effects", async () => {
  await withHarness(async (h) => {
    for (const garbage of [[1, 2], { hello: "world" }, { update_id: "7" }, 42, null]) {
      await send(h, garbage);
    }
    await send(h, { update_id: 77 }); // a valid but empty update
    await send(h, messageUpdate({ from: { id: USER }, text: "just chatting" }));
    // in groups only /status and /plans are answered (bot_groups.test.ts); the rest is for private chats
    await send(h, messageUpdate({ from: { id: USER }, chatId: -100555, text: "/terms" }));
    await send(h, messageUpdate({ from: { id: USER }, chatId: -100555, text: "/status@other_bot" }));
    assert.deepEqual(h.telegram.calls.map((c) => c.method).filter((m) => m !== "getMe"), []);
    const [{ n }] = await h.sql`select count(*)::int as n from public.users`;
    assert.equal(n, 1, "only the private message registered its sender");
  });
});

Deno.test("bot: a database outage fails the update with 503 so Telegram redelivers it", async () => {
  await withHarness(
    async (h) => {
      const res = await h.postUpdate(messageUpdate({ from: { id: USER }, text: "/start" }));
      assert.equal(res.status, 503);
      await res.body?.cancel();
      assert.equal(h.telegram.callsOf("sendMessage").length, 0);
    },
    {},
    { db: flakyDb(new Set(["upsert_user"])) },
  );
});

Deno.test("bot: a Bot API 403 on a reply (user blocked the bot) is acknowledged, not retried", async () => {
  await withHarness(async (h) => {
    h.telegram.failNext("sendMessage", { status: 403 });
    await send(h, messageUpdate({ from: { id: USER }, text: "/status" }));
    assert.equal(h.telegram.callsOf("sendMessage").length, 1);
    const failed = await h.sql`select name, error from public.webhook_events
                               where source = 'telegram' and status = 'failed'`;
    assert.equal(failed.length, 1, "journaled as a failed delivery");
    assert.equal(failed[0].name, "message");
    assert.match(failed[0].error, /sendMessage: 403/);
  });
});

Deno.test("bot: a Bot API 429 on a reply is retried once after retry_after, then succeeds", async () => {
  await withHarness(async (h) => {
    h.telegram.failNext("sendMessage", { status: 429, retry_after: 1 });
    await send(h, messageUpdate({ from: { id: USER }, text: "/terms" }));
    assert.equal(h.telegram.callsOf("sendMessage").length, 2, "429 retry_after honoured once");
    assert.equal(lastText(h, USER), en.terms);
  });
});

Deno.test("bot: unknown callback data is only answered; chat_member of another chat is ignored", async () => {
  await withHarness(async (h) => {
    await send(h, callbackQueryUpdate({ from: { id: USER }, data: "something:else" }));
    await send(
      h,
      chatMemberUpdate({ chatId: -100999, user: { id: USER }, oldStatus: "left", newStatus: "member" }),
    );
    assert.deepEqual(h.telegram.calls.map((c) => c.method).filter((m) => m !== "getMe"), [
      "answerCallbackQuery",
    ]);
  });
});
