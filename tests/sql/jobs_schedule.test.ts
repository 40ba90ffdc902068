// Migration 20261126000006 (the production schedule through pg_net + Vault). Locally there is no pg_net
// and only the local stack's Vault stand-in (scripts/sql/vault_stand_in.sql), so the functions are
// exercised against a small stand-in of `net.http_post` (and of `vault` when a database lacks it),
// created inside a transaction that is rolled back.
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

/** The local stack's Vault stand-in (scripts/stack.sh applies it before the migrations). */
const VAULT_STAND_IN = await Deno.readTextFile(
  new URL("../../scripts/sql/vault_stand_in.sql", import.meta.url),
);

/** What the schema `vault` is here: none, the local stand-in, or anything else (a real Vault). */
async function vaultKind(sql: postgres.Sql): Promise<"none" | "stand-in" | "real"> {
  const [row] = await sql<{ comment: string | null }[]>`
    select obj_description(n.oid, 'pg_namespace') as comment from pg_namespace n where n.nspname = 'vault'`;
  if (!row) return "none";
  return row.comment?.startsWith("local stand-in") ? "stand-in" : "real";
}

const NET_STAND_IN = `
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
    // the local Vault stand-in (when present) is never written to: without pg_net the secrets are refused
    await assert.rejects(
      sql`select public.set_scheduled_route_secrets('https://x.supabase.co', 's')`,
      /pg_net is not installed in this database/,
    );
    if (await vaultKind(sql) === "stand-in") {
      assert.equal((await sql`select count(*)::int as n from vault.secrets`)[0].n, 0);
    }
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
      const [{ net }] = await sql<{ net: boolean }[]>`
      select exists (select 1 from pg_namespace where nspname = 'net') as net`;
      const vault = await vaultKind(sql);
      if (net || vault === "real") return; // never replace a real pg_net/Vault
      await inRolledBackTx(sql, async (tx) => {
        if (vault === "none") await tx.unsafe(VAULT_STAND_IN);
        await tx.unsafe(NET_STAND_IN);
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
