// Payment support relay (Telegram requires bots that sell for Stars to handle payment support).
// After /paysupport the user's next private message, of any kind, goes to every admin: a header (who,
// and their access) and the message itself forwarded. An admin's reply to either comes back to the
// user as a copy. State lives in SQL (the function is stateless): `support_threads` holds the waiting
// window, `support_messages` which admin message stands for which user.
//
// Never a trap: the window closes after one message or after SUPPORT_WINDOW_MINUTES, commands are
// never relayed (neither the user's nor an admin's), and an admin's reply opens the window once more
// so the user can answer it.
import { GrammyError } from "grammy";
import { Composer } from "./composer.ts";
import type { Message } from "grammy/types";
import type { AppDeps } from "../app.ts";
import { errorMessage } from "../log.ts";
import type { BotContext, UserSummary } from "./context.ts";
import { textsFor } from "./texts.ts";

export const SUPPORT_WINDOW_MINUTES = 60;

interface TakenMessage {
  summary: UserSummary;
  admins: Array<{ id: number; language_code: string | null }>;
}

/** /paysupport: the user's next message goes to the admins (only when there are admins to read it). */
export async function openSupportThread(deps: AppDeps, userId: number): Promise<void> {
  if (deps.config.adminIds.length === 0) return;
  await deps.db.call("open_support_thread", {
    p_telegram_user_id: userId,
    p_minutes: SUPPORT_WINDOW_MINUTES,
  });
}

/** A command (any text starting with "/") is handled as a command or ignored, never relayed. */
function isCommand(msg: Message): boolean {
  return (msg.text ?? "").trimStart().startsWith("/");
}

/** Service messages (someone joined, a payment, ...) are not something a user wrote to support. */
function isRelayable(msg: Message): boolean {
  return !msg.successful_payment && !msg.refunded_payment && !msg.pinned_message && !msg.new_chat_members &&
    !msg.left_chat_member && !msg.users_shared && !msg.chat_shared && !msg.web_app_data;
}

export function createSupportComposer(deps: AppDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const pm = composer.chatType("private");
  const admins = deps.config.adminIds;

  pm.on("message", async (ctx, next) => {
    const msg = ctx.msg;
    if (isCommand(msg) || !isRelayable(msg)) return await next();

    // An admin answering a relayed message: back to the user it stands for.
    if (admins.includes(ctx.from.id) && msg.reply_to_message) {
      const target = await deps.db.call<number | null>("support_reply_target", {
        p_admin_chat_id: ctx.chat.id,
        p_admin_message_id: msg.reply_to_message.message_id,
      });
      if (target !== null) return await relayReply(ctx, Number(target));
    }

    if (admins.length === 0) return await next();
    const taken = await deps.db.call<TakenMessage | null>("take_support_message", {
      p_telegram_user_id: ctx.from.id,
      p_admin_ids: admins,
    });
    if (!taken) return await next();
    await relayToAdmins(ctx, taken);
  });

  async function relayToAdmins(ctx: BotContext, taken: TakenMessage): Promise<void> {
    const msg = ctx.msg!;
    const user = ctx.from!;
    const s = taken.summary;
    const delivered: Array<{ chat_id: number; message_id: number }> = [];
    for (const admin of taken.admins) {
      const t = textsFor(admin.language_code);
      const header = t.supportHeader({
        userId: user.id,
        name: [user.first_name, user.last_name].filter(Boolean).join(" ") || s.first_name,
        username: user.username ?? s.username,
        access: t.supportAccess({
          hasAccess: s.has_access,
          until: s.has_access ? (s.live_until ?? s.access_until) : s.access_until,
        }),
      });
      try {
        const sent = await ctx.api.sendMessage(admin.id, header);
        delivered.push({ chat_id: admin.id, message_id: sent.message_id });
        const forwarded = await ctx.api.forwardMessage(admin.id, msg.chat.id, msg.message_id);
        delivered.push({ chat_id: admin.id, message_id: forwarded.message_id });
      } catch (err) {
        // An admin who never started the bot (403) must not keep the others from getting it.
        deps.log.warn("support relay to an admin failed", {
          request_id: ctx.requestId,
          admin_id: admin.id,
          error: errorMessage(err),
        });
      }
    }
    if (delivered.length > 0) {
      await deps.db.call("record_support_messages", {
        p_telegram_user_id: user.id,
        p_user_message_id: msg.message_id,
        p_messages: delivered,
      });
    }
    deps.log.info("support message relayed", {
      request_id: ctx.requestId,
      user_id: user.id,
      admin_messages: delivered.length,
    });
    await ctx.reply(delivered.length > 0 ? ctx.texts.supportSent : ctx.texts.supportUnavailable);
  }

  async function relayReply(ctx: BotContext, userId: number): Promise<void> {
    const msg = ctx.msg!;
    const t = ctx.texts;
    const record = (result: string) =>
      deps.db.call("record_admin_action", {
        p_admin_id: ctx.from!.id,
        p_command: "support_reply",
        p_args: { user_id: userId, message_id: msg.message_id },
        p_result: result.slice(0, 1000),
        p_allowed: true,
      });
    try {
      await ctx.api.copyMessage(userId, msg.chat.id, msg.message_id);
    } catch (err) {
      // blocked (403) or gone (400): retrying the update cannot help; tell the admin instead
      if (!(err instanceof GrammyError && (err.error_code === 400 || err.error_code === 403))) throw err;
      await record(`failed: ${err.description}`);
      await ctx.reply(t.supportReplyFailed({ userId, reason: err.description }));
      return;
    }
    await openSupportThread(deps, userId);
    await record("sent");
    deps.log.info("support reply relayed", {
      request_id: ctx.requestId,
      admin_id: ctx.from!.id,
      user_id: userId,
    });
    await ctx.reply(t.supportReplySent(userId));
  }

  return composer;
}
