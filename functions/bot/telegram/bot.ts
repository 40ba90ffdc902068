// The grammY bot: one instance per handler, initialised (getMe) lazily on the first update and cached.
// Composers, in order: context (upsert the sender, texts) → chat members → Stars payments → admin →
// user → support relay (what is left of private messages: a /paysupport message, an admin's reply).
//
// Errors are not swallowed: a database failure inside a handler reaches handler.ts, which answers
// 5xx (503 when the database is down) so Telegram redelivers the update. The only exception is a Bot API
// 400/403 (bad request, user blocked the bot): redelivering cannot fix those, so the update is dropped.
import { Bot, BotError, GrammyError } from "grammy";
import type { BotCommand, Update } from "grammy/types";
import { autoRetry } from "@grammyjs/auto-retry";
import type { AppDeps } from "../app.ts";
import { errorMessage } from "../log.ts";
import { ADMIN_COMMANDS, createAdminComposer } from "./admin.ts";
import { type BotContext, contextMiddleware } from "./context.ts";
import { createMembersComposer } from "./members.ts";
import { createPaymentsComposer } from "./payments.ts";
import { createSupportComposer } from "./support.ts";
import { createTextStore } from "./text_store.ts";
import { botApiFetch } from "./api.ts";
import { createUserComposer } from "./user.ts";

/** Commands for setMyCommands (deploy): `user` for everyone, `admin` in addition for admin chats. */
export const BOT_COMMANDS: { user: BotCommand[]; admin: BotCommand[] } = {
  user: [
    { command: "start", description: "Welcome, your access and how to pay" },
    { command: "status", description: "Your access: until when, source, auto-renewal" },
    { command: "plans", description: "Plans and prices (Tribute, Telegram Stars)" },
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
  ],
};

/** The same commands with Russian descriptions (setMyCommands with language_code "ru"). */
export const BOT_COMMANDS_RU: { user: BotCommand[]; admin: BotCommand[] } = {
  user: [
    { command: "start", description: "Приветствие, ваш доступ и как оплатить" },
    { command: "status", description: "Ваш доступ: до какого числа, источник, автопродление" },
    { command: "plans", description: "Тарифы и цены (Tribute, звёзды Telegram)" },
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
  bot.api.config.use(autoRetry(RETRY));
  bot.use(contextMiddleware(deps, requestIdOf, createTextStore(deps)));
  bot.use(createMembersComposer(deps));
  bot.use(createPaymentsComposer(deps));
  bot.use(createAdminComposer(deps));
  bot.use(createUserComposer(deps));
  bot.use(createSupportComposer(deps));
  return bot;
}

function isUpdate(value: unknown): value is Update {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Number.isSafeInteger((value as { update_id?: unknown }).update_id);
}

/** Which kind of update this is (for logs): the first key besides update_id. */
function updateKind(update: Update): string {
  return Object.keys(update).find((k) => k !== "update_id") ?? "empty";
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
    async handleUpdate(update: unknown, requestId: string): Promise<void> {
      if (!isUpdate(update)) {
        // Telegram will not send something different on redelivery: acknowledge and move on.
        deps.log.warn("ignoring malformed telegram update", { request_id: requestId });
        return;
      }
      await ensureInit();
      requestIds.set(update, requestId);
      try {
        await bot.handleUpdate(update);
      } catch (err) {
        const cause = err instanceof BotError ? err.error : err;
        if (cause instanceof GrammyError && (cause.error_code === 400 || cause.error_code === 403)) {
          deps.log.warn("bot api refused a call; update dropped", {
            request_id: requestId,
            update_id: update.update_id,
            kind: updateKind(update),
            method: cause.method,
            error_code: cause.error_code,
            error: cause.description,
          });
          return;
        }
        deps.log.error("telegram update failed", {
          request_id: requestId,
          update_id: update.update_id,
          kind: updateKind(update),
          error: errorMessage(cause),
        });
        throw cause;
      } finally {
        requestIds.delete(update);
      }
    },
  };
}
