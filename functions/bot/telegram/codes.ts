// Access codes and promo links (creator tools, issue #12 part 1).
//
// Admins: /code_new <days> [max_uses] [valid_days] makes an unguessable code (12 symbols of Crockford
// base32 without the look-alikes 0 1 I L O U, from crypto random: ~59 bits) and answers with its deep link
// https://t.me/<bot>?start=<CODE>; /codes lists them; /code_off <CODE> switches one off. These return what
// admin.ts's `run` records and replies (like text_admin.ts).
// Members: /start <CODE> (user.ts) redeems a code. Everything that decides (once per user, uses counted
// atomically, validity, the wrong-code rate limit) is public.redeem_access_code; the invite comes from the
// timeline recompute through the outbox, as for /grant.
import type { AppDeps } from "../app.ts";
import { drainOutbox } from "../outbox/drain.ts";
import type { BotContext } from "./context.ts";
import { DRAIN_AFTER_REQUEST } from "./payments.ts";
import type { AdminOutcome } from "./text_admin.ts";
import type { AccessCodeSummary, Texts } from "./texts.ts";

/** Crockford base32 without 0 1 I L O U: nothing a reader can mistake for something else. */
export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
export const CODE_LENGTH = 12;
export const MAX_CODE_DAYS = 3650;
export const MAX_CODE_USES = 1_000_000;
/** How many codes /codes shows (the newest); a Telegram message holds 4096 characters. */
export const CODES_LISTED = 20;

/** A fresh code: uniform over the alphabet (rejection sampling of random bytes, no modulo bias). */
export function generateCode(
  length = CODE_LENGTH,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const n = CODE_ALPHABET.length;
  const limit = 256 - (256 % n); // 240: bytes at or above it would favour the first symbols
  let out = "";
  while (out.length < length) {
    for (const byte of random(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out += CODE_ALPHABET[byte % n];
    }
  }
  return out;
}

/** The code's promo link. */
export function codeDeepLink(botUsername: string, code: string): string {
  return `https://t.me/${botUsername}?start=${code}`;
}

/**
 * The code a `/start` payload tries, or null when the payload is something else. Letters and digits
 * (hyphens, as people write long codes, are dropped), case-insensitive; a payload with `_` (such as
 * `buy_<plan>`) is never a code.
 */
export function codeFromStart(payload: string): string | null {
  const p = payload.trim();
  if (!/^[A-Za-z0-9-]{4,64}$/.test(p)) return null;
  const code = p.replace(/-/g, "").toUpperCase();
  return code.length >= 4 ? code : null;
}

/** `public.redeem_access_code(...)`. */
interface Redemption {
  status: "redeemed" | "already_redeemed" | "off" | "expired" | "exhausted" | "unknown" | "rate_limited";
  days?: number;
  until?: string | null;
  access_until?: string | null;
  retry_at?: string;
}

/** The one sentence a member gets for a redemption. */
export function redemptionText(t: Texts, r: Redemption): string {
  switch (r.status) {
    case "redeemed":
      return t.codeRedeemed({ days: r.days ?? 0, until: r.until ?? r.access_until ?? new Date() });
    case "already_redeemed":
      return t.codeAlreadyUsed;
    case "off":
      return t.codeOff;
    case "expired":
      return t.codeExpired;
    case "exhausted":
      return t.codeExhausted;
    case "rate_limited":
      return t.codeRateLimited({ until: r.retry_at ?? new Date(Date.now() + 3_600_000) });
    default:
      return t.codeUnknown;
  }
}

/** /start <CODE> in a private chat. */
export async function redeemCode(deps: AppDeps, ctx: BotContext, code: string): Promise<void> {
  const from = ctx.from!;
  const r = await deps.db.call<Redemption>("redeem_access_code", {
    p_telegram_user_id: from.id,
    p_code: code,
    p_request_id: String(ctx.update.update_id),
  });
  deps.log.info("access code", { request_id: ctx.requestId, user_id: from.id, status: r.status });
  // the invite (or nothing, for a member who already had access) was queued by the recompute
  if (r.status === "redeemed") deps.background(drainOutbox(deps, DRAIN_AFTER_REQUEST));
  await ctx.reply(redemptionText(ctx.texts, r));
}

// ------------------------------------------------------------------------------------------- admin side

/** One code as the SQL functions return it (`public._access_code_json`). */
interface CodeRow {
  status?: string;
  code: string;
  days: number;
  max_uses: number;
  used: number;
  valid_until: string | null;
  state: string;
}

function intIn(s: string | undefined, min: number, max: number): number | null {
  if (s === undefined || !/^\d{1,7}$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

/** `/code_new <days> [max_uses] [valid_days]`; null: not that shape. */
export function parseCodeNewArgs(
  args: string[],
): { days: number; maxUses: number; validDays: number | null } | null {
  if (args.length < 1 || args.length > 3) return null;
  const days = intIn(args[0], 1, MAX_CODE_DAYS);
  const maxUses = args[1] === undefined ? 1 : intIn(args[1], 1, MAX_CODE_USES);
  const validDays = args[2] === undefined ? null : intIn(args[2], 1, MAX_CODE_DAYS);
  if (days === null || maxUses === null || (args[2] !== undefined && validDays === null)) return null;
  return { days, maxUses, validDays };
}

const summary = (bot: string, c: CodeRow): AccessCodeSummary => ({
  code: c.code,
  link: codeDeepLink(bot, c.code),
  days: c.days,
  used: c.used,
  maxUses: c.max_uses,
  validUntil: c.valid_until,
  state: c.state,
});

export async function codeNewCommand(
  deps: AppDeps,
  ctx: BotContext,
  args: string[],
  usage: () => AdminOutcome,
): Promise<AdminOutcome> {
  const parsed = parseCodeNewArgs(args);
  if (!parsed) return usage();
  const { days, maxUses, validDays } = parsed;
  let row: CodeRow | null = null;
  // a clash with an existing code is a 1 in 10^17 event per code; drawing again settles it
  for (let attempt = 0; attempt < 5 && row === null; attempt++) {
    const r = await deps.db.call<CodeRow>("create_access_code", {
      p_code: generateCode(),
      p_days: days,
      p_max_uses: maxUses,
      p_valid_days: validDays,
      p_admin_id: ctx.from!.id,
      p_request_id: String(ctx.update.update_id),
    });
    if (r.status !== "taken") row = r;
  }
  if (!row) throw new Error("create_access_code: no free code after 5 draws");
  const c = summary(ctx.me.username, row);
  return {
    result:
      `${row.status === "duplicate" ? "repeated" : "created"} ${c.code}: ${days} days, ${maxUses} uses, ` +
      `valid until ${c.validUntil ?? "-"}`,
    args: { code: c.code, days, max_uses: maxUses, valid_days: validDays },
    reply: ctx.texts.adminCodeCreated(c),
  };
}

export async function codesCommand(deps: AppDeps, ctx: BotContext): Promise<AdminOutcome> {
  const r = await deps.db.call<{ total: number; codes: CodeRow[] }>("list_access_codes", {
    p_limit: CODES_LISTED,
  });
  const codes = r.codes.map((c) => summary(ctx.me.username, c));
  return { result: `${r.total} codes`, reply: ctx.texts.adminCodes({ total: Number(r.total), codes }) };
}

export async function codeOffCommand(
  deps: AppDeps,
  ctx: BotContext,
  args: string[],
  usage: () => AdminOutcome,
): Promise<AdminOutcome> {
  const code = args.length === 1 ? codeFromStart(args[0]) : null;
  if (!code) return usage();
  const r = await deps.db.call<CodeRow & { status: "off" | "already_off" | "unknown" }>(
    "disable_access_code",
    { p_code: code, p_admin_id: ctx.from!.id },
  );
  return {
    result: r.status,
    args: { code },
    reply: ctx.texts.adminCodeOff({ code, status: r.status, used: r.used, maxUses: r.max_uses }),
  };
}
