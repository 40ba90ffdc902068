// The bot's context type and the first middleware: who is talking (upsert_user → their access summary)
// and which language to answer in, with the admins' text overrides applied. Later composers read
// `ctx.summary` and `ctx.texts`.
import type { Context, MiddlewareFn } from "grammy";
import type { AppDeps } from "../app.ts";
import type { TextStore } from "./text_store.ts";
import { langOf, type Texts, textsFor } from "./texts.ts";

/** `public.upsert_user(...)` as JSON: who the user is and what they hold now (timestamps are ISO strings). */
export interface AccessSummary {
  telegram_user_id: number;
  known: boolean;
  username: string | null;
  first_name: string | null;
  language_code: string | null;
  blocked: boolean;
  has_access: boolean;
  /** End of the latest window ever granted (null: never had access); may be in the past. */
  access_until: string | null;
  /** End of the access held now plus what is queued after it; null when there is none. */
  live_until: string | null;
  current: {
    provider: string;
    /** subscription (a window) · purchase · grant · code · bonus */
    kind?: string;
    status: string;
    auto_renew: boolean;
    expires_at: string;
    plan_code: string | null;
  } | null;
  auto_renew: boolean;
}

/** `public.user_summary(...)` as JSON: the access summary and the user's latest items. */
export interface UserSummary extends AccessSummary {
  subscriptions: Array<{
    id: number;
    provider: string;
    kind: string;
    type: string | null;
    status: string;
    auto_renew: boolean;
    starts_at: string;
    expires_at: string;
    plan_code: string | null;
    external_id: string;
  }>;
}

export interface BotFlavor {
  /** Strings in the sender's language (Telegram language_code, else the one stored for them). */
  texts: Texts;
  /** Strings for someone else (e.g. a user told something in a chat_member update), overrides applied. */
  textsIn(languageCode?: string | null): Promise<Texts>;
  /** The text overrides cache (admin /text invalidates it). */
  textStore: TextStore;
  /** The sender's summary, fresh from upsert_user; null for updates not from a user's private chat. */
  summary: AccessSummary | null;
  /** Correlates logs with the HTTP request that carried the update. */
  requestId: string;
}

export type BotContext = Context & BotFlavor;

/** Should this update register/refresh its sender? Private messages, button presses, checkouts. */
function talksToUs(ctx: Context): boolean {
  if (!ctx.from || ctx.from.is_bot) return false;
  if (ctx.preCheckoutQuery) return true;
  if (ctx.callbackQuery) {
    return ctx.callbackQuery.message?.chat.type !== "group" &&
      ctx.callbackQuery.message?.chat.type !== "supergroup" &&
      ctx.callbackQuery.message?.chat.type !== "channel";
  }
  return ctx.message !== undefined && ctx.chat?.type === "private";
}

export function contextMiddleware(
  deps: AppDeps,
  requestIdOf: (update: object) => string | undefined,
  textStore: TextStore,
): MiddlewareFn<BotContext> {
  const textsIn = async (languageCode?: string | null) =>
    textsFor(languageCode, await textStore.overrides(langOf(languageCode)));
  return async (ctx, next) => {
    ctx.requestId = requestIdOf(ctx.update) ?? String(ctx.update.update_id);
    ctx.summary = null;
    ctx.textStore = textStore;
    ctx.textsIn = textsIn;
    let languageCode: string | null | undefined = ctx.from?.language_code;
    if (talksToUs(ctx)) {
      const from = ctx.from!;
      ctx.summary = await deps.db.call<AccessSummary>("upsert_user", {
        p_telegram_user_id: from.id,
        p_username: from.username ?? null,
        p_first_name: from.first_name ?? null,
        p_language_code: from.language_code ?? null,
      });
      languageCode = from.language_code ?? ctx.summary?.language_code;
    }
    ctx.texts = await textsIn(languageCode);
    await next();
  };
}
