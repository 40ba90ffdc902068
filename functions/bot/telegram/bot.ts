// The grammY bot: one instance per handler, initialised (getMe) lazily on the first update and cached.
// Composers, in order: context (upsert the sender, texts) → chat members → Stars payments → admin →
// user → Stars subscriptions (/cancel, /resume) → support relay (what is left of private messages: a
// /paysupport message, an admin's reply).
//
// Telegram redelivers an update until it gets a 2xx and holds back the later ones meanwhile, so only
// what a redelivery can fix may fail the request: the database unreachable (503), a transaction that
// lost a race, and the Bot API down (5xx, 429, network). Everything else fails the same way every time (a shape the handlers did not
// expect, a value SQL refuses, a Bot API 400/403): the update is journaled as failed and acknowledged.
import { Bot, BotError, GrammyError, HttpError } from "grammy";
import type { BotCommand, Update } from "grammy/types";
import { autoRetry } from "@grammyjs/auto-retry";
import type { AppDeps } from "../app.ts";
import { isTransientDbError } from "../db/port.ts";
import { recordFailedDelivery } from "../journal.ts";
import { errorMessage } from "../log.ts";
import { ADMIN_COMMANDS, createAdminComposer } from "./admin.ts";
import { type BotContext, contextMiddleware } from "./context.ts";
import { Composer } from "./composer.ts";
import { checkUpdate, updateKind } from "./guard.ts";
import { createMembersComposer } from "./members.ts";
import { createPaymentsComposer } from "./payments.ts";
import { createStarsSubscriptionComposer } from "./stars_subscription.ts";
import { createSupportComposer } from "./support.ts";
import { createTextStore } from "./text_store.ts";
import { botApiFetch, directJsonCalls } from "./api.ts";
import { createUserComposer } from "./user.ts";

/** Commands for setMyCommands (deploy): `user` for everyone, `admin` in addition for admin chats. */
export const BOT_COMMANDS: { user: BotCommand[]; admin: BotCommand[] } = {
  user: [
    { command: "start", description: "Welcome, your access and how to pay" },
    { command: "status", description: "Your access: until when, source, auto-renewal" },
    { command: "plans", description: "Plans and prices (Tribute, Telegram Stars)" },
    { command: "cancel", description: "Stop the renewal of your Telegram Stars subscription" },
    { command: "resume", description: "Turn the renewal of your Telegram Stars subscription back on" },
    { command: "paysupport", description: "Help with payments" },
    { command: "terms", description: "Terms of service" },
  ],
  admin: [
    { command: "sync_subscriptions", description: "Expire what is past, restore what is valid" },
    { command: "tribute_test", description: "Check Tribute webhook URL, API key and Telegram webhook" },
    { command: "stats", description: "Active subscriptions and revenue" },
    { command: "user", description: "<id> — a user's access and subscriptions" },
    { command: "grant", description: "<id> <days> — grant access" },
    { command: "revoke", description: "<id> — revoke access" },
    { command: "refund", description: "<charge_id> — refund a Stars payment" },
    { command: "text", description: "<key> [en|ru] — reply to a message to change a text; <key> reset" },
    { command: "texts", description: "Editable texts and their placeholders" },
    { command: "broadcast", description: "active|expired|all — as a reply: send that message to users" },
    { command: "broadcast_status", description: "[id] — sent / failed / blocked / left of a broadcast" },
    { command: "broadcast_cancel", description: "[id] — stop a broadcast: what is not sent yet is dropped" },
    { command: "code_new", description: "<days> [max_uses] [valid_days] — new access code and its link" },
    { command: "codes", description: "Access codes: uses left, validity" },
    { command: "code_off", description: "<CODE> — switch an access code off" },
  ],
};

/** The same commands with Russian descriptions (setMyCommands with language_code "ru"). */
export const BOT_COMMANDS_RU: { user: BotCommand[]; admin: BotCommand[] } = {
  user: [
    { command: "start", description: "Приветствие, ваш доступ и как оплатить" },
    { command: "status", description: "Ваш доступ: до какого числа, источник, автопродление" },
    { command: "plans", description: "Тарифы и цены (Tribute, звёзды Telegram)" },
    { command: "cancel", description: "Отключить продление подписки за звёзды Telegram" },
    { command: "resume", description: "Снова включить продление подписки за звёзды Telegram" },
    { command: "paysupport", description: "Помощь с оплатой" },
    { command: "terms", description: "Условия" },
  ],
  admin: [
    { command: "sync_subscriptions", description: "Завершить истёкшие, восстановить действующие" },
    { command: "tribute_test", description: "Проверить вебхук Tribute, API-ключ и вебхук Telegram" },
    { command: "stats", description: "Активные подписки и выручка" },
    { command: "user", description: "<id> — доступ и подписки пользователя" },
    { command: "grant", description: "<id> <дни> — выдать доступ" },
    { command: "revoke", description: "<id> — отозвать доступ" },
    { command: "refund", description: "<charge_id> — вернуть платёж звёздами" },
    { command: "text", description: "<ключ> [en|ru] — ответом на сообщение изменить текст; <ключ> reset" },
    { command: "texts", description: "Редактируемые тексты и их плейсхолдеры" },
    { command: "broadcast", description: "active|expired|all — ответом: разослать это сообщение" },
    { command: "broadcast_status", description: "[id] — отправлено / ошибки / блок / осталось" },
    { command: "broadcast_cancel", description: "[id] — остановить рассылку, неотправленное снять" },
    { command: "code_new", description: "<дни> [активаций] [дней_действия] — новый код доступа и ссылка" },
    { command: "codes", description: "Коды доступа: осталось активаций, срок" },
    { command: "code_off", description: "<КОД> — отключить код доступа" },
  ],
};

// keep the list and the handlers in step
if (BOT_COMMANDS.admin.map((c) => c.command).join() !== ADMIN_COMMANDS.join()) {
  throw new Error("BOT_COMMANDS.admin is out of date");
}

/** Bot API calls inside a request: wait out a short 429 once, never for long (Telegram waits for us). */
const RETRY = { maxDelaySeconds: 5, maxRetryAttempts: 1, rethrowHttpErrors: true } as const;
const INIT_TIMEOUT_MS = 10_000;

export function createBot(
  deps: AppDeps,
  requestIdOf: (update: object) => string | undefined = () => undefined,
) {
  const bot = new Bot<BotContext>(deps.config.telegramBotToken, {
    client: { apiRoot: deps.config.telegramApiRoot, fetch: botApiFetch },
  });
  // innermost first: auto-retry wraps the direct JSON calls
  bot.api.config.use(directJsonCalls(deps.config.telegramApiRoot, deps.config.telegramBotToken));
  bot.api.config.use(autoRetry(RETRY));
  // one lean composer (composer.ts) holds them all: the Bot's own `use` adds an async frame per call
  bot.use(
    new Composer<BotContext>(
      contextMiddleware(deps, requestIdOf, createTextStore(deps)),
      createMembersComposer(deps),
      createPaymentsComposer(deps),
      createAdminComposer(deps),
      createUserComposer(deps),
      createStarsSubscriptionComposer(deps),
      createSupportComposer(deps),
    ),
  );
  return bot;
}

/** Can a redelivery of the update succeed where this attempt failed? */
export function isRetryable(err: unknown): boolean {
  if (isTransientDbError(err)) return true;
  if (err instanceof HttpError) return true; // the Bot API could not be reached
  if (err instanceof GrammyError) return err.error_code === 429 || err.error_code >= 500;
  return false;
}

export function createTelegramUpdateHandler(deps: AppDeps) {
  const requestIds = new WeakMap<object, string>();
  const bot = createBot(deps, (update) => requestIds.get(update));
  let initializing: Promise<void> | undefined;

  /** getMe once per handler; a failure is not cached, the next update tries again. */
  async function ensureInit(): Promise<void> {
    if (bot.isInited()) return;
    initializing ??= (async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), INIT_TIMEOUT_MS);
      try {
        // grammY's Node build types its own AbortSignal shim; a standard signal works at runtime
        await bot.init(controller.signal as Parameters<typeof bot.init>[0]);
      } finally {
        clearTimeout(timer);
      }
    })().finally(() => (initializing = undefined));
    await initializing;
  }

  return {
    bot,
    /**
     * Handles one update. Throws only what a redelivery can fix (see isRetryable); any other failure is
     * journaled (`webhook_events`, source telegram, status failed), logged once and swallowed, so the
     * route answers 200 and Telegram moves on.
     */
    async handleUpdate(update: unknown, requestId: string): Promise<void> {
      const kind = updateKind(update);
      const checked = checkUpdate(update);
      if (!checked.ok) {
        await journal(update, kind, `invalid update: ${checked.message}`, requestId);
        return;
      }
      const valid = update as Update;
      await ensureInit();
      requestIds.set(valid, requestId);
      try {
        await bot.handleUpdate(valid);
      } catch (err) {
        const cause = err instanceof BotError ? err.error : err;
        if (isRetryable(cause)) {
          deps.log.error("telegram update failed; Telegram will redeliver it", {
            request_id: requestId,
            update_id: valid.update_id,
            kind,
            error: errorMessage(cause),
          });
          throw cause;
        }
        const error = cause instanceof GrammyError
          ? `Bot API ${cause.method}: ${cause.error_code} ${cause.description}`
          : errorMessage(cause);
        await journal(valid, kind, error, requestId);
      } finally {
        requestIds.delete(valid);
      }
    },
  };

  async function journal(update: unknown, kind: string, error: string, requestId: string): Promise<void> {
    const eventId = await recordFailedDelivery(deps, {
      source: "telegram",
      name: kind,
      envelope: update,
      error,
      raw: JSON.stringify(update),
    });
    const updateId = (update as { update_id?: unknown } | null)?.update_id;
    deps.log.warn("telegram update failed for good; journaled and acknowledged", {
      request_id: requestId,
      update_id: typeof updateId === "number" ? updateId : null,
      kind,
      event_id: eventId,
      error: error.slice(0, 500),
    });
  }
}
