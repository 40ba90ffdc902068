/**
 * The deterministic-failure path shared by the doors (CONTRACT section 4): a delivery that fails the
 * same way every time is journaled in `webhook_events` as `failed` with its error and acknowledged, so
 * the sender stops redelivering it. Only what a retry can fix (the database unreachable, the Bot API
 * down) is allowed to become a 5xx.
 */
import type { AppDeps } from "./app.ts";
import { DbQueryError, DbUnavailableError } from "./db/port.ts";
import { errorMessage } from "./log.ts";

/**
 * SQLSTATE classes that mean "this input can never be stored": 22 data exception (bad cast, value out
 * of range, NUL in text), 23 integrity constraint violation (check, not null, foreign key), 54 program
 * limit exceeded (nesting, sizes). A retry sends the same input and fails the same way.
 */
const DETERMINISTIC_SQLSTATE = /^(22|23|54)/;

export function isDeterministicDbError(err: unknown): err is DbQueryError {
  return err instanceof DbQueryError && typeof err.code === "string" && DETERMINISTIC_SQLSTATE.test(err.code);
}

/** Longest name and error text stored with a failed delivery. */
const MAX_NAME = 100;
const MAX_ERROR = 2000;
/** Deeper parts of an envelope are replaced by a marker: the raw text is stored alongside anyway. */
const MAX_DEPTH = 64;

/**
 * Postgres text and jsonb cannot hold U+0000, and jsonb refuses lone surrogates: both are replaced by
 * U+FFFD so that a body carrying them can still be journaled.
 */
export function storableText(s: string): string {
  return s.toWellFormed().replaceAll("\u0000", "\uFFFD");
}

/** A copy of `value` that Postgres accepts as jsonb (see storableText), cut off below MAX_DEPTH. */
export function storableJson(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return storableText(value);
  if (value === null || typeof value !== "object") {
    return typeof value === "number" && !Number.isFinite(value) ? null : value;
  }
  if (depth >= MAX_DEPTH) return "[nested too deeply]";
  if (Array.isArray(value)) return value.map((v) => storableJson(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[storableText(k)] = storableJson(v, depth + 1);
  return out;
}

export interface FailedDelivery {
  source: "tribute" | "telegram";
  /** event name (Tribute) or update kind (Telegram) */
  name: string;
  /** what was received, parsed; stored as jsonb */
  envelope: unknown;
  error: string;
  /** the body as received; its hash dedupes repeats of one delivery */
  raw?: string;
}

/**
 * Writes one `failed` row (a repeat of the same delivery finds the row already there) and returns its
 * id. A database that is down propagates (DbUnavailableError: the sender retries, which is right). If
 * even the sanitised envelope is refused, the row is written with the raw text only; if that fails
 * too, the failure is logged and null returned: acknowledging is still better than a redelivery loop.
 */
export async function recordFailedDelivery(
  deps: Pick<AppDeps, "db" | "log">,
  failed: FailedDelivery,
): Promise<number | null> {
  const base = {
    p_source: failed.source,
    p_name: storableText(failed.name).slice(0, MAX_NAME) || "unknown",
    p_error: storableText(failed.error).slice(0, MAX_ERROR),
    p_raw: failed.raw === undefined ? null : storableText(failed.raw),
  };
  const attempts = [
    storableJson(failed.envelope),
    { unrecordable_envelope: true, raw: base.p_raw?.slice(0, 10_000) ?? null },
  ];
  for (const envelope of attempts) {
    try {
      const r = await deps.db.call<{ event_id: number }>("record_failed_event", {
        ...base,
        p_envelope: envelope,
      });
      return r?.event_id ?? null;
    } catch (err) {
      if (err instanceof DbUnavailableError) throw err;
      deps.log.error("could not journal a failed delivery", {
        source: failed.source,
        error: errorMessage(err),
      });
    }
  }
  return null;
}
