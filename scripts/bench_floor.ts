/**
 * The floor of `npm run bench`: the least a webhook receiver can do — a bare Deno.serve that reads the
 * body and stores it with one INSERT (postgres.js, same driver and pool size as the function), then
 * answers 200. The product's numbers are reported as ratios to this, measured in the same run.
 *
 *   deno run -A scripts/bench_floor.ts   (env: DATABASE_URL, FLOOR_PORT, DB_POOL_MAX)
 */
import postgres from "postgres";

const url = Deno.env.get("DATABASE_URL")!;
const port = Number(Deno.env.get("FLOOR_PORT") ?? 54490);
const sql = postgres(url, { max: Number(Deno.env.get("DB_POOL_MAX") ?? 4), onnotice: () => {} });
await sql`create table if not exists public.bench_floor (id bigint generated always as identity primary key,
          payload jsonb not null, received_at timestamptz not null default now())`;

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => console.log("floor ready") }, async (request) => {
  if (request.method === "GET") return new Response('{"ok":true}');
  const body = await request.text();
  const [row] = await sql`insert into public.bench_floor (payload) values (${body}::jsonb) returning id`;
  return new Response(JSON.stringify({ ok: true, id: Number(row.id) }), {
    headers: { "content-type": "application/json" },
  });
});
