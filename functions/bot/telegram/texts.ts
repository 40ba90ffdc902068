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

export interface SubscriptionSummary {
  provider: string;
  status: string;
  expiresAt: DateLike | null;
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
  planLine(p: { title: string; days: number; starsPrice?: number | null }): string;
  buttonTribute(title: string): string;
  buttonStars(p: { title: string; stars: number }): string;
  /** Telegram limits invoice titles to 32 characters. */
  invoiceTitle(title: string): string;
  /** Telegram limits invoice descriptions to 255 characters. */
  invoiceDescription(p: { title: string; days: number }): string;
  paySupport: string;
  terms: string;
  precheckoutUnknownPlan: string;
  precheckoutInactivePlan: string;
  precheckoutAmountMismatch: string;
  /** pre_checkout_query could not be checked (database down): the user should simply retry. */
  precheckoutUnavailable: string;
  paymentThanks(p: { until: DateLike }): string;
  /** A Stars payment whose invoice names no plan we know: money taken, nothing granted yet. */
  paymentUnmatched: string;
  activated(p: { until: DateLike; inviteLink?: string | null }): string;
  renewed(p: { until: DateLike }): string;
  cancelled(p: { until: DateLike }): string;
  expired: string;
  reminder(p: { daysLeft: number; until: DateLike }): string;
  removedNoAccess: string;
  refunded: string;
  revoked: string;
  notAdmin: string;
  adminUsage(command: string, usage: string): string;
  adminSync(p: { checked: number; expired: number; restored: number }): string;
  adminGranted(p: { userId: UserId; days: number; until: DateLike }): string;
  adminRevoked(p: { userId: UserId; ended: number }): string;
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
  }): string;
  tributeTest(p: {
    webhookUrl?: string | null;
    apiKeyPresent: boolean;
    apiReachable: string;
    webhookInfo: string;
  }): string;
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
const ruStars = (n: number) => `${n} ${ruPlural(n, "звезда", "звезды", "звёзд")}`;
const enStars = (n: number) => `${n} ${Math.abs(n) === 1 ? "star" : "stars"}`;

/** An amount exactly as stored: minor units and the currency as received; Stars are whole units. */
function rawAmount(amount: number | string | bigint, currency: string, minorNote: string): string {
  return currency.toUpperCase() === "XTR" ? `${amount} ${currency}` : `${amount} ${currency} (${minorNote})`;
}

const PROVIDERS: Record<Lang, Record<string, string>> = {
  en: { tribute: "Tribute", telegram_stars: "Telegram Stars", manual: "Manual grant" },
  ru: { tribute: "Tribute", telegram_stars: "Telegram Stars", manual: "Ручная выдача" },
};

const STATUSES: Record<Lang, Record<string, string>> = {
  en: { active: "active", cancelled: "cancelled", expired: "expired", refunded: "refunded" },
  ru: { active: "активна", cancelled: "отменена", expired: "истекла", refunded: "возвращена" },
};

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

  planLine: ({ title, days, starsPrice }) =>
    `• ${title} — ${enDays(days)}` + (starsPrice != null ? `, ⭐ ${enStars(starsPrice)}` : ""),

  buttonTribute: (title) => `💳 ${title} via Tribute`,

  buttonStars: ({ title, stars }) => `⭐ ${title} for ${stars} Stars`,

  invoiceTitle: (title) => clip(title, 32),

  invoiceDescription: ({ title, days }) =>
    clip(`${title}: access to the private channel for ${enDays(days)}.`, 255),

  paySupport: "Payment problems? Write to us right here and describe what happened: the date, the amount " +
    "and the payment method. For Stars payments, please include the transaction ID from the receipt. " +
    "We usually reply within a day.",

  terms: "Terms of service:\n" +
    "• Payment grants access to the private channel for the period of the chosen plan.\n" +
    "• Subscriptions renew automatically until you cancel them in Tribute; after cancelling, access " +
    "lasts until the end of the paid period.\n" +
    "• Access is personal: the invite link works once and only for you.\n" +
    "• Refunds are handled via /paysupport; a refunded payment ends the access it granted.",

  precheckoutUnknownPlan: "This plan no longer exists. Please pick one from /plans.",

  precheckoutInactivePlan: "This plan is no longer available. Please pick another one from /plans.",

  precheckoutAmountMismatch: "The price of this plan has changed. Please open /plans and try again.",

  precheckoutUnavailable:
    "We could not confirm this payment right now. Nothing was charged; please try again.",

  paymentThanks: ({ until }) =>
    `Thank you for your payment! ⭐ Your access is active until ${formatDate(until)}.`,

  paymentUnmatched:
    "We received your payment but could not match it to a plan. Please write to /paysupport " +
    "with the transaction ID from the receipt and we will sort it out.",

  activated: ({ until, inviteLink }) =>
    `🎉 Your access is active until ${formatDate(until)}.` +
    (inviteLink ? `\n\nJoin the channel with your personal link (works once):\n${inviteLink}` : ""),

  renewed: ({ until }) => `🔄 Your subscription was renewed. Access is active until ${formatDate(until)}.`,

  cancelled: ({ until }) =>
    `Your subscription was cancelled and will not renew. Access stays active until ${formatDate(until)}.`,

  expired: "Your access has ended. You can renew it any time with /plans.",

  reminder: ({ daysLeft, until }) =>
    `⏰ Your access ends ${daysLeft > 0 ? `in ${enDays(daysLeft)}` : "today"} (${formatDate(until)}). ` +
    "Renew it with /plans to keep it.",

  removedNoAccess: "You were removed from the channel because your access has ended. " +
    "Renew it with /plans to come back.",

  refunded: "Your payment was refunded, so the access it granted has been ended.",

  revoked:
    "Your access was revoked by an administrator. If you think this is a mistake, write to /paysupport.",

  notAdmin: "Sorry, this command is only for administrators.",

  adminUsage: (command, usage) => `Usage: /${command.replace(/^\//, "")} ${usage}`.trimEnd(),

  adminSync: ({ checked, expired, restored }) =>
    `Sync done.\nChecked: ${checked}\nExpired: ${expired}\nRestored: ${restored}`,

  adminGranted: ({ userId, days, until }) =>
    `Granted ${enDays(days)} to user ${userId}. Access until ${formatDate(until)}.`,

  adminRevoked: ({ userId, ended }) =>
    ended > 0
      ? `Access revoked for user ${userId}: ${ended} ${ended === 1 ? "subscription" : "subscriptions"} ended.`
      : `User ${userId} had no active access; nothing changed.`,

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
    if (subscriptions.length === 0) lines.push("Subscriptions: none");
    else {
      lines.push("Subscriptions:");
      for (const s of subscriptions) {
        lines.push(
          `• ${providerName(s.provider, "en")}: ${STATUSES.en[s.status] ?? s.status}, ` +
            `until ${s.expiresAt ? formatDate(s.expiresAt) : "—"}, auto-renew ${s.autoRenew ? "on" : "off"}`,
        );
      }
    }
    return lines.join("\n");
  },

  adminStats: ({ activeByProvider, revenue30d }) => {
    const lines = ["Active subscriptions:"];
    const active = Object.entries(activeByProvider);
    if (active.length === 0) lines.push("• none");
    for (const [p, n] of active) lines.push(`• ${providerName(p, "en")}: ${n}`);
    lines.push("Revenue, last 30 days:");
    if (revenue30d.length === 0) lines.push("• none");
    for (const r of revenue30d) lines.push(`• ${rawAmount(r.amount, r.currency, "minor units")}`);
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

  planLine: ({ title, days, starsPrice }) =>
    `• ${title} — ${ruDays(days)}` + (starsPrice != null ? `, ⭐ ${ruStars(starsPrice)}` : ""),

  buttonTribute: (title) => `💳 ${title} через Tribute`,

  buttonStars: ({ title, stars }) => `⭐ ${title} за ${ruStars(stars)}`,

  invoiceTitle: (title) => clip(title, 32),

  invoiceDescription: ({ title, days }) =>
    clip(`${title}: доступ к закрытому каналу на ${ruDays(days)}.`, 255),

  paySupport: "Проблемы с оплатой? Напишите нам прямо сюда и опишите, что случилось: дату, сумму и способ " +
    "оплаты. Если платили звёздами, приложите ID транзакции из чека. Обычно мы отвечаем в течение дня.",

  terms: "Условия:\n" +
    "• Оплата даёт доступ к закрытому каналу на срок выбранного тарифа.\n" +
    "• Подписка продлевается автоматически, пока вы не отмените её в Tribute; после отмены доступ " +
    "сохраняется до конца оплаченного периода.\n" +
    "• Доступ личный: ссылка-приглашение одноразовая и работает только для вас.\n" +
    "• Возвраты — через /paysupport; после возврата доступ, полученный за этот платёж, прекращается.",

  precheckoutUnknownPlan: "Такого тарифа больше нет. Выберите тариф в /plans.",

  precheckoutInactivePlan: "Этот тариф больше недоступен. Выберите другой в /plans.",

  precheckoutAmountMismatch: "Цена тарифа изменилась. Откройте /plans и попробуйте ещё раз.",

  precheckoutUnavailable: "Сейчас не удаётся подтвердить оплату. Деньги не списаны, попробуйте ещё раз.",

  paymentThanks: ({ until }) => `Спасибо за оплату! ⭐ Доступ активен до ${formatDate(until)}.`,

  paymentUnmatched: "Оплата получена, но мы не смогли сопоставить её с тарифом. Напишите в /paysupport " +
    "и приложите ID транзакции из чека — мы всё исправим.",

  activated: ({ until, inviteLink }) =>
    `🎉 Доступ активен до ${formatDate(until)}.` +
    (inviteLink ? `\n\nВступайте в канал по личной ссылке (она одноразовая):\n${inviteLink}` : ""),

  renewed: ({ until }) => `🔄 Подписка продлена. Доступ активен до ${formatDate(until)}.`,

  cancelled: ({ until }) =>
    `Подписка отменена и больше не продлится. Доступ сохранится до ${formatDate(until)}.`,

  expired: "Ваш доступ закончился. Продлить его можно в любой момент через /plans.",

  reminder: ({ daysLeft, until }) =>
    `⏰ Доступ закончится ${daysLeft > 0 ? `через ${ruDays(daysLeft)}` : "сегодня"} (${
      formatDate(until)
    }). ` +
    "Чтобы не потерять его, продлите в /plans.",

  removedNoAccess:
    "Вы удалены из канала, потому что срок доступа закончился. Чтобы вернуться, продлите его в /plans.",

  refunded: "Платёж возвращён, поэтому доступ, полученный за него, прекращён.",

  revoked: "Администратор отозвал ваш доступ. Если это ошибка, напишите в /paysupport.",

  notAdmin: "Извините, эта команда только для администраторов.",

  adminUsage: (command, usage) => `Использование: /${command.replace(/^\//, "")} ${usage}`.trimEnd(),

  adminSync: ({ checked, expired, restored }) =>
    `Синхронизация завершена.\nПроверено: ${checked}\nИстекло: ${expired}\nВосстановлено: ${restored}`,

  adminGranted: ({ userId, days, until }) =>
    `Пользователю ${userId} выдано ${ruDays(days)}. Доступ до ${formatDate(until)}.`,

  adminRevoked: ({ userId, ended }) =>
    ended > 0
      ? `Доступ пользователя ${userId} отозван (завершено подписок: ${ended}).`
      : `У пользователя ${userId} не было активного доступа, ничего не изменилось.`,

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
    if (subscriptions.length === 0) lines.push("Подписки: нет");
    else {
      lines.push("Подписки:");
      for (const s of subscriptions) {
        lines.push(
          `• ${providerName(s.provider, "ru")}: ${STATUSES.ru[s.status] ?? s.status}, ` +
            `до ${s.expiresAt ? formatDate(s.expiresAt) : "—"}, ` +
            `автопродление ${s.autoRenew ? "включено" : "выключено"}`,
        );
      }
    }
    return lines.join("\n");
  },

  adminStats: ({ activeByProvider, revenue30d }) => {
    const lines = ["Активные подписки:"];
    const active = Object.entries(activeByProvider);
    if (active.length === 0) lines.push("• нет");
    for (const [p, n] of active) lines.push(`• ${providerName(p, "ru")}: ${n}`);
    lines.push("Выручка за 30 дней:");
    if (revenue30d.length === 0) lines.push("• нет");
    for (const r of revenue30d) lines.push(`• ${rawAmount(r.amount, r.currency, "в минимальных единицах")}`);
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
};

export const texts: Record<Lang, Texts> = { en, ru };

/** Shorthand: the texts for a Telegram `language_code`. */
export function textsFor(languageCode?: string | null): Texts {
  return texts[langOf(languageCode)];
}
