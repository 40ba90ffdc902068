// queue_reminders(): 3 days and 1 day before access ends, once per access period, through the outbox.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { adminSql, resetDb } from "../support/harness.ts";
import { insertSubscription } from "../support/jobs_fixtures.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

interface Reminder {
  user: number;
  days_left: number;
  until: string;
  status: string;
}

async function reminders(sql: postgres.Sql): Promise<Reminder[]> {
  return await sql<Reminder[]>`
    select telegram_user_id::int as user, (params ->> 'days_left')::int as days_left,
           (params ->> 'until')::timestamptz::text as until, status
    from public.outbox where kind = 'message' and template = 'reminder' order by telegram_user_id, id`;
}

async function queue(sql: postgres.Sql, includeAutoRenew = false): Promise<number> {
  const [{ n }] = await sql<{ n: number }[]>`select public.queue_reminders(${includeAutoRenew}) as n`;
  return n;
}

Deno.test(
  "reminders: 3 days and 1 day before the end, each once, with the days really left",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      await insertSubscription(sql, { user: 601, expiresIn: "2 days 23 hours" });
      await insertSubscription(sql, { user: 602, expiresIn: "20 hours" });
      await insertSubscription(sql, { user: 603, expiresIn: "1 day 12 hours", provider: "telegram_stars" });
      await insertSubscription(sql, { user: 604, expiresIn: "5 days" }); // not yet
      await insertSubscription(sql, { user: 605, expiresIn: "-1 hour", status: "expired" }); // over

      assert.equal(await queue(sql), 3);
      const rows = await reminders(sql);
      assert.deepEqual(rows.map((r) => [r.user, r.days_left]), [[601, 3], [602, 1], [603, 2]]);
      const [end] = await sql<{ until: string }[]>`select public.access_until(601)::text as until`;
      assert.equal(rows[0].until, end.until);

      // the next minutes find the same periods: nothing new
      assert.equal(await queue(sql), 0);
      assert.equal(await queue(sql), 0);
      assert.equal((await reminders(sql)).length, 3);
    } finally {
      await sql.end();
    }
  },
);

Deno.test("reminders: a renewal opens a new period (reminded again before the new end)", opts, async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    const id = await insertSubscription(sql, { user: 611, expiresIn: "2 days" });
    assert.equal(await queue(sql), 1);
    // renewed for a month: no reminder now
    await sql`update public.subscriptions set expires_at = expires_at + interval '30 days' where id = ${id}`;
    assert.equal(await queue(sql), 0);
    // ...and that month is nearly over: a new period, a new reminder
    await sql`update public.subscriptions set expires_at = now() + interval '22 hours' where id = ${id}`;
    assert.equal(await queue(sql), 1);
    assert.deepEqual((await reminders(sql)).map((r) => [r.user, r.days_left]), [[611, 2], [611, 1]]);
  } finally {
    await sql.end();
  }
});

Deno.test(
  "reminders: not for auto-renewing Tribute subscriptions unless asked (REMIND_AUTO_RENEW)",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      await insertSubscription(sql, { user: 621, expiresIn: "2 days", provider: "tribute", autoRenew: true });
      // cancelled: will not renew, so the user is told
      await insertSubscription(sql, {
        user: 622,
        expiresIn: "2 days",
        provider: "tribute",
        status: "cancelled",
      });
      // a Stars purchase never renews by itself
      await insertSubscription(sql, {
        user: 623,
        expiresIn: "2 days",
        provider: "telegram_stars",
        autoRenew: false,
      });

      assert.equal(await queue(sql, false), 2);
      assert.deepEqual((await reminders(sql)).map((r) => r.user), [622, 623]);
      assert.equal(await queue(sql, true), 1);
      assert.deepEqual((await reminders(sql)).map((r) => r.user), [621, 622, 623]);
      assert.equal(await queue(sql, true), 0);
    } finally {
      await sql.end();
    }
  },
);

Deno.test("reminders: none while more access is queued after the window that ends", opts, async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    // two windows back to back (one transaction: the same now()), so access goes on for 32 days
    await sql.begin(async (t) => {
      const tx = t as unknown as typeof sql;
      await insertSubscription(tx, { user: 631, expiresIn: "2 days" });
      await insertSubscription(tx, {
        user: 631,
        provider: "telegram_stars",
        startsIn: "2 days",
        expiresIn: "32 days",
      });
    });
    assert.equal(await queue(sql), 0);
  } finally {
    await sql.end();
  }
});
