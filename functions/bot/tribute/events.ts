// Tribute webhook bodies: envelope `{name, created_at, sent_at, payload}` (CONTRACT §5), one zod schema
// per event name. Objects are loose on purpose: Tribute adds fields over time, and rejecting a delivery
// for an unknown field would make it retry for a day and then drop a paid event. Unknown fields are kept
// so the journal stores what was actually received.
import { z } from "zod";

// ---------------------------------------------------------------------------------------------------
// Primitives

/**
 * ISO 8601 date-time with an explicit timezone. Tribute sends Go-style timestamps with 0–9 fractional
 * digits ("2025-03-20T01:15:58.542279448Z"), which `Date.parse` alone does not reliably validate; a
 * timezone is required because events are ordered by absolute `created_at`. The pattern fixes where each
 * field is, so the fields are then read off the text by position: a match array and its strings per
 * call were a tenth of what an acknowledgement allocates in JavaScript (heap profile under load).
 */
const ISO_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Years a Tribute event can sanely carry. Postgres rejects year 0 and the arithmetic around access
 * windows must stay far from timestamptz's limits: anything outside is a malformed body, not a date.
 */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2200;
/** Real UTC offsets lie within ±14 h; Postgres refuses displacements beyond ±15:59. */
const MAX_OFFSET_HOURS = 15;

/** The decimal number written by the `length` ASCII digits at `start` (the pattern checked they are digits). */
function digitsAt(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

export function isIsoDateTime(value: string): boolean {
  if (!ISO_DATETIME.test(value)) return false;
  // YYYY-MM-DDTHH:MM:SS at fixed places; a zone other than Z ends in ±HH:MM or ±HHMM
  const year = digitsAt(value, 0, 4), month = digitsAt(value, 5, 2), day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2), minute = digitsAt(value, 14, 2), second = digitsAt(value, 17, 2);
  let offsetHours = 0, offsetMinutes = 0;
  const end = value.length;
  if (value[end - 1] !== "Z") {
    offsetMinutes = digitsAt(value, end - 2, 2);
    offsetHours = digitsAt(value, value[end - 3] === ":" ? end - 5 : end - 4, 2);
  }
  return year >= MIN_YEAR && year <= MAX_YEAR && month >= 1 && month <= 12 && day >= 1 &&
    day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59 &&
    offsetHours <= MAX_OFFSET_HOURS && offsetMinutes <= 59;
}

/** Longest date-time text accepted (microseconds and an offset fit well inside). */
const MAX_DATE_LENGTH = 40;
/** `sent_at` is informational (Tribute adds nanoseconds); it is only bounded. */
const MAX_SENT_AT_LENGTH = 64;
/** ISO 4217 codes and Tribute's lowercase variants ("eur"); "XTR" for Stars. */
const MAX_CURRENCY_LENGTH = 16;

export const isoDateTime = z.string().max(MAX_DATE_LENGTH).refine(isIsoDateTime, {
  message: `must be an ISO 8601 date-time with timezone between ${MIN_YEAR} and ${MAX_YEAR}, ` +
    "e.g. 2025-03-20T01:15:58.332Z",
});

// Every value that reaches SQL is checked here, so that a signed but malformed body is a 400 naming the
// field and never a failed cast inside the transaction (which would be a 500 Tribute retries for a day).
// zod's int() already stays within ±(2^53 - 1), which is inside Postgres bigint.

/** Ids are JSON numbers; a string id means a malformed or forged body, so it is rejected, not coerced. */
const positiveId = z.number().int().positive();
/** Amounts are integers in minor units (cents/kopecks), stored as received; the ledger refuses < 0. */
const minorUnits = z.number().int().nonnegative();

/** Longest event name accepted (Tribute's are ~25 characters); the journal stores the name. */
export const MAX_NAME_LENGTH = 100;
/** Informational strings (names of channels, products, reasons) are stored in jsonb; keep them sane. */
export const MAX_TEXT_LENGTH = 1000;

// Optional informational fields accept null as well as absence: a null there is no reason to refuse a
// paid event.
const optInt = z.number().int().nullish();
const optString = z.string().max(MAX_TEXT_LENGTH).nullish();
const optCurrency = z.string().max(MAX_CURRENCY_LENGTH).nullish();

// ---------------------------------------------------------------------------------------------------
// Payloads

export const SUBSCRIPTION_TYPES = ["regular", "gift", "trial"] as const;

export const subscriptionPayloadSchema = z.looseObject({
  subscription_id: positiveId,
  telegram_user_id: positiveId,
  expires_at: isoDateTime.nullish(),
  period_id: optInt,
  period: optString,
  price: minorUnits.nullish(),
  amount: minorUnits.nullish(),
  currency: optCurrency,
  subscription_name: optString,
  user_id: optInt,
  channel_id: optInt,
  channel_name: optString,
  cancel_reason: optString,
  // Older deliveries carry no `type`; they were ordinary paid subscriptions.
  type: z.enum(SUBSCRIPTION_TYPES).nullish().transform((t) => t ?? "regular"),
});

export const purchasePayloadSchema = z.looseObject({
  product_id: positiveId,
  telegram_user_id: positiveId,
  purchase_id: optInt,
  amount: minorUnits.nullish(),
  currency: optCurrency,
  user_id: optInt,
  product_name: optString,
});

export const refundPayloadSchema = z.looseObject({
  product_id: positiveId,
  telegram_user_id: positiveId,
  purchase_id: optInt,
  amount: minorUnits.nullish(),
  currency: optCurrency,
});

export const unknownPayloadSchema = z.looseObject({});

export type SubscriptionPayload = z.output<typeof subscriptionPayloadSchema>;
export type PurchasePayload = z.output<typeof purchasePayloadSchema>;
export type RefundPayload = z.output<typeof refundPayloadSchema>;

// ---------------------------------------------------------------------------------------------------
// Envelopes, one per event name

function envelope<P extends z.ZodType>(payload: P) {
  return z.looseObject({
    name: z.string().min(1).max(MAX_NAME_LENGTH),
    created_at: isoDateTime,
    sent_at: z.string().max(MAX_SENT_AT_LENGTH).nullish(),
    payload,
  });
}

export const SUBSCRIPTION_EVENT_NAMES = [
  "new_subscription",
  "renewed_subscription",
  "cancelled_subscription",
] as const;
export type SubscriptionEventName = (typeof SUBSCRIPTION_EVENT_NAMES)[number];
export const PURCHASE_EVENT_NAME = "new_digital_product";
export const REFUND_EVENT_NAME = "digital_product_refund";

export const subscriptionEventSchema = envelope(subscriptionPayloadSchema);
export const purchaseEventSchema = envelope(purchasePayloadSchema);
export const refundEventSchema = envelope(refundPayloadSchema);
export const ignoredEventSchema = envelope(unknownPayloadSchema);

// ---------------------------------------------------------------------------------------------------
// Parsed event

interface EventBase {
  /** Canonical name: refund spellings collapse to "digital_product_refund"; otherwise as received. */
  name: string;
  receivedName: string;
  /** `created_at` exactly as received: it is part of the dedupe key, so it must not be reformatted. */
  createdAt: string;
  sentAt: string | null;
  telegramUserId: number | null;
}

export interface SubscriptionEvent extends EventBase {
  kind: "subscription";
  name: SubscriptionEventName;
  telegramUserId: number;
  payload: SubscriptionPayload;
}

export interface PurchaseEvent extends EventBase {
  kind: "purchase";
  name: typeof PURCHASE_EVENT_NAME;
  telegramUserId: number;
  payload: PurchasePayload;
}

export interface RefundEvent extends EventBase {
  kind: "refund";
  name: typeof REFUND_EVENT_NAME;
  telegramUserId: number;
  payload: RefundPayload;
}

export interface IgnoredEvent extends EventBase {
  kind: "ignored";
  payload: Record<string, unknown>;
}

export type TributeEvent = SubscriptionEvent | PurchaseEvent | RefundEvent | IgnoredEvent;

export type ParseTributeEventResult =
  | { ok: true; event: TributeEvent }
  | { ok: false; field: string; message: string };

/**
 * Tribute's docs spell the refund event several ways (digitalProductRefund, digital_product_refund,
 * ...refunded); every one of them means the purchase's access is revoked.
 */
export function isRefundEventName(name: string): boolean {
  return name.toLowerCase().includes("refund");
}

function isSubscriptionEventName(name: string): name is SubscriptionEventName {
  return (SUBSCRIPTION_EVENT_NAMES as readonly string[]).includes(name);
}

/** Name the missing field plainly instead of zod's "expected number, received undefined". */
const errorMap: z.core.$ZodErrorMap = (issue) =>
  issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined;

type Parsed<S extends z.ZodType> = { ok: true; data: z.output<S> } | {
  ok: false;
  field: string;
  message: string;
};

function run<S extends z.ZodType>(schema: S, json: unknown): Parsed<S> {
  const result = schema.safeParse(json, { error: errorMap });
  if (result.success) return { ok: true, data: result.data };
  const issue = result.error.issues[0];
  // Root-level failures (body not an object) have an empty path.
  const field = issue.path.length ? issue.path.map(String).join(".") : "(root)";
  return { ok: false, field, message: `${field}: ${issue.message}` };
}

function common(e: { name: string; created_at: string; sent_at?: string | null }) {
  return { receivedName: e.name, createdAt: e.created_at, sentAt: e.sent_at ?? null };
}

// ---------------------------------------------------------------------------------------------------
// The fast path

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;
const optIntOk = (v: unknown) => absent(v) || Number.isSafeInteger(v);
const optMinorOk = (v: unknown) => absent(v) || (Number.isSafeInteger(v) && (v as number) >= 0);
const optTextOk = (v: unknown, max: number) => absent(v) || (typeof v === "string" && v.length <= max);
const idOk = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const dateOk = (v: unknown) => typeof v === "string" && v.length <= MAX_DATE_LENGTH && isIsoDateTime(v);

/**
 * A subscription event whose every field is plainly of its schema's type, checked by hand: it is what
 * Tribute sends almost always, and zod's two passes over it were a tenth of the JavaScript an
 * acknowledgement costs (bench profile). Its result is the one zod's path gives (output included); a
 * body it does not accept, for any reason, goes through zod, which names the failing field. Held to zod
 * by tests/unit/tribute_fast_path.test.ts (every field set to every edge value).
 */
export function plainSubscriptionEvent(json: unknown): SubscriptionEvent | undefined {
  if (!isRecord(json)) return undefined;
  const { name, created_at: createdAt, sent_at: sentAt, payload: p } = json;
  if (typeof name !== "string" || !isSubscriptionEventName(name)) return undefined;
  if (!dateOk(createdAt) || !optTextOk(sentAt, MAX_SENT_AT_LENGTH) || !isRecord(p)) return undefined;
  if (!idOk(p.subscription_id) || !idOk(p.telegram_user_id)) return undefined;
  if (!(absent(p.expires_at) || dateOk(p.expires_at))) return undefined;
  if (!optIntOk(p.period_id) || !optIntOk(p.user_id) || !optIntOk(p.channel_id)) return undefined;
  if (!optMinorOk(p.price) || !optMinorOk(p.amount) || !optTextOk(p.currency, MAX_CURRENCY_LENGTH)) {
    return undefined;
  }
  for (const key of ["period", "subscription_name", "channel_name", "cancel_reason"]) {
    if (!optTextOk(p[key], MAX_TEXT_LENGTH)) return undefined;
  }
  const type = p.type;
  if (!(absent(type) || (SUBSCRIPTION_TYPES as readonly unknown[]).includes(type))) return undefined;
  return {
    kind: "subscription",
    name,
    receivedName: name,
    createdAt: createdAt as string,
    sentAt: (sentAt as string | null | undefined) ?? null,
    telegramUserId: p.telegram_user_id,
    payload: {
      ...p,
      type: (type as SubscriptionPayload["type"] | null | undefined) ?? "regular",
    } as SubscriptionPayload,
  };
}

/**
 * Validates a webhook body and classifies it. Failure reports the first failing field as a dotted path
 * (e.g. "payload.telegram_user_id") so the webhook can answer 400 naming it.
 */
export function parseTributeEvent(json: unknown): ParseTributeEventResult {
  const plain = plainSubscriptionEvent(json);
  return plain ? { ok: true, event: plain } : parseWithSchemas(json);
}

/** parseTributeEvent by the zod schemas alone (exported for the fast path's tests). */
export function parseWithSchemas(json: unknown): ParseTributeEventResult {
  // Validate the envelope first so that a broken envelope is reported as such, whatever the name.
  const base = run(ignoredEventSchema, json);
  if (!base.ok) return base;
  const name = base.data.name;

  if (isRefundEventName(name)) {
    const r = run(refundEventSchema, json);
    if (!r.ok) return r;
    return {
      ok: true,
      event: {
        kind: "refund",
        name: REFUND_EVENT_NAME,
        ...common(r.data),
        telegramUserId: r.data.payload.telegram_user_id,
        payload: r.data.payload,
      },
    };
  }
  if (isSubscriptionEventName(name)) {
    const r = run(subscriptionEventSchema, json);
    if (!r.ok) return r;
    return {
      ok: true,
      event: {
        kind: "subscription",
        name,
        ...common(r.data),
        telegramUserId: r.data.payload.telegram_user_id,
        payload: r.data.payload,
      },
    };
  }
  if (name === PURCHASE_EVENT_NAME) {
    const r = run(purchaseEventSchema, json);
    if (!r.ok) return r;
    return {
      ok: true,
      event: {
        kind: "purchase",
        name: PURCHASE_EVENT_NAME,
        ...common(r.data),
        telegramUserId: r.data.payload.telegram_user_id,
        payload: r.data.payload,
      },
    };
  }

  // Unknown events are journaled with their user id so the journal can be searched. The journal reads
  // `telegram_user_id` from the payload it is given, and one that is not an id would make that write
  // fail (a 500 for an event we do not even act on): it is left out of that payload, while the
  // envelope stored alongside keeps the body exactly as received.
  const { telegram_user_id: rawUserId, ...rest } = base.data.payload;
  const uid = positiveId.safeParse(rawUserId);
  const telegramUserId = uid.success ? uid.data : null;
  const payload = uid.success || rawUserId === undefined ? base.data.payload : rest;
  return { ok: true, event: { kind: "ignored", name, ...common(base.data), telegramUserId, payload } };
}
