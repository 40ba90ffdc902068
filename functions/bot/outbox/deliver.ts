/**
 * Delivery of one outbox row through the Bot API, and what its failure means. The outbox module sits
 * below the doors (Tribute, Telegram, cron): they all import it, it imports none of them.
 *
 * - `deliverSafely` turns a claimed row into Bot API calls (message, invite + message, ban/unban +
 *   notice, copyMessage of a broadcast) and returns an outcome; it never throws for a Bot API error.
 * - `classifyDeliveryError` maps a failure to what `fail_outbox` does with it: exponential backoff,
 *   Telegram's `retry_after` for 429, `blocked` for 403 (the user is marked and their pending messages
 *   skipped), `permanent` for errors a retry cannot fix.
 * - Access is re-checked at claim time (`has_access`): a removal for a user whose access came back is
 *   skipped; an invite or reminder for a user who no longer has access is skipped.
 */
import { type Api, GrammyError, HttpError } from "grammy";
import type { AppDeps } from "../app.ts";
import { errorMessage } from "../log.ts";
import { createPersonalInvite } from "../telegram/chat.ts";
import { createTextStore } from "../telegram/text_store.ts";
import { langOf, type Texts, textsFor } from "../telegram/texts.ts";

/** One claimed row, as `claim_outbox` (or `claim_broadcast`, kind "copy") returns it. */
export interface OutboxRow {
  id: number;
  telegram_user_id: number;
  kind: "message" | "invite" | "remove" | "copy";
  template: string;
  params: Record<string, unknown> | null;
  attempts: number;
  language_code: string | null;
  blocked: boolean;
  has_access: boolean;
  /** copies only: the broadcast this row belongs to */
  broadcast_id?: number | null;
}

/** A row whose template or params cannot be rendered: retrying will not help. */
export class OutboxTemplateError extends Error {
  override name = "OutboxTemplateError";
}

function requireUntil(template: string, params: Record<string, unknown>): string {
  const until = params.until;
  if (typeof until !== "string" || Number.isNaN(new Date(until).getTime())) {
    throw new OutboxTemplateError(`template ${template} needs params.until (a timestamp)`);
  }
  return until;
}

/**
 * The text of an outbox row in the user's language. Templates are the keys SQL queues:
 * activated {until} · renewed {until} · shortened {until} · cancelled {until} · reminder {until} ·
 * expired · refunded · revoked (removal notices) · removed_no_access · payment_thanks {until}.
 * A reminder says the time left from `until` at `now` (when it is sent, not when it was queued).
 */
export function renderOutboxText(
  t: Texts,
  template: string,
  params: Record<string, unknown> | null | undefined,
  inviteLink?: string | null,
  now: number = Date.now(),
): string {
  const p = params ?? {};
  switch (template) {
    case "activated":
      return t.activated({ until: requireUntil(template, p), inviteLink: inviteLink ?? null });
    case "renewed":
      return t.renewed({ until: requireUntil(template, p) });
    case "shortened":
      return t.shortened({ until: requireUntil(template, p) });
    case "cancelled":
      return t.cancelled({ until: requireUntil(template, p) });
    case "reminder": {
      const until = requireUntil(template, p);
      return t.reminder({ msLeft: new Date(until).getTime() - now, until });
    }
    case "payment_thanks":
      return t.paymentThanks({ until: requireUntil(template, p) });
    case "expired":
      return t.expired;
    case "refunded":
      return t.refunded;
    case "revoked":
      return t.revoked;
    case "removed_no_access":
      return t.removedNoAccess;
    default:
      throw new OutboxTemplateError(`unknown outbox template ${JSON.stringify(template)}`);
  }
}

/** The message a broadcast copy repeats: params `{from_chat_id, message_id}`. */
export function copySource(params: Record<string, unknown> | null | undefined) {
  const fromChatId = Number(params?.from_chat_id);
  const messageId = Number(params?.message_id);
  if (!Number.isSafeInteger(fromChatId) || !Number.isSafeInteger(messageId) || messageId <= 0) {
    throw new OutboxTemplateError("a copy needs params.from_chat_id and params.message_id");
  }
  return { fromChatId, messageId };
}

// ---------------------------------------------------------------------------------------------------
// Outcomes and error classification

export type Outcome =
  | { type: "sent"; note?: string }
  | { type: "skipped"; note: string }
  | {
    type: "fail";
    error: string;
    retryAfter?: number;
    blocked?: boolean;
    permanent?: boolean;
    /** Telegram said 429: stop claiming more rows in this drain */
    rateLimited?: boolean;
  };

/** Which kind of call failed: a message to the user, or an action in the paid chat. */
type Step = "notice" | "chat";

class StepError extends Error {
  constructor(readonly step: Step, readonly original: unknown) {
    super(describeError(original));
  }
}

function describeError(err: unknown): string {
  if (err instanceof GrammyError) return `${err.method}: ${err.error_code} ${err.description}`;
  if (err instanceof HttpError) return `network: ${err.message}`;
  return errorMessage(err);
}

/** Bot API 400 answers that mean the user cannot be messaged or found at all. */
const GONE_USER =
  /chat not found|user not found|peer_id_invalid|user_id_invalid|participant_id_invalid|user is deactivated|bot can't initiate/i;
/** banChatMember answers that mean there is nobody to remove. */
const NOTHING_TO_REMOVE =
  /user not found|participant_id_invalid|user_id_invalid|user_not_participant|member not found|not a member/i;

/**
 * Maps a failed step to what fail_outbox should do.
 * - 429: retry after Telegram's retry_after.
 * - 403 on a message: the user blocked the bot or is deactivated → blocked.
 * - 400 on a message (chat/user not found, bad request): a retry cannot help → permanent.
 * - 400/403 in the paid chat (bot lacks rights, wrong PAID_CHAT_ID): an operator can fix it → retry.
 * - 5xx, network, timeouts, anything else: retry with backoff.
 */
export function classifyDeliveryError(
  err: unknown,
  step: Step,
): Omit<Extract<Outcome, { type: "fail" }>, "type"> {
  const error = describeError(err);
  if (err instanceof GrammyError) {
    if (err.error_code === 429) {
      const ra = err.parameters?.retry_after;
      return {
        error,
        retryAfter: typeof ra === "number" && ra >= 0 ? Math.ceil(ra) : undefined,
        rateLimited: true,
      };
    }
    if (step === "notice" && err.error_code === 403) return { error, blocked: true };
    if (step === "notice" && err.error_code === 400) return { error, permanent: true };
    if (step === "notice" && GONE_USER.test(err.description)) return { error, permanent: true };
  }
  return { error };
}

// ---------------------------------------------------------------------------------------------------
// Delivery

export function withTimeout(api: Api, ms: number): Api {
  api.config.use(async (prev, method, payload, signal) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort);
    try {
      // grammY's npm build types AbortSignal with its Node shim; the Web one is what it uses at runtime
      return await prev(method, payload, controller.signal as unknown as Parameters<typeof prev>[2]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  });
  return api;
}

async function step<T>(which: Step, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StepError(which, err);
  }
}

/**
 * What a delivery needs besides the row: the paid chats (PAID_CHAT_ID) and which of them the user may
 * be in now (public.open_chats: with plans that open different chats, each chat has its own timeline),
 * and the texts in the user's language with the admins' overrides (public.bot_texts).
 */
export interface DeliveryContext {
  chats: number[];
  openFor(userId: number): Promise<number[]>;
  texts(languageCode: string | null): Promise<Texts>;
}

/** One per drain: only invite and remove rows ask which chats are open; overrides are cached. */
export function deliveryContextOf(deps: Pick<AppDeps, "config" | "db" | "log">): DeliveryContext {
  const chats = deps.config.paidChatIds;
  const store = createTextStore(deps);
  return {
    chats,
    openFor: async (userId) =>
      ((await deps.db.call<number[] | null>("open_chats", { p_telegram_user_id: userId, p_chats: chats })) ??
        [])
        .map(Number),
    texts: async (languageCode) => textsFor(languageCode, await store.overrides(langOf(languageCode))),
  };
}

async function deliver(api: Api, ctx: DeliveryContext, row: OutboxRow): Promise<Outcome> {
  const t = await ctx.texts(row.language_code);
  const user = row.telegram_user_id;
  const send = (text: string) => step("notice", () => api.sendMessage(user, text));

  switch (row.kind) {
    case "message": {
      if (row.blocked) return { type: "skipped", note: "user blocked the bot" };
      if (row.template === "reminder" && !row.has_access) {
        return { type: "skipped", note: "no access any more" };
      }
      await send(renderOutboxText(t, row.template, row.params));
      return { type: "sent" };
    }

    case "invite": {
      if (row.blocked) return { type: "skipped", note: "user blocked the bot" };
      if (!row.has_access) return { type: "skipped", note: "no access any more" };
      const text = (link: string | null) => renderOutboxText(t, row.template, row.params, link);
      text(null); // a bad template fails before an invite link is made
      if (ctx.chats.length === 0) {
        await send(text(null));
        return { type: "sent", note: "no PAID_CHAT_ID: activation notice without link" };
      }
      const open = row.has_access ? await ctx.openFor(user) : [];
      if (open.length === 0) return { type: "skipped", note: "no paid chat open any more" };
      // one one-use link per chat the user's access opens, all in one message
      const links: Array<{ chat: number; link: string }> = [];
      try {
        for (const chat of open) {
          links.push({ chat, link: await step("chat", () => createPersonalInvite(api, chat, user)) });
        }
        await send(text(links.map((l) => l.link).join("\n")));
      } catch (err) {
        // the links were never seen by anyone: take them back (best effort), the retry makes new ones
        for (const l of links) await api.revokeChatInviteLink(l.chat, l.link).catch(() => {});
        throw err;
      }
      return { type: "sent" };
    }

    case "remove": {
      // removed from every paid chat the user's access no longer opens; the notice only when no chat is
      // open any more (a tier ended while another goes on is not "your access has ended")
      const open = row.has_access ? await ctx.openFor(user) : [];
      const closed = ctx.chats.filter((c) => !open.includes(c));
      if (row.has_access && closed.length === 0) return { type: "skipped", note: "access restored" };
      const notice = row.has_access ? null : renderOutboxText(t, row.template, row.params);
      for (const chat of closed) {
        try {
          await api.banChatMember(chat, user);
        } catch (err) {
          if (
            !(err instanceof GrammyError && err.error_code === 400 && NOTHING_TO_REMOVE.test(err.description))
          ) {
            throw new StepError("chat", err);
          }
        }
        // unban so a later payment lets the user back in through a new invite
        await step("chat", () => api.unbanChatMember(chat, user, { only_if_banned: true }));
      }
      const removed = closed.length > 0;
      if (notice === null) {
        return { type: "sent", note: `removed from ${closed.length} chat(s); access goes on` };
      }
      if (row.blocked) {
        return removed
          ? { type: "sent", note: "removed; notice skipped: user blocked the bot" }
          : { type: "skipped", note: "user blocked the bot" };
      }
      try {
        await send(notice);
      } catch (err) {
        // the removal is done; a notice that can never be delivered does not undo it
        const verdict = err instanceof StepError ? classifyDeliveryError(err.original, err.step) : null;
        if (removed && verdict?.permanent) {
          return { type: "sent", note: `removed; notice failed: ${verdict.error}` };
        }
        throw err;
      }
      return { type: "sent" };
    }

    case "copy": {
      // a broadcast: the admin's message copied as it is (text, media, formatting), no "forwarded from"
      if (row.blocked) return { type: "skipped", note: "user blocked the bot" };
      const { fromChatId, messageId } = copySource(row.params);
      await step("notice", () => api.copyMessage(user, fromChatId, messageId));
      return { type: "sent" };
    }

    default:
      throw new OutboxTemplateError(`unknown outbox kind ${JSON.stringify((row as { kind: unknown }).kind)}`);
  }
}

export async function deliverSafely(api: Api, ctx: DeliveryContext, row: OutboxRow): Promise<Outcome> {
  try {
    return await deliver(api, ctx, row);
  } catch (err) {
    if (err instanceof StepError) return { type: "fail", ...classifyDeliveryError(err.original, err.step) };
    if (err instanceof OutboxTemplateError) return { type: "fail", error: err.message, permanent: true };
    return { type: "fail", error: errorMessage(err) };
  }
}
