// Recurring Stars, the pure parts: which subscription `/cancel [plan]` means, the invoice arguments of a
// recurring plan, and the fake Bot API refusing what Telegram refuses for subscriptions.
import assert from "node:assert/strict";
import { Api } from "grammy";
import { invoiceOf, type Plan, STARS_SUBSCRIPTION_PERIOD } from "../../functions/bot/telegram/payments.ts";
import { pickSubscription, type StarsSubscription } from "../../functions/bot/telegram/stars_subscription.ts";
import { texts } from "../../functions/bot/telegram/texts.ts";
import { startFakeTelegram } from "../support/fake_telegram.ts";

const sub = (plan_code: string, canceled = false): StarsSubscription => ({
  plan_code,
  title: plan_code,
  charge_id: `ch_${plan_code}`,
  until: "2030-01-01T00:00:00Z",
  canceled,
});

Deno.test("pickSubscription: none, the only one, the named one (any case), a question otherwise", () => {
  assert.deepEqual(pickSubscription([], ""), { none: true });
  assert.deepEqual(pickSubscription([], "month"), { none: true });
  const month = sub("month");
  assert.deepEqual(pickSubscription([month], ""), { sub: month });
  assert.deepEqual(pickSubscription([month], "  "), { sub: month });
  assert.deepEqual(pickSubscription([month], "year"), { choose: ["month"] });
  const year = sub("year");
  assert.deepEqual(pickSubscription([month, year], ""), { choose: ["month", "year"] });
  assert.deepEqual(pickSubscription([month, year], "YEAR now"), { sub: year });
});

Deno.test("invoiceOf: a recurring plan carries the 30-day period and its own description (en, ru)", () => {
  const plan: Plan = {
    code: "month",
    title: "1 month",
    duration_days: 30,
    stars_price: 250,
    tribute_link: null,
    tribute_product_id: null,
  };
  const once = invoiceOf(texts.en, plan);
  assert.equal(once.subscriptionPeriod, undefined);
  assert.equal(once.description, texts.en.invoiceDescription({ title: "1 month", days: 30 }));
  for (const lang of ["en", "ru"] as const) {
    const inv = invoiceOf(texts[lang], { ...plan, stars_recurring: true });
    assert.equal(inv.subscriptionPeriod, 2592000);
    assert.equal(inv.payload, "plan:month");
    assert.deepEqual(inv.prices, [{ label: "1 month", amount: 250 }]);
    assert.equal(inv.description, texts[lang].invoiceDescriptionRecurring({ title: "1 month" }));
    assert.ok(Array.from(inv.description).length <= 255);
  }
  assert.equal(STARS_SUBSCRIPTION_PERIOD, 30 * 24 * 3600);
});

Deno.test("fake Bot API: subscription links only with 30 days and XTR; editUserStarSubscription needs its fields", async () => {
  const fake = startFakeTelegram();
  const api = new Api("1:token", { apiRoot: fake.apiRoot });
  try {
    const prices = [{ label: "x", amount: 1 }];
    assert.match(
      await api.createInvoiceLink("t", "d", "p", "", "XTR", prices, { subscription_period: 2592000 }),
      /^https:\/\/t\.me\//,
    );
    await assert.rejects(
      api.createInvoiceLink("t", "d", "p", "", "XTR", prices, { subscription_period: 86400 }),
      /SUBSCRIPTION_PERIOD_INVALID/,
    );
    await assert.rejects(
      api.createInvoiceLink("t", "d", "p", "tok", "USD", prices, { subscription_period: 2592000 }),
      /CURRENCY_INVALID/,
    );
    assert.equal(await api.editUserStarSubscription(5, "ch_1", true), true);
    await assert.rejects(api.editUserStarSubscription(5, "", true), /CHARGE_ID_EMPTY/);
    assert.deepEqual(fake.callsOf("editUserStarSubscription")[0].body, {
      user_id: 5,
      telegram_payment_charge_id: "ch_1",
      is_canceled: true,
    });
  } finally {
    await fake.close();
  }
});
