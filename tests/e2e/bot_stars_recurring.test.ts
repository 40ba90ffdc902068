// Recurring Telegram Star subscriptions end to end (real handler, real Postgres, fake Bot API): the
// invoice link with subscription_period, the first charge opening a window of the timeline (+ invite),
// renewals moving its end, /cancel and /resume through editUserStarSubscription, an admin /refund of a
// renewal taking its period back, redelivered and out-of-order charges, in English and Russian.
import assert from "node:assert/strict";
import { STARS_SUBSCRIPTION_PERIOD } from "../../functions/bot/telegram/payments.ts";
import { texts } from "../../functions/bot/telegram/texts.ts";
import {
  callbackQueryUpdate,
  messageUpdate,
  preCheckoutUpdate,
  successfulPaymentUpdate,
} from "../support/fake_telegram.ts";
import {
  ADMIN_ID,
  assertNear,
  DAY_MS,
  type Harness,
  lastText,
  PAID_CHAT_ID,
  send,
  sentTexts,
  withHarness,
} from "../support/bot_helpers.ts";
import { initDataFor } from "../support/miniapp.ts";

const USER = 6501;
const en = texts.en;
const ru = texts.ru;
const nowSec = () => Math.floor(Date.now() / 1000);

/** `month` (250 Stars) and, when asked, `quarter` (650) are sold as Stars subscriptions. */
async function recurringPlans(h: Harness, codes = ["month"]) {
  await h.sql`update public.plans set stars_recurring = true where code = any(${codes})`;
}

/** A charge of a recurring subscription: paid `date` (default now), paying until `expires` (Unix s). */
function charge(
  opts: {
    charge: string;
    expires: number;
    first?: boolean;
    plan?: string;
    amount?: number;
    user?: number;
    lang?: string;
    date?: number;
  },
) {
  return successfulPaymentUpdate({
    from: { id: opts.user ?? USER, language_code: opts.lang ?? "en" },
    currency: "XTR",
    total_amount: opts.amount ?? 250,
    invoice_payload: `plan:${opts.plan ?? "month"}`,
    telegram_payment_charge_id: opts.charge,
    subscription_expiration_date: opts.expires,
    is_first_recurring: opts.first ?? false,
    date: opts.date,
  });
}

const text = (h: Harness, t: string, lang = "en", user = USER) =>
  send(h, messageUpdate({ from: { id: user, language_code: lang }, text: t }));

async function accessUntil(h: Harness, user = USER): Promise<Date> {
  const [{ until }] = await h.sql`select public.access_until(${user}) as until`;
  return until;
}

async function hasAccess(h: Harness, user = USER): Promise<boolean> {
  const [{ has }] = await h.sql`select public.has_access(${user}) as has`;
  return has;
}

Deno.test("stars recurring: /buy and the /plans button send an invoice link with subscription_period, not an invoice", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    await text(h, "/plans");
    assert.ok(
      lastText(h, USER).includes(
        en.planLine({ title: "1 month", days: 30, starsPrice: 250, recurring: true }),
      ),
      "the plan line says it renews",
    );
    assert.match(lastText(h, USER), /every 30 days/);

    h.telegram.reset();
    await text(h, "/buy month");
    assert.equal(h.telegram.callsOf("sendInvoice").length, 0, "Telegram sells subscriptions by link only");
    const [link] = h.telegram.callsOf("createInvoiceLink");
    assert.ok(link, "createInvoiceLink was called");
    const b = link.body;
    assert.equal(b.subscription_period, 2592000);
    assert.equal(STARS_SUBSCRIPTION_PERIOD, 2592000);
    assert.equal(b.currency, "XTR");
    assert.equal(b.provider_token, "");
    assert.equal(b.payload, "plan:month");
    assert.deepEqual(b.prices, [{ label: "1 month", amount: 250 }]);
    assert.equal(b.title, en.invoiceTitle("1 month"));
    assert.equal(b.description, en.invoiceDescriptionRecurring({ title: "1 month" }));

    const [offer] = h.telegram.callsOf("sendMessage");
    assert.equal(Number(offer.body.chat_id), USER);
    assert.equal(offer.body.text, en.subscriptionOffer({ title: "1 month", stars: 250 }));
    const buttons =
      (offer.body.reply_markup as { inline_keyboard: Array<Array<{ text: string; url?: string }>> })
        .inline_keyboard.flat();
    assert.deepEqual(buttons, [{
      text: en.buttonSubscribe({ title: "1 month", stars: 250 }),
      url: "https://t.me/$fakeinvoice1",
    }]);

    // the Stars button under /plans (callback) does the same; a one-off plan still gets sendInvoice
    h.telegram.reset();
    await send(h, callbackQueryUpdate({ from: { id: USER, language_code: "ru" }, data: "buy:month" }));
    const [ruLink] = h.telegram.callsOf("createInvoiceLink");
    assert.equal(ruLink.body.subscription_period, 2592000);
    assert.equal(ruLink.body.description, ru.invoiceDescriptionRecurring({ title: "1 month" }));
    assert.equal(lastText(h, USER), ru.subscriptionOffer({ title: "1 month", stars: 250 }));
    await send(h, callbackQueryUpdate({ from: { id: USER }, data: "buy:quarter" }));
    const [invoice] = h.telegram.callsOf("sendInvoice");
    assert.equal(invoice.body.payload, "plan:quarter");
    assert.equal(invoice.body.subscription_period, undefined);

    // pre_checkout works as for one-off invoices
    h.telegram.reset();
    await send(
      h,
      preCheckoutUpdate({
        from: { id: USER },
        currency: "XTR",
        total_amount: 250,
        invoice_payload: "plan:month",
      }),
    );
    assert.equal(h.telegram.callsOf("answerPreCheckoutQuery")[0].body.ok, true);
  });
});

Deno.test("stars recurring: the Mini App's invoice action passes subscription_period for a recurring plan", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    const headers = {
      "content-type": "application/json",
      "X-Telegram-Init-Data": await initDataFor({ id: USER, language_code: "ru" }),
    };
    for (const [plan, period] of [["month", 2592000], ["quarter", undefined]] as const) {
      const res = await fetch(`${h.url}/app`, {
        method: "POST",
        headers,
        body: JSON.stringify({ action: "invoice", plan }),
      });
      assert.equal(res.status, 200);
      assert.match((await res.json()).invoice_link, /^https:\/\/t\.me\//);
      const call = h.telegram.callsOf("createInvoiceLink").at(-1)!;
      assert.equal(call.body.subscription_period, period, plan);
      assert.equal(call.body.payload, `plan:${plan}`);
    }
    assert.equal(
      h.telegram.callsOf("createInvoiceLink")[0].body.description,
      ru.invoiceDescriptionRecurring({ title: "1 month" }),
    );
  });
});

Deno.test("stars recurring: first charge opens a window + invite; a renewal moves the end; /status says it renews", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    const exp1 = nowSec() + 30 * 86400;
    await send(h, charge({ charge: "ch_r1", expires: exp1, first: true }));

    const subs = await h
      .sql`select provider, kind, status, auto_renew, external_id, plan_code, starts_at, expires_at,
                                    duration from public.subscriptions where telegram_user_id = ${USER}`;
    assert.equal(subs.length, 1);
    const s = subs[0];
    assert.deepEqual(
      [s.provider, s.kind, s.status, s.auto_renew, s.external_id, s.plan_code, s.duration],
      ["telegram_stars", "subscription", "active", true, "ch_r1", "month", null],
    );
    assertNear(s.starts_at, Date.now(), 5_000);
    assert.equal(new Date(s.expires_at).getTime(), exp1 * 1000, "until subscription_expiration_date");
    assert.equal((await accessUntil(h)).getTime(), exp1 * 1000);
    assert.equal(await hasAccess(h), true);
    const [p] = await h.sql`select kind, status, amount, currency from public.payments
                            where telegram_payment_charge_id = 'ch_r1'`;
    assert.deepEqual([p.kind, p.status, Number(p.amount), p.currency], ["purchase", "paid", 250, "XTR"]);
    assert.ok(sentTexts(h, USER).includes(en.subscriptionThanks({ until: new Date(exp1 * 1000) })));
    // access began: the one-use invite
    const [invite] = h.telegram.callsOf("createChatInviteLink");
    assert.ok(invite, "an invite link was created");
    assert.equal(Number(invite.body.chat_id), PAID_CHAT_ID);
    assert.equal(Number(invite.body.member_limit), 1);

    await text(h, "/status");
    assert.equal(lastText(h, USER), en.statusStarsRenewing({ until: new Date(exp1 * 1000) }));

    // the renewal: a new charge id, the end moves to its subscription_expiration_date
    const exp2 = exp1 + 30 * 86400;
    await send(h, charge({ charge: "ch_r2", expires: exp2 }));
    assert.equal((await accessUntil(h)).getTime(), exp2 * 1000);
    assert.equal(lastText(h, USER), en.subscriptionRenewedThanks({ until: new Date(exp2 * 1000) }));
    assert.equal(h.telegram.callsOf("createChatInviteLink").length, 1, "no second invite");
    const [{ n }] = await h.sql`select count(*)::int as n from public.subscriptions
                                where telegram_user_id = ${USER} and kind = 'subscription'`;
    assert.equal(n, 2, "one window per charge");
  });
});

Deno.test("stars recurring: /cancel stops the renewal at Telegram and keeps access; /resume turns it back on", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    const exp1 = nowSec() + 30 * 86400;
    const exp2 = exp1 + 30 * 86400;
    await send(h, charge({ charge: "ch_c1", expires: exp1, first: true }));
    await send(h, charge({ charge: "ch_c2", expires: exp2 }));
    const until = new Date(exp2 * 1000);

    h.telegram.reset();
    await text(h, "/cancel");
    const [edit] = h.telegram.callsOf("editUserStarSubscription");
    assert.ok(edit, "editUserStarSubscription was called");
    assert.deepEqual(
      [Number(edit.body.user_id), edit.body.telegram_payment_charge_id, edit.body.is_canceled],
      [USER, "ch_c2", true],
      "the latest charge of the subscription",
    );
    assert.equal(lastText(h, USER), en.starsSubscriptionCancelled({ until }));
    assert.equal(await hasAccess(h), true, "access stays until the paid end");
    assert.equal((await accessUntil(h)).getTime(), exp2 * 1000);
    const rows = await h
      .sql`select status, auto_renew from public.subscriptions where telegram_user_id = ${USER}`;
    assert.ok(rows.every((r) => r.auto_renew === false && r.status === "cancelled"), JSON.stringify(rows));

    await text(h, "/status");
    assert.equal(lastText(h, USER), en.statusStarsCancelled({ until }));
    assert.match(lastText(h, USER), /renewal cancelled, access until|renewal cancelled: access until/);

    // a charge made before the cancel but delivered after it does not turn renewal back on
    await send(h, charge({ charge: "ch_c0", expires: exp1, date: nowSec() - 60 }));
    const [late] = await h
      .sql`select auto_renew, status from public.subscriptions where external_id = 'ch_c0'`;
    assert.deepEqual([late.auto_renew, late.status], [false, "active"]);
    await text(h, "/status");
    assert.equal(lastText(h, USER), en.statusStarsCancelled({ until }));

    // a repeated /cancel answers the same and calls Telegram no more
    await text(h, "/cancel");
    assert.equal(h.telegram.callsOf("editUserStarSubscription").length, 1);
    assert.equal(lastText(h, USER), en.starsSubscriptionCancelled({ until }));

    await text(h, "/resume");
    const edits = h.telegram.callsOf("editUserStarSubscription");
    assert.equal(edits.length, 2);
    assert.deepEqual(
      [Number(edits[1].body.user_id), edits[1].body.telegram_payment_charge_id, edits[1].body.is_canceled],
      [USER, "ch_c2", false],
    );
    assert.equal(lastText(h, USER), en.starsSubscriptionResumed({ until }));
    await text(h, "/status");
    assert.equal(lastText(h, USER), en.statusStarsRenewing({ until }));
    const after = await h.sql`select auto_renew from public.subscriptions where telegram_user_id = ${USER}`;
    assert.ok(after.every((r) => r.auto_renew === true));

    // /resume again: nothing to do at Telegram
    await text(h, "/resume");
    assert.equal(h.telegram.callsOf("editUserStarSubscription").length, 2);
  });
});

Deno.test("stars recurring (ru): offer, thanks, /cancel, /status and /resume in Russian", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    await text(h, "/buy month", "ru");
    assert.equal(lastText(h, USER), ru.subscriptionOffer({ title: "1 month", stars: 250 }));
    const exp = nowSec() + 30 * 86400;
    const until = new Date(exp * 1000);
    await send(h, charge({ charge: "ch_ru1", expires: exp, first: true, lang: "ru" }));
    assert.ok(sentTexts(h, USER).includes(ru.subscriptionThanks({ until })));
    await text(h, "/status", "ru");
    assert.equal(lastText(h, USER), ru.statusStarsRenewing({ until }));
    await text(h, "/cancel", "ru");
    assert.equal(h.telegram.callsOf("editUserStarSubscription")[0].body.is_canceled, true);
    assert.equal(lastText(h, USER), ru.starsSubscriptionCancelled({ until }));
    await text(h, "/status", "ru");
    assert.equal(lastText(h, USER), ru.statusStarsCancelled({ until }));
    assert.match(lastText(h, USER), /продление отменено/);
    await text(h, "/resume", "ru");
    assert.equal(lastText(h, USER), ru.starsSubscriptionResumed({ until }));
    const exp2 = exp + 30 * 86400;
    await send(h, charge({ charge: "ch_ru2", expires: exp2, lang: "ru" }));
    assert.equal(lastText(h, USER), ru.subscriptionRenewedThanks({ until: new Date(exp2 * 1000) }));
  });
});

Deno.test("stars recurring: /cancel with none, with several (/cancel <plan>), and a refusal by Telegram", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h, ["month", "quarter"]);
    await text(h, "/cancel");
    assert.equal(lastText(h, USER), en.starsSubscriptionNone);
    await text(h, "/resume", "ru");
    assert.equal(lastText(h, USER), ru.starsSubscriptionNone);
    // a one-off Stars payment is no subscription
    await send(
      h,
      successfulPaymentUpdate({
        from: { id: USER },
        currency: "XTR",
        total_amount: 2200,
        invoice_payload: "plan:year",
        telegram_payment_charge_id: "ch_once",
      }),
    );
    await text(h, "/cancel");
    assert.equal(lastText(h, USER), en.starsSubscriptionNone);

    const exp = nowSec() + 30 * 86400;
    await send(h, charge({ charge: "ch_m", expires: exp, first: true }));
    await send(h, charge({ charge: "ch_q", expires: exp, first: true, plan: "quarter", amount: 650 }));
    h.telegram.reset();
    await text(h, "/cancel");
    assert.equal(
      lastText(h, USER),
      en.starsSubscriptionChoose({ command: "cancel", plans: ["month", "quarter"] }),
    );
    await text(h, "/cancel nope");
    assert.equal(
      lastText(h, USER),
      en.starsSubscriptionChoose({ command: "cancel", plans: ["month", "quarter"] }),
    );
    assert.equal(h.telegram.callsOf("editUserStarSubscription").length, 0);

    await text(h, "/cancel quarter");
    const [edit] = h.telegram.callsOf("editUserStarSubscription");
    assert.equal(edit.body.telegram_payment_charge_id, "ch_q");
    const rows = await h.sql`select plan_code, auto_renew from public.subscriptions
                             where telegram_user_id = ${USER} and kind = 'subscription' order by plan_code`;
    assert.deepEqual(rows.map((r) => [r.plan_code, r.auto_renew]), [["month", true], ["quarter", false]]);

    // Telegram refuses (e.g. the subscription already ended at its side): said so, nothing recorded
    h.telegram.failNext("editUserStarSubscription", {
      status: 400,
      description: "Bad Request: SUBSCRIPTION_EXPIRED",
    });
    await text(h, "/cancel month");
    assert.equal(lastText(h, USER), en.starsSubscriptionFailed);
    const [m] = await h.sql`select auto_renew from public.subscriptions where external_id = 'ch_m'`;
    assert.equal(m.auto_renew, true);

    // Telegram busy (429 beyond the one short retry): 5xx so the update is redelivered; the redelivery
    // completes it
    h.telegram.failNext("editUserStarSubscription", { status: 429, retry_after: 0 }, 2);
    const update = messageUpdate({ from: { id: USER }, text: "/cancel month" });
    const res = await h.postUpdate(update);
    assert.ok(res.status >= 500, `answered ${res.status}`);
    await res.body?.cancel();
    const [still] = await h.sql`select auto_renew from public.subscriptions where external_id = 'ch_m'`;
    assert.equal(still.auto_renew, true);
    await send(h, update);
    const [done] = await h.sql`select auto_renew from public.subscriptions where external_id = 'ch_m'`;
    assert.equal(done.auto_renew, false);
    // the one-off year is banked after the subscriptions: access lasts until its end
    assertNear(await accessUntil(h), exp * 1000 + 365 * DAY_MS);
    assert.equal(lastText(h, USER), en.starsSubscriptionCancelled({ until: await accessUntil(h) }));
  });
});

Deno.test("stars recurring: an admin /refund of a renewal charge refunds it and takes that period back", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    const exp1 = nowSec() + 30 * 86400;
    const exp2 = exp1 + 30 * 86400;
    await send(h, charge({ charge: "ch_f1", expires: exp1, first: true }));
    await send(h, charge({ charge: "ch_f2", expires: exp2 }));
    assert.equal((await accessUntil(h)).getTime(), exp2 * 1000);

    h.telegram.reset();
    await send(h, messageUpdate({ from: { id: ADMIN_ID }, text: "/refund ch_f2" }));
    const [refund] = h.telegram.callsOf("refundStarPayment");
    assert.ok(refund, "refundStarPayment was called");
    assert.deepEqual([Number(refund.body.user_id), refund.body.telegram_payment_charge_id], [USER, "ch_f2"]);
    assert.equal(lastText(h, ADMIN_ID), en.adminRefunded({ chargeId: "ch_f2", userId: USER }));
    assert.equal((await accessUntil(h)).getTime(), exp1 * 1000, "the renewal's period is taken back");
    assert.equal(await hasAccess(h), true, "the first period still runs");
    const [p] = await h.sql`select status from public.payments where telegram_payment_charge_id = 'ch_f2'`;
    assert.equal(p.status, "refunded");
    // the member is told the new end
    assert.ok(sentTexts(h, USER).includes(en.shortened({ until: new Date(exp1 * 1000) })));

    // /cancel now names the latest charge not refunded
    await text(h, "/cancel");
    assert.equal(h.telegram.callsOf("editUserStarSubscription")[0].body.telegram_payment_charge_id, "ch_f1");
    await text(h, "/status");
    assert.equal(lastText(h, USER), en.statusStarsCancelled({ until: new Date(exp1 * 1000) }));
  });
});

Deno.test("stars recurring: a redelivered charge counts once; renewal before the first charge gives the same timeline", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    const exp1 = nowSec() + 30 * 86400;
    const exp2 = exp1 + 30 * 86400;
    const first = charge({ charge: "ch_d1", expires: exp1, first: true });
    await send(h, first);
    await send(h, first); // the very same update
    await send(h, charge({ charge: "ch_d1", expires: exp1, first: true })); // new update id, same charge
    const [{ n }] = await h
      .sql`select count(*)::int as n from public.payments where telegram_payment_charge_id = 'ch_d1'`;
    assert.equal(n, 1);
    const [{ s }] = await h
      .sql`select count(*)::int as s from public.subscriptions where telegram_user_id = ${USER}`;
    assert.equal(s, 1);
    assert.equal(sentTexts(h, USER).filter((t) => t.startsWith("Thank you for subscribing")).length, 1);
    assert.equal(h.telegram.callsOf("createChatInviteLink").length, 1, "one invite");
    assert.equal((await accessUntil(h)).getTime(), exp1 * 1000);
    // a redelivered renewal: the end moves once, one thanks
    const renewal = charge({ charge: "ch_d2", expires: exp2 });
    await send(h, renewal);
    await send(h, renewal);
    assert.equal((await accessUntil(h)).getTime(), exp2 * 1000);
    assert.equal(
      sentTexts(h, USER).filter((t) => t.startsWith("⭐ Your Telegram Stars subscription was renewed"))
        .length,
      1,
    );
    const [{ w }] = await h
      .sql`select count(*)::int as w from public.subscriptions where telegram_user_id = ${USER}`;
    assert.equal(w, 2);

    // another member gets the renewal delivered before the first charge, and duplicates of both
    const other = USER + 1;
    const day = 86400;
    const paid1 = nowSec() - 2 * day;
    const paid2 = paid1 + 30 * day - 60;
    const a = charge({ charge: "ch_o1", expires: paid1 + 30 * day, first: true, user: other, date: paid1 });
    const b = charge({ charge: "ch_o2", expires: paid1 + 60 * day, user: other, date: paid2 });
    await send(h, b);
    await send(h, a);
    await send(h, b);
    const inOrder = USER + 2;
    await send(
      h,
      charge({ charge: "ch_i1", expires: paid1 + 30 * day, first: true, user: inOrder, date: paid1 }),
    );
    await send(h, charge({ charge: "ch_i2", expires: paid1 + 60 * day, user: inOrder, date: paid2 }));
    const coverage = async (u: number) =>
      (await h.sql`select coverage::text as c from public.user_access where telegram_user_id = ${u}`)[0].c;
    assert.equal(await coverage(other), await coverage(inOrder));
    assert.equal((await accessUntil(h, other)).getTime(), (paid1 + 60 * day) * 1000);
    const renewing = await h
      .sql`select auto_renew from public.subscriptions where telegram_user_id = ${other}`;
    assert.ok(renewing.every((r) => r.auto_renew === true));
  });
});

Deno.test("stars recurring: a new subscription after a cancelled one renews again", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    const day = 86400;
    const paid = nowSec() - 40 * day;
    // an old subscription, cancelled, ended 10 days ago
    await send(h, charge({ charge: "ch_old", expires: paid + 30 * day, first: true, date: paid }));
    await h.sql`select public.set_stars_subscription_canceled(${USER}, true, 'month')`;
    assert.equal(await hasAccess(h), false);
    await text(h, "/cancel");
    assert.equal(lastText(h, USER), en.starsSubscriptionNone, "an ended subscription cannot be cancelled");

    const exp = nowSec() + 30 * day;
    await send(h, charge({ charge: "ch_new", expires: exp, first: true }));
    const [row] = await h
      .sql`select auto_renew, status from public.subscriptions where external_id = 'ch_new'`;
    assert.deepEqual([row.auto_renew, row.status], [true, "active"]);
    await text(h, "/status");
    assert.equal(lastText(h, USER), en.statusStarsRenewing({ until: new Date(exp * 1000) }));
  });
});

Deno.test("stars recurring: /revoke ends access and stops the renewal at Telegram; a later subscription counts again", async () => {
  await withHarness(async (h) => {
    await recurringPlans(h);
    const exp = nowSec() + 30 * 86400;
    await send(h, charge({ charge: "ch_v1", expires: exp, first: true, date: nowSec() - 60 }));
    assert.equal(await hasAccess(h), true);

    h.telegram.reset();
    await send(h, messageUpdate({ from: { id: ADMIN_ID, language_code: "en" }, text: `/revoke ${USER}` }));
    assert.equal(await hasAccess(h), false);
    const [edit] = h.telegram.callsOf("editUserStarSubscription");
    assert.ok(edit, "the renewal was stopped at Telegram");
    assert.deepEqual(
      [Number(edit.body.user_id), edit.body.telegram_payment_charge_id, edit.body.is_canceled],
      [USER, "ch_v1", true],
    );
    assert.equal(
      lastText(h, ADMIN_ID),
      en.adminRevoked({ userId: USER, ended: 1, starsStopped: 1, starsFailed: 0 }),
    );
    assert.match(lastText(h, ADMIN_ID), /no longer renewing: 1/);

    // the member subscribes again after the revocation: new money, a new window
    await new Promise((r) => setTimeout(r, 1100)); // a message date after the revocation's second
    const exp2 = nowSec() + 30 * 86400;
    await send(h, charge({ charge: "ch_v2", expires: exp2, first: true }));
    assert.equal(await hasAccess(h), true);
    assert.equal((await accessUntil(h)).getTime(), exp2 * 1000);
    const [row] = await h.sql`select auto_renew from public.subscriptions where external_id = 'ch_v2'`;
    assert.equal(row.auto_renew, true, "the new subscription renews");
  });
});
