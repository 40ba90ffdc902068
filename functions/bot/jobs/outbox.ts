/**
 * Outbox delivery: every message the product sends on its own initiative (activation with invite
 * link, renewal/cancellation notices, reminders, removals from the paid chat) is a row in
 * `public.outbox` first; this module claims due rows and delivers them through the Bot API.
 *
 * - Rows are claimed in small chunks (`claim_outbox`: `for update skip locked` + a lease), so concurrent
 *   drains never get the same row, and delivered one after another (Telegram rate limits).
 * - Each row ends in `complete_outbox` (sent | skipped) or `fail_outbox`, which owns the retry policy:
 *   exponential backoff, Telegram's `retry_after` for 429, `blocked` for 403 (the user is marked and
 *   their pending messages skipped), `permanent` for errors a retry cannot fix.
 * - Access is re-checked at claim time (`has_access`): a removal for a user whose access came back is
 *   skipped; an invite or reminder for a user who no longer has access is skipped.
 */
import { type Api, GrammyError, HttpError } from "grammy";
import type { AppDeps } from "../app.ts";
import { errorMessage } from "../log.ts";
import { createBotApi } from "../telegram/api.ts";
import { createPersonalInvite } from "../telegram/chat.ts";
import { type Texts, textsFor } from "../telegram/texts.ts";

/** One claimed row, as `claim_outbox` returns it. */
export interface OutboxRow {
  id: number;
  telegram_user_id: number;
  kind: "message" | "invite" | "remove";
  template: string;
  params: Record<string, unknown> | null;
  attempts: number;
  language_code: string | null;
  blocked: boolean;
  has_access: boolean;
}

/** What a drain did; every claimed row is counted in exactly one of the other fields. */
export interface OutboxCounts {
  claimed: number;
  sent: number;
  /** completed without sending: user blocked earlier, access restored/ended, nothing to do */
  skipped: number;
  /** failed this time, back to pending with backoff (or Telegram's retry_after) */
  retried: number;
  /** given up: a permanent error or too many attempts */
  failed: number;
  /** Telegram answered 403 now: user marked as blocked, their queued messages skipped */
  blocked: number;
}

export interface DrainOptions {
  /** Bot API client (default: createBotApi(config) with a per-request timeout). */
  api?: Api;
  /** Rows claimed per round trip (default 10, never more than the limit). */
  chunkSize?: number;
  /** Lease of a claimed row (default 120 s): a worker that dies lets its rows come back after it. */
  leaseSeconds?: number;
  /** Timeout of each Bot API request (default 20 s); only applied to the default client. */
  requestTimeoutMs?: number;
  /** No new chunk is claimed after this much time (default 50 s): the scheduled route runs every minute. */
  budgetMs?: number;
  /** Attempts before a row is given up (fail_outbox's p_max_attempts, default 8). */
  maxAttempts?: number;
}

const DEFAULTS = {
  chunkSize: 10,
  leaseSeconds: 120,
  requestTimeoutMs: 20_000,
  budgetMs: 50_000,
  maxAttempts: 8,
};

export function emptyCounts(): OutboxCounts {
  return { claimed: 0, sent: 0, skipped: 0, retried: 0, failed: 0, blocked: 0 };
}

/** A row whose template or params cannot be rendered: retrying will not help. */
export class OutboxTemplateError extends Error {
  override name = "OutboxTemplateError";
}

function requireUntil(template: string, params: Record<string, unknown>): string {
  const until = params.until;
  if (typeof until !== "string" || Number.isNaN(new Date(until).getTime())) {
    throw new OutboxTemplateError(`template ${template} needs params.until (a timestamp)`);
  }
  return until;
}

/**
 * The text of an outbox row in the user's language. Templates are the keys SQL queues:
 * activated {until} · renewed {until} · shortened {until} · cancelled {until} · reminder {until} ·
 * expired · refunded · revoked (removal notices) · removed_no_access · payment_thanks {until}.
 * A reminder says the time left from `until` at `now` (when it is sent, not when it was queued).
 */
export function renderOutboxText(
  t: Texts,
  template: string,
  params: Record<string, unknown> | null | undefined,
  inviteLink?: string | null,
  now: number = Date.now(),
): string {
  const p = params ?? {};
  switch (template) {
    case "activated":
      return t.activated({ until: requireUntil(template, p), inviteLink: inviteLink ?? null });
    case "renewed":
      return t.renewed({ until: requireUntil(template, p) });
    case "shortened":
      return t.shortened({ until: requireUntil(template, p) });
    case "cancelled":
      return t.cancelled({ until: requireUntil(template, p) });
    case "reminder": {
      const until = requireUntil(template, p);
      return t.reminder({ msLeft: new Date(until).getTime() - now, until });
    }
    case "payment_thanks":
      return t.paymentThanks({ until: requireUntil(template, p) });
    case "expired":
      return t.expired;
    case "refunded":
      return t.refunded;
    case "revoked":
      return t.revoked;
    case "removed_no_access":
      return t.removedNoAccess;
    default:
      throw new OutboxTemplateError(`unknown outbox template ${JSON.stringify(template)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Outcomes and error classification

type Outcome =
  | { type: "sent"; note?: string }
  | { type: "skipped"; note: string }
  | {
    type: "fail";
    error: string;
    retryAfter?: number;
    blocked?: boolean;
    permanent?: boolean;
    /** Telegram said 429: stop claiming more rows in this drain */
    rateLimited?: boolean;
  };

/** Which kind of call failed: a message to the user, or an action in the paid chat. */
type Step = "notice" | "chat";

class StepError extends Error {
  constructor(readonly step: Step, readonly original: unknown) {
    super(describeError(original));
  }
}

function describeError(err: unknown): string {
  if (err instanceof GrammyError) return `${err.method}: ${err.error_code} ${err.description}`;
  if (err instanceof HttpError) return `network: ${err.message}`;
  return errorMessage(err);
}

/** Bot API 400 answers that mean the user cannot be messaged or found at all. */
const GONE_USER =
  /chat not found|user not found|peer_id_invalid|user_id_invalid|participant_id_invalid|user is deactivated|bot can't initiate/i;
/** banChatMember answers that mean there is nobody to remove. */
const NOTHING_TO_REMOVE =
  /user not found|participant_id_invalid|user_id_invalid|user_not_participant|member not found|not a member/i;

/**
 * Maps a failed step to what fail_outbox should do.
 * - 429: retry after Telegram's retry_after.
 * - 403 on a message: the user blocked the bot or is deactivated → blocked.
 * - 400 on a message (chat/user not found, bad request): a retry cannot help → permanent.
 * - 400/403 in the paid chat (bot lacks rights, wrong PAID_CHAT_ID): an operator can fix it → retry.
 * - 5xx, network, timeouts, anything else: retry with backoff.
 */
export function classifyDeliveryError(
  err: unknown,
  step: Step,
): Omit<Extract<Outcome, { type: "fail" }>, "type"> {
  const error = describeError(err);
  if (err instanceof GrammyError) {
    if (err.error_code === 429) {
      const ra = err.parameters?.retry_after;
      return {
        error,
        retryAfter: typeof ra === "number" && ra >= 0 ? Math.ceil(ra) : undefined,
        rateLimited: true,
      };
    }
    if (step === "notice" && err.error_code === 403) return { error, blocked: true };
    if (step === "notice" && err.error_code === 400) return { error, permanent: true };
    if (step === "notice" && GONE_USER.test(err.description)) return { error, permanent: true };
  }
  return { error };
}

// ---------------------------------------------------------------------------------------------------
// Delivery

function withTimeout(api: Api, ms: number): Api {
  api.config.use(async (prev, method, payload, signal) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort);
    try {
      // grammY's npm build types AbortSignal with its Node shim; the Web one is what it uses at runtime
      return await prev(method, payload, controller.signal as unknown as Parameters<typeof prev>[2]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  });
  return api;
}

async function step<T>(which: Step, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StepError(which, err);
  }
}

async function deliver(api: Api, paidChatId: number | null, row: OutboxRow): Promise<Outcome> {
  const t = textsFor(row.language_code);
  const user = row.telegram_user_id;
  const send = (text: string) => step("notice", () => api.sendMessage(user, text));

  switch (row.kind) {
    case "message": {
      if (row.blocked) return { type: "skipped", note: "user blocked the bot" };
      if (row.template === "reminder" && !row.has_access) {
        return { type: "skipped", note: "no access any more" };
      }
      await send(renderOutboxText(t, row.template, row.params));
      return { type: "sent" };
    }

    case "invite": {
      if (row.blocked) return { type: "skipped", note: "user blocked the bot" };
      if (!row.has_access) return { type: "skipped", note: "no access any more" };
      const text = (link: string | null) => renderOutboxText(t, row.template, row.params, link);
      text(null); // a bad template fails before an invite link is made
      if (paidChatId === null) {
        await send(text(null));
        return { type: "sent", note: "no PAID_CHAT_ID: activation notice without link" };
      }
      const link = await step("chat", () => createPersonalInvite(api, paidChatId, user));
      try {
        await send(text(link));
      } catch (err) {
        // the link was never seen by anyone: take it back (best effort), the retry makes a new one
        await api.revokeChatInviteLink(paidChatId, link).catch(() => {});
        throw err;
      }
      return { type: "sent" };
    }

    case "remove": {
      if (row.has_access) return { type: "skipped", note: "access restored" };
      const notice = renderOutboxText(t, row.template, row.params);
      let removed = false;
      if (paidChatId !== null) {
        try {
          await api.banChatMember(paidChatId, user);
        } catch (err) {
          if (
            !(err instanceof GrammyError && err.error_code === 400 && NOTHING_TO_REMOVE.test(err.description))
          ) {
            throw new StepError("chat", err);
          }
        }
        // unban so a later payment lets the user back in through a new invite
        await step("chat", () => api.unbanChatMember(paidChatId, user, { only_if_banned: true }));
        removed = true;
      }
      if (row.blocked) {
        return removed
          ? { type: "sent", note: "removed; notice skipped: user blocked the bot" }
          : { type: "skipped", note: "user blocked the bot" };
      }
      try {
        await send(notice);
      } catch (err) {
        // the removal is done; a notice that can never be delivered does not undo it
        const verdict = err instanceof StepError ? classifyDeliveryError(err.original, err.step) : null;
        if (removed && verdict?.permanent) {
          return { type: "sent", note: `removed; notice failed: ${verdict.error}` };
        }
        throw err;
      }
      return { type: "sent" };
    }

    default:
      throw new OutboxTemplateError(`unknown outbox kind ${JSON.stringify((row as { kind: unknown }).kind)}`);
  }
}

async function deliverSafely(api: Api, paidChatId: number | null, row: OutboxRow): Promise<Outcome> {
  try {
    return await deliver(api, paidChatId, row);
  } catch (err) {
    if (err instanceof StepError) return { type: "fail", ...classifyDeliveryError(err.original, err.step) };
    if (err instanceof OutboxTemplateError) return { type: "fail", error: err.message, permanent: true };
    return { type: "fail", error: errorMessage(err) };
  }
}

/**
 * Claims and delivers up to `limit` due outbox rows, one at a time. Database errors propagate (the
 * caller answers 503 or logs); delivery errors never do: they become the row's retry state.
 */
export async function drainOutbox(
  deps: Pick<AppDeps, "config" | "db" | "log">,
  limit: number,
  opts: DrainOptions = {},
): Promise<OutboxCounts> {
  const counts = emptyCounts();
  const max = Math.max(0, Math.floor(limit));
  if (max === 0) return counts;
  const o = { ...DEFAULTS, ...opts };
  const api = opts.api ?? withTimeout(createBotApi(deps.config), o.requestTimeoutMs);
  const started = Date.now();
  // a row is given up (released for a later drain) rather than delivered once its lease is nearly over
  const safeWindowMs = Math.max(5_000, o.leaseSeconds * 1000 - 3 * o.requestTimeoutMs - 5_000);
  let rateLimited = false;

  while (counts.claimed < max && !rateLimited && Date.now() - started < o.budgetMs) {
    const chunk = Math.min(o.chunkSize, max - counts.claimed);
    const claimedAt = Date.now();
    const rows = await deps.db.call<OutboxRow[]>("claim_outbox", {
      p_limit: chunk,
      p_lease_seconds: o.leaseSeconds,
    });
    if (!Array.isArray(rows) || rows.length === 0) break;
    counts.claimed += rows.length;

    for (const row of rows) {
      let outcome: Outcome;
      if (Date.now() - claimedAt > safeWindowMs) {
        outcome = { type: "fail", error: "not attempted: lease nearly over", retryAfter: 0 };
      } else {
        outcome = await deliverSafely(api, deps.config.paidChatId, row);
      }
      if (outcome.type === "fail" && outcome.rateLimited) rateLimited = true;
      await record(deps, row, outcome, counts, o.maxAttempts);
    }
    if (rows.length < chunk) break;
  }
  return counts;
}

async function record(
  deps: Pick<AppDeps, "db" | "log">,
  row: OutboxRow,
  outcome: Outcome,
  counts: OutboxCounts,
  maxAttempts: number,
): Promise<void> {
  const fields = { outbox_id: row.id, kind: row.kind, template: row.template, attempt: row.attempts };
  if (outcome.type === "sent" || outcome.type === "skipped") {
    await deps.db.call("complete_outbox", {
      p_id: row.id,
      p_status: outcome.type,
      p_note: outcome.note ?? null,
    });
    counts[outcome.type]++;
    return;
  }
  const status = await deps.db.call<string>("fail_outbox", {
    p_id: row.id,
    p_error: outcome.error,
    p_retry_after_seconds: outcome.retryAfter ?? null,
    p_blocked: outcome.blocked ?? false,
    p_permanent: outcome.permanent ?? false,
    p_max_attempts: maxAttempts,
  });
  if (outcome.blocked) counts.blocked++;
  else if (status === "pending") counts.retried++;
  else if (status === "failed" || status === "not_found") counts.failed++;
  else counts.skipped++; // the row was finished elsewhere meanwhile (lease ran out)
  const line = { ...fields, status, error: outcome.error };
  if (status === "pending" || outcome.blocked) deps.log.warn("outbox delivery failed", line);
  else deps.log.error("outbox delivery failed", line);
}
