import { createClient } from "@supabase/supabase-js";
import { CALL_TIMEOUT_MS, type Db, DbQueryError, DbUnavailableError, type RpcName } from "./port.ts";

/**
 * supabase-js transport for production: PostgREST `.rpc()` with the service-role key (server-side
 * only). `fetch` is injectable so tests can point it at an RPC shim over the same local Postgres.
 */
export function createRpcDb(
  url: string,
  serviceRoleKey: string,
  opts: { fetch?: typeof fetch; callTimeoutMs?: number } = {},
): Db {
  const callTimeoutMs = opts.callTimeoutMs ?? CALL_TIMEOUT_MS;
  const client = createClient(url, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: opts.fetch ? { fetch: opts.fetch } : undefined,
  });
  return {
    async call<T>(fn: RpcName, args: Record<string, unknown> = {}): Promise<T> {
      let result;
      try {
        // the same bound as the direct transport: an aborted request comes back as status 0 (unavailable)
        result = await client.rpc(fn, args).abortSignal(AbortSignal.timeout(callTimeoutMs));
      } catch (err) {
        throw new DbUnavailableError(
          `database API unreachable (${err instanceof Error ? err.message : err})`,
        );
      }
      const { data, error, status } = result;
      if (error) {
        // PostgREST answers 5xx/0 when Postgres is down or the request never got through
        if (status === 0 || status >= 500 || /fetch failed|network|ECONNREFUSED/i.test(error.message)) {
          throw new DbUnavailableError(`database API unavailable (${status}: ${error.message})`);
        }
        throw new DbQueryError(error.message, error.code);
      }
      return (data ?? null) as T;
    },
    async close() {},
  };
}
