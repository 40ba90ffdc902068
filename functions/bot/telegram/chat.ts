import type { Api } from "grammy";

/** How long a personal invite link stays usable. */
export const INVITE_TTL_SECONDS = 24 * 60 * 60;

/** A one-use invite link to the paid chat, named after the user so admins can see who used it. */
export async function createPersonalInvite(
  api: Api,
  chatId: number,
  userId: number,
  now = Date.now(),
): Promise<string> {
  const link = await api.createChatInviteLink(chatId, {
    name: `user ${userId}`.slice(0, 32),
    member_limit: 1,
    expire_date: Math.floor(now / 1000) + INVITE_TTL_SECONDS,
  });
  return link.invite_link;
}

/**
 * Removes a user from the paid chat without banning them for good: ban (kicks), then unban (so a
 * later payment lets them back in through a new invite). `only_if_banned` keeps unban from touching
 * users who are not in the chat.
 */
export async function removeFromChat(api: Api, chatId: number, userId: number): Promise<void> {
  await api.banChatMember(chatId, userId);
  await api.unbanChatMember(chatId, userId, { only_if_banned: true });
}
