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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
// zod's int(): a safe integer (and never NaN or ±Infinity)
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const optInt = (v: unknown) => v === undefined || isInt(v);
const optText = (v: unknown, max: number) => v === undefined || (typeof v === "string" && v.length <= max);
const optBool = (v: unknown) => v === undefined || typeof v === "boolean";

const userOk = (u: unknown) =>
  isObj(u) && isInt(u.id) && u.id > 0 && optBool(u.is_bot) && optText(u.first_name, 256) &&
  optText(u.last_name, 256) && optText(u.username, 256) && optText(u.language_code, 35);
const chatOk = (c: unknown) => isObj(c) && isInt(c.id) && typeof c.type === "string" && c.type.length <= 32;
// a payment is left to zod (its charge id rules are not worth repeating for a rare update)
const messageOk = (m: unknown) =>
  m === undefined ||
  (isObj(m) && isInt(m.message_id) && optInt(m.date) && chatOk(m.chat) &&
    (m.from === undefined || userOk(m.from)) &&
    optText(m.text, 16_384) && optText(m.caption, 16_384) && m.successful_payment === undefined);
const callbackQueryOk = (q: unknown) =>
  q === undefined ||
  (isObj(q) && typeof q.id === "string" && q.id.length >= 1 && q.id.length <= 256 && userOk(q.from) &&
    optText(q.data, 1024) &&
    (q.message === undefined || (isObj(q.message) && isInt(q.message.message_id) && chatOk(q.message.chat))));
const chatMemberOk = (m: unknown) =>
  isObj(m) && typeof m.status === "string" && m.status.length <= 32 && userOk(m.user);
const chatMemberUpdatedOk = (u: unknown) =>
  u === undefined ||
  (isObj(u) && chatOk(u.chat) && userOk(u.from) && optInt(u.date) && chatMemberOk(u.old_chat_member) &&
    chatMemberOk(u.new_chat_member));

/**
 * The common updates (messages, button presses, member changes) checked by hand: zod's parse of an
 * update allocated more than the rest of the door and cost ~20 µs of the `/status` CPU profile. It
 * accepts a subset of what updateSchema accepts (the same rules; a pre-checkout query or a payment is
 * not accepted here), so anything it refuses is decided, and explained, by zod (guard test).
 */
export function plainlyValid(update: unknown): boolean {
  return isObj(update) && isInt(update.update_id) && update.update_id >= 0 && messageOk(update.message) &&
    messageOk(update.edited_message) && messageOk(update.channel_post) &&
    callbackQueryOk(update.callback_query) &&
    update.pre_checkout_query === undefined && chatMemberUpdatedOk(update.chat_member) &&
    chatMemberUpdatedOk(update.my_chat_member);
}

/** Checks the fields the bot reads; names the first bad one as a dotted path. */
export function checkUpdate(update: unknown): CheckedUpdate {
  if (plainlyValid(update)) return { ok: true };
  const result = updateSchema.safeParse(update);
  if (result.success) return { ok: true };
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.map(String).join(".") : "(root)";
  return { ok: false, field, message: `${field}: ${issue.message}` };
}
