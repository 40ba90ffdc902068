// Role isolation (CONTRACT section 7): anon and authenticated can neither read nor write any table nor
// execute the functions; RLS is on everywhere; the Supabase security lints find nothing to warn about.
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql, DATABASE_URL } from "../support/harness.ts";
import { assertOnlyServiceRoleExecutes } from "../support/privileges.ts";

const MUTATING = [
  "apply_tribute_event(text,text,jsonb,jsonb,text,bigint,timestamptz)",
  "apply_tribute_delivery(text,text)",
  "accept_tribute_events(text[],text)",
  "apply_tribute_inbox(integer,boolean)",
  "compact_payment_month_totals()",
  "record_failed_event(text,text,jsonb,text,text)",
  "apply_star_payment(bigint,text,bigint,text,text,text,timestamptz,timestamptz)",
  "set_stars_subscription_canceled(bigint,boolean,text)",
  "refund_star_payment(text)",
  "grant_access(bigint,integer,bigint,text,timestamptz)",
  "revoke_access(bigint,bigint,text,timestamptz)",
  "_recompute_access(bigint,text,text,boolean)",
  "expire_subscriptions()",
  "queue_reminders(boolean)",
  "claim_outbox(integer,integer)",
  "sync_subscriptions()",
  "upsert_user(bigint,text,text,text)",
  "create_broadcast(bigint,bigint,bigint,text,bigint)",
  "confirm_broadcast(bigint,bigint)",
  "cancel_broadcast(bigint,bigint)",
  "broadcast_status(bigint)",
  "claim_broadcast(integer,integer,integer)",
  "release_outbox(bigint[])",
  "pause_broadcasts(integer)",
];

async function expectDenied(sql: postgres.Sql, role: string, statement: string) {
  await assert.rejects(
    sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${role}`);
      await tx.unsafe(statement);
    }),
    (err: { code?: string }) => err.code === "42501",
    `${role} should be refused: ${statement}`,
  );
}

Deno.test("security: every public table has RLS and refuses anon/authenticated for select/insert/update/delete", async () => {
  const sql = adminSql();
  try {
    const tables = await sql`select c.relname, c.relrowsecurity,
                                    (select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                                       and not a.attisdropped and a.attidentity = '' order by a.attnum limit 1) as col
                             from pg_class c join pg_namespace n on n.oid = c.relnamespace
                             where n.nspname = 'public' and c.relkind = 'r' order by 1`;
    const names = tables.map((t) => t.relname as string);
    for (
      const required of [
        "plans",
        "subscriptions",
        "webhook_events",
        "payments",
        "outbox",
        "users",
        "admin_actions",
        "broadcasts",
        "broadcast_pace",
      ]
    ) {
      assert.ok(names.includes(required), `table ${required} exists`);
    }
    for (const t of tables) {
      assert.equal(t.relrowsecurity, true, `RLS enabled on ${t.relname}`);
      for (const role of ["anon", "authenticated"]) {
        await expectDenied(sql, role, `select * from public.${t.relname} limit 1`);
        await expectDenied(sql, role, `insert into public.${t.relname} default values`);
        await expectDenied(sql, role, `update public.${t.relname} set ${t.col} = ${t.col}`);
        await expectDenied(sql, role, `delete from public.${t.relname}`);
      }
    }
    const policies = await sql`select count(*)::int as n from pg_policies where schemaname = 'public'`;
    assert.equal(policies[0].n, 0, "no policy opens a table to anon/authenticated");
  } finally {
    await sql.end();
  }
});

Deno.test("security: anon/authenticated cannot execute the functions; service_role can", async () => {
  const sql = adminSql();
  try {
    await assertOnlyServiceRoleExecutes(sql, MUTATING.map((fn) => `public.${fn}`));
    await expectDenied(sql, "anon", "select public.expire_subscriptions()");
    await expectDenied(sql, "authenticated", "select public.grant_access(1, 30, 1, 'x')");
    // service_role (what the function uses through PostgREST) works without any policy: it bypasses RLS
    const rows = await sql.begin(async (tx) => {
      await tx.unsafe("set local role service_role");
      return tx.unsafe(
        "select public.has_access(1) as has, (select count(*) from public.plans)::int as plans",
      );
    });
    assert.equal(rows[0].has, false);
    assert.ok(rows[0].plans >= 1);
  } finally {
    await sql.end();
  }
});

Deno.test("security: supabase db advisors reports no security warning or error", async () => {
  const out = await new Deno.Command("node_modules/.bin/supabase", {
    args: [
      "db",
      "advisors",
      "--db-url",
      DATABASE_URL,
      "--type",
      "security",
      "--level",
      "info",
      "--fail-on",
      "warn",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr) + text);
  const start = text.indexOf("[");
  const lints: { name: string; level: string }[] = start >= 0 ? JSON.parse(text.slice(start)) : [];
  const serious = lints.filter((l) => l.level !== "INFO");
  assert.deepEqual(serious, []);
  // the only informational finding is the intended one: RLS on, no policy (service_role only)
  assert.ok(lints.every((l) => l.name === "rls_enabled_no_policy"), JSON.stringify(lints.map((l) => l.name)));
});

Deno.test("migrations: apply from an empty database with the Supabase CLI; a second run is a no-op", async () => {
  const sql = adminSql();
  const name = `scratch_${Date.now()}`;
  await sql.unsafe(`create database ${name}`);
  // same server and options (e.g. ?sslmode=disable, which the CLI needs off its default port), other database
  const scratchUrl = new URL(DATABASE_URL);
  scratchUrl.pathname = `/${name}`;
  const url = scratchUrl.toString();
  const up = () =>
    new Deno.Command("node_modules/.bin/supabase", {
      args: ["migration", "up", "--db-url", url],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  try {
    const first = await up();
    const firstOut = new TextDecoder().decode(first.stderr) + new TextDecoder().decode(first.stdout);
    assert.equal(first.code, 0, firstOut);
    assert.match(firstOut, /Applying migration/);
    const scratch = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const fns = await scratch`select proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                                where n.nspname = 'public' and proname in ('access_until', 'has_access', 'expire_subscriptions', 'apply_tribute_event')`;
      assert.equal(fns.length, 4);
      const applied = await scratch`select count(*)::int as n from supabase_migrations.schema_migrations`;
      const files = [...Deno.readDirSync("migrations")].filter((f) => f.name.endsWith(".sql")).length;
      assert.equal(applied[0].n, files);
    } finally {
      await scratch.end();
    }
    const second = await up();
    const secondOut = new TextDecoder().decode(second.stderr) + new TextDecoder().decode(second.stdout);
    assert.equal(second.code, 0);
    assert.doesNotMatch(secondOut, /Applying migration/);
    assert.match(secondOut, /up to date/i);
  } finally {
    await sql.unsafe(`drop database if exists ${name} with (force)`);
    await sql.end();
  }
});
