// Telegram Stars end to end: invoice from the /plans button and /buy, pre-checkout verdicts, and
// successful_payment turning into access exactly once (real Postgres, fake Bot API).
import assert from "node:assert/strict";
import { texts } from "../../functions/bot/telegram/texts.ts";
import {
  callbackQueryUpdate,
  chatMemberUpdate,
  messageUpdate,
  preCheckoutUpdate,
  successfulPaymentUpdate,
} from "../support/fake_telegram.ts";
import {
  assertNear,
  DAY_MS,
  flakyDb,
  type Harness,
  lastText,
  PAID_CHAT_ID,
  send,
  sentTexts,
  withHarness,
} from "../support/bot_helpers.ts";

const USER = 6001;
const en = texts.en;

async function precheckout(
  h: Harness,
  q: { payload: string; amount: number; currency?: string; lang?: string },
) {
  h.telegram.reset();
  await send(
    h,
    preCheckoutUpdate({
      from: { id: USER, language_code: q.lang },
      currency: q.currency ?? "XTR",
      total_amount: q.amount,
      invoice_payload: q.payload,
    }),
  );
  const calls = h.telegram.callsOf("answerPreCheckoutQuery");
  assert.equal(calls.length, 1, "every pre_checkout_query is answered exactly once");
  return calls[0].body;
}

function pay(
  opts: { charge: string; plan?: string; amount: number; payload?: string; user?: number; lang?: string },
) {
  return successfulPaymentUpdate({
    from: { id: opts.user ?? USER, language_code: opts.lang },
    currency: "XTR",
    total_amount: opts.amount,
    invoice_payload: opts.payload ?? `plan:${opts.plan}`,
    telegram_payment_charge_id: opts.charge,
    provider_payment_charge_id: "",
  });
}

Deno.test("stars: the buy:<code> button sends an XTR invoice priced from plans.stars_price, empty provider_token", async () => {
  await withHarness(async (h) => {
    await send(h, callbackQueryUpdate({ from: { id: USER }, data: "buy:quarter" }));
    assert.equal(h.telegram.callsOf("answerCallbackQuery").length, 1);
    const [invoice] = h.telegram.callsOf("sendInvoice");
    assert.ok(invoice, "sendInvoice was called");
    const b = invoice.body;
    assert.equal(Number(b.chat_id), USER);
    assert.equal(b.currency, "XTR");
    assert.deepEqual(b.prices, [{ label: en.invoiceTitle("3 months"), amount: 650 }]);
    assert.equal(b.title, en.invoiceTitle("3 months"));
    assert.equal(b.description, en.invoiceDescription({ title: "3 months", days: 90 }));
    assert.equal(b.payload, "plan:quarter");
    assert.equal(b.provider_token, "", "Stars invoices carry an empty provider_token");
  });
});

Deno.test("stars: /buy <code> sends the invoice; unknown or non-Stars plans are explained", async () => {
  await withHarness(async (h) => {
    await send(h, messageUpdate({ from: { id: USER }, text: "/buy month" }));
    const [invoice] = h.telegram.callsOf("sendInvoice");
    assert.deepEqual(invoice.body.prices, [{ label: "1 month", amount: 250 }]);

    await send(h, messageUpdate({ from: { id: USER }, text: "/buy nope" }));
    assert.equal(lastText(h, USER), en.precheckoutUnknownPlan);

    await h.sql`insert into public.plans (code, title, duration_days, stars_price, tribute_link)
                values ('tribute_only', 'Tribute only', 30, null, 'https://web.tribute.tg/s/x')`;
    await send(h, callbackQueryUpdate({ from: { id: USER }, data: "buy:tribute_only" }));
    const [answer] = h.telegram.callsOf("answerCallbackQuery");
    assert.equal(answer.body.text, en.precheckoutInactivePlan);
    assert.equal(answer.body.show_alert, true);
    assert.equal(h.telegram.callsOf("sendInvoice").length, 1, "no invoice for a plan not sold for Stars");

    await send(h, messageUpdate({ from: { id: USER }, text: "/buy" }));
    assert.ok(lastText(h, USER).startsWith(en.plansHeader), "/buy without a code shows the plans");
  });
});

Deno.test("stars: pre_checkout_query is accepted for a valid plan, price and currency", async () => {
  await withHarness(async (h) => {
    const body = await precheckout(h, { payload: "plan:month", amount: 250 });
    assert.equal(body.ok, true);
    assert.equal(body.error_message, undefined);
    // JSON payloads naming the plan are understood too
    assert.equal((await precheckout(h, { payload: '{"plan":"year"}', amount: 2200 })).ok, true);
  });
});

Deno.test("stars: pre_checkout_query is declined with a reason: unknown, inactive, wrong amount, wrong currency", async () => {
  await withHarness(async (h) => {
    assert.deepEqual(await precheckout(h, { payload: "plan:nope", amount: 250 }), {
      pre_checkout_query_id: h.telegram.calls.at(-1)!.body.pre_checkout_query_id,
      ok: false,
      error_message: en.precheckoutUnknownPlan,
    });
    const garbage = await precheckout(h, { payload: "garbage", amount: 250 });
    assert.equal(garbage.ok, false);
    assert.equal(garbage.error_message, en.precheckoutUnknownPlan);

    const wrongAmount = await precheckout(h, { payload: "plan:month", amount: 1 });
    assert.equal(wrongAmount.ok, false);
    assert.equal(wrongAmount.error_message, en.precheckoutAmountMismatch);

    const wrongCurrency = await precheckout(h, { payload: "plan:month", amount: 250, currency: "USD" });
    assert.equal(wrongCurrency.ok, false);
    assert.equal(wrongCurrency.error_message, en.precheckoutAmountMismatch);

    await h.sql`update public.plans set active = false where code = 'month'`;
    const inactive = await precheckout(h, { payload: "plan:month", amount: 250 });
    assert.equal(inactive.ok, false);
    assert.equal(inactive.error_message, en.precheckoutInactivePlan);

    const ruInactive = await precheckout(h, { payload: "plan:month", amount: 250, lang: "ru" });
    assert.equal(ruInactive.error_message, texts.ru.precheckoutInactivePlan);
  });
});

Deno.test("stars: pre_checkout_query during a database outage is declined at once, then the update fails (5xx)", async () => {
  await withHarness(
    async (h) => {
      const res = await h.postUpdate(
        preCheckoutUpdate({
          from: { id: USER },
          currency: "XTR",
          total_amount: 250,
          invoice_payload: "plan:month",
        }),
      );
      assert.equal(res.status, 503);
      await res.body?.cancel();
      const [answer] = h.telegram.callsOf("answerPreCheckoutQuery");
      assert.equal(answer.body.ok, false);
      assert.equal(answer.body.error_message, en.precheckoutUnavailable);
    },
    {},
    { db: flakyDb(new Set(["stars_checkout_verdict"])) },
  );
});

Deno.test("stars: successful_payment grants duration_days, stores the charge id, thanks with the date", async () => {
  await withHarness(async (h) => {
    await send(h, pay({ charge: "ch_month_1", plan: "month", amount: 250 }));

    const payments = await h.sql`select provider, kind, amount, currency, status, plan_code, telegram_user_id,
                                        telegram_payment_charge_id, subscription_id from public.payments`;
    assert.equal(payments.length, 1);
    const p = payments[0];
    assert.deepEqual(
      [p.provider, p.kind, Number(p.amount), p.currency, p.status, p.plan_code, Number(p.telegram_user_id)],
      ["telegram_stars", "purchase", 250, "XTR", "paid", "month", USER],
    );
    assert.equal(p.telegram_payment_charge_id, "ch_month_1");

    const subs = await h
      .sql`select provider, status, external_id, plan_code, expires_at - starts_at as length,
                                    expires_at from public.subscriptions where telegram_user_id = ${USER}`;
    assert.equal(subs.length, 1);
    assert.equal(subs[0].provider, "telegram_stars");
    assert.equal(subs[0].status, "active");
    assert.equal(subs[0].external_id, "ch_month_1");
    assert.equal(subs[0].plan_code, "month");
    assert.equal(String(subs[0].length), "30 days", "exactly plans.duration_days");
    assertNear(subs[0].expires_at, Date.now() + 30 * DAY_MS);

    const [{ until, has }] = await h
      .sql`select public.access_until(${USER}) as until, public.has_access(${USER}) as has`;
    assert.equal(has, true);
    assertNear(until, Date.now() + 30 * DAY_MS);
    assert.deepEqual(sentTexts(h, USER).filter((t) => t.startsWith("Thank you")), [
      en.paymentThanks({ until }),
    ]);

    // access begins: the database queued the invite for the outbox
    const invites = await h
      .sql`select kind from public.outbox where telegram_user_id = ${USER} and kind = 'invite'`;
    assert.equal(invites.length, 1);
  });
});

Deno.test("stars: a redelivered successful_payment grants once and thanks once", async () => {
  await withHarness(async (h) => {
    const update = pay({ charge: "ch_dup", plan: "quarter", amount: 650 });
    await send(h, update);
    const [first] = await h.sql`select public.access_until(${USER}) as until`;
    await send(h, update); // the very same update again
    await send(h, pay({ charge: "ch_dup", plan: "quarter", amount: 650 })); // a new update id, same charge
    const [again] = await h.sql`select public.access_until(${USER}) as until`;
    assert.equal(new Date(again.until).getTime(), new Date(first.until).getTime());
    const [{ n }] = await h
      .sql`select count(*)::int as n from public.payments where telegram_payment_charge_id = 'ch_dup'`;
    assert.equal(n, 1);
    const [{ s }] = await h
      .sql`select count(*)::int as s from public.subscriptions where telegram_user_id = ${USER}`;
    assert.equal(s, 1);
    assert.equal(sentTexts(h, USER).filter((t) => t === en.paymentThanks({ until: first.until })).length, 1);
  });
});

Deno.test("stars: two different payments stack (30 + 90 days)", async () => {
  await withHarness(async (h) => {
    await send(h, pay({ charge: "ch_a", plan: "month", amount: 250 }));
    await send(h, pay({ charge: "ch_b", plan: "quarter", amount: 650, lang: "ru" }));
    const [{ until }] = await h.sql`select public.access_until(${USER}) as until`;
    assertNear(until, Date.now() + 120 * DAY_MS);
    const subs = await h.sql`select external_id, starts_at, expires_at from public.subscriptions
                             where telegram_user_id = ${USER} order by id`;
    assert.equal(subs.length, 2);
    assert.equal(new Date(subs[1].starts_at).getTime(), new Date(subs[0].expires_at).getTime());
    const [{ n }] = await h.sql`select count(*)::int as n from public.payments where status = 'paid'`;
    assert.equal(n, 2);
    assert.equal(lastText(h, USER), texts.ru.paymentThanks({ until }), "second thanks in Russian, new date");
  });
});

Deno.test("stars: a payment naming no known plan is stored as unmatched and the user is pointed to support", async () => {
  await withHarness(async (h) => {
    await send(h, pay({ charge: "ch_x", payload: "plan:vanished", amount: 100 }));
    const [p] = await h
      .sql`select status, plan_code from public.payments where telegram_payment_charge_id = 'ch_x'`;
    assert.equal(p.status, "unmatched");
    const [{ has }] = await h.sql`select public.has_access(${USER}) as has`;
    assert.equal(has, false);
    assert.equal(lastText(h, USER), en.paymentUnmatched);
  });
});

Deno.test("stars: a database outage on successful_payment answers 503; the redelivery grants once", async () => {
  const failing = new Set<"apply_star_payment">(["apply_star_payment"]);
  await withHarness(
    async (h) => {
      const update = pay({ charge: "ch_retry", plan: "month", amount: 250 });
      const res = await h.postUpdate(update);
      assert.equal(res.status, 503);
      await res.body?.cancel();
      const [{ n }] = await h.sql`select count(*)::int as n from public.payments`;
      assert.equal(n, 0);

      failing.clear(); // the database is back; Telegram redelivers
      await send(h, update);
      const [{ m }] = await h.sql`select count(*)::int as m from public.payments`;
      assert.equal(m, 1);
      const [{ has }] = await h.sql`select public.has_access(${USER}) as has`;
      assert.equal(has, true);
      assert.equal(sentTexts(h, USER).filter((t) => t.startsWith("Thank you")).length, 1);
    },
    {},
    { db: flakyDb(failing) },
  );
});

Deno.test("stars: the whole journey — /plans button, invoice, pre-checkout, payment, one-use invite, joining", async () => {
  await withHarness(async (h) => {
    const user = { id: 6100, first_name: "Kim", language_code: "en" };
    await send(h, messageUpdate({ from: user, text: "/plans" }));
    const [plans] = h.telegram.callsOf("sendMessage");
    const stars = (plans.body.reply_markup as { inline_keyboard: Array<Array<{ callback_data?: string }>> })
      .inline_keyboard.flat().find((b) => b.callback_data === "buy:month");
    assert.ok(stars);

    await send(h, callbackQueryUpdate({ from: user, data: stars.callback_data! }));
    const [invoice] = h.telegram.callsOf("sendInvoice");
    const payload = String(invoice.body.payload);
    const amount = (invoice.body.prices as Array<{ amount: number }>)[0].amount;

    await send(
      h,
      preCheckoutUpdate({ from: user, currency: "XTR", total_amount: amount, invoice_payload: payload }),
    );
    assert.equal(h.telegram.callsOf("answerPreCheckoutQuery")[0].body.ok, true);

    await send(
      h,
      successfulPaymentUpdate({
        from: user,
        currency: "XTR",
        total_amount: amount,
        invoice_payload: payload,
        telegram_payment_charge_id: "ch_journey",
      }),
    );
    // the outbox row queued by apply_star_payment is delivered right after the request
    const [link] = h.telegram.callsOf("createChatInviteLink");
    assert.ok(link, "an invite link was created");
    assert.equal(Number(link.body.chat_id), PAID_CHAT_ID);
    assert.equal(Number(link.body.member_limit), 1);
    assert.ok(Number(link.body.expire_date) > Date.now() / 1000);
    assert.ok(
      sentTexts(h, user.id).some((t) => t.includes("https://t.me/+fake")),
      "the invite link was sent",
    );

    await send(h, chatMemberUpdate({ chatId: PAID_CHAT_ID, user, oldStatus: "left", newStatus: "member" }));
    assert.equal(h.telegram.callsOf("banChatMember").length, 0, "a paying member stays");
  });
});
