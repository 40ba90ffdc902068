// The Telegram door's schema: the fields of an update the bot reads, checked before grammY sees it.
// Telegram's own updates always pass; a body that does not (string ids, a chat_member without its
// user, a negative Stars amount) would fail the same way on every redelivery, so it is journaled as
// failed and acknowledged instead of reaching a handler or SQL. Objects are loose: Telegram adds fields
// every Bot API release, and fields the bot does not read are none of this module's business.
import { z } from "zod";

/** Chat ids are negative for groups; zod's int() keeps every id within ±(2^53 - 1), inside bigint. */
const chatId = z.number().int();
const userId = z.number().int().positive();
/** Telegram caps names at 64 characters and texts at 4096; generous bounds, but bounds. */
const shortText = z.string().max(256);
const longText = z.string().max(16_384);

const user = z.looseObject({
  id: userId,
  is_bot: z.boolean().optional(),
  first_name: shortText.optional(),
  last_name: shortText.optional(),
  username: shortText.optional(),
  language_code: z.string().max(35).optional(),
});

const chat = z.looseObject({ id: chatId, type: z.string().max(32) });

const successfulPayment = z.looseObject({
  currency: z.string().min(1).max(16),
  // the ledger refuses negative amounts; Stars payments are at least 1
  total_amount: z.number().int().positive(),
  invoice_payload: z.string().max(1024),
  // the key of a payment and of its refund: stored exactly as Telegram sent it, so it must be printable
  // text that survives the trip (no control characters, no lone surrogate that UTF-8 would replace)
  telegram_payment_charge_id: z.string().min(1).max(256).regex(/^[^\p{Cc}]+$/u, "must be printable text")
    .refine((s) => s.isWellFormed(), "must be well-formed Unicode"),
  provider_payment_charge_id: z.string().max(256).optional(),
  is_recurring: z.boolean().optional(),
  subscription_expiration_date: z.number().int().nonnegative().optional(),
});

const message = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int().optional(),
  chat,
  from: user.optional(),
  text: longText.optional(),
  caption: longText.optional(),
  successful_payment: successfulPayment.optional(),
});

const chatMember = z.looseObject({ status: z.string().max(32), user });

const chatMemberUpdated = z.looseObject({
  chat,
  from: user,
  date: z.number().int().optional(),
  old_chat_member: chatMember,
  new_chat_member: chatMember,
});

const callbackQuery = z.looseObject({
  id: z.string().min(1).max(256),
  from: user,
  data: z.string().max(1024).optional(),
  message: z.looseObject({ message_id: z.number().int(), chat }).optional(),
});

const preCheckoutQuery = z.looseObject({
  id: z.string().min(1).max(256),
  from: user,
  currency: z.string().min(1).max(16),
  total_amount: z.number().int(),
  invoice_payload: z.string().max(1024),
});

export const updateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: message.optional(),
  edited_message: message.optional(),
  channel_post: message.optional(),
  callback_query: callbackQuery.optional(),
  pre_checkout_query: preCheckoutQuery.optional(),
  chat_member: chatMemberUpdated.optional(),
  my_chat_member: chatMemberUpdated.optional(),
});

export type CheckedUpdate = { ok: true } | { ok: false; field: string; message: string };

/** Which kind of update this is (journal name, logs): the first key besides update_id. */
export function updateKind(update: unknown): string {
  if (update === null || typeof update !== "object" || Array.isArray(update)) return "malformed";
  return Object.keys(update).find((k) => k !== "update_id")?.slice(0, 100) ?? "empty";
}

/** Checks the fields the bot reads; names the first bad one as a dotted path. */
export function checkUpdate(update: unknown): CheckedUpdate {
  const result = updateSchema.safeParse(update);
  if (result.success) return { ok: true };
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.map(String).join(".") : "(root)";
  return { ok: false, field, message: `${field}: ${issue.message}` };
}
