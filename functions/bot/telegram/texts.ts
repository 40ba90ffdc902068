/**
 * Every user-facing string of the bot, English and Russian, in one place.
 * Plain text only (no parse_mode).
 */

export type Lang = "en" | "ru";

/** Telegram `language_code` → bot language: ru/uk/be/kk speak Russian here, everyone else English. */
export function langOf(languageCode?: string | null): Lang {
  const base = (languageCode ?? "").trim().toLowerCase().split(/[-_]/)[0];
  return base === "ru" || base === "uk" || base === "be" || base === "kk" ? "ru" : "en";
}

/** `YYYY-MM-DD HH:MM UTC`; an unparseable input is returned as given. */
export function formatDate(d: Date | string): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return String(d);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCFullYear()}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())} ` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())} UTC`;
}

type DateLike = Date | string;
type UserId = number | string | bigint;

/** One item of a user's access timeline (public.user_timeline), as /user shows it. */
export interface SubscriptionSummary {
  provider: string;
  /** subscription (a window) · purchase · grant · code · bonus (banked items) */
  kind: string;
  status: string;
  /** when it was paid or granted (a window: when it began) */
  eventAt: DateLike | null;
  /** banked length in days; null for a window */
  days: number | null;
  /** the time it really covers, in order: [from, to] pairs */
  segments: Array<[DateLike, DateLike]>;
  autoRenew: boolean;
}

export interface AdminUserSummary {
  userId: UserId;
  username?: string | null;
  accessUntil?: DateLike | null;
  hasAccess: boolean;
  subscriptions: SubscriptionSummary[];
}

export interface Texts {
  /** Display name of a provider code (tribute, telegram_stars, manual). */
  providerName(provider: string): string;
  welcome(name?: string): string;
  statusNone: string;
  statusActive(p: { until: DateLike; provider: string; autoRenew: boolean }): string;
  statusExpired(p: { until: DateLike }): string;
  howToPay: string;
  plansHeader: string;
  plansNone: string;
  /** `recurring`: sold as a Telegram Stars subscription renewing every 30 days. */
  planLine(p: { title: string; days: number; starsPrice?: number | null; recurring?: boolean }): string;
  buttonTribute(title: string): string;
  buttonStars(p: { title: string; stars: number }): string;
  /** Telegram limits invoice titles to 32 characters. */
  invoiceTitle(title: string): string;
  /** Telegram limits invoice descriptions to 255 characters. */
  invoiceDescription(p: { title: string; days: number }): string;
  /** The invoice of a recurring plan (a Stars subscription, 30 days); at most 255 characters. */
  invoiceDescriptionRecurring(p: { title: string }): string;
  /** The message carrying a Stars subscription's invoice link (a button: buttonSubscribe). */
  subscriptionOffer(p: { title: string; stars: number }): string;
  buttonSubscribe(p: { title: string; stars: number }): string;
  paySupport: string;
  terms: string;
  precheckoutUnknownPlan: string;
  precheckoutInactivePlan: string;
  precheckoutAmountMismatch: string;
  /** pre_checkout_query could not be checked (database down): the user should simply retry. */
  precheckoutUnavailable: string;
  paymentThanks(p: { until: DateLike }): string;
  /** The first charge of a Stars subscription. */
  subscriptionThanks(p: { until: DateLike }): string;
  /** A renewal charge of a Stars subscription. */
  subscriptionRenewedThanks(p: { until: DateLike }): string;
  /** /status while a Stars subscription gives access: renewing, or renewal cancelled (/cancel). */
  statusStarsRenewing(p: { until: DateLike }): string;
  statusStarsCancelled(p: { until: DateLike }): string;
  /** /cancel, /resume: no Stars subscription whose period runs. */
  starsSubscriptionNone: string;
  /** /cancel, /resume with several Stars subscriptions (or a plan code that is none of them). */
  starsSubscriptionChoose(p: { command: string; plans: string[] }): string;
  starsSubscriptionCancelled(p: { until: DateLike }): string;
  starsSubscriptionResumed(p: { until: DateLike }): string;
  /** Telegram refused editUserStarSubscription (e.g. the subscription already ended). */
  starsSubscriptionFailed: string;
  /** A Stars payment whose invoice names no plan we know: money taken, nothing granted yet. */
  paymentUnmatched: string;
  activated(p: { until: DateLike; inviteLink?: string | null }): string;
  renewed(p: { until: DateLike }): string;
  /** access goes on but ends earlier than announced (a refund took time back) */
  shortened(p: { until: DateLike }): string;
  cancelled(p: { until: DateLike }): string;
  expired: string;
  /** `msLeft`: how long until `until`, measured when the reminder is sent (see timeLeft). */
  reminder(p: { msLeft: number; until: DateLike }): string;
  removedNoAccess: string;
  refunded: string;
  revoked: string;
  /** Support relay: the user's message reached the admins / reached none of them. */
  supportSent: string;
  supportUnavailable: string;
  /** /status in a group: the answer went to the user's private chat. */
  groupStatusSent(p: { name: string }): string;
  /** /status in a group from someone who never started the bot (403): open it first. */
  groupOpenBot(p: { name: string; bot: string }): string;
  buttonOpenBot: string;
  notAdmin: string;
  adminUsage(command: string, usage: string): string;
  adminSync(p: { checked: number; expired: number; restored: number }): string;
  adminGranted(p: { userId: UserId; days: number; until: DateLike }): string;
  /** `starsStopped`/`starsFailed`: recurring Stars subscriptions whose renewal /revoke stopped (or could not). */
  adminRevoked(p: { userId: UserId; ended: number; starsStopped?: number; starsFailed?: number }): string;
  adminRefunded(p: { chargeId: string; userId?: UserId | null }): string;
  adminRefundFailed(p: { chargeId: string; reason: string }): string;
  /** Reasons for adminRefundFailed. */
  refundReasonNotFound: string;
  refundReasonAlreadyRefunded: string;
  adminUserNotFound(userId: UserId): string;
  adminUser(p: AdminUserSummary): string;
  adminStats(p: {
    activeByProvider: Record<string, number>;
    revenue30d: Array<{ currency: string; amount: number | string | bigint }>;
    /** deliveries (Tribute webhooks, Telegram updates) journaled as failed in the last 24 h */
    failed24h?: number;
  }): string;
  tributeTest(p: {
    webhookUrl?: string | null;
    apiKeyPresent: boolean;
    apiReachable: string;
    webhookInfo: string;
  }): string;
  /** Support relay, admin side: who wrote and their access, above the forwarded message. */
  supportHeader(
    p: { userId: UserId; name?: string | null; username?: string | null; access: string },
  ): string;
  /** One line of access for the header: active until / ended on / never. */
  supportAccess(p: { hasAccess: boolean; until?: DateLike | null }): string;
  supportReplySent(userId: UserId): string;
  supportReplyFailed(p: { userId: UserId; reason: string }): string;
  /** /texts: one line per key, `*` after a required placeholder, the languages overridden. */
  textsList(lines: Array<{ key: string; placeholders: string; overridden: string[] }>): string;
  textUnknownKey(key: string): string;
  /** /text <key> [lang] without a replied-to message: how to use it, and the current override. */
  textHowTo(p: { key: string; lang: string; placeholders: string; current: string | null }): string;
  textRefused(p: { key: string; unknown: string[]; missing: string[]; allowed: string }): string;
  textTooLong(p: { key: string; max: number }): string;
  textSaved(p: { key: string; lang: string; preview: string }): string;
  textReset(p: { key: string; lang: string; removed: boolean }): string;
  /** /broadcast sent without replying to the message to broadcast. */
  broadcastNeedsReply: string;
  /** The draft: audience and its size; the buttons below confirm or cancel. */
  broadcastConfirm(p: { id: number; audience: string; size: number }): string;
  broadcastEmpty(p: { audience: string }): string;
  buttonBroadcastSend(size: number): string;
  buttonBroadcastCancel: string;
  broadcastQueued(p: { id: number; recipients: number; perSecond: number; minutes: number }): string;
  broadcastAlreadyConfirmed(id: number): string;
  broadcastCancelled(p: { id: number; skipped: number }): string;
  broadcastAlreadyCancelled(id: number): string;
  broadcastFinished(id: number): string;
  broadcastNotFound(id?: number | null): string;
  broadcastStatus(p: BroadcastStatusView): string;
  /** Access codes (/start <CODE>): redeemed, with the end of the access now held. */
  codeRedeemed(p: { days: number; until: DateLike }): string;
  codeAlreadyUsed: string;
  codeUnknown: string;
  codeExpired: string;
  codeExhausted: string;
  codeOff: string;
  /** Too many unknown codes within an hour: try again after `until`. */
  codeRateLimited(p: { until: DateLike }): string;
  /** /code_new: the code and its deep link. */
  adminCodeCreated(p: AccessCodeSummary): string;
  /** /codes: the newest codes (`total`: how many exist). */
  adminCodes(p: { total: number; codes: AccessCodeSummary[] }): string;
  /** /code_off. */
  adminCodeOff(
    p: { code: string; status: "off" | "already_off" | "unknown"; used?: number; maxUses?: number },
  ): string;
}

/** What /broadcast_status shows (public.broadcast_status). */
export interface BroadcastStatusView {
  id: number;
  audience: string;
  status: string;
  total: number;
  sent: number;
  failed: number;
  blocked: number;
  cancelled: number;
  left: number;
  createdAt: DateLike;
}

/** One access code as /code_new and /codes show it. */
export interface AccessCodeSummary {
  code: string;
  link: string;
  days: number;
  used: number;
  maxUses: number;
  validUntil: DateLike | null;
  /** active · off · expired · exhausted */
  state: string;
}

// ---------------------------------------------------------------------------------------------------------
// helpers

function clip(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max - 1).join("") + "…";
}

/** Russian plural: one (1, 21), few (2-4, 22-24), many (0, 5-20, 25...). */
function ruPlural(n: number, one: string, few: string, many: string): string {
  const a = Math.abs(n) % 100;
  const b = a % 10;
  if (a > 10 && a < 20) return many;
  if (b === 1) return one;
  if (b >= 2 && b <= 4) return few;
  return many;
}

const ruDays = (n: number) => `${n} ${ruPlural(n, "день", "дня", "дней")}`;
const enDays = (n: number) => `${n} ${Math.abs(n) === 1 ? "day" : "days"}`;
/**
 * The time left, in the two largest units that matter: days + hours from one day on (to the nearest
 * hour), hours + minutes under a day, minutes under an hour (to the nearest minute). Zero parts are left
 * out ("1 day", not "1 day 0 hours"); under half a minute everything is zero ("less than a minute").
 */
export function timeLeft(ms: number): { days: number; hours: number; minutes: number } {
  const totalMinutes = Math.round(Math.max(0, ms) / 60_000);
  if (totalMinutes < 24 * 60) {
    return { days: 0, hours: Math.floor(totalMinutes / 60), minutes: totalMinutes % 60 };
  }
  const totalHours = Math.round(ms / 3_600_000);
  return { days: Math.floor(totalHours / 24), hours: totalHours % 24, minutes: 0 };
}

/** "in 2 days 6 hours", "in 5 hours", "in 40 minutes", "in less than a minute". */
export function enTimeLeft(ms: number): string {
  const { days, hours, minutes } = timeLeft(ms);
  const en = (n: number, unit: string) => n ? [`${n} ${unit}${n === 1 ? "" : "s"}`] : [];
  const parts = [...en(days, "day"), ...en(hours, "hour"), ...en(minutes, "minute")];
  return parts.length ? `in ${parts.join(" ")}` : "in less than a minute";
}

/**
 * "через 2 дня 6 часов", "через 21 час", "через 1 минуту", "менее чем через минуту". After "через" the
 * units take the accusative: день/дня/дней and час/часа/часов as in the nominative, минуту/минуты/минут.
 */
export function ruTimeLeft(ms: number): string {
  const { days, hours, minutes } = timeLeft(ms);
  const ru = (n: number, one: string, few: string, many: string) =>
    n ? [`${n} ${ruPlural(n, one, few, many)}`] : [];
  const parts = [
    ...ru(days, "день", "дня", "дней"),
    ...ru(hours, "час", "часа", "часов"),
    ...ru(minutes, "минуту", "минуты", "минут"),
  ];
  return parts.length ? `через ${parts.join(" ")}` : "менее чем через минуту";
}

/** How a recurring Stars plan's price is qualified (/plans). */
const EN_RENEWAL = "every 30 days";
const RU_RENEWAL = "каждые 30 дней";

const ruStars = (n: number) => `${n} ${ruPlural(n, "звезда", "звезды", "звёзд")}`;
const enStars = (n: number) => `${n} ${Math.abs(n) === 1 ? "star" : "stars"}`;

/** An amount exactly as stored: minor units and the currency as received; Stars are whole units. */
function rawAmount(amount: number | string | bigint, currency: string, minorNote: string): string {
  return currency.toUpperCase() === "XTR" ? `${amount} ${currency}` : `${amount} ${currency} (${minorNote})`;
}

const PROVIDERS: Record<Lang, Record<string, string>> = {
  // `code`: not a provider column value but how an access code's item (manual, kind code) is shown
  en: { tribute: "Tribute", telegram_stars: "Telegram Stars", manual: "Manual grant", code: "Access code" },
  ru: { tribute: "Tribute", telegram_stars: "Telegram Stars", manual: "Ручная выдача", code: "Код доступа" },
};

const STATUSES: Record<Lang, Record<string, string>> = {
  en: { active: "active", cancelled: "cancelled", expired: "expired", refunded: "refunded" },
  ru: { active: "активна", cancelled: "отменена", expired: "истекла", refunded: "возвращена" },
};

const CODE_STATES: Record<Lang, Record<string, string>> = {
  en: { active: "active", off: "off", expired: "expired", exhausted: "used up" },
  ru: { active: "действует", off: "отключён", expired: "истёк", exhausted: "исчерпан" },
};

const KINDS: Record<Lang, Record<string, string>> = {
  en: {
    subscription: "subscription",
    purchase: "purchase",
    grant: "grant",
    code: "access code",
    bonus: "unused days",
  },
  ru: {
    subscription: "подписка",
    purchase: "покупка",
    grant: "выдано админом",
    code: "код доступа",
    bonus: "неиспользованные дни",
  },
};

/**
 * One timeline item for /user: source and kind, status, when it was paid (and for how long), and the
 * dates it really covers, so an admin can explain any end date to a member.
 */
export function timelineLine(s: SubscriptionSummary, lang: Lang): string {
  const ru = lang === "ru";
  // "Manual grant" already says what it is; other sources add the kind (Tribute subscription, ...)
  const what = s.provider === "manual" && s.kind === "grant"
    ? providerName(s.provider, lang)
    : s.provider === "manual" && s.kind === "code"
    ? providerName("code", lang)
    : `${providerName(s.provider, lang)} ${KINDS[lang][s.kind] ?? s.kind}`;
  const head = `• ${what}` +
    (s.days !== null
      ? ` (${s.days} ${ru ? "дн." : "d"}` + (s.eventAt ? `, ${formatDate(s.eventAt)}` : "") + ")"
      : "") +
    `: ${STATUSES[lang][s.status] ?? s.status}` +
    (s.autoRenew ? (ru ? ", автопродление" : ", auto-renew") : "");
  const covered = s.segments.length
    ? s.segments.map(([from, to]) => `${formatDate(from)} → ${formatDate(to)}`).join("; ")
    : (ru ? "не покрывает ничего" : "covers nothing");
  return `${head}\n   ${covered}`;
}
const AUDIENCES: Record<Lang, Record<string, string>> = {
  en: { active: "members with access", expired: "former members", all: "everyone who wrote to the bot" },
  ru: { active: "участники с доступом", expired: "бывшие участники", all: "все, кто писал боту" },
};

const BROADCAST_STATES: Record<Lang, Record<string, string>> = {
  en: { draft: "waiting for confirmation", sending: "sending", done: "done", cancelled: "cancelled" },
  ru: { draft: "ждёт подтверждения", sending: "отправляется", done: "завершена", cancelled: "отменена" },
};

/** Display name of a provider code in a language (unknown codes are shown as is). */
export function providerName(provider: string, lang: Lang = "en"): string {
  return PROVIDERS[lang][provider] ?? provider;
}

// ---------------------------------------------------------------------------------------------------------
// English

const en: Texts = {
  providerName: (provider) => providerName(provider, "en"),

  welcome: (name) =>
    `Hi${name ? `, ${name}` : ""}! 👋\n` +
    "I manage access to our private channel. Pay with Tribute or Telegram Stars and I'll send you " +
    "a personal invite link.\n\n" +
    "Commands:\n/status — your access\n/plans — plans and prices\n/paysupport — help with payments\n" +
    "/terms — terms of service",

  statusNone: "You don't have access yet. See /plans to get it.",

  statusActive: ({ until, provider, autoRenew }) =>
    `✅ Access is active until ${formatDate(until)}.\n` +
    `Source: ${providerName(provider, "en")}\n` +
    `Auto-renewal: ${autoRenew ? "on" : "off"}`,

  statusExpired: ({ until }) => `Your access ended on ${formatDate(until)}. See /plans to renew it.`,

  howToPay:
    "How to pay: open /plans and choose a plan. Tribute accepts cards; Telegram Stars are paid right " +
    "here in Telegram. Access is activated automatically as soon as the payment is confirmed.",

  plansHeader: "Available plans:",

  plansNone: "There are no plans available right now. Please check back later.",

  planLine: ({ title, days, starsPrice, recurring }) =>
    `• ${title} — ${enDays(days)}` +
    (starsPrice != null ? `, ⭐ ${enStars(starsPrice)}${recurring ? ` ${EN_RENEWAL}` : ""}` : ""),

  buttonTribute: (title) => `💳 ${title} via Tribute`,

  buttonStars: ({ title, stars }) => `⭐ ${title} for ${stars} Stars`,

  invoiceTitle: (title) => clip(title, 32),

  invoiceDescription: ({ title, days }) =>
    clip(`${title}: access to the private channel for ${enDays(days)}.`, 255),

  invoiceDescriptionRecurring: ({ title }) =>
    clip(
      `${title}: access to the private channel, renewed automatically every 30 days. ` +
        "Stop the renewal any time with /cancel.",
      255,
    ),

  subscriptionOffer: ({ title, stars }) =>
    `⭐ ${title}: a Telegram Stars subscription, ${enStars(stars)} every 30 days.\n` +
    "Tap the button to subscribe. It renews automatically; /cancel stops the renewal, and access " +
    "stays until the end of the paid period.",

  buttonSubscribe: ({ stars }) => `⭐ Subscribe for ${stars} Stars / 30 days`,

  paySupport: "Payment problems? Write to us right here and describe what happened: the date, the amount " +
    "and the payment method. For Stars payments, please include the transaction ID from the receipt. " +
    "We usually reply within a day.",

  terms: "Terms of service:\n" +
    "• Payment grants access to the private channel for the period of the chosen plan.\n" +
    "• Subscriptions renew automatically until you cancel them (in Tribute, or /cancel for a Telegram " +
    "Stars subscription); after cancelling, access lasts until the end of the paid period.\n" +
    "• Access is personal: the invite link works once and only for you.\n" +
    "• Refunds are handled via /paysupport; a refunded payment ends the access it granted.",

  precheckoutUnknownPlan: "This plan no longer exists. Please pick one from /plans.",

  precheckoutInactivePlan: "This plan is no longer available. Please pick another one from /plans.",

  precheckoutAmountMismatch: "The price of this plan has changed. Please open /plans and try again.",

  precheckoutUnavailable:
    "We could not confirm this payment right now. Nothing was charged; please try again.",

  paymentThanks: ({ until }) =>
    `Thank you for your payment! ⭐ Your access is active until ${formatDate(until)}.`,

  subscriptionThanks: ({ until }) =>
    `Thank you for subscribing! ⭐ Your access is active until ${formatDate(until)} and renews ` +
    "automatically every 30 days. /cancel stops the renewal.",

  subscriptionRenewedThanks: ({ until }) =>
    `⭐ Your Telegram Stars subscription was renewed. Access is active until ${formatDate(until)}.`,

  statusStarsRenewing: ({ until }) =>
    `✅ Access is active until ${formatDate(until)}.\n` +
    "Source: Telegram Stars subscription\n" +
    "Auto-renewal: on, every 30 days (/cancel stops it)",

  statusStarsCancelled: ({ until }) =>
    `✅ Telegram Stars subscription, renewal cancelled: access until ${formatDate(until)}.\n` +
    "/resume turns the renewal back on.",

  starsSubscriptionNone: "You have no Telegram Stars subscription running. Subscriptions are in /plans.",

  starsSubscriptionChoose: ({ command, plans }) =>
    `You have several Telegram Stars subscriptions. Which one? Send /${command} <plan>, one of: ` +
    plans.join(", "),

  starsSubscriptionCancelled: ({ until }) =>
    `Renewal of your Telegram Stars subscription is cancelled: you will not be charged again. ` +
    `Access stays until ${formatDate(until)}. /resume turns the renewal back on.`,

  starsSubscriptionResumed: ({ until }) =>
    `🔄 Your Telegram Stars subscription renews again: the next payment is due on ${formatDate(until)}.`,

  starsSubscriptionFailed:
    "Telegram could not change this subscription (it may have ended already). You can also manage it " +
    "in Telegram: Settings → My Stars. Problems? /paysupport",

  paymentUnmatched:
    "We received your payment but could not match it to a plan. Please write to /paysupport " +
    "with the transaction ID from the receipt and we will sort it out.",

  activated: ({ until, inviteLink }) =>
    `🎉 Your access is active until ${formatDate(until)}.` +
    (inviteLink ? `\n\nJoin the channel with your personal link (works once):\n${inviteLink}` : ""),

  renewed: ({ until }) => `🔄 Your access was extended. It is active until ${formatDate(until)}.`,

  shortened: ({ until }) => `Your access now ends on ${formatDate(until)}.`,

  cancelled: ({ until }) =>
    `Your subscription was cancelled and will not renew. Access stays active until ${formatDate(until)}.`,

  expired: "Your access has ended. You can renew it any time with /plans.",

  reminder: ({ msLeft, until }) =>
    `⏰ Your access ends ${enTimeLeft(msLeft)} (${formatDate(until)}). ` +
    "Renew it with /plans to keep it.",

  removedNoAccess: "You were removed from the channel because your access has ended. " +
    "Renew it with /plans to come back.",

  refunded: "Your payment was refunded, so the access it granted has been ended.",

  revoked:
    "Your access was revoked by an administrator. If you think this is a mistake, write to /paysupport.",

  supportSent: "✅ Your message was sent to support. We will answer you here.",

  supportUnavailable: "Sorry, support could not be reached right now. Please try /paysupport again later.",

  groupStatusSent: ({ name }) => `${name}, I've sent you your status in a private message.`,

  groupOpenBot: ({ name, bot }) =>
    `${name}, I can't write to you yet: open @${bot}, press Start, then ask again.`,

  buttonOpenBot: "Open the bot",

  notAdmin: "Sorry, this command is only for administrators.",

  codeRedeemed: ({ days, until }) =>
    `🎟 Code accepted: +${enDays(days)} of access. Your access lasts until ${formatDate(until)}.`,

  codeAlreadyUsed: "You have already used this code; each code works once per person.",

  codeUnknown: "There is no such code; please check it and try again.",

  codeExpired: "This code has expired and can no longer be used.",

  codeExhausted: "This code has already been used as many times as it allows.",

  codeOff: "This code has been switched off and can no longer be used.",

  codeRateLimited: ({ until }) =>
    `Too many wrong codes: please wait and try again after ${formatDate(until)}.`,

  adminUsage: (command, usage) => `Usage: /${command.replace(/^\//, "")} ${usage}`.trimEnd(),

  adminSync: ({ checked, expired, restored }) =>
    `Sync done.\nChecked: ${checked}\nExpired: ${expired}\nRestored: ${restored}`,

  adminGranted: ({ userId, days, until }) =>
    `Granted ${enDays(days)} to user ${userId}. Access until ${formatDate(until)}.`,

  adminRevoked: ({ userId, ended, starsStopped = 0, starsFailed = 0 }) =>
    (ended > 0
      ? `Access revoked for user ${userId}: ${ended} ${ended === 1 ? "subscription" : "subscriptions"} ended.`
      : `User ${userId} had no active access; nothing changed.`) +
    (starsStopped > 0 ? `\nTelegram Stars subscriptions no longer renewing: ${starsStopped}.` : "") +
    (starsFailed > 0
      ? `\nTelegram refused to stop the renewal of ${starsFailed} Telegram Stars ` +
        `${starsFailed === 1 ? "subscription" : "subscriptions"} (see the logs).`
      : ""),

  adminRefunded: ({ chargeId, userId }) =>
    `Refunded Stars payment ${chargeId}` + (userId != null ? ` of user ${userId}` : "") +
    ". The access it granted was ended.",

  adminRefundFailed: ({ chargeId, reason }) => `Refund of ${chargeId} failed: ${reason}`,

  refundReasonNotFound: "no Stars payment with this charge id",

  refundReasonAlreadyRefunded: "this payment was already refunded",

  adminUserNotFound: (userId) => `User ${userId} not found.`,

  adminUser: ({ userId, username, accessUntil, hasAccess, subscriptions }) => {
    const lines = [
      `User ${userId}${username ? ` (@${username})` : ""}`,
      `Access: ${hasAccess ? "yes" : "no"}` + (accessUntil ? `, until ${formatDate(accessUntil)}` : ""),
    ];
    if (subscriptions.length === 0) lines.push("Timeline: empty");
    else {
      lines.push("Timeline (what covers which dates):");
      for (const s of subscriptions) lines.push(timelineLine(s, "en"));
    }
    return lines.join("\n");
  },

  adminStats: ({ activeByProvider, revenue30d, failed24h }) => {
    const lines = ["Active subscriptions:"];
    const active = Object.entries(activeByProvider);
    if (active.length === 0) lines.push("• none");
    for (const [p, n] of active) lines.push(`• ${providerName(p, "en")}: ${n}`);
    lines.push("Revenue, last 30 days:");
    if (revenue30d.length === 0) lines.push("• none");
    for (const r of revenue30d) lines.push(`• ${rawAmount(r.amount, r.currency, "minor units")}`);
    if (failed24h !== undefined) {
      lines.push(
        `Failed deliveries, last 24 h: ${failed24h}` +
          (failed24h > 0 ? " (webhook_events where status = 'failed')" : ""),
      );
    }
    return lines.join("\n");
  },

  tributeTest: ({ webhookUrl, apiKeyPresent, apiReachable, webhookInfo }) =>
    [
      "Tribute check:",
      `Webhook URL to paste in Tribute: ${webhookUrl || "unknown (set PUBLIC_URL)"}`,
      `API key: ${apiKeyPresent ? "present" : "missing"}`,
      `Tribute API: ${apiReachable}`,
      `Telegram webhook: ${webhookInfo}`,
    ].join("\n"),

  supportHeader: ({ userId, name, username, access }) =>
    `📩 Support message from user ${userId}` +
    (name || username ? ` (${[name, username ? `@${username}` : null].filter(Boolean).join(", ")})` : "") +
    `\nAccess: ${access}\nReply to this message or to the forwarded one to answer.`,

  supportAccess: ({ hasAccess, until }) =>
    hasAccess
      ? `active${until ? ` until ${formatDate(until)}` : ""}`
      : until
      ? `none (ended ${formatDate(until)})`
      : "none (never had access)",

  supportReplySent: (userId) => `✅ Your reply was sent to user ${userId}.`,

  supportReplyFailed: ({ userId, reason }) => `Could not send the reply to user ${userId}: ${reason}`,

  textsList: (lines) =>
    [
      "Editable texts (* = required placeholder; [..] = languages with an override):",
      ...lines.map((l) =>
        `• ${l.key}${l.placeholders ? `: ${l.placeholders}` : ""}` +
        (l.overridden.length ? ` [${l.overridden.join(", ")}]` : "")
      ),
      "",
      "Change one: reply to a message with the new wording: /text <key> [en|ru]. Undo: /text <key> reset [en|ru].",
    ].join("\n"),

  textUnknownKey: (key) => `Unknown text key "${key}". /texts lists them.`,

  textHowTo: ({ key, lang, placeholders, current }) =>
    [
      `Text "${key}" (${lang}). Placeholders: ${placeholders || "none"}.`,
      current === null ? "No override: the built-in text is used." : `Current override:\n${current}`,
      "",
      `To change it, reply to a message with the new wording: /text ${key} ${lang}`,
      `To go back to the built-in text: /text ${key} reset ${lang}`,
    ].join("\n"),

  textRefused: ({ key, unknown, missing, allowed }) =>
    [
      `Not saved: the text for "${key}" ` +
      [
        unknown.length ? `uses unknown placeholders ${unknown.map((p) => `{${p}}`).join(" ")}` : "",
        missing.length ? `lacks the required ${missing.map((p) => `{${p}}`).join(" ")}` : "",
      ].filter(Boolean).join(" and ") + ".",
      `Allowed placeholders (* = required): ${allowed || "none"}`,
    ].join("\n"),

  textTooLong: ({ key, max }) => `Not saved: the text for "${key}" may be at most ${max} characters.`,

  textSaved: ({ key, lang, preview }) =>
    `Saved "${key}" (${lang}). With example values it reads:\n\n${preview}`,

  textReset: ({ key, lang, removed }) =>
    removed
      ? `"${key}" (${lang}) is back to the built-in text.`
      : `"${key}" (${lang}) had no override; nothing changed.`,
  broadcastNeedsReply: "Reply to the message you want to send with /broadcast active, /broadcast expired " +
    "or /broadcast all. Text, photos, videos and files are copied as they are.",

  broadcastConfirm: ({ id, audience, size }) =>
    `Broadcast #${id} to ${AUDIENCES.en[audience] ?? audience}: ${size} ${
      size === 1 ? "recipient" : "recipients"
    }. Send it?`,

  broadcastEmpty: ({ audience }) => `Nobody to send to: no ${AUDIENCES.en[audience] ?? audience} right now.`,

  buttonBroadcastSend: (size) => `✅ Send to ${size}`,

  buttonBroadcastCancel: "✖️ Cancel",

  broadcastQueued: ({ id, recipients, perSecond, minutes }) =>
    `Broadcast #${id} confirmed: ${recipients} ${recipients === 1 ? "message" : "messages"} queued. ` +
    `Sending starts within a minute at up to ${perSecond} per second (about ${minutes} min).\n` +
    `/broadcast_status ${id} shows the progress, /broadcast_cancel ${id} stops it.`,

  broadcastAlreadyConfirmed: (id) => `Broadcast #${id} is already confirmed; nothing was queued twice.`,

  broadcastCancelled: ({ id, skipped }) =>
    `Broadcast #${id} cancelled` +
    (skipped > 0 ? `: ${skipped} unsent ${skipped === 1 ? "message" : "messages"} dropped.` : "."),

  broadcastAlreadyCancelled: (id) => `Broadcast #${id} was already cancelled.`,

  broadcastFinished: (id) => `Broadcast #${id} has already been sent to everyone; nothing to cancel.`,

  broadcastNotFound: (id) => id != null ? `Broadcast #${id} not found.` : "No broadcasts yet.",

  broadcastStatus: ({ id, audience, status, total, sent, failed, blocked, cancelled, left, createdAt }) =>
    [
      `Broadcast #${id} to ${AUDIENCES.en[audience] ?? audience} (${formatDate(createdAt)}): ` +
      `${BROADCAST_STATES.en[status] ?? status}`,
      `Recipients: ${total}`,
      `Sent: ${sent}`,
      `Failed: ${failed}`,
      `Blocked the bot: ${blocked}`,
      ...(cancelled > 0 ? [`Cancelled: ${cancelled}`] : []),
      `Left: ${left}`,
    ].join("\n"),

  adminCodeCreated: ({ code, link, days, maxUses, validUntil }) =>
    `Code ${code} created: ${enDays(days)} of access, ${maxUses} ${maxUses === 1 ? "use" : "uses"}, ` +
    (validUntil ? `valid until ${formatDate(validUntil)}` : "no end date") + `.\nLink: ${link}`,

  adminCodes: ({ total, codes }) => {
    if (total === 0) return "No access codes yet. Create one: /code_new <days> [max_uses] [valid_days]";
    const lines = [`Access codes (${total}):`];
    for (const c of codes) {
      lines.push(
        `• ${c.code} — ${enDays(c.days)} · ${c.maxUses - c.used} of ${c.maxUses} uses left · ` +
          (c.validUntil ? `until ${formatDate(c.validUntil)}` : "no end date") +
          ` · ${CODE_STATES.en[c.state] ?? c.state}`,
      );
      if (c.state === "active") lines.push(`   ${c.link}`);
    }
    if (codes.length < total) lines.push(`(the newest ${codes.length} of ${total})`);
    return lines.join("\n");
  },

  adminCodeOff: ({ code, status, used, maxUses }) =>
    status === "off"
      ? `Code ${code} is switched off (${used ?? 0} of ${maxUses ?? 0} uses made). Access it gave stays.`
      : status === "already_off"
      ? `Code ${code} was already switched off; nothing changed.`
      : `There is no code ${code}.`,
};

// ---------------------------------------------------------------------------------------------------------
// Russian

const ru: Texts = {
  providerName: (provider) => providerName(provider, "ru"),

  welcome: (name) =>
    `Привет${name ? `, ${name}` : ""}! 👋\n` +
    "Я выдаю доступ к нашему закрытому каналу. Оплатите через Tribute или звёздами Telegram — " +
    "и я пришлю вам личную ссылку-приглашение.\n\n" +
    "Команды:\n/status — ваш доступ\n/plans — тарифы и цены\n/paysupport — помощь с оплатой\n" +
    "/terms — условия",

  statusNone: "У вас пока нет доступа. Выберите тариф в /plans.",

  statusActive: ({ until, provider, autoRenew }) =>
    `✅ Доступ активен до ${formatDate(until)}.\n` +
    `Источник: ${providerName(provider, "ru")}\n` +
    `Автопродление: ${autoRenew ? "включено" : "выключено"}`,

  statusExpired: ({ until }) => `Ваш доступ закончился ${formatDate(until)}. Продлить его можно в /plans.`,

  howToPay: "Как оплатить: откройте /plans и выберите тариф. В Tribute можно заплатить картой, а звёздами " +
    "Telegram — прямо здесь, в Telegram. Доступ включится автоматически, как только оплата подтвердится.",

  plansHeader: "Доступные тарифы:",

  plansNone: "Сейчас нет доступных тарифов. Загляните чуть позже.",

  planLine: ({ title, days, starsPrice, recurring }) =>
    `• ${title} — ${ruDays(days)}` +
    (starsPrice != null ? `, ⭐ ${ruStars(starsPrice)}${recurring ? ` ${RU_RENEWAL}` : ""}` : ""),

  buttonTribute: (title) => `💳 ${title} через Tribute`,

  buttonStars: ({ title, stars }) => `⭐ ${title} за ${ruStars(stars)}`,

  invoiceTitle: (title) => clip(title, 32),

  invoiceDescription: ({ title, days }) =>
    clip(`${title}: доступ к закрытому каналу на ${ruDays(days)}.`, 255),

  invoiceDescriptionRecurring: ({ title }) =>
    clip(
      `${title}: доступ к закрытому каналу, продлевается автоматически каждые 30 дней. ` +
        "Отключить продление можно в любой момент командой /cancel.",
      255,
    ),

  subscriptionOffer: ({ title, stars }) =>
    `⭐ ${title}: подписка за звёзды Telegram, ${ruStars(stars)} каждые 30 дней.\n` +
    "Нажмите кнопку, чтобы оформить. Подписка продлевается автоматически; /cancel отключает продление, " +
    "а доступ сохраняется до конца оплаченного периода.",

  buttonSubscribe: ({ stars }) => `⭐ Подписаться: ${ruStars(stars)} / 30 дней`,

  paySupport: "Проблемы с оплатой? Напишите нам прямо сюда и опишите, что случилось: дату, сумму и способ " +
    "оплаты. Если платили звёздами, приложите ID транзакции из чека. Обычно мы отвечаем в течение дня.",

  terms: "Условия:\n" +
    "• Оплата даёт доступ к закрытому каналу на срок выбранного тарифа.\n" +
    "• Подписка продлевается автоматически, пока вы не отмените её (в Tribute или командой /cancel для " +
    "подписки за звёзды Telegram); после отмены доступ сохраняется до конца оплаченного периода.\n" +
    "• Доступ личный: ссылка-приглашение одноразовая и работает только для вас.\n" +
    "• Возвраты — через /paysupport; после возврата доступ, полученный за этот платёж, прекращается.",

  precheckoutUnknownPlan: "Такого тарифа больше нет. Выберите тариф в /plans.",

  precheckoutInactivePlan: "Этот тариф больше недоступен. Выберите другой в /plans.",

  precheckoutAmountMismatch: "Цена тарифа изменилась. Откройте /plans и попробуйте ещё раз.",

  precheckoutUnavailable: "Сейчас не удаётся подтвердить оплату. Деньги не списаны, попробуйте ещё раз.",

  paymentThanks: ({ until }) => `Спасибо за оплату! ⭐ Доступ активен до ${formatDate(until)}.`,

  subscriptionThanks: ({ until }) =>
    `Спасибо за подписку! ⭐ Доступ активен до ${formatDate(until)} и продлевается автоматически ` +
    "каждые 30 дней. /cancel отключает продление.",

  subscriptionRenewedThanks: ({ until }) =>
    `⭐ Подписка за звёзды Telegram продлена. Доступ активен до ${formatDate(until)}.`,

  statusStarsRenewing: ({ until }) =>
    `✅ Доступ активен до ${formatDate(until)}.\n` +
    "Источник: подписка за звёзды Telegram\n" +
    "Автопродление: включено, каждые 30 дней (/cancel отключает)",

  statusStarsCancelled: ({ until }) =>
    `✅ Подписка за звёзды Telegram, продление отменено: доступ до ${formatDate(until)}.\n` +
    "/resume снова включает продление.",

  starsSubscriptionNone: "У вас нет действующей подписки за звёзды Telegram. Подписки — в /plans.",

  starsSubscriptionChoose: ({ command, plans }) =>
    `У вас несколько подписок за звёзды Telegram. Какую? Отправьте /${command} <тариф>, один из: ` +
    plans.join(", "),

  starsSubscriptionCancelled: ({ until }) =>
    "Продление подписки за звёзды Telegram отменено: больше списаний не будет. " +
    `Доступ сохраняется до ${formatDate(until)}. /resume снова включает продление.`,

  starsSubscriptionResumed: ({ until }) =>
    `🔄 Подписка за звёзды Telegram снова продлевается: следующее списание ${formatDate(until)}.`,

  starsSubscriptionFailed:
    "Telegram не смог изменить эту подписку (возможно, она уже закончилась). Управлять ею можно и в " +
    "Telegram: Настройки → Мои звёзды. Если что-то не так — /paysupport",

  paymentUnmatched: "Оплата получена, но мы не смогли сопоставить её с тарифом. Напишите в /paysupport " +
    "и приложите ID транзакции из чека — мы всё исправим.",

  activated: ({ until, inviteLink }) =>
    `🎉 Доступ активен до ${formatDate(until)}.` +
    (inviteLink ? `\n\nВступайте в канал по личной ссылке (она одноразовая):\n${inviteLink}` : ""),

  renewed: ({ until }) => `🔄 Доступ продлён. Он активен до ${formatDate(until)}.`,

  shortened: ({ until }) => `Теперь ваш доступ заканчивается ${formatDate(until)}.`,

  cancelled: ({ until }) =>
    `Подписка отменена и больше не продлится. Доступ сохранится до ${formatDate(until)}.`,

  expired: "Ваш доступ закончился. Продлить его можно в любой момент через /plans.",

  reminder: ({ msLeft, until }) =>
    `⏰ Доступ закончится ${ruTimeLeft(msLeft)} (${formatDate(until)}). ` +
    "Чтобы не потерять его, продлите в /plans.",

  removedNoAccess:
    "Вы удалены из канала, потому что срок доступа закончился. Чтобы вернуться, продлите его в /plans.",

  refunded: "Платёж возвращён, поэтому доступ, полученный за него, прекращён.",

  revoked: "Администратор отозвал ваш доступ. Если это ошибка, напишите в /paysupport.",

  supportSent: "✅ Ваше сообщение отправлено в поддержку. Мы ответим вам здесь.",

  supportUnavailable: "Не удалось связаться с поддержкой. Попробуйте /paysupport ещё раз чуть позже.",

  groupStatusSent: ({ name }) => `${name}, я отправил ваш статус в личные сообщения.`,

  groupOpenBot: ({ name, bot }) =>
    `${name}, я пока не могу вам написать: откройте @${bot}, нажмите «Старт» и спросите ещё раз.`,

  buttonOpenBot: "Открыть бота",

  notAdmin: "Извините, эта команда только для администраторов.",

  codeRedeemed: ({ days, until }) =>
    `🎟 Код принят: +${ruDays(days)} доступа. Доступ действует до ${formatDate(until)}.`,

  codeAlreadyUsed: "Вы уже использовали этот код: каждый код действует один раз для одного человека.",

  codeUnknown: "Такого кода нет: проверьте его и попробуйте ещё раз.",

  codeExpired: "Срок действия этого кода истёк, использовать его больше нельзя.",

  codeExhausted: "Этот код уже использован максимальное число раз.",

  codeOff: "Этот код отключён, использовать его больше нельзя.",

  codeRateLimited: ({ until }) =>
    `Слишком много неверных кодов: подождите и попробуйте снова после ${formatDate(until)}.`,

  adminUsage: (command, usage) => `Использование: /${command.replace(/^\//, "")} ${usage}`.trimEnd(),

  adminSync: ({ checked, expired, restored }) =>
    `Синхронизация завершена.\nПроверено: ${checked}\nИстекло: ${expired}\nВосстановлено: ${restored}`,

  adminGranted: ({ userId, days, until }) =>
    `Пользователю ${userId} выдано ${ruDays(days)}. Доступ до ${formatDate(until)}.`,

  adminRevoked: ({ userId, ended, starsStopped = 0, starsFailed = 0 }) =>
    (ended > 0
      ? `Доступ пользователя ${userId} отозван (завершено подписок: ${ended}).`
      : `У пользователя ${userId} не было активного доступа, ничего не изменилось.`) +
    (starsStopped > 0 ? `\nПодписок за звёзды Telegram больше не продлевается: ${starsStopped}.` : "") +
    (starsFailed > 0
      ? `\nTelegram не дал отключить продление подписок за звёзды: ${starsFailed} (подробности в логах).`
      : ""),

  adminRefunded: ({ chargeId, userId }) =>
    `Платёж звёздами ${chargeId}` + (userId != null ? ` пользователя ${userId}` : "") +
    " возвращён. Выданный за него доступ прекращён.",

  adminRefundFailed: ({ chargeId, reason }) => `Не удалось вернуть ${chargeId}: ${reason}`,

  refundReasonNotFound: "платёж звёздами с таким charge id не найден",

  refundReasonAlreadyRefunded: "этот платёж уже возвращён",

  adminUserNotFound: (userId) => `Пользователь ${userId} не найден.`,

  adminUser: ({ userId, username, accessUntil, hasAccess, subscriptions }) => {
    const lines = [
      `Пользователь ${userId}${username ? ` (@${username})` : ""}`,
      `Доступ: ${hasAccess ? "есть" : "нет"}` + (accessUntil ? `, до ${formatDate(accessUntil)}` : ""),
    ];
    if (subscriptions.length === 0) lines.push("История доступа: пусто");
    else {
      lines.push("История доступа (что покрывает какие даты):");
      for (const s of subscriptions) lines.push(timelineLine(s, "ru"));
    }
    return lines.join("\n");
  },

  adminStats: ({ activeByProvider, revenue30d, failed24h }) => {
    const lines = ["Активные подписки:"];
    const active = Object.entries(activeByProvider);
    if (active.length === 0) lines.push("• нет");
    for (const [p, n] of active) lines.push(`• ${providerName(p, "ru")}: ${n}`);
    lines.push("Выручка за 30 дней:");
    if (revenue30d.length === 0) lines.push("• нет");
    for (const r of revenue30d) lines.push(`• ${rawAmount(r.amount, r.currency, "в минимальных единицах")}`);
    if (failed24h !== undefined) {
      lines.push(
        `Неудачные доставки за 24 ч: ${failed24h}` +
          (failed24h > 0 ? " (webhook_events, status = 'failed')" : ""),
      );
    }
    return lines.join("\n");
  },

  tributeTest: ({ webhookUrl, apiKeyPresent, apiReachable, webhookInfo }) =>
    [
      "Проверка Tribute:",
      `URL вебхука для Tribute: ${webhookUrl || "неизвестен (задайте PUBLIC_URL)"}`,
      `API-ключ: ${apiKeyPresent ? "есть" : "отсутствует"}`,
      `Tribute API: ${apiReachable}`,
      `Вебхук Telegram: ${webhookInfo}`,
    ].join("\n"),

  supportHeader: ({ userId, name, username, access }) =>
    `📩 Сообщение в поддержку от пользователя ${userId}` +
    (name || username ? ` (${[name, username ? `@${username}` : null].filter(Boolean).join(", ")})` : "") +
    `\nДоступ: ${access}\nЧтобы ответить, ответьте на это сообщение или на пересланное.`,

  supportAccess: ({ hasAccess, until }) =>
    hasAccess
      ? `активен${until ? ` до ${formatDate(until)}` : ""}`
      : until
      ? `нет (закончился ${formatDate(until)})`
      : "нет (никогда не было)",

  supportReplySent: (userId) => `✅ Ответ отправлен пользователю ${userId}.`,

  supportReplyFailed: ({ userId, reason }) => `Не удалось отправить ответ пользователю ${userId}: ${reason}`,

  textsList: (lines) =>
    [
      "Редактируемые тексты (* — обязательный плейсхолдер; [..] — языки, где текст изменён):",
      ...lines.map((l) =>
        `• ${l.key}${l.placeholders ? `: ${l.placeholders}` : ""}` +
        (l.overridden.length ? ` [${l.overridden.join(", ")}]` : "")
      ),
      "",
      "Изменить: ответьте на сообщение с новым текстом командой /text <ключ> [en|ru]. " +
      "Вернуть исходный: /text <ключ> reset [en|ru].",
    ].join("\n"),

  textUnknownKey: (key) => `Неизвестный ключ текста «${key}». Список — в /texts.`,

  textHowTo: ({ key, lang, placeholders, current }) =>
    [
      `Текст «${key}» (${lang}). Плейсхолдеры: ${placeholders || "нет"}.`,
      current === null ? "Не изменён: используется встроенный текст." : `Сейчас:\n${current}`,
      "",
      `Чтобы изменить, ответьте на сообщение с новым текстом: /text ${key} ${lang}`,
      `Чтобы вернуть встроенный текст: /text ${key} reset ${lang}`,
    ].join("\n"),

  textRefused: ({ key, unknown, missing, allowed }) =>
    [
      `Не сохранено: в тексте «${key}» ` +
      [
        unknown.length ? `неизвестные плейсхолдеры ${unknown.map((p) => `{${p}}`).join(" ")}` : "",
        missing.length ? `нет обязательных ${missing.map((p) => `{${p}}`).join(" ")}` : "",
      ].filter(Boolean).join(" и ") + ".",
      `Допустимые плейсхолдеры (* — обязательный): ${allowed || "нет"}`,
    ].join("\n"),

  textTooLong: ({ key, max }) => `Не сохранено: текст «${key}» может быть не длиннее ${max} символов.`,

  textSaved: ({ key, lang, preview }) => `Сохранено «${key}» (${lang}). С примерами значений:\n\n${preview}`,

  textReset: ({ key, lang, removed }) =>
    removed
      ? `«${key}» (${lang}) снова использует встроенный текст.`
      : `У «${key}» (${lang}) не было изменений; ничего не поменялось.`,
  broadcastNeedsReply: "Ответьте на сообщение, которое нужно разослать, командой /broadcast active, " +
    "/broadcast expired или /broadcast all. Текст, фото, видео и файлы копируются как есть.",

  broadcastConfirm: ({ id, audience, size }) =>
    `Рассылка №${id}, получатели — ${AUDIENCES.ru[audience] ?? audience}: ${size} ${
      ruPlural(size, "человек", "человека", "человек")
    }. Отправить?`,

  broadcastEmpty: ({ audience }) =>
    `Отправлять некому: сейчас нет получателей (${AUDIENCES.ru[audience] ?? audience}).`,

  buttonBroadcastSend: (size) => `✅ Отправить ${size}`,

  buttonBroadcastCancel: "✖️ Отмена",

  broadcastQueued: ({ id, recipients, perSecond, minutes }) =>
    `Рассылка №${id} подтверждена: в очереди ${recipients} ${
      ruPlural(recipients, "сообщение", "сообщения", "сообщений")
    }. ` +
    `Отправка начнётся в течение минуты, до ${perSecond} в секунду (примерно ${minutes} мин).\n` +
    `/broadcast_status ${id} — ход рассылки, /broadcast_cancel ${id} — остановить.`,

  broadcastAlreadyConfirmed: (id) =>
    `Рассылка №${id} уже подтверждена; повторно ничего не поставлено в очередь.`,

  broadcastCancelled: ({ id, skipped }) =>
    `Рассылка №${id} отменена` + (skipped > 0 ? `: не отправлено и снято с очереди — ${skipped}.` : "."),

  broadcastAlreadyCancelled: (id) => `Рассылка №${id} уже отменена.`,

  broadcastFinished: (id) => `Рассылка №${id} уже отправлена всем; отменять нечего.`,

  broadcastNotFound: (id) => id != null ? `Рассылка №${id} не найдена.` : "Рассылок ещё не было.",

  broadcastStatus: ({ id, audience, status, total, sent, failed, blocked, cancelled, left, createdAt }) =>
    [
      `Рассылка №${id}, получатели — ${AUDIENCES.ru[audience] ?? audience} (${formatDate(createdAt)}): ` +
      `${BROADCAST_STATES.ru[status] ?? status}`,
      `Получателей: ${total}`,
      `Отправлено: ${sent}`,
      `Ошибки: ${failed}`,
      `Заблокировали бота: ${blocked}`,
      ...(cancelled > 0 ? [`Отменено: ${cancelled}`] : []),
      `Осталось: ${left}`,
    ].join("\n"),

  adminCodeCreated: ({ code, link, days, maxUses, validUntil }) =>
    `Код ${code} создан: ${ruDays(days)} доступа, ${maxUses} ${
      ruPlural(maxUses, "активация", "активации", "активаций")
    }, ` +
    (validUntil ? `действует до ${formatDate(validUntil)}` : "без срока") + `.\nСсылка: ${link}`,

  adminCodes: ({ total, codes }) => {
    if (total === 0) return "Кодов доступа пока нет. Создать: /code_new <дни> [активаций] [дней_действия]";
    const lines = [`Коды доступа (${total}):`];
    for (const c of codes) {
      lines.push(
        `• ${c.code} — ${ruDays(c.days)} · осталось ${c.maxUses - c.used} из ${c.maxUses} · ` +
          (c.validUntil ? `до ${formatDate(c.validUntil)}` : "без срока") +
          ` · ${CODE_STATES.ru[c.state] ?? c.state}`,
      );
      if (c.state === "active") lines.push(`   ${c.link}`);
    }
    if (codes.length < total) lines.push(`(показаны ${codes.length} новейших из ${total})`);
    return lines.join("\n");
  },

  adminCodeOff: ({ code, status, used, maxUses }) =>
    status === "off"
      ? `Код ${code} отключён (использован ${used ?? 0} из ${
        maxUses ?? 0
      }). Выданный по нему доступ сохраняется.`
      : status === "already_off"
      ? `Код ${code} уже был отключён; ничего не изменилось.`
      : `Кода ${code} нет.`,
};

export const texts: Record<Lang, Texts> = { en, ru };

// ---------------------------------------------------------------------------------------------------------
// Editable texts (/text, /texts): every text a user sees has a key and a declared set of placeholders.
// An override (public.bot_texts) is a template; `{name}` is replaced by the value the default would
// have shown. Texts stay plain (no parse_mode), so nothing is escaped. Admin-only texts are not editable.

export const TEXT_LANGS: readonly Lang[] = ["en", "ru"];

/** Overrides of one language as `bot_text_overrides(p_lang)` returns them: {key: template}. */
export type TextOverrides = Record<string, string>;

type Args<K extends keyof Texts> = Texts[K] extends (...args: infer A) => string ? A : [];

interface TextSpec {
  /** The member of `Texts` the key overrides. */
  field: keyof Texts;
  /** Placeholder name → required. */
  placeholders: Record<string, boolean>;
  /** The placeholder values for one call of the default (absent for plain strings). */
  values?: (lang: Lang, ...args: never[]) => Record<string, string>;
  /** Telegram's limit for where the text goes (message 4096, button 64, invoice description 255). */
  max: number;
}

const REQUIRED = true;
const OPTIONAL = false;

function spec<K extends keyof Texts>(
  field: K,
  placeholders: Record<string, boolean> = {},
  values?: (lang: Lang, ...args: Args<K>) => Record<string, string>,
  max = 4096,
): TextSpec {
  return { field, placeholders, values: values as TextSpec["values"], max };
}

const days = (lang: Lang, n: number) => lang === "ru" ? ruDays(n) : enDays(n);
const stars = (lang: Lang, n: number) => lang === "ru" ? ruStars(n) : enStars(n);
const onOff = (lang: Lang, on: boolean) =>
  lang === "ru" ? (on ? "включено" : "выключено") : (on ? "on" : "off");

/**
 * The editable keys. Keys are the outbox template names where one exists (activated, renewed, ...),
 * so the outbox's `template` and the override key are the same string.
 */
export const TEXT_SPECS: Record<string, TextSpec> = {
  welcome: spec("welcome", { name: OPTIONAL }, (_l, name) => ({ name: name ?? "" })),
  status_none: spec("statusNone"),
  status_active: spec(
    "statusActive",
    { until: REQUIRED, source: OPTIONAL, auto_renew: OPTIONAL },
    (lang, p) => ({
      until: formatDate(p.until),
      source: providerName(p.provider, lang),
      auto_renew: onOff(lang, p.autoRenew),
    }),
  ),
  status_expired: spec("statusExpired", { until: REQUIRED }, (_l, p) => ({ until: formatDate(p.until) })),
  how_to_pay: spec("howToPay"),
  plans_header: spec("plansHeader"),
  plans_none: spec("plansNone"),
  plan_line: spec(
    "planLine",
    { title: REQUIRED, days: OPTIONAL, stars: OPTIONAL, renewal: OPTIONAL },
    (lang, p) => ({
      title: p.title,
      days: days(lang, p.days),
      stars: p.starsPrice != null ? stars(lang, p.starsPrice) : "",
      renewal: p.recurring ? (lang === "ru" ? RU_RENEWAL : EN_RENEWAL) : "",
    }),
  ),
  button_tribute: spec("buttonTribute", { title: REQUIRED }, (_l, title) => ({ title }), 64),
  button_stars: spec(
    "buttonStars",
    { title: REQUIRED, stars: OPTIONAL },
    (_l, p) => ({ title: p.title, stars: String(p.stars) }),
    64,
  ),
  invoice_description: spec(
    "invoiceDescription",
    { title: OPTIONAL, days: OPTIONAL },
    (lang, p) => ({ title: p.title, days: days(lang, p.days) }),
    255,
  ),
  invoice_description_recurring: spec(
    "invoiceDescriptionRecurring",
    { title: OPTIONAL },
    (_l, p) => ({ title: p.title }),
    255,
  ),
  subscription_offer: spec(
    "subscriptionOffer",
    { title: OPTIONAL, stars: OPTIONAL },
    (lang, p) => ({ title: p.title, stars: stars(lang, p.stars) }),
  ),
  button_subscribe: spec(
    "buttonSubscribe",
    { title: OPTIONAL, stars: OPTIONAL },
    (_l, p) => ({ title: p.title, stars: String(p.stars) }),
    64,
  ),
  pay_support: spec("paySupport"),
  terms: spec("terms"),
  precheckout_unknown_plan: spec("precheckoutUnknownPlan", {}, undefined, 255),
  precheckout_inactive_plan: spec("precheckoutInactivePlan", {}, undefined, 255),
  precheckout_amount_mismatch: spec("precheckoutAmountMismatch", {}, undefined, 255),
  precheckout_unavailable: spec("precheckoutUnavailable", {}, undefined, 255),
  payment_thanks: spec("paymentThanks", { until: REQUIRED }, (_l, p) => ({ until: formatDate(p.until) })),
  payment_unmatched: spec("paymentUnmatched"),
  subscription_thanks: spec(
    "subscriptionThanks",
    { until: REQUIRED },
    (_l, p) => ({ until: formatDate(p.until) }),
  ),
  subscription_renewed_thanks: spec(
    "subscriptionRenewedThanks",
    { until: REQUIRED },
    (_l, p) => ({ until: formatDate(p.until) }),
  ),
  status_stars_renewing: spec(
    "statusStarsRenewing",
    { until: REQUIRED },
    (_l, p) => ({ until: formatDate(p.until) }),
  ),
  status_stars_cancelled: spec(
    "statusStarsCancelled",
    { until: REQUIRED },
    (_l, p) => ({ until: formatDate(p.until) }),
  ),
  stars_subscription_none: spec("starsSubscriptionNone"),
  stars_subscription_choose: spec(
    "starsSubscriptionChoose",
    { command: OPTIONAL, plans: REQUIRED },
    (_l, p) => ({ command: p.command, plans: p.plans.join(", ") }),
  ),
  stars_subscription_cancelled: spec(
    "starsSubscriptionCancelled",
    { until: REQUIRED },
    (_l, p) => ({ until: formatDate(p.until) }),
  ),
  stars_subscription_resumed: spec(
    "starsSubscriptionResumed",
    { until: REQUIRED },
    (_l, p) => ({ until: formatDate(p.until) }),
  ),
  stars_subscription_failed: spec("starsSubscriptionFailed"),
  activated: spec(
    "activated",
    { until: REQUIRED, invite_link: REQUIRED },
    (_l, p) => ({ until: formatDate(p.until), invite_link: p.inviteLink ?? "" }),
  ),
  renewed: spec("renewed", { until: REQUIRED }, (_l, p) => ({ until: formatDate(p.until) })),
  shortened: spec("shortened", { until: REQUIRED }, (_l, p) => ({ until: formatDate(p.until) })),
  cancelled: spec("cancelled", { until: REQUIRED }, (_l, p) => ({ until: formatDate(p.until) })),
  expired: spec("expired"),
  reminder: spec(
    "reminder",
    { until: REQUIRED, time_left: OPTIONAL },
    (lang, p) => ({
      until: formatDate(p.until),
      time_left: lang === "ru" ? ruTimeLeft(p.msLeft) : enTimeLeft(p.msLeft),
    }),
  ),
  removed_no_access: spec("removedNoAccess"),
  refunded: spec("refunded"),
  revoked: spec("revoked"),
  support_sent: spec("supportSent"),
  support_unavailable: spec("supportUnavailable"),
  group_status_sent: spec("groupStatusSent", { name: OPTIONAL }, (_l, p) => ({ name: p.name })),
  group_open_bot: spec(
    "groupOpenBot",
    { name: OPTIONAL, bot: REQUIRED },
    (_l, p) => ({ name: p.name, bot: p.bot }),
  ),
  button_open_bot: spec("buttonOpenBot", {}, undefined, 64),
  not_admin: spec("notAdmin"),
  code_redeemed: spec(
    "codeRedeemed",
    { until: REQUIRED, days: OPTIONAL },
    (lang, p) => ({ until: formatDate(p.until), days: days(lang, p.days) }),
  ),
  code_already_used: spec("codeAlreadyUsed"),
  code_unknown: spec("codeUnknown"),
  code_expired: spec("codeExpired"),
  code_exhausted: spec("codeExhausted"),
  code_off: spec("codeOff"),
  code_rate_limited: spec(
    "codeRateLimited",
    { until: REQUIRED },
    (_l, p) => ({ until: formatDate(p.until) }),
  ),
};

/** `{until}* {source}`: a key's placeholders as /texts and refusals show them (* = required). */
export function describePlaceholders(key: string): string {
  const s = TEXT_SPECS[key];
  if (!s) return "";
  return Object.entries(s.placeholders).map(([name, req]) => `{${name}}${req ? "*" : ""}`).join(" ");
}

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/** Placeholder names used in a template, in order of first use. */
export function placeholdersIn(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(PLACEHOLDER), (m) => m[1]))];
}

export type OverrideCheck =
  | { ok: true }
  | { ok: false; reason: "unknown_key" }
  | { ok: false; reason: "too_long"; max: number }
  | { ok: false; reason: "placeholders"; unknown: string[]; missing: string[] };

/** Whether `template` may override `key`: known key, within the length limit, placeholders allowed and complete. */
export function checkOverride(key: string, template: string): OverrideCheck {
  const s = TEXT_SPECS[key];
  if (!s) return { ok: false, reason: "unknown_key" };
  if (template.trim().length === 0 || Array.from(template).length > s.max) {
    return { ok: false, reason: "too_long", max: s.max };
  }
  const used = placeholdersIn(template);
  const unknown = used.filter((p) => !(p in s.placeholders));
  const missing = Object.entries(s.placeholders).filter(([p, req]) => req && !used.includes(p)).map(([p]) =>
    p
  );
  return unknown.length || missing.length
    ? { ok: false, reason: "placeholders", unknown, missing }
    : { ok: true };
}

/**
 * Fills `{name}` placeholders; a name without a value stays as written. A placeholder whose value is
 * empty (e.g. no invite link without PAID_CHAT_ID) leaves no blank run of lines behind.
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  let emptied = false;
  const out = template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!Object.hasOwn(values, name)) return whole;
    if (values[name] === "") emptied = true;
    return values[name];
  });
  return emptied ? out.replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n").trim() : out;
}

/** Values to preview an override with (what /text answers after saving). */
export function exampleValues(lang: Lang): Record<string, string> {
  return {
    until: formatDate(new Date(Date.now() + 30 * 86_400_000)),
    invite_link: "https://t.me/+ExampleInvite",
    name: lang === "ru" ? "Аня" : "Ann",
    title: lang === "ru" ? "1 месяц" : "1 month",
    days: days(lang, 30),
    stars: "250",
    source: "Tribute",
    auto_renew: onOff(lang, true),
    bot: "your_bot",
    renewal: lang === "ru" ? RU_RENEWAL : EN_RENEWAL,
    command: "cancel",
    plans: "month, year",
  };
}

/** `texts[lang]` with the overrides applied (the same object when there are none). */
export function withOverrides(lang: Lang, overrides?: TextOverrides | null): Texts {
  const base = texts[lang];
  if (!overrides) return base;
  let out: Record<string, unknown> | null = null;
  for (const [key, template] of Object.entries(overrides)) {
    const s = TEXT_SPECS[key];
    // rows written before a key or a rule changed in code: the built-in text wins
    if (!s || typeof template !== "string" || !checkOverride(key, template).ok) continue;
    out ??= { ...base };
    const values = s.values;
    out[s.field] = values
      ? (...args: never[]) => clip(renderTemplate(template, values(lang, ...args)), s.max)
      : template;
  }
  return (out as Texts | null) ?? base;
}

/**
 * The texts for a Telegram `language_code`, with that language's overrides when given. This is what
 * the outbox calls too: `textsFor(row.language_code, await overridesFor(langOf(row.language_code)))`.
 */
export function textsFor(languageCode?: string | null, overrides?: TextOverrides | null): Texts {
  return withOverrides(langOf(languageCode), overrides);
}
