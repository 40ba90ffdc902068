/**
 * The database port: the only way the function talks to Postgres.
 *
 * Every state change is one SQL function call (one transaction), so the port is just "call this
 * function with these named arguments". Two transports implement it: postgres.js over DATABASE_URL
 * (local, tests) and supabase-js `.rpc()` over PostgREST (production). Both return the function's
 * JSON result unchanged, so callers cannot tell them apart.
 */

/** The SQL functions the edge function may call (all live in schema `public`). */
export type RpcName =
  | "apply_tribute_event"
  | "accept_tribute_events"
  | "apply_tribute_delivery"
  | "apply_tribute_inbox"
  | "tribute_inbox_backlog"
  | "record_failed_event"
  | "upsert_user"
  | "user_summary"
  | "user_timeline"
  | "stars_checkout_verdict"
  | "apply_star_payment"
  | "apply_star_subscription_payment"
  | "stars_subscriptions"
  | "find_star_payment"
  | "refund_star_payment"
  | "set_stars_subscription_canceled"
  | "grant_access"
  | "revoke_access"
  | "record_admin_action"
  | "sync_subscriptions"
  | "subscription_stats"
  | "note_chat_member"
  | "open_chats"
  | "has_access"
  | "expire_subscriptions"
  | "queue_reminders"
  | "claim_outbox"
  | "complete_outbox"
  | "fail_outbox"
  | "list_plans"
  | "member_app_view"
  | "admin_overview"
  | "admin_find_members"
  | "admin_member"
  | "admin_health"
  | "admin_codes"
  | "admin_broadcast_status"
  | "bot_text_overrides"
  | "bot_text_index"
  | "set_bot_text"
  | "reset_bot_text"
  | "open_support_thread"
  | "take_support_message"
  | "record_support_messages"
  | "support_reply_target"
  | "claim_broadcast"
  | "release_outbox"
  | "pause_broadcasts"
  | "create_broadcast"
  | "confirm_broadcast"
  | "cancel_broadcast"
  | "broadcast_status"
  | "create_access_code"
  | "redeem_access_code"
  | "list_access_codes"
  | "disable_access_code";

export interface Db {
  /** Calls `public.<fn>(<name> => <value>, ...)` and returns its result (jsonb/scalar as JSON). */
  call<T = unknown>(fn: RpcName, args?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
  /**
   * Where work that runs after the answer (applying the Tribute inbox, delivering the outbox) makes its
   * calls: its own connections on the postgres.js transport, so a batch of tens of milliseconds never
   * holds up a request's call queued behind it. Absent: the same Db.
   */
  background?: Db;
}

/** The Db for background work (see Db.background). */
export function backgroundDb(db: Db): Db {
  return db.background ?? db;
}

/**
 * How long one call may take, waiting for a connection included, before it counts as "the database is
 * unavailable". Without a bound, a request in flight when Postgres stops answering (a frozen server, a
 * dropped network path, a pool stuck on dead sockets) waits for TCP to give up: Tribute measured 16.8 s
 * for a 503. Every SQL function we call is one short transaction (milliseconds), so 3 s is generous and
 * keeps the 503 well inside Tribute's and Telegram's patience (the contract bound is 5 s).
 */
export const CALL_TIMEOUT_MS = 3_000;

/** The database could not be reached: callers answer 503 so the sender retries later. */
export class DbUnavailableError extends Error {
  override name = "DbUnavailableError";
}

/** The database answered with an error (constraint, raised exception): a bug or bad input, not an outage. */
export class DbQueryError extends Error {
  override name = "DbQueryError";
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * SQLSTATEs of a transaction that lost a race and rolled back whole: serialization failure and deadlock
 * (class 40), lock not available (55P03), statement cancelled (57014). The last one also comes from a
 * cancel request the server received late: a call given up on a frozen connection sends one, and when
 * the network returns it can land on the next call that connection runs. The same call run again
 * succeeds.
 */
const LOST_RACE_SQLSTATE = /^(40|55P03|57014)/;

export function isLostRace(err: unknown): err is DbQueryError {
  return err instanceof DbQueryError && LOST_RACE_SQLSTATE.test(err.code ?? "");
}

/** Can the same call, sent again, succeed? The database was away, or the transaction lost a race. */
export function isTransientDbError(err: unknown): boolean {
  return err instanceof DbUnavailableError || isLostRace(err);
}
