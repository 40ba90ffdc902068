import assert from "node:assert/strict";
import { broadcastMinutes } from "../../functions/bot/outbox/paced.ts";
import { formatDate, langOf, providerName, texts, textsFor } from "../../functions/bot/telegram/texts.ts";

const UNTIL = "2025-03-07T09:05:00Z";

Deno.test("texts: both languages define every key with the same type", () => {
  const enKeys = Object.keys(texts.en).sort();
  const ruKeys = Object.keys(texts.ru).sort();
  assert.deepEqual(ruKeys, enKeys);
  for (const k of enKeys) {
    const e = (texts.en as unknown as Record<string, unknown>)[k];
    const r = (texts.ru as unknown as Record<string, unknown>)[k];
    assert.equal(typeof r, typeof e, `type of ${k}`);
    if (typeof e === "string") {
      assert.ok(e.length > 0, `en.${k} empty`);
      assert.ok((r as string).length > 0, `ru.${k} empty`);
      assert.notEqual(r, e, `ru.${k} is not translated`);
    }
  }
  for (
    const k of [
      "welcome",
      "statusNone",
      "statusActive",
      "statusExpired",
      "howToPay",
      "plansHeader",
      "plansNone",
      "planLine",
      "buttonTribute",
      "buttonStars",
      "invoiceTitle",
      "invoiceDescription",
      "paySupport",
      "terms",
      "precheckoutUnknownPlan",
      "precheckoutInactivePlan",
      "precheckoutAmountMismatch",
      "paymentThanks",
      "activated",
      "renewed",
      "cancelled",
      "expired",
      "reminder",
      "removedNoAccess",
      "refunded",
      "revoked",
      "notAdmin",
      "adminUsage",
      "adminSync",
      "adminGranted",
      "adminRevoked",
      "adminRefunded",
      "adminRefundFailed",
      "adminUserNotFound",
      "adminUser",
      "adminStats",
      "tributeTest",
    ]
  ) {
    assert.ok(enKeys.includes(k), `missing key ${k}`);
  }
});

Deno.test("texts: every function returns a non-empty string in both languages", () => {
  for (const lang of ["en", "ru"] as const) {
    const t = texts[lang];
    const out = [
      t.welcome("Ann"),
      t.welcome(),
      t.statusActive({ until: UNTIL, provider: "tribute", autoRenew: true }),
      t.statusExpired({ until: new Date(UNTIL) }),
      t.planLine({ title: "Month", days: 30, starsPrice: 150 }),
      t.planLine({ title: "Month", days: 30, starsPrice: null }),
      t.buttonTribute("Month"),
      t.buttonStars({ title: "Month", stars: 150 }),
      t.invoiceTitle("Month"),
      t.invoiceDescription({ title: "Month", days: 30 }),
      t.paymentThanks({ until: UNTIL }),
      t.activated({ until: UNTIL, inviteLink: "https://t.me/+abc" }),
      t.activated({ until: UNTIL }),
      t.renewed({ until: UNTIL }),
      t.cancelled({ until: UNTIL }),
      t.reminder({ msLeft: 3 * 86_400_000, until: UNTIL }),
      t.adminUsage("grant", "<id> <days>"),
      t.adminSync({ checked: 5, expired: 2, restored: 1 }),
      t.adminGranted({ userId: 42, days: 7, until: UNTIL }),
      t.adminRevoked({ userId: 42, ended: 1 }),
      t.adminRevoked({ userId: 42, ended: 0 }),
      t.adminRefunded({ chargeId: "ch_1", userId: 42 }),
      t.adminRefundFailed({ chargeId: "ch_1", reason: "CHARGE_ALREADY_REFUNDED" }),
      t.adminUserNotFound(42),
      t.adminUser({ userId: 42, hasAccess: false, subscriptions: [] }),
      t.tributeTest({ webhookUrl: null, apiKeyPresent: false, apiReachable: "no", webhookInfo: "none" }),
    ];
    for (const s of out) {
      assert.equal(typeof s, "string");
      assert.ok(s.trim().length > 0);
      assert.ok(!s.includes("undefined") && !s.includes("[object"), `${lang}: ${s}`);
    }
  }
});

Deno.test("texts: langOf maps Russian-speaking locales to ru, the rest to en", () => {
  for (const code of ["ru", "uk", "be", "kk", "RU", "ru-RU", "uk_UA"]) assert.equal(langOf(code), "ru", code);
  for (const code of ["en", "de", "en-US", "", undefined, null, "kz", "russian"]) {
    assert.equal(langOf(code), "en", String(code));
  }
  assert.equal(textsFor("be"), texts.ru);
  assert.equal(textsFor(undefined), texts.en);
});

Deno.test("texts: formatDate prints YYYY-MM-DD HH:MM UTC", () => {
  assert.equal(formatDate(UNTIL), "2025-03-07 09:05 UTC");
  assert.equal(formatDate(new Date(Date.UTC(2024, 11, 31, 23, 59, 59))), "2024-12-31 23:59 UTC");
  assert.equal(formatDate("2025-01-01T02:30:00+03:00"), "2024-12-31 23:30 UTC");
  assert.ok(
    texts.en.statusActive({ until: UNTIL, provider: "tribute", autoRenew: false }).includes(
      "2025-03-07 09:05 UTC",
    ),
  );
  assert.ok(texts.ru.cancelled({ until: UNTIL }).includes("2025-03-07 09:05 UTC"));
});

Deno.test("texts: adminStats prints raw minor units with the currency as received", () => {
  const p = {
    activeByProvider: { tribute: 3, telegram_stars: 2, manual: 1 },
    revenue30d: [{ currency: "XTR", amount: 150 }, { currency: "eur", amount: 700 }],
  };
  const en = texts.en.adminStats(p);
  assert.match(en, /150 XTR/);
  assert.match(en, /700 eur/);
  assert.match(en, /minor units/);
  assert.ok(!en.includes("7.00") && !en.includes("1.50"));
  assert.match(en, /Tribute: 3/);
  assert.match(en, /Telegram Stars: 2/);
  assert.match(en, /Manual grant: 1/);
  const ru = texts.ru.adminStats(p);
  assert.match(ru, /150 XTR/);
  assert.match(ru, /700 eur/);
  assert.ok(!ru.includes("7.00"));
  assert.match(texts.en.adminStats({ activeByProvider: {}, revenue30d: [] }), /none/);
});

Deno.test("texts: provider names, invoice limits, admin user summary", () => {
  assert.equal(providerName("tribute"), "Tribute");
  assert.equal(providerName("telegram_stars"), "Telegram Stars");
  assert.equal(providerName("manual"), "Manual grant");
  assert.equal(texts.en.providerName("telegram_stars"), "Telegram Stars");
  assert.equal(providerName("other"), "other");
  assert.ok(
    texts.en.statusActive({ until: UNTIL, provider: "telegram_stars", autoRenew: false }).includes(
      "Telegram Stars",
    ),
  );
  assert.ok(Array.from(texts.en.invoiceTitle("x".repeat(100))).length <= 32);
  assert.ok(Array.from(texts.ru.invoiceDescription({ title: "т".repeat(400), days: 30 })).length <= 255);
  assert.match(texts.ru.planLine({ title: "Месяц", days: 31, starsPrice: 2 }), /31 день.*2 звезды/);
  assert.match(texts.ru.planLine({ title: "Год", days: 365, starsPrice: 1000 }), /365 дней.*1000 звёзд/);
  assert.match(texts.en.planLine({ title: "Day", days: 1 }), /1 day$/);

  const summary = texts.en.adminUser({
    userId: 42,
    username: "ann",
    accessUntil: UNTIL,
    hasAccess: true,
    subscriptions: [
      {
        provider: "tribute",
        kind: "subscription",
        status: "cancelled",
        eventAt: "2025-02-05T09:05:00Z",
        days: null,
        segments: [["2025-02-05T09:05:00Z", UNTIL]],
        autoRenew: false,
      },
      {
        provider: "manual",
        kind: "grant",
        status: "refunded",
        eventAt: "2025-02-10T00:00:00Z",
        days: 30,
        segments: [],
        autoRenew: false,
      },
    ],
  });
  assert.match(summary, /42 \(@ann\)/);
  assert.match(summary, /Tribute subscription: cancelled\n +2025-02-05 09:05 UTC → 2025-03-07 09:05 UTC/);
  assert.match(summary, /Manual grant \(30 d, 2025-02-10 00:00 UTC\): refunded\n +covers nothing/);
  assert.match(texts.en.adminUsage("/grant", "<id> <days>"), /^Usage: \/grant <id> <days>$/);
  assert.match(
    texts.en.activated({ until: UNTIL, inviteLink: "https://t.me/+abc" }),
    /https:\/\/t\.me\/\+abc/,
  );
  assert.match(
    texts.en.tributeTest({
      webhookUrl: "https://x.supabase.co/functions/v1/bot",
      apiKeyPresent: true,
      apiReachable: "ok (3 products)",
      webhookInfo: "https://x.supabase.co/functions/v1/bot, 0 pending",
    }),
    /https:\/\/x\.supabase\.co\/functions\/v1\/bot/,
  );
});

Deno.test("broadcast texts: plural forms, audience names, the time estimate", () => {
  assert.equal(broadcastMinutes(10_000), 9, "10,000 at 25/s: 440 s of sending, ~50 s per scheduled run");
  assert.equal(broadcastMinutes(2), 1);
  assert.equal(
    texts.en.broadcastConfirm({ id: 3, audience: "active", size: 1 }).includes("1 recipient."),
    true,
  );
  assert.equal(
    texts.ru.broadcastConfirm({ id: 3, audience: "expired", size: 22 }),
    "Рассылка №3, получатели — бывшие участники: 22 человека. Отправить?",
  );
  assert.match(
    texts.ru.broadcastQueued({ id: 1, recipients: 21, perSecond: 25, minutes: 1 }),
    /21 сообщение\./,
  );
  assert.match(
    texts.en.broadcastQueued({ id: 1, recipients: 10_000, perSecond: 25, minutes: 9 }),
    /about 9 min/,
  );
});
