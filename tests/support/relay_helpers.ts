// Update builders the bot's creator-tool tests share: replies (`/text` is sent as a reply to the new
// wording; an admin answers a relayed support message by replying) and non-text messages.
import type { Message, Update } from "grammy/types";
import { type FakeFrom, messageUpdate } from "./fake_telegram.ts";
import type { Harness } from "./harness.ts";

/** `text` from `from` (private chat unless chatId says otherwise) as a reply to `replyTo`. */
export function replyUpdate(
  from: FakeFrom,
  text: string,
  replyTo: { message_id: number; text?: string; caption?: string },
  chatId?: number,
): Update {
  const update = messageUpdate({ from, text, chatId });
  const msg = update.message!;
  const replied = { date: msg.date, chat: msg.chat, ...replyTo } as Message;
  return { ...update, message: { ...msg, reply_to_message: replied } as Update["message"] };
}

/** A private photo message (with an optional caption). */
export function photoUpdate(from: FakeFrom, caption?: string): Update {
  const update = messageUpdate({ from, text: "x" });
  const { text: _text, entities: _entities, ...msg } = update.message!;
  const photo = [{ file_id: "photo-1", file_unique_id: "u1", width: 90, height: 90 }];
  return {
    ...update,
    message: { ...msg, photo, ...(caption ? { caption } : {}) } as Update["message"],
  };
}

/**
 * forwardMessage and copyMessage answer like Telegram (a Message / a MessageId) instead of the fake's
 * default `true`; message ids count from 500000 so they never collide with the fake's own.
 */
export function realisticRelay(h: Harness): void {
  let id = 500_000;
  h.telegram.respond("forwardMessage", (body: Record<string, unknown>) => ({
    message_id: ++id,
    date: Math.floor(Date.now() / 1000),
    chat: { id: Number(body.chat_id), type: "private", first_name: "Admin" },
    forward_origin: { type: "user", date: 0, sender_user: { id: Number(body.from_chat_id), is_bot: false } },
  }));
  h.telegram.respond("copyMessage", () => ({ message_id: ++id }));
}
