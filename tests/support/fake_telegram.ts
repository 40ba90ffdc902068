/**
 * A fake Telegram Bot API server for tests.
 *
 * Point grammY at it with
 * `new Bot(token, { client: { apiRoot: fake.apiRoot }, botInfo: testBotInfo })`.
 * grammY POSTs to `{apiRoot}/bot{token}/{method}` with a JSON body (multipart/form-data when files
 * are uploaded); both, plus urlencoded forms and GET query strings, are accepted here.
 *
 * Every call is recorded in `calls` (including failed ones). `failNext` makes the next N calls of a
 * method answer Bot API-style errors (429 with retry_after, 403 blocked, 500, 400...).
 */
import type {
  CallbackQuery,
  Chat,
  ChatInviteLink,
  ChatMember,
  ChatMemberUpdated,
  Message,
  MessageEntity,
  Update,
  User,
  UserFromGetMe,
} from "grammy/types";

// ---------------------------------------------------------------------------------------------------------
// Bot identity

export const TEST_BOT_ID = 100000;

/** The bot user the fake answers `getMe` with; pass it as `botInfo` so grammY skips `getMe`. */
export const testBotInfo: UserFromGetMe = {
  id: TEST_BOT_ID,
  is_bot: true,
  first_name: "TestBot",
  username: "test_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

const botUser: User = {
  id: TEST_BOT_ID,
  is_bot: true,
  first_name: testBotInfo.first_name,
  username: testBotInfo.username,
};

// ---------------------------------------------------------------------------------------------------------
// Server

export interface FakeCall {
  method: string;
  token: string;
  body: Record<string, unknown>;
  at: number;
  /** HTTP status the fake answered with (set once the answer is decided) */
  status?: number;
  /** performance.now() when the call arrived (sub-millisecond; for rate measurements) */
  t: number;
}

export interface FakeFailure {
  status: number;
  description?: string;
  retry_after?: number;
}

export interface FakeWebhookInfo {
  url?: string;
  has_custom_certificate?: boolean;
  pending_update_count?: number;
  ip_address?: string;
  last_error_date?: number;
  last_error_message?: string;
  last_synchronization_error_date?: number;
  max_connections?: number;
  allowed_updates?: string[];
}

/** A custom result for a method: a fixed value or a function of the request body. */
export type FakeResponder = unknown | ((body: Record<string, unknown>, call: FakeCall) => unknown);

export interface FakeTelegram {
  /** Pass as `client.apiRoot` to grammY (no trailing slash). */
  apiRoot: string;
  /** Every call, in arrival order, including failed and unauthorized ones. */
  calls: FakeCall[];
  /** Calls of one method, in order. */
  callsOf(method: string): FakeCall[];
  /** The next `times` calls of `method` (or `"*"`: any method) answer with a Bot API error. */
  failNext(method: string, failure: FakeFailure, times?: number): void;
  /** Drops the failures still queued by failNext (recorded calls stay). */
  clearFailures(): void;
  /** Replace (merge into) what `getWebhookInfo` returns. */
  setWebhookInfo(info: FakeWebhookInfo): void;
  /** Override the success result of a method (until `reset`). */
  respond(method: string, responder: FakeResponder): void;
  /** Force what `getChatMember(chatId, userId)` reports (default: "member"; ban/unban update it). */
  setMemberStatus(chatId: number | string, userId: number, status: ChatMember["status"]): void;
  /** Resolves once at least `count` calls of `method` were recorded (rejects after `timeoutMs`). */
  waitForCalls(method: string, count?: number, timeoutMs?: number): Promise<FakeCall[]>;
  /** Clears recorded calls, pending failures, overrides, member statuses and webhook info. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden: bot was blocked by the user",
  404: "Not Found",
  409: "Conflict",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
};

function defaultWebhookInfo():
  & Required<Pick<FakeWebhookInfo, "url" | "has_custom_certificate">>
  & FakeWebhookInfo {
  return { url: "", has_custom_certificate: false, pending_update_count: 0 };
}

function json(status: number, data: unknown): Response {
  return new Response(JSON.stringify(data), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Best-effort conversion of a multipart/urlencoded/query value back to what the JSON would hold. */
function decodeFormValue(key: string, value: string): unknown {
  const t = value.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch { /* keep as string */ }
  }
  if (t === "true") return true;
  if (t === "false") return false;
  const numericKey =
    /(^|_)(id|date|limit|amount|offset|count|period|until_date|max_connections|price|cache_time)$/
      .test(key);
  if (numericKey && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return value;
}

async function readBody(req: Request): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const url = new URL(req.url);
  for (const [k, v] of url.searchParams) body[k] = decodeFormValue(k, v);
  if (req.method !== "POST" && req.method !== "PUT") return body;

  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.includes("multipart/form-data") || type.includes("application/x-www-form-urlencoded")) {
    try {
      const form = await req.formData();
      for (const [k, v] of form.entries()) {
        if (typeof v === "string") body[k] = decodeFormValue(k, v);
        else body[k] = { filename: v.name, size: v.size, type: v.type };
      }
    } catch {
      body._unparsed = true;
    }
    return body;
  }
  const text = await req.text();
  if (text.trim() === "") return body;
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(body, parsed);
    else body._raw = parsed;
  } catch {
    body._raw = text;
  }
  return body;
}

function num(v: unknown, fallback: number): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

function chatFor(chatId: unknown): Chat {
  const id = num(chatId, 0);
  if (typeof chatId === "string" && chatId.startsWith("@")) {
    return { id: -1001000000000, type: "channel", title: "Channel", username: chatId.slice(1) };
  }
  if (id < 0) {
    return String(id).startsWith("-100")
      ? { id, type: "supergroup", title: `Chat ${id}` }
      : { id, type: "group", title: `Group ${id}` };
  }
  return { id, type: "private", first_name: `User${id}` };
}

function fakeUser(id: number): User {
  return { id, is_bot: false, first_name: `User${id}` };
}

export function startFakeTelegram(opts: { token?: string } = {}): FakeTelegram {
  const calls: FakeCall[] = [];
  const failures = new Map<string, Array<{ failure: FakeFailure; remaining: number }>>();
  const overrides = new Map<string, FakeResponder>();
  const memberStatus = new Map<string, ChatMember["status"]>();
  const links = new Map<string, ChatInviteLink>();
  const waiters = new Set<() => void>();
  let webhookInfo: FakeWebhookInfo = defaultWebhookInfo();
  let messageId = 0;
  let linkCounter = 0;

  const key = (m: string) => m.toLowerCase();
  const nowSec = () => Math.floor(Date.now() / 1000);

  function takeFailure(method: string): FakeFailure | undefined {
    for (const k of [key(method), "*"]) {
      const queue = failures.get(k);
      if (!queue || queue.length === 0) continue;
      const head = queue[0];
      head.remaining--;
      if (head.remaining <= 0) queue.shift();
      if (queue.length === 0) failures.delete(k);
      return head.failure;
    }
    return undefined;
  }

  function makeMessage(body: Record<string, unknown>, extra: Record<string, unknown>): Message {
    return {
      message_id: ++messageId,
      from: botUser,
      date: nowSec(),
      chat: chatFor(body.chat_id),
      ...extra,
    } as Message;
  }

  function chatMember(chatId: unknown, userId: number): ChatMember {
    const user = userId === TEST_BOT_ID ? botUser : fakeUser(userId);
    const status = memberStatus.get(`${chatId}:${userId}`) ??
      (userId === TEST_BOT_ID ? "administrator" : "member");
    switch (status) {
      case "creator":
        return { status, user, is_anonymous: false };
      case "administrator":
        return {
          status,
          user,
          can_be_edited: false,
          is_anonymous: false,
          can_manage_chat: true,
          can_delete_messages: true,
          can_manage_video_chats: true,
          can_restrict_members: true,
          can_promote_members: false,
          can_change_info: false,
          can_invite_users: true,
          can_post_stories: false,
          can_edit_stories: false,
          can_delete_stories: false,
        } as ChatMember;
      case "kicked":
        return { status, user, until_date: 0 };
      case "left":
        return { status, user };
      case "restricted":
        return { status, user, is_member: true, until_date: 0 } as ChatMember;
      default:
        return { status: "member", user };
    }
  }

  /** What the real Bot API refuses for Stars subscriptions (invoice links only, 30 days, XTR). */
  function refusal(method: string, body: Record<string, unknown>): string | null {
    if (method === "createInvoiceLink" && body.subscription_period !== undefined) {
      if (num(body.subscription_period, 0) !== 2592000) return "SUBSCRIPTION_PERIOD_INVALID";
      if (body.currency !== "XTR") return "CURRENCY_INVALID";
    }
    if (method === "sendInvoice" && body.subscription_period !== undefined) {
      return "SUBSCRIPTION_PERIOD_INVALID";
    }
    if (method === "editUserStarSubscription") {
      if (!num(body.user_id, 0)) return "USER_ID_INVALID";
      if (typeof body.telegram_payment_charge_id !== "string" || !body.telegram_payment_charge_id) {
        return "CHARGE_ID_EMPTY";
      }
      if (typeof body.is_canceled !== "boolean") return "is_canceled must be a boolean";
    }
    return null;
  }

  function success(method: string, body: Record<string, unknown>): unknown {
    switch (method) {
      case "getMe":
        return { ...testBotInfo };
      case "sendMessage":
        return makeMessage(body, {
          text: String(body.text ?? ""),
          ...(body.entities ? { entities: body.entities } : {}),
          ...(body.reply_markup ? { reply_markup: body.reply_markup } : {}),
        });
      case "sendInvoice":
        return makeMessage(body, {
          invoice: {
            title: String(body.title ?? ""),
            description: String(body.description ?? ""),
            start_parameter: String(body.start_parameter ?? ""),
            currency: String(body.currency ?? ""),
            total_amount: Array.isArray(body.prices)
              ? (body.prices as Array<{ amount?: unknown }>).reduce((s, p) => s + num(p?.amount, 0), 0)
              : 0,
          },
          ...(body.reply_markup ? { reply_markup: body.reply_markup } : {}),
        });
      case "editMessageText":
        return body.inline_message_id ? true : {
          ...makeMessage(body, { text: String(body.text ?? "") }),
          message_id: num(body.message_id, messageId),
          edit_date: nowSec(),
        };
      case "copyMessage":
        // Telegram answers a MessageId, not a Message
        return { message_id: ++messageId };
      case "createInvoiceLink":
        return `https://t.me/$fakeinvoice${++linkCounter}`;
      case "createChatInviteLink": {
        linkCounter++;
        const link: ChatInviteLink = {
          invite_link: `https://t.me/+fake${linkCounter}`,
          creator: botUser,
          creates_join_request: body.creates_join_request === true,
          is_primary: false,
          is_revoked: false,
          ...(body.name !== undefined ? { name: String(body.name) } : {}),
          ...(body.expire_date !== undefined ? { expire_date: num(body.expire_date, 0) } : {}),
          ...(body.member_limit !== undefined ? { member_limit: num(body.member_limit, 0) } : {}),
        };
        links.set(link.invite_link, link);
        return link;
      }
      case "revokeChatInviteLink": {
        const url = String(body.invite_link ?? "");
        const existing = links.get(url) ?? {
          invite_link: url,
          creator: botUser,
          creates_join_request: false,
          is_primary: false,
          is_revoked: false,
        };
        const revoked = { ...existing, is_revoked: true };
        links.set(url, revoked);
        return revoked;
      }
      case "exportChatInviteLink":
        return `https://t.me/+fakeprimary${Math.abs(num(body.chat_id, 0))}`;
      case "banChatMember":
        memberStatus.set(`${body.chat_id}:${num(body.user_id, 0)}`, "kicked");
        return true;
      case "unbanChatMember": {
        const k = `${body.chat_id}:${num(body.user_id, 0)}`;
        const current = memberStatus.get(k) ?? "member";
        if (current === "kicked" || body.only_if_banned !== true) memberStatus.set(k, "left");
        return true;
      }
      case "getChatMember":
        return chatMember(body.chat_id, num(body.user_id, 0));
      case "getChatAdministrators":
        return [chatMember(body.chat_id, TEST_BOT_ID)];
      case "getChatMemberCount":
        return 1;
      case "getChat": {
        const chat = chatFor(body.chat_id);
        return {
          ...chat,
          accent_color_id: 0,
          max_reaction_count: 11,
          accepted_gift_types: {
            unlimited_gifts: false,
            limited_gifts: false,
            unique_gifts: false,
            premium_subscription: false,
          },
        };
      }
      case "getWebhookInfo":
        return { ...webhookInfo };
      case "setWebhook": {
        const next: FakeWebhookInfo = {
          ...webhookInfo,
          url: String(body.url ?? ""),
          has_custom_certificate: body.certificate !== undefined,
        };
        if (Array.isArray(body.allowed_updates)) next.allowed_updates = body.allowed_updates as string[];
        if (body.max_connections !== undefined) next.max_connections = num(body.max_connections, 40);
        if (body.drop_pending_updates === true) next.pending_update_count = 0;
        webhookInfo = next;
        return true;
      }
      case "deleteWebhook":
        webhookInfo = {
          ...webhookInfo,
          url: "",
          has_custom_certificate: false,
          ...(body.drop_pending_updates === true ? { pending_update_count: 0 } : {}),
        };
        return true;
      case "getUpdates":
        return [];
      case "getMyCommands":
        return [];
      case "getStarTransactions":
        return { transactions: [] };
      case "getMyStarBalance":
        return { amount: 0 };
      case "sendChatAction":
      case "answerPreCheckoutQuery":
      case "answerCallbackQuery":
      case "answerShippingQuery":
      case "refundStarPayment":
      case "editUserStarSubscription":
      case "setMyCommands":
      case "deleteMyCommands":
      case "setMyDescription":
      case "setMyShortDescription":
      case "setChatMenuButton":
      case "deleteMessage":
      case "approveChatJoinRequest":
      case "declineChatJoinRequest":
        return true;
      default:
        // Other send* methods (sendPhoto, sendDocument, ...) answer a Message too.
        if (method.startsWith("send")) {
          return makeMessage(body, body.caption !== undefined ? { caption: String(body.caption) } : {});
        }
        return true;
    }
  }

  async function handler(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const match = url.pathname.match(/^\/bot([^/]*)\/(?:test\/)?([A-Za-z0-9_]+)\/?$/);
    if (!match) {
      // Drain the body so the connection stays healthy.
      await req.body?.cancel().catch(() => {});
      return json(404, { ok: false, error_code: 404, description: "Not Found" });
    }
    const token = decodeURIComponent(match[1]);
    const method = match[2];
    const body = await readBody(req);
    const call: FakeCall = { method, token, body, at: Date.now(), t: performance.now() };
    calls.push(call);
    for (const w of [...waiters]) w();

    if (opts.token !== undefined && token !== opts.token) {
      call.status = 401;
      return json(401, { ok: false, error_code: 401, description: "Unauthorized" });
    }

    const failure = takeFailure(method);
    if (failure) {
      let description = failure.description ?? DEFAULT_DESCRIPTIONS[failure.status] ??
        `Error ${failure.status}`;
      if (failure.description === undefined && failure.status === 429 && failure.retry_after !== undefined) {
        description = `Too Many Requests: retry after ${failure.retry_after}`;
      }
      const payload: Record<string, unknown> = { ok: false, error_code: failure.status, description };
      if (failure.retry_after !== undefined) payload.parameters = { retry_after: failure.retry_after };
      call.status = failure.status;
      return json(failure.status, payload);
    }

    const refused = refusal(method, body);
    if (refused) return json(400, { ok: false, error_code: 400, description: `Bad Request: ${refused}` });

    const override = overrides.get(key(method));
    let result: unknown;
    if (override !== undefined) {
      result = typeof override === "function"
        ? (override as (b: Record<string, unknown>, c: FakeCall) => unknown)(body, call)
        : override;
    } else {
      result = success(method, body);
    }
    call.status = 200;
    return json(200, { ok: true, result });
  }

  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
  const addr = server.addr as Deno.NetAddr;
  let closed: Promise<void> | undefined;

  const fake: FakeTelegram = {
    apiRoot: `http://127.0.0.1:${addr.port}`,
    calls,
    callsOf(method: string) {
      return calls.filter((c) => c.method === method);
    },
    clearFailures() {
      failures.clear();
    },
    failNext(method: string, failure: FakeFailure, times = 1) {
      if (times <= 0) return;
      const k = method === "*" ? "*" : key(method);
      const queue = failures.get(k) ?? [];
      queue.push({ failure: { ...failure }, remaining: times });
      failures.set(k, queue);
    },
    setWebhookInfo(info: FakeWebhookInfo) {
      webhookInfo = { ...webhookInfo, ...info };
    },
    respond(method: string, responder: FakeResponder) {
      overrides.set(key(method), responder);
    },
    setMemberStatus(chatId: number | string, userId: number, status: ChatMember["status"]) {
      memberStatus.set(`${chatId}:${userId}`, status);
    },
    waitForCalls(method: string, count = 1, timeoutMs = 5000) {
      return new Promise<FakeCall[]>((resolve, reject) => {
        const check = () => {
          const found = fake.callsOf(method);
          if (found.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `fake telegram: expected ${count} ${method} call(s), got ${fake.callsOf(method).length}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    reset() {
      calls.length = 0;
      failures.clear();
      overrides.clear();
      memberStatus.clear();
      links.clear();
      webhookInfo = defaultWebhookInfo();
    },
    close() {
      closed ??= server.shutdown().then(() => server.finished);
      return closed;
    },
  };
  return fake;
}

// ---------------------------------------------------------------------------------------------------------
// Update builders

export interface FakeFrom {
  id: number;
  language_code?: string;
  first_name?: string;
  last_name?: string;
  username?: string;
  is_bot?: boolean;
}

let nextUpdateId = 1;
let nextIncomingMessageId = 1_000_000;
let nextQueryId = 1;

function newUpdateId(given?: number): number {
  if (given !== undefined) {
    if (given >= nextUpdateId) nextUpdateId = given + 1;
    return given;
  }
  return nextUpdateId++;
}

function toUser(from: FakeFrom): User {
  const user: User = {
    id: from.id,
    is_bot: from.is_bot ?? false,
    first_name: from.first_name ?? `User${from.id}`,
  };
  if (from.last_name !== undefined) user.last_name = from.last_name;
  if (from.username !== undefined) user.username = from.username;
  if (from.language_code !== undefined) user.language_code = from.language_code;
  return user;
}

function privateChat(user: User): Chat.PrivateChat {
  const chat: Chat.PrivateChat = { id: user.id, type: "private", first_name: user.first_name };
  if (user.last_name !== undefined) chat.last_name = user.last_name;
  if (user.username !== undefined) chat.username = user.username;
  return chat;
}

function incomingMessage(
  from: FakeFrom,
  chatId: number | undefined,
  extra: Partial<Message>,
): Message & Update.NonChannel {
  const user = toUser(from);
  const chat: Chat = chatId === undefined || chatId === user.id ? privateChat(user) : chatFor(chatId);
  return {
    message_id: nextIncomingMessageId++,
    from: user,
    date: Math.floor(Date.now() / 1000),
    chat,
    ...extra,
  } as Message & Update.NonChannel;
}

/**
 * A text message from a user (private chat unless `chatId` says otherwise); "/cmd" gets a bot_command
 * entity. `replyTo`: the message it answers (e.g. a photo for /broadcast), merged over a default one.
 */
export function messageUpdate(opts: {
  updateId?: number;
  from: FakeFrom;
  text: string;
  chatId?: number;
  messageId?: number;
  replyTo?: Partial<Message>;
}): Update {
  const extra: Partial<Message> = { text: opts.text };
  if (opts.messageId !== undefined) extra.message_id = opts.messageId;
  if (opts.replyTo) {
    extra.reply_to_message = incomingMessage(opts.from, opts.chatId, opts.replyTo) as
      & Message.CommonMessage
      & Message["reply_to_message"];
  }
  if (opts.text.startsWith("/")) {
    const m = opts.text.match(/^\/\S*/);
    const length = m ? m[0].length : 1;
    const entity: MessageEntity = { type: "bot_command", offset: 0, length };
    extra.entities = [entity];
  }
  return { update_id: newUpdateId(opts.updateId), message: incomingMessage(opts.from, opts.chatId, extra) };
}

/** A Stars (or other currency) pre_checkout_query. */
export function preCheckoutUpdate(opts: {
  updateId?: number;
  from: FakeFrom;
  id?: string;
  currency: string;
  total_amount: number;
  invoice_payload: string;
}): Update {
  return {
    update_id: newUpdateId(opts.updateId),
    pre_checkout_query: {
      id: opts.id ?? `pcq${nextQueryId++}`,
      from: toUser(opts.from),
      currency: opts.currency,
      total_amount: opts.total_amount,
      invoice_payload: opts.invoice_payload,
    },
  };
}

/** A private message carrying `successful_payment`. */
export function successfulPaymentUpdate(opts: {
  updateId?: number;
  from: FakeFrom;
  currency: string;
  total_amount: number;
  invoice_payload: string;
  telegram_payment_charge_id: string;
  provider_payment_charge_id?: string;
  /** A charge of a recurring Stars subscription: the end of the period it pays (Unix seconds). */
  subscription_expiration_date?: number;
  /** the first charge of that subscription (is_first_recurring) */
  is_first_recurring?: boolean;
  /** the message's date (Unix seconds; default: now) */
  date?: number;
}): Update {
  const recurring = opts.subscription_expiration_date !== undefined;
  return {
    update_id: newUpdateId(opts.updateId),
    message: incomingMessage(opts.from, undefined, {
      ...(opts.date !== undefined ? { date: opts.date } : {}),
      successful_payment: {
        currency: opts.currency,
        total_amount: opts.total_amount,
        invoice_payload: opts.invoice_payload,
        telegram_payment_charge_id: opts.telegram_payment_charge_id,
        provider_payment_charge_id: opts.provider_payment_charge_id ?? "",
        ...(recurring
          ? {
            is_recurring: true as const,
            subscription_expiration_date: opts.subscription_expiration_date,
            ...(opts.is_first_recurring ? { is_first_recurring: true as const } : {}),
          }
          : {}),
      },
    }),
  };
}

/** A callback query from an inline button under a bot message in the user's private chat. */
export function callbackQueryUpdate(opts: {
  updateId?: number;
  from: FakeFrom;
  data: string;
  id?: string;
  messageId?: number;
}): Update {
  const user = toUser(opts.from);
  const query: CallbackQuery = {
    id: opts.id ?? `cbq${nextQueryId++}`,
    from: user,
    chat_instance: `ci${user.id}`,
    data: opts.data,
    message: {
      message_id: opts.messageId ?? nextIncomingMessageId++,
      from: botUser,
      date: Math.floor(Date.now() / 1000),
      chat: privateChat(user),
      text: "…",
    },
  };
  return { update_id: newUpdateId(opts.updateId), callback_query: query };
}

function memberOf(user: User, status: ChatMember["status"]): ChatMember {
  switch (status) {
    case "creator":
      return { status, user, is_anonymous: false };
    case "administrator":
      return {
        status,
        user,
        can_be_edited: false,
        is_anonymous: false,
        can_manage_chat: true,
        can_delete_messages: false,
        can_manage_video_chats: false,
        can_restrict_members: false,
        can_promote_members: false,
        can_change_info: false,
        can_invite_users: false,
        can_post_stories: false,
        can_edit_stories: false,
        can_delete_stories: false,
      } as ChatMember;
    case "kicked":
      return { status, user, until_date: 0 };
    case "restricted":
      return { status, user, is_member: true, until_date: 0 } as ChatMember;
    case "left":
      return { status, user };
    default:
      return { status: "member", user };
  }
}

/** A `chat_member` update for the paid chat (a channel unless `chatType` says otherwise). */
export function chatMemberUpdate(opts: {
  updateId?: number;
  chatId: number;
  user: FakeFrom;
  oldStatus: ChatMember["status"];
  newStatus: ChatMember["status"];
  inviteLink?: string | ChatInviteLink;
  chatType?: "channel" | "supergroup";
  from?: FakeFrom;
}): Update {
  const user = toUser(opts.user);
  const chat: Chat = (opts.chatType ?? "channel") === "channel"
    ? { id: opts.chatId, type: "channel", title: "Paid channel" }
    : { id: opts.chatId, type: "supergroup", title: "Paid group" };
  const updated: ChatMemberUpdated = {
    chat,
    from: opts.from ? toUser(opts.from) : user,
    date: Math.floor(Date.now() / 1000),
    old_chat_member: memberOf(user, opts.oldStatus),
    new_chat_member: memberOf(user, opts.newStatus),
  };
  if (opts.inviteLink !== undefined) {
    updated.invite_link = typeof opts.inviteLink === "string"
      ? {
        invite_link: opts.inviteLink,
        creator: botUser,
        creates_join_request: false,
        is_primary: false,
        is_revoked: false,
        member_limit: 1,
      }
      : opts.inviteLink;
  }
  return { update_id: newUpdateId(opts.updateId), chat_member: updated };
}
