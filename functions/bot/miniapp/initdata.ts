/**
 * Telegram Mini App init data: the query string Telegram hands the page (`Telegram.WebApp.initData`),
 * which the page sends back in `X-Telegram-Init-Data`. Pure validation, as Telegram documents it
 * (core.telegram.org/bots/webapps, "Validating data received via the Mini App"):
 *
 *   data_check_string = every field but `hash`, as `key=value`, sorted by key, joined by "\n"
 *   secret_key        = HMAC-SHA256(key = "WebAppData", data = bot token)
 *   hash              = hex(HMAC-SHA256(key = secret_key, data = data_check_string))
 *
 * The user id that the Mini App routes use comes only from here, after the hash matched.
 */
import { constantTimeEqual } from "../http.ts";

/** Telegram's WebAppUser (the fields we use; the rest is ignored). */
export interface InitDataUser {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export type InitDataFailure =
  | "missing" // no header or an empty one
  | "malformed" // not a query string we can read, or a field (user, auth_date) of the wrong shape
  | "duplicate_key" // a key given twice: which one was signed would be ambiguous
  | "no_hash"
  | "bad_hash" // forged, tampered with, or signed with another bot's token
  | "stale" // auth_date older than the allowed age (or implausibly far in the future)
  | "no_user"; // valid, but opened without a user (e.g. from an inline query of a channel)

export type InitDataResult =
  | { ok: true; user: InitDataUser; authDate: number; fields: Record<string, string> }
  | { ok: false; reason: InitDataFailure };

/** Telegram's guidance: accept init data for at most a day. */
/** The header the Mini App sends its init data in. */
export const INIT_DATA_HEADER = "x-telegram-init-data";

export const INIT_DATA_MAX_AGE_SECONDS = 24 * 60 * 60;
/** Clocks drift a little; init data "from the future" beyond this is refused too. */
const FUTURE_SKEW_SECONDS = 5 * 60;
/** Real init data is a few hundred bytes; refuse to hash anything absurd. */
const MAX_INIT_DATA_LENGTH = 16 * 1024;

const encoder = new TextEncoder();

async function hmacSha256(key: Uint8Array<ArrayBuffer>, data: string): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(data)));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `secret_key` of the scheme above; depends only on the bot token. */
export function initDataSecret(botToken: string): Promise<Uint8Array<ArrayBuffer>> {
  return hmacSha256(encoder.encode("WebAppData"), botToken);
}

/** The data-check-string of a set of fields (`hash` left out). */
export function dataCheckString(fields: Record<string, string>): string {
  return Object.keys(fields).filter((k) => k !== "hash").sort().map((k) => `${k}=${fields[k]}`).join("\n");
}

/** The hash Telegram would put on these fields for this bot (tests sign with it, too). */
export async function initDataHash(fields: Record<string, string>, botToken: string): Promise<string> {
  return toHex(await hmacSha256(await initDataSecret(botToken), dataCheckString(fields)));
}

/**
 * Signs fields as Telegram does and returns the query string (what `Telegram.WebApp.initData` holds).
 * For tests and local tooling; production init data is signed by Telegram.
 */
export async function signInitData(fields: Record<string, string>, botToken: string): Promise<string> {
  const hash = await initDataHash(fields, botToken);
  return new URLSearchParams({ ...fields, hash }).toString();
}

/**
 * Validates init data for a bot. `nowMs` is injectable for tests. Never throws on bad input: every
 * failure is a reason (the route answers all of them with the same 401).
 */
export async function validateInitData(
  raw: string | null | undefined,
  botToken: string,
  opts: { nowMs?: number; maxAgeSeconds?: number } = {},
): Promise<InitDataResult> {
  if (!raw || !raw.trim()) return { ok: false, reason: "missing" };
  if (raw.length > MAX_INIT_DATA_LENGTH) return { ok: false, reason: "malformed" };

  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of params) {
    // URLSearchParams keeps duplicates; an object would keep only the last one, while the sender's
    // signature may cover the first. Refuse rather than guess.
    if (Object.hasOwn(fields, key)) return { ok: false, reason: "duplicate_key" };
    fields[key] = value;
  }
  const given = fields.hash;
  if (!given) return { ok: false, reason: "no_hash" };

  // Hash first, so nothing unsigned is interpreted (not even auth_date).
  const expected = await initDataHash(fields, botToken);
  if (!constantTimeEqual(encoder.encode(given.toLowerCase()), encoder.encode(expected))) {
    return { ok: false, reason: "bad_hash" };
  }

  const authDate = Number(fields.auth_date);
  if (!/^\d{1,12}$/.test(fields.auth_date ?? "") || !Number.isSafeInteger(authDate)) {
    return { ok: false, reason: "malformed" };
  }
  const nowSec = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  const maxAge = opts.maxAgeSeconds ?? INIT_DATA_MAX_AGE_SECONDS;
  if (nowSec - authDate > maxAge || authDate - nowSec > FUTURE_SKEW_SECONDS) {
    return { ok: false, reason: "stale" };
  }

  if (fields.user === undefined) return { ok: false, reason: "no_user" };
  let user: unknown;
  try {
    user = JSON.parse(fields.user);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!user || typeof user !== "object") return { ok: false, reason: "malformed" };
  const id = (user as { id?: unknown }).id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) {
    return { ok: false, reason: "malformed" };
  }
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const u = user as Record<string, unknown>;
  return {
    ok: true,
    authDate,
    fields,
    user: {
      id,
      first_name: str(u.first_name),
      last_name: str(u.last_name),
      username: str(u.username),
      language_code: str(u.language_code),
    },
  };
}
