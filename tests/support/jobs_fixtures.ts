/**
 * Fixtures for the scheduled-work tests (expiry, reminders, outbox): rows arranged directly in SQL, so
 * each test states exactly the state it starts from.
 */
import type postgres from "postgres";
import type { AppDeps } from "../../functions/bot/app.ts";
import { memoryLogger } from "../../functions/bot/log.ts";
import type { Harness } from "./harness.ts";

export interface SubscriptionSpec {
  user: number;
  /** Postgres interval relative to now(), e.g. '-1 minute', '2 days 23 hours' */
  expiresIn: string;
  provider?: "tribute" | "telegram_stars" | "manual";
  kind?: "subscription" | "purchase" | "grant";
  status?: "active" | "cancelled" | "expired" | "refunded";
  autoRenew?: boolean;
  externalId?: string;
  /** interval relative to now() (default '-30 days') */
  startsIn?: string;
  languageCode?: string | null;
}

let seq = 0;

/** Inserts a users row (if missing) and a subscription; returns the subscription id. */
export async function insertSubscription(sql: postgres.Sql, spec: SubscriptionSpec): Promise<number> {
  await sql`insert into public.users (telegram_user_id, language_code) values (${spec.user}, ${
    spec.languageCode ?? null
  })
            on conflict (telegram_user_id) do nothing`;
  const provider = spec.provider ?? "manual";
  const kind = spec.kind ??
    (provider === "tribute" ? "subscription" : provider === "manual" ? "grant" : "purchase");
  const [row] = await sql<{ id: bigint }[]>`
    insert into public.subscriptions (telegram_user_id, provider, external_id, kind, status, auto_renew, starts_at,
                                      expires_at)
    values (${spec.user}, ${provider}, ${spec.externalId ?? `fixture-${Date.now()}-${++seq}`}, ${kind},
            ${spec.status ?? "active"}, ${spec.autoRenew ?? false},
            now() + ${spec.startsIn ?? "-30 days"}::interval, now() + ${spec.expiresIn}::interval)
    returning id`;
  return Number(row.id);
}

export interface OutboxSpec {
  user: number;
  kind: "message" | "invite" | "remove";
  template: string;
  params?: Record<string, unknown>;
  languageCode?: string | null;
  blocked?: boolean;
}

/** Inserts a users row (if missing) and a due outbox row; returns its id. */
export async function queueOutbox(sql: postgres.Sql, spec: OutboxSpec): Promise<number> {
  await sql`insert into public.users (telegram_user_id, language_code, blocked_at)
            values (${spec.user}, ${spec.languageCode ?? null}, ${spec.blocked ? new Date() : null})
            on conflict (telegram_user_id) do nothing`;
  const [row] = await sql<{ id: bigint }[]>`
    insert into public.outbox (telegram_user_id, kind, template, params)
    values (${spec.user}, ${spec.kind}, ${spec.template}, ${
    sql.json((spec.params ?? {}) as postgres.JSONValue)
  })
    returning id`;
  return Number(row.id);
}

export interface OutboxState {
  id: number;
  telegram_user_id: number;
  kind: string;
  template: string;
  status: string;
  attempts: number;
  last_error: string | null;
  /** seconds from now() to next_attempt_at */
  due_in: number;
}

export async function outboxRows(sql: postgres.Sql, where: { user?: number } = {}): Promise<OutboxState[]> {
  const rows = await sql<OutboxState[]>`
    select id::int, telegram_user_id::float8 as telegram_user_id, kind, template, status, attempts, last_error,
           extract(epoch from next_attempt_at - now())::float8 as due_in
    from public.outbox
    where ${where.user === undefined ? sql`true` : sql`telegram_user_id = ${where.user}`}
    order by id`;
  return rows.map((r) => ({ ...r, telegram_user_id: Number(r.telegram_user_id) }));
}

/** Makes every pending row due now (instead of waiting out a backoff). */
export async function makeDue(sql: postgres.Sql) {
  await sql`update public.outbox set next_attempt_at = now() where status = 'pending'`;
}

/** The dependencies drainOutbox/runScheduled need, taken from a running harness. */
export function depsOf(
  h: Harness,
  config = h.config,
): Pick<AppDeps, "config" | "db" | "log"> & { lines: string[] } {
  const log = memoryLogger();
  return { config, db: h.db, log, lines: log.lines };
}

/**
 * pg_cron runs `expire-subscriptions` in this database at every minute boundary. Tests that count
 * what one expiry ended wait until they are clear of it, so the job never takes their rows.
 */
export async function awayFromMinuteBoundary(clearSeconds = 12) {
  const s = new Date().getUTCSeconds() + new Date().getUTCMilliseconds() / 1000;
  if (s >= 60 - clearSeconds || s < 2) {
    const wait = s < 2 ? (2 - s) * 1000 : (62 - s) * 1000;
    await new Promise((r) => setTimeout(r, wait));
  }
}
