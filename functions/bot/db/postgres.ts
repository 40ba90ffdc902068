import postgres from "postgres";
import { CALL_TIMEOUT_MS, type Db, DbQueryError, DbUnavailableError, type RpcName } from "./port.ts";

/**
 * postgres.js transport (DATABASE_URL): `select public.fn(arg => $1, ...)`. Named arguments make the
 * call shape identical to PostgREST's `.rpc(fn, {arg: value})`; objects travel as jsonb.
 */
export function createPostgresDb(
  url: string,
  opts: { max?: number; backgroundMax?: number; connectTimeoutSeconds?: number; callTimeoutMs?: number } = {},
): Db {
  const db = createPool(url, opts);
  if (opts.backgroundMax === 0) return db;
  // background work gets its own (small) pool, opened on its first call
  let background: Db | undefined;
  const bg = () => background ??= createPool(url, { ...opts, max: opts.backgroundMax ?? 2 });
  return {
    call: db.call,
    background: { call: (fn, args) => bg().call(fn, args), close: async () => await background?.close() },
    async close() {
      await Promise.all([db.close(), background?.close()]);
    },
  };
}

function createPool(
  url: string,
  opts: { max?: number; connectTimeoutSeconds?: number; callTimeoutMs?: number },
): Db {
  const callTimeoutMs = opts.callTimeoutMs ?? CALL_TIMEOUT_MS;
  const sql = postgres(url, {
    max: opts.max ?? 5,
    connect_timeout: opts.connectTimeoutSeconds ?? 2,
    // no idle timeout: postgres.js would restart a timer on every call that leaves a connection idle
    // (a visible cost per request); an instance keeps its few connections until it stops
    idle_timeout: 0,
    onnotice: () => {},
    // bigint telegram ids and amounts come back as JS numbers (they fit in 2^53)
    types: { bigint: postgres.BigInt },
    transform: { undefined: null },
  });
  return {
    async call<T>(fn: RpcName, args: Record<string, unknown> = {}): Promise<T> {
      if (!/^[a-z_][a-z0-9_]*$/.test(fn)) throw new DbQueryError(`bad function name ${fn}`);
      const names = Object.keys(args);
      for (const name of names) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new DbQueryError(`bad argument name ${name}`);
      }
      const values = names.map((name) => toParam(args[name]));
      const argList = names.map((name, i) => `${name} => $${i + 1}`).join(", ");
      // prepared: described and planned once per connection (the call shapes are a small fixed set),
      // instead of a describe round trip and a fresh parse on every call
      const query = sql.unsafe(`select public.${fn}(${argList}) as result`, values as never[], {
        prepare: true,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Give up on it: a queued call leaves the queue, a running one is cancelled if the server can
          // still hear us (it rolls back; every call is one transaction, so nothing is half-written).
          Promise.resolve(query.cancel() as unknown).catch(() => {});
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
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
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
