/**
 * The Mini App's admin data door: `POST .../bot/app/admin` with `X-Telegram-Init-Data` (CONTRACT
 * section 4, issue #14). route.ts has validated the init data; here the user must be in
 * ADMIN_TELEGRAM_IDS, checked before anything is parsed, read or recorded (everyone else: 403).
 *
 * The body names one section of the admin view and, for changes, an action:
 *
 *   {"panel": "overview"}                       admin_overview()
 *   {"panel": "members", "query": "ann"}        admin_find_members(query)      (id or username prefix)
 *   {"panel": "member", "user_id": 7201}        admin_member(id)               (timeline + payments)
 *   {"panel": "codes"}                          admin_codes()                  ({"available": false} without
 *   {"panel": "broadcasts"}                     admin_broadcast_status()        their tables)
 *   {"panel": "health"}                         admin_health() + jobs/checks.ts (what npm run doctor checks)
 *   {"action": "grant", "user_id", "days", "request_id"}    grant_access  } recorded in admin_actions,
 *   {"action": "revoke", "user_id", "request_id"}           revoke_access } then the outbox is drained
 *   {"action": "code_new", "days", "max_uses"?, "valid_days"?, "request_id"}   create_access_code  } as /code_new,
 *   {"action": "code_off", "code"}                                             disable_access_code } /code_off
 *
 * `request_id` is made by the page when the admin confirms; the same id twice (a double click, a retry)
 * is one grant or revocation, as a redelivered /grant is. Sections are a table: a new panel is one
 * entry here, one SQL function and one renderer in admin_page.ts.
 */
import type { AppDeps } from "../app.ts";
import type { RpcName } from "../db/port.ts";
import { json } from "../http.ts";
import { checkTelegramWebhook, checkTributeApi } from "../jobs/checks.ts";
import { drainOutbox } from "../outbox/drain.ts";
import { type InboxBacklog, inboxHealth } from "../tribute/inbox.ts";
import { errorMessage } from "../log.ts";
import { generateCode, MAX_CODE_USES } from "../telegram/codes.ts";
import { DRAIN_AFTER_REQUEST } from "../telegram/payments.ts";
import type { Lang } from "../telegram/texts.ts";
import type { InitDataUser } from "./initdata.ts";

export const ADMIN_PANELS = ["overview", "members", "member", "codes", "broadcasts", "health"] as const;
export type AdminPanel = typeof ADMIN_PANELS[number];
export const ADMIN_ACTIONS = ["grant", "revoke", "code_new", "code_off"] as const;
export type AdminAction = typeof ADMIN_ACTIONS[number];

const MAX_GRANT_DAYS = 3650;
const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** An outbox row due for longer than this means delivery is stuck (the scheduled drain runs every minute). */
const OUTBOX_STUCK_MS = 5 * 60 * 1000;

export function isAdmin(deps: Pick<AppDeps, "config">, userId: number): boolean {
  return deps.config.adminIds.includes(userId);
}

class BadRequest extends Error {}

function userIdOf(v: unknown): number {
  const n = typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n <= 0) {
    throw new BadRequest("user_id: expected a Telegram user id");
  }
  return n;
}

function daysOf(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_GRANT_DAYS) {
    throw new BadRequest(`days: expected a whole number from 1 to ${MAX_GRANT_DAYS}`);
  }
  return v;
}

/** An optional whole number in [1, max] (null when absent). */
function optionalCount(v: unknown, field: string, max: number): number | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw new BadRequest(`${field}: expected a whole number from 1 to ${max}`);
  }
  return v;
}

function codeOf(v: unknown): string {
  if (typeof v !== "string" || !/^[A-Za-z0-9]{4,32}$/.test(v)) {
    throw new BadRequest("code: expected an access code");
  }
  return v.toUpperCase();
}

function requestIdOf(v: unknown): string {
  if (typeof v !== "string" || !REQUEST_ID.test(v)) {
    throw new BadRequest("request_id: expected 8-64 characters A-Z a-z 0-9 _ -");
  }
  return v;
}

interface AdminContext {
  deps: AppDeps;
  admin: InitDataUser;
  lang: Lang;
  requestId: string;
  input: Record<string, unknown>;
}

interface HealthRow {
  cron: { exists: boolean; schedule?: string; active?: boolean; pg_cron?: false };
  outbox: { pending: number; due: number; oldest_due_at: string | null };
  inbox: InboxBacklog;
  failed_24h: number;
  failed: Array<{ id: number; source: string; name: string; error: string | null; received_at: string }>;
}

export interface HealthCheck {
  name:
    | "telegram webhook"
    | "tribute api key"
    | "tribute api"
    | "cron job"
    | "outbox backlog"
    | "tribute inbox";
  ok: boolean;
  detail: string;
}

const read = (fn: RpcName, args?: (c: AdminContext) => Record<string, unknown>) => (c: AdminContext) =>
  c.deps.db.call(fn, args?.(c));

/** The read-only sections: each is one SQL function (health adds the function-side checks). */
const PANELS: Record<AdminPanel, (c: AdminContext) => Promise<unknown>> = {
  overview: read("admin_overview"),
  members: read("admin_find_members", (c) => {
    const q = c.input.query;
    if (typeof q !== "string" || !q.trim() || q.length > 64) {
      throw new BadRequest("query: expected a Telegram id or a username");
    }
    return { p_query: q.trim() };
  }),
  member: read("admin_member", (c) => ({ p_telegram_user_id: userIdOf(c.input.user_id) })),
  codes: read("admin_codes"),
  broadcasts: read("admin_broadcast_status"),
  health: health,
};

/** What npm run doctor checks, from inside the function: Telegram, Tribute, pg_cron, the outbox. */
async function health(c: AdminContext) {
  const { deps } = c;
  const [db, telegram, tribute] = await Promise.all([
    deps.db.call<HealthRow>("admin_health"),
    checkTelegramWebhook(deps.config),
    checkTributeApi(deps.config, deps.fetch, { timeoutMs: 5000 }),
  ]);
  const oldestDue = db.outbox.oldest_due_at ? Date.parse(db.outbox.oldest_due_at) : null;
  const stuck = oldestDue !== null && Date.now() - oldestDue > OUTBOX_STUCK_MS;
  const checks: HealthCheck[] = [
    { name: "telegram webhook", ok: telegram.ok, detail: telegram.detail },
    {
      name: "tribute api key",
      ok: Boolean(deps.config.tributeApiKey),
      detail: deps.config.tributeApiKey ? "TRIBUTE_API_KEY is set" : "TRIBUTE_API_KEY is not set",
    },
    { name: "tribute api", ok: tribute.ok, detail: tribute.detail },
    {
      name: "cron job",
      ok: db.cron.exists && db.cron.active === true && db.cron.schedule === "* * * * *",
      detail: db.cron.exists
        ? `expire-subscriptions: '${db.cron.schedule}'${db.cron.active ? "" : " (inactive)"}`
        : db.cron.pg_cron === false
        ? "pg_cron is not installed in this database"
        : "expire-subscriptions is not scheduled",
    },
    {
      name: "outbox backlog",
      ok: !stuck,
      detail: `${db.outbox.pending} pending, ${db.outbox.due} due` +
        (db.outbox.oldest_due_at ? `, oldest due since ${db.outbox.oldest_due_at}` : ""),
    },
    inboxHealth(db.inbox),
  ];
  return {
    checks,
    webhook: telegram.info
      ? {
        url: telegram.info.url,
        pending: telegram.info.pendingUpdateCount,
        last_error: telegram.info.lastErrorMessage,
        last_error_at: telegram.info.lastErrorDate?.toISOString() ?? null,
      }
      : null,
    failed_24h: db.failed_24h,
    failed: db.failed,
  };
}

/** Changes: the SQL functions behind /grant and /revoke, recorded, then the queued notices delivered. */
const ACTIONS: Record<AdminAction, (c: AdminContext) => Promise<{ result: string; data: unknown }>> = {
  async grant(c) {
    const userId = userIdOf(c.input.user_id);
    const days = daysOf(c.input.days);
    const requestId = requestIdOf(c.input.request_id);
    return await recorded(c, "grant", { user_id: userId, days, request_id: requestId }, async () => {
      const r = await c.deps.db.call<{ status: string; access_until: string | null }>("grant_access", {
        p_telegram_user_id: userId,
        p_days: days,
        p_admin_id: c.admin.id,
        p_request_id: `app:${requestId}`,
      });
      return {
        result: r.status === "duplicate"
          ? "duplicate request, nothing changed"
          : `granted ${days} days, access until ${r.access_until}`,
        data: { ...r, member: await c.deps.db.call("admin_member", { p_telegram_user_id: userId }) },
      };
    });
  },
  async revoke(c) {
    const userId = userIdOf(c.input.user_id);
    const requestId = requestIdOf(c.input.request_id);
    return await recorded(c, "revoke", { user_id: userId, request_id: requestId }, async () => {
      const r = await c.deps.db.call<{ status: string; ended: number }>("revoke_access", {
        p_telegram_user_id: userId,
        p_admin_id: c.admin.id,
        p_request_id: `app:${requestId}`,
      });
      return {
        result: r.status === "duplicate" ? "duplicate request, nothing changed" : `revoked, ${r.ended} ended`,
        data: { ...r, member: await c.deps.db.call("admin_member", { p_telegram_user_id: userId }) },
      };
    });
  },
  code_new: codeNew,
  code_off: codeOff,
};

/** /code_new from the Mini App: a fresh random code, once per request id. */
async function codeNew(c: AdminContext) {
  const days = daysOf(c.input.days);
  const maxUses = optionalCount(c.input.max_uses, "max_uses", MAX_CODE_USES) ?? 1;
  const validDays = optionalCount(c.input.valid_days, "valid_days", MAX_GRANT_DAYS);
  const requestId = requestIdOf(c.input.request_id);
  const args = { days, max_uses: maxUses, valid_days: validDays, request_id: requestId };
  return await recorded(c, "code_new", args, async () => {
    let row: { status: string; code: string } | null = null;
    // a clash with an existing code is astronomically rare; drawing again settles it (as /code_new)
    for (let attempt = 0; attempt < 5 && row === null; attempt++) {
      const r = await c.deps.db.call<{ status: string; code: string }>("create_access_code", {
        p_code: generateCode(),
        p_days: days,
        p_max_uses: maxUses,
        p_valid_days: validDays,
        p_admin_id: c.admin.id,
        p_request_id: `app:${requestId}`,
      });
      if (r.status !== "taken") row = r;
    }
    if (!row) throw new Error("create_access_code: no free code after 5 draws");
    return {
      result: row.status === "duplicate"
        ? `duplicate request, nothing changed (${row.code})`
        : `created ${row.code}: ${days} days, ${maxUses} uses`,
      data: { ...row, codes: await c.deps.db.call("admin_codes") },
    };
  });
}

/** /code_off from the Mini App. */
async function codeOff(c: AdminContext) {
  const code = codeOf(c.input.code);
  return await recorded(c, "code_off", { code }, async () => {
    const r = await c.deps.db.call<{ status: string }>("disable_access_code", {
      p_code: code,
      p_admin_id: c.admin.id,
    });
    return {
      result: `${r.status} ${code}`,
      data: { ...r, codes: await c.deps.db.call("admin_codes") },
    };
  });
}

/** Runs one action, records it in admin_actions (an error too), and delivers what it queued. */
async function recorded(
  c: AdminContext,
  command: AdminAction,
  args: Record<string, unknown>,
  run: () => Promise<{ result: string; data: unknown }>,
) {
  const record = (result: string) =>
    c.deps.db.call("record_admin_action", {
      p_admin_id: c.admin.id,
      p_command: command,
      p_args: { ...args, via: "mini_app" },
      p_result: result.slice(0, 1000),
      p_allowed: true,
    });
  let outcome;
  try {
    outcome = await run();
  } catch (err) {
    await record(`error: ${errorMessage(err)}`).catch(() => {});
    throw err;
  }
  await record(outcome.result);
  c.deps.background(drainOutbox(c.deps, DRAIN_AFTER_REQUEST));
  c.deps.log.info("admin action", {
    request_id: c.requestId,
    admin_id: c.admin.id,
    command,
    via: "mini_app",
    result: outcome.result,
  });
  return outcome;
}

/**
 * The admin door after the init data check. `parseBody` is route.ts's JSON reader (400 on bad JSON),
 * called only once the caller is known to be an admin.
 */
export async function handleAdminApp(
  deps: AppDeps,
  user: InitDataUser,
  lang: Lang,
  parseBody: () => { ok: true; value: Record<string, unknown> } | { ok: false; response: Response },
  requestId: string,
): Promise<Response> {
  if (!isAdmin(deps, user.id)) {
    deps.log.warn("mini app admin refused", { request_id: requestId, user_id: user.id });
    return json(403, { error: "forbidden" });
  }
  const parsed = parseBody();
  if (!parsed.ok) return parsed.response;
  const input = parsed.value;
  const c: AdminContext = { deps, admin: user, lang, requestId, input };
  try {
    if (input.action !== undefined) {
      const action = input.action;
      if (typeof action !== "string" || !(ADMIN_ACTIONS as readonly string[]).includes(action)) {
        return json(400, { error: `action: expected one of ${ADMIN_ACTIONS.join(", ")}` });
      }
      const outcome = await ACTIONS[action as AdminAction](c);
      return json(200, { lang, action, result: outcome.result, data: outcome.data }, {
        "cache-control": "no-store",
      });
    }
    const panel = input.panel ?? "overview";
    if (typeof panel !== "string" || !(ADMIN_PANELS as readonly string[]).includes(panel)) {
      return json(400, { error: `panel: expected one of ${ADMIN_PANELS.join(", ")}` });
    }
    const data = await PANELS[panel as AdminPanel](c);
    return json(200, { lang, panel, data }, { "cache-control": "no-store" });
  } catch (err) {
    if (err instanceof BadRequest) return json(400, { error: err.message });
    throw err;
  }
}
