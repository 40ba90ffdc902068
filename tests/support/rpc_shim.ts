/**
 * Test-only stand-in for PostgREST's RPC endpoint (`POST /rest/v1/rpc/<fn>`), over the same local
 * Postgres, executing as `service_role` like Supabase does for the service-role key. It lets the
 * supabase-js transport run for real in tests without Docker.
 */
import postgres from "postgres";

export const SHIM_SERVICE_KEY = "test-service-role-key";

export function startRpcShim(databaseUrl: string) {
  const sql = postgres(databaseUrl, { max: 3, onnotice: () => {}, types: { bigint: postgres.BigInt } });
  const calls: { fn: string; args: Record<string, unknown> }[] = [];
  let failWith: number | null = null;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const match = new URL(req.url).pathname.match(/^\/rest\/v1\/rpc\/([a-z_][a-z0-9_]*)$/);
    if (!match || req.method !== "POST") return Response.json({ message: "not found" }, { status: 404 });
    if (
      req.headers.get("apikey") !== SHIM_SERVICE_KEY ||
      req.headers.get("authorization") !== `Bearer ${SHIM_SERVICE_KEY}`
    ) {
      return Response.json({ message: "Invalid API key" }, { status: 401 });
    }
    if (failWith) return Response.json({ message: "upstream unavailable" }, { status: failWith });
    const fn = match[1];
    const args = (await req.json().catch(() => ({}))) as Record<string, unknown>;
    calls.push({ fn, args });
    const names = Object.keys(args).filter((n) => /^[a-z_][a-z0-9_]*$/.test(n));
    try {
      const rows = await sql.begin(async (tx) => {
        await tx.unsafe("set local role service_role");
        return tx.unsafe(
          `select public.${fn}(${names.map((n, i) => `${n} => $${i + 1}`).join(", ")}) as result`,
          names.map((n) => args[n] ?? null) as never[],
        );
      });
      const result = rows[0]?.result;
      return Response.json(typeof result === "bigint" ? Number(result) : result ?? null);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      // PostgREST maps raised exceptions to 400 with the SQLSTATE in `code`
      return Response.json({ code: e.code, message: e.message, details: null, hint: null }, { status: 400 });
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    calls,
    failNext503(on: boolean) {
      failWith = on ? 503 : null;
    },
    async close() {
      await server.shutdown();
      await sql.end();
    },
  };
}
