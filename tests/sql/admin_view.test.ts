// The admin view's SQL (migrations/20261126000090_admin_view.sql): read-only, service_role only, the
// username search escapes LIKE wildcards, and the codes / broadcasts panels light up when their tables
// exist (checked inside transactions that are rolled back).
import assert from "node:assert/strict";
import type postgres from "postgres";
import { ADMIN_ID, adminSql, resetDb } from "../support/harness.ts";
import { assertOnlyServiceRoleExecutes } from "../support/privileges.ts";

const PANEL_FUNCTIONS = [
  "public.admin_overview()",
  "public.admin_find_members(text, integer)",
  "public.admin_member(bigint)",
  "public.admin_health()",
  "public.admin_codes()",
  "public.admin_broadcast_status()",
];

class Rollback extends Error {}

Deno.test("admin panel functions: read-only, executable by service_role only", async () => {
  const sql = adminSql();
  try {
    for (const fn of [...PANEL_FUNCTIONS, "public._admin_cron_job()"]) {
      const [p] =
        await sql`select provolatile as v, prosecdef as definer from pg_proc where oid = ${fn}::regprocedure`;
      assert.equal(p.v, "s", `${fn} is stable (reads only)`);
      // only the cron.job reader is SECURITY DEFINER (service_role cannot read cron.job)
      assert.equal(p.definer, fn === "public._admin_cron_job()", fn);
      await assertOnlyServiceRoleExecutes(sql, [fn]);
      const [pub] = await sql`select count(*)::int as n from information_schema.routine_privileges
                              where specific_name = (select proname || '_' || oid from pg_proc
                                                     where oid = ${fn}::regprocedure)
                                and grantee = 'PUBLIC'`;
      assert.equal(pub.n, 0, `${fn} is not granted to PUBLIC`);
    }
  } finally {
    await sql.end();
  }
});

Deno.test("admin_find_members: id, @username prefix, wildcards are literal", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await sql`select public.grant_access(8301, 5, ${ADMIN_ID}, 'f1')`;
    await sql`select public.upsert_user(8301, 'a_b', 'Ann')`;
    await sql`select public.upsert_user(8302, 'axb', 'Axel')`;
    await sql`select public.upsert_user(8303, 'Abe', 'Abe')`;
    const find = async (q: string) =>
      ((await sql`select public.admin_find_members(${q}) as r`)[0].r as Array<{ telegram_user_id: number }>)
        .map((m) => Number(m.telegram_user_id));
    assert.deepEqual(await find("8301"), [8301]);
    assert.deepEqual(await find("8399"), []);
    assert.deepEqual(await find("a_"), [8301], "_ is not a wildcard");
    assert.deepEqual(await find("@A"), [8301, 8303, 8302]);
    assert.deepEqual(await find("%"), []);
    assert.deepEqual(await find("  "), []);
    // a user known only from the ledger (no users row) is found by id
    await sql`delete from public.users where telegram_user_id = 8301`;
    assert.deepEqual(await find("8301"), [8301]);
  } finally {
    await sql.end();
  }
});

Deno.test("admin_codes / admin_broadcast_status: not available without their tables, else read them", async () => {
  const sql = adminSql();
  // Inside a transaction that is rolled back: the real tables are hidden (renamed) or stood in for, so
  // the test holds before and after the access-codes branch is merged.
  const inRollback = async (fn: (tx: postgres.TransactionSql) => Promise<void>) => {
    await sql.begin(async (tx) => {
      await fn(tx);
      throw new Rollback();
    }).catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  };
  try {
    await resetDb(sql);
    const exists = async (t: string) =>
      (await sql`select to_regclass(${t}) is not null as e`)[0].e as boolean;
    await inRollback(async (tx) => {
      if (await exists("public.access_codes")) {
        await tx`alter table public.access_codes rename to access_codes_hidden`;
      }
      if (await exists("public.broadcasts")) {
        await tx`alter table public.broadcasts rename to broadcasts_hidden`;
      }
      const [r] = await tx`select public.admin_codes() as c, public.admin_broadcast_status() as b`;
      assert.deepEqual(r.c, { available: false, codes: [] });
      assert.deepEqual(r.b, { available: false, broadcasts: [] });
    });
    await inRollback(async (tx) => {
      if (!(await exists("public.access_codes"))) {
        // a stand-in with the name the access-codes branch uses
        await tx`create table public.access_codes (code text primary key, days int, max_uses int,
                                                    created_by bigint, created_at timestamptz not null default now())`;
      }
      await tx`insert into public.access_codes (code, days, max_uses, created_by, created_at)
               values ('SSSSSSSSSS', 7, 10, ${ADMIN_ID}, now() - interval '2 days'),
                      ('VVVVVVVVVV', 30, 1, ${ADMIN_ID}, now() - interval '1 day'),
                      ('AAAAAAAAAA', 7, 1, ${ADMIN_ID}, now() - interval '3 days')`;
      // the real broadcasts (main): two confirmed, the latest first, with the counts broadcast_status gives
      await tx`insert into public.users (telegram_user_id) values (8501), (8502)`;
      for (const m of [1, 2]) {
        const [{ b }] = await tx`select public.create_broadcast(${ADMIN_ID}, ${ADMIN_ID}, ${m}, 'all', ${
          100 + m
        }) as b`;
        await tx`select public.confirm_broadcast(${b.id}, ${ADMIN_ID})`;
      }
      await tx`update public.outbox set status = 'sent' where broadcast_id is not null and telegram_user_id = 8501`;
      const [r] = await tx`select public.admin_codes() as c, public.admin_broadcast_status() as b`;
      assert.equal(r.c.available, true);
      assert.deepEqual(r.c.codes.map((c: { code: string }) => c.code), [
        "VVVVVVVVVV",
        "SSSSSSSSSS",
        "AAAAAAAAAA",
      ]);
      assert.equal(r.b.available, true);
      assert.equal(r.b.broadcasts.length, 2);
      assert.ok(r.b.broadcasts[0].id > r.b.broadcasts[1].id, "newest first");
      for (const b of r.b.broadcasts) assert.deepEqual([b.sent, b.failed, b.blocked, b.left], [1, 0, 0, 1]);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("admin_health: cron job, outbox backlog, latest failed deliveries first", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    for (const [i, ago] of [[1, "3 hours"], [2, "2 days"], [3, "1 minute"]] as const) {
      await sql`insert into public.webhook_events (source, name, dedupe_key, status, payload, error, received_at)
                values ('tribute', 'new_subscription', ${"k" + i}, 'failed', '{}', ${"boom " + i},
                        now() - ${ago}::interval)`;
    }
    await sql`insert into public.webhook_events (source, name, dedupe_key, status, payload)
              values ('tribute', 'x', 'ok', 'processed', '{}')`;
    await sql`insert into public.outbox (telegram_user_id, kind, template, next_attempt_at)
              values (1, 'message', 't', now() - interval '10 minutes'), (2, 'message', 't', now() + interval '1 hour')`;
    const [{ h }] = await sql`select public.admin_health() as h`;
    assert.deepEqual(h.cron, { exists: true, schedule: "* * * * *", active: true });
    assert.equal(h.outbox.pending, 2);
    assert.equal(h.outbox.due, 1);
    assert.ok(h.outbox.oldest_due_at);
    assert.equal(h.failed_24h, 2);
    assert.deepEqual(h.failed.map((f: { error: string }) => f.error), ["boom 3", "boom 1", "boom 2"]);
  } finally {
    await sql.end();
  }
});

Deno.test("payment_month_totals: always equal to the aggregate of payments (insert, refund, delete, truncate)", async () => {
  const sql = adminSql();
  const totals = async () =>
    (await sql`select to_char(month, 'YYYY-MM') as m, currency as c, sum(amount)::bigint as a,
                      sum(refunded)::bigint as r, sum(payments)::bigint as n
               from public.payment_month_totals group by 1, 2 having sum(payments) <> 0 order by 1, 2`)
      .map((x) => `${x.m} ${x.c} ${x.a} ${x.r} ${x.n}`);
  const truth = async () =>
    (await sql`select to_char(paid_at at time zone 'UTC', 'YYYY-MM') as m, upper(currency) as c,
                      coalesce(sum(amount) filter (where status = 'paid'), 0)::bigint as a,
                      coalesce(sum(amount) filter (where status = 'refunded'), 0)::bigint as r, count(*) as n
               from public.payments where kind in ('subscription', 'renewal', 'purchase')
                 and status in ('paid', 'refunded') group by 1, 2 order by 1, 2`)
      .map((x) => `${x.m} ${x.c} ${x.a} ${x.r} ${x.n}`);
  try {
    await resetDb(sql);
    assert.deepEqual(await totals(), []);
    await sql`select public.apply_star_payment(8401, 'month', 250, 'XTR', 'tot-1')`;
    await sql`select public.apply_star_payment(8402, 'month', 250, 'XTR', 'tot-2', null, now() - interval '40 days')`;
    await sql`insert into public.payments (provider, external_id, kind, telegram_user_id, amount, currency, paid_at)
              values ('tribute', 'tot-3', 'subscription', 8403, 700, 'eur', now() - interval '70 days'),
                     ('tribute', 'tot-4', 'renewal', 8403, 700, 'EUR', now() - interval '40 days'),
                     ('tribute', 'tot-5', 'purchase', 8404, 1500, 'usd', now())`;
    assert.deepEqual(await totals(), await truth());
    await sql`select public.refund_star_payment('tot-2')`; // an old month changes
    await sql`update public.payments set amount = 900, paid_at = now() - interval '100 days' where external_id = 'tot-4'`;
    await sql`delete from public.payments where external_id = 'tot-5'`;
    await sql`update public.payments set plan_code = 'month' where external_id = 'tot-3'`; // unrelated change
    assert.deepEqual(await totals(), await truth());
    assert.ok((await totals()).some((l) => / XTR 0 250 1$/.test(l)), "the refunded month shows it");
    await sql`truncate public.payments cascade`;
    assert.deepEqual(await totals(), []);
  } finally {
    await sql.end();
  }
});
