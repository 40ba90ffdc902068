import postgres from "postgres";
import { CALL_TIMEOUT_MS, type Db, DbQueryError, DbUnavailableError, type RpcName } from "./port.ts";

/**
 * The calls every update or page makes, which read (upsert_user writes only for a new or renamed user)
 * and take a fraction of a millisecond. With `shortMax`, they get a pool of their own that few
 * connections serve: postgres.js then pipelines them (a call is written to a busy connection instead of
 * waking one more backend), so under concurrency each backend answers several calls per wake-up. At 16
 * concurrent `/status` updates this took Postgres from ~275 to ~130 µs of CPU per update (bench). The
 * longer transactions (a Tribute event, a payment) stay on the main pool, where none waits behind another.
 */
const SHORT_CALLS: ReadonlySet<RpcName> = new Set<RpcName>([
  "upsert_user",
  "user_summary",
  "bot_text_overrides",
  "list_plans",
]);

/**
 * postgres.js transport (DATABASE_URL): `select public.fn(arg => $1, ...)`. Named arguments make the
 * call shape identical to PostgREST's `.rpc(fn, {arg: value})`; objects travel as jsonb.
 */
export function createPostgresDb(
  url: string,
  opts: {
    max?: number;
    shortMax?: number;
    /** connections of Db.background (applying the Tribute inbox, delivering the outbox); 0: none of its own */
    backgroundMax?: number;
    connectTimeoutSeconds?: number;
    callTimeoutMs?: number;
  } = {},
): Db {
  const callTimeoutMs = opts.callTimeoutMs ?? CALL_TIMEOUT_MS;
  const connect = (max: number, applicationName?: string) =>
    postgres(url, {
      max,
      connect_timeout: opts.connectTimeoutSeconds ?? 2,
      // no idle timeout: postgres.js would restart a timer on every call that leaves a connection idle
      // (a visible cost per request); an instance keeps its few connections until it stops
      idle_timeout: 0,
      // after a failed attempt a connection waits before the next one: 0.1, 0.2, 0.4, 0.8, then 1 s (the
      // default grows to 10-20 s, so a database back after a long outage went unused that long)
      backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1),
      onnotice: () => {},
      // bigint telegram ids and amounts come back as JS numbers (they fit in 2^53)
      types: { bigint: postgres.BigInt },
      transform: { undefined: null },
      ...(applicationName ? { connection: { application_name: applicationName } } : {}),
    });
  const sql = connect(opts.max ?? 5);
  const short = opts.shortMax ? connect(opts.shortMax, "bot short calls") : sql;
  // the statement of each call shape (function + argument names), built and checked once
  const statements = new Map<string, string>();
  const statementOf = (fn: RpcName, names: string[]): string => {
    const key = `${fn}(${names.join()})`;
    let statement = statements.get(key);
    if (statement === undefined) {
      if (!/^[a-z_][a-z0-9_]*$/.test(fn)) throw new DbQueryError(`bad function name ${fn}`);
      for (const name of names) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new DbQueryError(`bad argument name ${name}`);
      }
      const argList = names.map((name, i) => `${name} => $${i + 1}`).join(", ");
      statement = `select public.${fn}(${argList}) as result`;
      statements.set(key, statement);
    }
    return statement;
  };
  // background work's own connections, opened on its first call
  let background: postgres.Sql | undefined;
  const backgroundSql = () => background ??= connect(opts.backgroundMax ?? 2, "bot background");

  const callOn = (pick: (fn: RpcName) => postgres.Sql) =>
    async function call<T>(fn: RpcName, args: Record<string, unknown> = {}): Promise<T> {
      const names = Object.keys(args);
      const statement = statementOf(fn, names);
      const values = names.map((name) => toParam(args[name]));
      // prepared: described and planned once per connection (the call shapes are a small fixed set),
      // instead of a describe round trip and a fresh parse on every call
      const query = pick(fn).unsafe(statement, values as never[], { prepare: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Give up on it. A call the server has (it was written to a connection) is cancelled if the
          // server can still hear us: it rolls back, and every call is one transaction, so nothing is
          // half-written. A call not written yet is left to run once a connection opens: postgres.js
          // gives such a call to a connection waiting to reconnect, and a cancelled one would leave that
          // connection, once connected, never marked open, with every later call queued behind it
          // forever (postgres.js 3.4.9; the wedge test in tests/fault/db_outage.test.ts). Running it
          // late is harmless: every call is idempotent, and its sender was told to retry.
          if ((query as unknown as { state?: unknown }).state) {
            Promise.resolve(query.cancel() as unknown).catch(() => {});
          }
          query.catch(() => {});
          reject(new DbUnavailableError(`database did not answer within ${callTimeoutMs} ms`));
        }, callTimeoutMs);
      });
      try {
        const rows = await Promise.race([query, deadline]);
        return fromResult(rows[0]?.result) as T;
      } catch (err) {
        throw err instanceof DbUnavailableError ? err : mapPostgresError(err);
      } finally {
        clearTimeout(timer);
      }
    };
  const close = async () => {
    await Promise.all([
      sql.end({ timeout: 5 }),
      short !== sql && short.end({ timeout: 5 }),
      background?.end({ timeout: 5 }),
    ]);
  };
  const db: Db = { call: callOn((fn) => SHORT_CALLS.has(fn) ? short : sql), close };
  if (opts.backgroundMax !== 0) {
    db.background = {
      call: callOn(backgroundSql),
      close: async () => void await background?.end({ timeout: 5 }),
    };
  }
  return db;
}

// postgres.js describes the statement first and serialises each value for its declared parameter
// type (jsonb parameters get JSON.stringify), so values are passed as they are.
function toParam(value: unknown): unknown {
  return value === undefined ? null : value;
}

function fromResult(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  return value ?? null;
}

// SQLSTATE classes that mean "the database is not there right now" rather than "your query is wrong".
const UNAVAILABLE_CODES = /^(08|53|57P0[1-3])/;
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "EAI_AGAIN",
]);

export function mapPostgresError(err: unknown): Error {
  const e = err as { code?: string; message?: string; name?: string };
  const code = typeof e?.code === "string" ? e.code : undefined;
  if (code && (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.test(code))) {
    return new DbUnavailableError(`database unavailable (${code})`);
  }
  if (
    err instanceof Error && /connect|ECONNREFUSED|terminat/i.test(err.message) &&
    !code?.match(/^[0-9A-Z]{5}$/)
  ) {
    return new DbUnavailableError(`database unavailable (${err.message})`);
  }
  return new DbQueryError(e?.message ?? String(err), code);
}
