// Editable texts, the pure part: every user-facing text has a key, overrides are checked (known key,
// allowed and complete placeholders, length) and rendered with the values the default would show.
import assert from "node:assert/strict";
import type { Db, RpcName } from "../../functions/bot/db/port.ts";
import { memoryLogger } from "../../functions/bot/log.ts";
import { createTextStore } from "../../functions/bot/telegram/text_store.ts";
import {
  checkOverride,
  describePlaceholders,
  renderTemplate,
  TEXT_SPECS,
  type Texts,
  texts,
  textsFor,
  withOverrides,
} from "../../functions/bot/telegram/texts.ts";

const UNTIL = "2025-03-07T09:05:00Z";

/** Arguments to call each function-valued text with (the texts a user can see). */
const SAMPLE_ARGS: Partial<Record<keyof Texts, unknown[]>> = {
  welcome: ["Ann"],
  statusActive: [{ until: UNTIL, provider: "tribute", autoRenew: true }],
  statusExpired: [{ until: UNTIL }],
  planLine: [{ title: "1 month", days: 30, starsPrice: 250 }],
  buttonTribute: ["1 month"],
  buttonStars: [{ title: "1 month", stars: 250 }],
  invoiceDescription: [{ title: "1 month", days: 30 }],
  invoiceDescriptionRecurring: [{ title: "1 month" }],
  subscriptionOffer: [{ title: "1 month", stars: 250 }],
  buttonSubscribe: [{ title: "1 month", stars: 250 }],
  subscriptionThanks: [{ until: UNTIL }],
  subscriptionRenewedThanks: [{ until: UNTIL }],
  statusStarsRenewing: [{ until: UNTIL }],
  statusStarsCancelled: [{ until: UNTIL }],
  starsSubscriptionChoose: [{ command: "cancel", plans: ["month", "year"] }],
  starsSubscriptionCancelled: [{ until: UNTIL }],
  starsSubscriptionResumed: [{ until: UNTIL }],
  paymentThanks: [{ until: UNTIL }],
  activated: [{ until: UNTIL, inviteLink: "https://t.me/+abc" }],
  renewed: [{ until: UNTIL }],
  shortened: [{ until: UNTIL }],
  cancelled: [{ until: UNTIL }],
  reminder: [{ msLeft: 3 * 86_400_000, until: UNTIL }],
  groupStatusSent: [{ name: "Ann" }],
  groupOpenBot: [{ name: "Ann", bot: "test_bot" }],
  codeRedeemed: [{ days: 30, until: UNTIL }],
  codeRateLimited: [{ until: UNTIL }],
};

/** Texts only admins (or Telegram's own UI) see: deliberately not editable. */
const NOT_EDITABLE = new Set<string>([
  "providerName",
  "invoiceTitle", // the plan's title, clipped
  "adminUsage",
  "adminSync",
  "adminGranted",
  "adminRevoked",
  "adminRefunded",
  "adminRefundFailed",
  "refundReasonNotFound",
  "refundReasonAlreadyRefunded",
  "adminUserNotFound",
  "adminUser",
  "adminStats",
  "tributeTest",
  "supportHeader",
  "supportAccess",
  "supportReplySent",
  "supportReplyFailed",
  "textsList",
  "textUnknownKey",
  "textHowTo",
  "textRefused",
  "textTooLong",
  "textSaved",
  "textReset",
  // broadcasts: the admin's own flow (the broadcast itself is the admin's message, copied)
  "broadcastNeedsReply",
  "broadcastConfirm",
  "broadcastEmpty",
  "buttonBroadcastSend",
  "buttonBroadcastCancel",
  "broadcastQueued",
  "broadcastAlreadyConfirmed",
  "broadcastCancelled",
  "broadcastAlreadyCancelled",
  "broadcastFinished",
  "broadcastNotFound",
  "broadcastStatus",
  // access codes: the admin's side (/code_new, /codes, /code_off)
  "adminCodeCreated",
  "adminCodes",
  "adminCodeOff",
]);

function call(t: Texts, field: keyof Texts): string {
  const member = t[field] as unknown;
  if (typeof member === "string") return member;
  const args = SAMPLE_ARGS[field];
  assert.ok(args, `SAMPLE_ARGS lacks ${field}`);
  return (member as (...a: unknown[]) => string)(...args);
}

Deno.test("text keys: every text a user can see has exactly one key; the rest is admin-only on purpose", () => {
  const fields = Object.values(TEXT_SPECS).map((s) => s.field);
  assert.equal(new Set(fields).size, fields.length, "one key per text");
  for (const field of Object.keys(texts.en)) {
    assert.ok(
      fields.includes(field as keyof Texts) !== NOT_EDITABLE.has(field),
      `${field}: either editable (TEXT_SPECS) or listed as admin-only`,
    );
  }
  for (const key of Object.keys(TEXT_SPECS)) assert.match(key, /^[a-z][a-z0-9_]{0,63}$/);
  // outbox templates are keys too, so the outbox can look its overrides up by template name
  for (
    const template of [
      "activated",
      "renewed",
      "shortened",
      "cancelled",
      "reminder",
      "payment_thanks",
      "expired",
    ]
  ) {
    assert.ok(TEXT_SPECS[template], template);
  }
  for (const template of ["refunded", "revoked", "removed_no_access"]) assert.ok(TEXT_SPECS[template]);
});

Deno.test("text keys: an override using every declared placeholder renders each one (en, ru)", () => {
  for (const lang of ["en", "ru"] as const) {
    for (const [key, s] of Object.entries(TEXT_SPECS)) {
      const names = Object.keys(s.placeholders);
      const template = names.length ? names.map((n) => `<${n}={${n}}>`).join(" ") : `custom ${key}`;
      assert.ok(checkOverride(key, template).ok, `${key} accepts its own placeholders`);
      const out = call(withOverrides(lang, { [key]: template }), s.field);
      assert.doesNotMatch(out, /\{[a-z_]+\}/, `${lang}.${key} left a placeholder: ${out}`);
      if (!names.length) assert.equal(out, template);
    }
  }
  const t = withOverrides("ru", {
    status_active: "До {until}, {source}, автопродление {auto_renew}",
    reminder: "Доступ закончится {time_left} (до {until})",
    plan_line: "{title}: {days} / {stars}",
  });
  assert.equal(
    t.statusActive({ until: UNTIL, provider: "manual", autoRenew: false }),
    "До 2025-03-07 09:05 UTC, Ручная выдача, автопродление выключено",
  );
  assert.equal(
    t.reminder({ msLeft: 2 * 86_400_000 + 6 * 3_600_000, until: UNTIL }),
    "Доступ закончится через 2 дня 6 часов (до 2025-03-07 09:05 UTC)",
  );
  assert.equal(t.planLine({ title: "Год", days: 365, starsPrice: 1000 }), "Год: 365 дней / 1000 звёзд");
});

Deno.test("checkOverride: unknown key, unknown placeholder, missing required one, too long", () => {
  assert.deepEqual(checkOverride("nope", "x"), { ok: false, reason: "unknown_key" });
  assert.deepEqual(checkOverride("activated", "Active until {until}."), {
    ok: false,
    reason: "placeholders",
    unknown: [],
    missing: ["invite_link"],
  });
  assert.deepEqual(checkOverride("status_expired", "Ended {date} for {name}"), {
    ok: false,
    reason: "placeholders",
    unknown: ["date", "name"],
    missing: ["until"],
  });
  assert.deepEqual(checkOverride("terms", "Rules: {until}"), {
    ok: false,
    reason: "placeholders",
    unknown: ["until"],
    missing: [],
  });
  assert.deepEqual(checkOverride("button_stars", "⭐ {title} " + "x".repeat(70)), {
    ok: false,
    reason: "too_long",
    max: 64,
  });
  assert.equal(checkOverride("activated", "{invite_link}\nuntil {until}").ok, true);
  assert.equal(checkOverride("terms", "Plain {braces are fine} and {} too").ok, true);
  assert.equal(describePlaceholders("activated"), "{until}* {invite_link}*");
  assert.equal(describePlaceholders("status_none"), "");
});

Deno.test("withOverrides: defaults untouched without overrides; stored rows that break a rule are ignored", () => {
  assert.equal(textsFor("ru", {}), texts.ru);
  assert.equal(textsFor("en", null), texts.en);
  const t = textsFor("en", {
    status_none: "Nothing yet — see /plans",
    activated: "Until {until}", // missing the invite link: not used
    no_such_key: "whatever",
  });
  assert.equal(t.statusNone, "Nothing yet — see /plans");
  assert.equal(
    t.activated({ until: UNTIL, inviteLink: "https://t.me/+x" }),
    texts.en.activated({ until: UNTIL, inviteLink: "https://t.me/+x" }),
  );
  assert.equal(
    texts.en.statusNone,
    "You don't have access yet. See /plans to get it.",
    "defaults not mutated",
  );
});

Deno.test("renderTemplate: fills known names, keeps others, no blank run where a value is empty", () => {
  assert.equal(renderTemplate("{a} and {b} and {c}", { a: "1", b: "2" }), "1 and 2 and {c}");
  const t = withOverrides("en", { activated: "Active until {until}.\n\nYour link:\n{invite_link}\n\nEnjoy" });
  assert.equal(
    t.activated({ until: UNTIL, inviteLink: null }),
    "Active until 2025-03-07 09:05 UTC.\n\nYour link:\n\nEnjoy",
  );
  assert.equal(
    t.activated({ until: UNTIL, inviteLink: "https://t.me/+abc" }),
    "Active until 2025-03-07 09:05 UTC.\n\nYour link:\nhttps://t.me/+abc\n\nEnjoy",
  );
  // the invoice description keeps Telegram's 255-character limit
  const long = withOverrides("en", { invoice_description: "{title} ".repeat(10) });
  assert.ok(Array.from(long.invoiceDescription({ title: "x".repeat(60), days: 30 })).length <= 255);
});

function countingDb(result: () => unknown): Db & { calls: Array<[RpcName, unknown]> } {
  const calls: Array<[RpcName, unknown]> = [];
  return {
    calls,
    call<T>(fn: RpcName, args?: Record<string, unknown>) {
      calls.push([fn, args]);
      try {
        return Promise.resolve(result() as T);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    close: () => Promise.resolve(),
  };
}

Deno.test("text store: one query per language per TTL, invalidate reloads, a failure falls back to {} uncached", async () => {
  let now = 0;
  let fail = false;
  const db = countingDb(() => {
    if (fail) throw new Error("db down");
    return { status_none: "x" };
  });
  const log = memoryLogger();
  const store = createTextStore({ db, log }, { ttlMs: 1000, now: () => now });
  assert.deepEqual(await store.overrides("en"), { status_none: "x" });
  await store.overrides("en");
  assert.deepEqual(db.calls, [["bot_text_overrides", { p_lang: "en" }]]);
  await store.overrides("ru");
  assert.equal(db.calls.length, 2);
  now = 1500;
  await store.overrides("en");
  assert.equal(db.calls.length, 3, "expired after the TTL");
  store.invalidate();
  await store.overrides("en");
  assert.equal(db.calls.length, 4, "invalidate forgets the cache");

  fail = true;
  store.invalidate();
  assert.deepEqual(await store.overrides("en"), {});
  assert.ok(log.lines.some((l) => l.includes("text overrides unavailable")));
  fail = false;
  assert.deepEqual(await store.overrides("en"), { status_none: "x" }, "a failure is not cached");
});
