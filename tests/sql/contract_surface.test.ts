// CONTRACT section 7 as an outside suite sees it: rows written with only the contract's columns, and
// the contract's functions called by their documented names and argument names.
import assert from "node:assert/strict";
import { adminSql, resetDb } from "../support/harness.ts";

Deno.test("contract: access_until / has_access / expire_subscriptions over rows with only the contract columns", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    const [none] =
      await sql`select public.access_until(telegram_user_id => 1) as until, public.has_access(telegram_user_id => 1) as has`;
    assert.deepEqual({ ...none }, { until: null, has: false });

    await sql`insert into public.subscriptions (telegram_user_id, provider, external_id, status, auto_renew, expires_at) values
              (2, 'manual', 'c-live', 'active', false, now() + interval '5 days'),
              (3, 'tribute', 'c-past', 'active', true, now() - interval '1 hour'),
              (4, 'telegram_stars', 'c-cancelled-past', 'cancelled', false, now() - interval '1 minute')`;
    const rows =
      await sql`select telegram_user_id::int as u, public.has_access(telegram_user_id) as has from public.subscriptions order by 1`;
    assert.deepEqual(rows.map((r) => [r.u, r.has]), [[2, true], [3, false], [4, false]]);

    const [first] = await sql`select public.expire_subscriptions() as n`;
    assert.equal(first.n, 2);
    const [again] = await sql`select public.expire_subscriptions() as n`;
    assert.equal(again.n, 0);
    const statuses =
      await sql`select telegram_user_id::int as u, status from public.subscriptions order by 1`;
    assert.deepEqual(statuses.map((r) => [r.u, r.status]), [[2, "active"], [3, "expired"], [4, "expired"]]);
    const removals = await sql`select telegram_user_id::int as u, kind from public.outbox order by 1`;
    assert.deepEqual(removals.map((r) => [r.u, r.kind]), [[3, "remove"], [4, "remove"]]);

    const [job] = await sql`select schedule, command from cron.job where jobname = 'expire-subscriptions'`;
    assert.equal(job.schedule, "* * * * *");
    assert.match(job.command, /expire_subscriptions\(\)/);
  } finally {
    await sql.end();
  }
});
