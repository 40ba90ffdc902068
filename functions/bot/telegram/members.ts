// The paid chats' door: `chat_member` updates for the chats in PAID_CHAT_ID. Someone who joins a chat
// their access does not open (a
// forwarded invite link, an old link) is removed (ban + unban) and told why; leaving is noted so
// /sync_subscriptions knows who is inside. The bot's own membership changes (my_chat_member) are ignored.
import { GrammyError } from "grammy";
import { Composer } from "./composer.ts";
import type { ChatMember } from "grammy/types";
import type { AppDeps } from "../app.ts";
import { errorMessage } from "../log.ts";
import { removeFromChat } from "./chat.ts";
import type { BotContext, UserSummary } from "./context.ts";

/** An ordinary member (admins and the owner are managed by hand and never removed). */
export function isMember(m: ChatMember): boolean {
  return m.status === "member" || (m.status === "restricted" && m.is_member);
}

function isOutside(m: ChatMember): boolean {
  return m.status === "left" || m.status === "kicked" || (m.status === "restricted" && !m.is_member);
}

export function createMembersComposer(deps: AppDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const { paidChatIds, adminIds } = deps.config;

  composer.on("chat_member", async (ctx) => {
    const update = ctx.chatMember;
    const chatId = update.chat.id;
    if (!paidChatIds.includes(chatId)) return;
    const user = update.new_chat_member.user;
    if (user.is_bot) return;
    const joined = isOutside(update.old_chat_member) && isMember(update.new_chat_member);
    const left = !isOutside(update.old_chat_member) && isOutside(update.new_chat_member);

    if (left) {
      await deps.db.call("note_chat_member", { p_telegram_user_id: user.id, p_in_chat: false });
      return;
    }
    if (!joined) return; // promotions, restrictions of members, admins changing: nothing to decide

    const { has_access } = await deps.db.call<{ has_access: boolean }>("note_chat_member", {
      p_telegram_user_id: user.id,
      p_in_chat: true,
      p_chat_id: chatId,
    });
    if (has_access || adminIds.includes(user.id)) return;

    deps.log.info("removing member without access", { request_id: ctx.requestId, user_id: user.id });
    await removeFromChat(ctx.api, chatId, user.id);
    await deps.db.call("note_chat_member", { p_telegram_user_id: user.id, p_in_chat: false });
    try {
      const known = user.language_code ??
        (await deps.db.call<UserSummary>("user_summary", { p_telegram_user_id: user.id })).language_code;
      await ctx.api.sendMessage(user.id, (await ctx.textsIn(known)).removedNoAccess);
    } catch (err) {
      // 403: they never started the bot or blocked it; the removal itself is what matters.
      if (!(err instanceof GrammyError && err.error_code === 403)) {
        deps.log.warn("removal notice failed", {
          request_id: ctx.requestId,
          user_id: user.id,
          error: errorMessage(err),
        });
      }
    }
  });

  composer.on("my_chat_member", () => {});

  return composer;
}
