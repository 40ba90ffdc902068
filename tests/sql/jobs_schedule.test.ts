// Migration 20261126000006 (the production schedule through pg_net + Vault). Locally there is neither,
// so the functions are exercised against small stand-ins of `net.http_post` and `vault`, created inside
// a transaction that is rolled back.
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql, DATABASE_URL } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

class Rollback extends Error {}

/** Runs `fn` in a transaction that is always rolled back. */
async function inRolledBackTx(sql: postgres.Sql, fn: (tx: postgres.TransactionSql) => Promise<void>) {
  await assert.rejects(
    sql.begin(async (tx) => {
      await fn(tx);
      throw new Rollback();
    }),
    Rollback,
  );
}

const STAND_INS = `
  create schema vault;
  create table vault.secrets (id uuid primary key default gen_random_uuid(), name text unique, description text,
                              secret text, created_at timestamptz default now(), updated_at timestamptz default now());
  create view vault.decrypted_secrets as select id, name, description, secret as decrypted_secret from vault.secrets;
  create function vault.create_secret(new_secret text, new_name text default null, new_description text default '',
                                      new_key_id uuid default null) returns uuid language sql as
    $f$ insert into vault.secrets (name, description, secret) values (new_name, new_description, new_secret)
        returning id $f$;
  create function vault.update_secret(secret_id uuid, new_secret text default null, new_name text default null,
                                      new_description text default null, new_key_id uuid default null)
    returns void language sql as
    $f$ update vault.secrets set secret = coalesce(new_secret, secret), updated_at = now() where id = secret_id $f$;
  create schema net;
  create table net.calls (id bigserial primary key, url text, body jsonb, headers jsonb, timeout_milliseconds int);
  create function net.http_post(url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb,
                                headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
                                timeout_milliseconds int default 5000) returns bigint language sql as
    $f$ insert into net.calls (url, body, headers, timeout_milliseconds)
        values (url, body, headers, timeout_milliseconds) returning id $f$;
`;

Deno.test("schedule: functions exist, only the owner may run them", opts, async () => {
  const sql = adminSql();
  try {
    for (const fn of ["public.call_scheduled_route()", "public.set_scheduled_route_secrets(text,text)"]) {
      for (const role of ["anon", "authenticated", "service_role", "public"]) {
        const [{ can }] = role === "public"
          ? await sql<{ can: boolean }[]>`
              select exists (select 1 from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                             where p.oid = ${fn}::regprocedure and a.grantee = 0 and a.privilege_type = 'EXECUTE') as can`
          : await sql<{ can: boolean }[]>`select has_function_privilege(${role}, ${fn}, 'execute') as can`;
        assert.equal(can, false, `${role} can execute ${fn}`);
      }
    }
  } finally {
    await sql.end();
  }
});

Deno.test("schedule: without pg_net (local) nothing is scheduled and a call does nothing", opts, async () => {
  const sql = adminSql();
  try {
    const [{ available }] = await sql<{ available: boolean }[]>`
      select exists (select 1 from pg_available_extensions where name = 'pg_net') as available`;
    if (available) return; // a Supabase-like database: covered by the next test's assertions instead
    const jobs = await sql`select 1 from cron.job where jobname = 'bot-scheduled'`;
    assert.equal(jobs.length, 0);
    const notices: string[] = [];
    const listening = postgres(DATABASE_URL, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
    try {
      const [{ id }] = await listening<{ id: number | null }[]>`select public.call_scheduled_route() as id`;
      assert.equal(id, null);
    } finally {
      await listening.end();
    }
    assert.equal(notices.length, 1);
    assert.match(notices[0], /pg_net is not installed here; nothing called/);
    await assert.rejects(
      sql`select public.set_scheduled_route_secrets('https://x.supabase.co', 's')`,
      /Vault/,
    );
  } finally {
    await sql.end();
  }
});

Deno.test(
  "schedule: with Vault secrets, call_scheduled_route posts to the function with X-Cron-Secret",
  opts,
  async () => {
    const sql = adminSql();
    try {
      const [{ real }] = await sql<{ real: boolean }[]>`
      select exists (select 1 from pg_namespace where nspname in ('net', 'vault')) as real`;
      if (real) return; // never replace a real pg_net/Vault
      await inRolledBackTx(sql, async (tx) => {
        await tx.unsafe(STAND_INS);
        // no secrets yet: nothing is called
        assert.equal((await tx`select public.call_scheduled_route() as id`)[0].id, null);
        assert.equal((await tx`select count(*)::int as n from net.calls`)[0].n, 0);

        const url = "https://abcdefghijklmnopqrst.supabase.co/functions/v1/bot";
        await tx`select public.set_scheduled_route_secrets(${url}, 'first-secret')`;
        await tx`select public.set_scheduled_route_secrets(${url}, 'it''s-the-secret')`; // replaces, no duplicate
        const secrets = await tx<{ name: string; decrypted_secret: string }[]>`
        select name, decrypted_secret from vault.decrypted_secrets order by name`;
        assert.deepEqual(secrets.map((s) => [s.name, s.decrypted_secret]), [
          ["bot_cron_secret", "it's-the-secret"],
          ["bot_function_url", url],
        ]);

        const [{ id }] = await tx<{ id: number | null }[]>`select public.call_scheduled_route() as id`;
        assert.ok(id !== null);
        const [call] = await tx<
          { url: string; headers: Record<string, string>; timeout_milliseconds: number }[]
        >`
        select url, headers, timeout_milliseconds from net.calls`;
        assert.equal(call.url, url);
        assert.equal(call.headers["X-Cron-Secret"], "it's-the-secret");
        assert.equal(call.headers["Content-Type"], "application/json");
        assert.ok(call.timeout_milliseconds > 5000, "longer than pg_net's 5 s default");

        await assert.rejects(tx`select public.set_scheduled_route_secrets('not a url', 'x')`);
      });
    } finally {
      await sql.end();
    }
  },
);
