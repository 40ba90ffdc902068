// The Tribute inbox (migrations/20261126000015_tribute_inbox.sql): accept_tribute_events writes what a
// burst acknowledges, apply_tribute_inbox applies it. Nothing acknowledged is lost or applied twice, the
// journal keeps the acknowledged id, a poison row cannot block the others, and a row that keeps failing
// for a reason a retry might fix ends journaled as failed instead of staying forever.
import assert from "node:assert/strict";
import postgres from "postgres";
import type { InboxCounts } from "../../functions/bot/tribute/inbox.ts";
import { adminSql, DATABASE_URL, resetDb, subscriptionEnvelope } from "../support/harness.ts";
import { awayFromMinuteBoundary } from "../support/jobs_fixtures.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function accept(sql: postgres.Sql, envelopes: Array<ReturnType<typeof subscriptionEnvelope>>) {
  const [{ r }] = await sql<{ r: Array<{ status: string; event_id: number }> }[]>`
    select public.accept_tribute_events(${envelopes.map((e) => e.name)}::text[],
                                        ${JSON.stringify(envelopes)}::text) as r`;
  return r;
}

async function apply(sql: postgres.Sql, limit = 64, isolate = false): Promise<InboxCounts> {
  const [{ r }] = await sql<
    { r: InboxCounts }[]
  >`select public.apply_tribute_inbox(${limit}, ${isolate}) as r`;
  return r;
}

const inboxCount = async (sql: postgres.Sql) =>
  Number((await sql`select count(*)::int as n from public.tribute_inbox`)[0].n);

Deno.test(
  "inbox: an accepted delivery is applied once, under the id its acknowledgement named",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      await awayFromMinuteBoundary(5); // pg_cron applies the inbox at each minute boundary
      const e = subscriptionEnvelope(5101);
      const [first] = await accept(sql, [e]);
      assert.equal(first.status, "accepted");
      // a retry while it waits, and a copy in the same batch: duplicates of the waiting row
      const again = await accept(sql, [e, e]);
      assert.deepEqual(again.map((a) => a.status), ["duplicate", "duplicate"]);
      assert.deepEqual(again.map((a) => Number(a.event_id)), [
        Number(first.event_id),
        Number(first.event_id),
      ]);
      const [{ has: before }] = await sql`select public.has_access(5101) as has`;
      assert.equal(before, false, "accepted is not applied yet");

      const counts = await apply(sql);
      assert.deepEqual({ ...counts, queued: undefined }, {
        claimed: 1,
        applied: 1,
        duplicates: 0,
        failed: 0,
        deferred: 0,
        queued: undefined,
      });
      assert.equal(counts.queued, true, "the invite notice was queued");
      assert.equal(await inboxCount(sql), 0);
      const [j] =
        await sql`select id, status, received_at from public.webhook_events where telegram_user_id = 5101`;
      assert.equal(Number(j.id), Number(first.event_id), "the journal row has the acknowledged id");
      assert.equal(j.status, "processed");
      const [{ has }] = await sql`select public.has_access(5101) as has`;
      assert.equal(has, true);

      // a copy after it was applied: a duplicate naming the journal row, nothing written
      const [late] = await accept(sql, [e]);
      assert.equal(late.status, "duplicate");
      assert.equal(Number(late.event_id), Number(first.event_id));
      assert.equal(await inboxCount(sql), 0);
      assert.equal((await apply(sql)).claimed, 0);
      const [{ n }] = await sql`select count(*)::int as n from public.payments where telegram_user_id = 5101`;
      assert.equal(n, 1, "one payment");
    } finally {
      await sql.end();
    }
  },
);

Deno.test("inbox: a batch answers in its own order whatever order it is written in", opts, async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await awayFromMinuteBoundary(5);
    // written in dedupe-key order (against deadlocks), answered in the order the door sent them
    const es = [5301, 5302, 5303, 5304].map((u) => subscriptionEnvelope(u));
    const got = await accept(sql, [es[2], es[0], es[3], es[2], es[1]]);
    assert.deepEqual(got.map((a) => a.status), ["accepted", "accepted", "accepted", "duplicate", "accepted"]);
    const ids = got.map((a) => Number(a.event_id));
    assert.equal(ids[3], ids[0], "the copy names the row written for the first");
    assert.equal(new Set(ids).size, 4);
    const rows = await sql`select id, telegram_user_id::int as u from public.tribute_inbox order by id`;
    assert.deepEqual(
      Object.fromEntries(rows.map((r) => [r.u, Number(r.id)])),
      { 5303: ids[0], 5301: ids[1], 5304: ids[2], 5302: ids[4] },
      "each answer names its own delivery's row",
    );
    assert.deepEqual(await accept(sql, []), []);
    const refused: Array<[string[], string]> = [[["new_subscription"], "[]"], [[], JSON.stringify(es[0])]];
    for (const [names, envelopes] of refused) {
      await assert.rejects(
        sql`select public.accept_tribute_events(${names}::text[], ${envelopes}::text)`,
        (err: { code?: string }) => err.code === "22023",
        "names that do not match the envelopes, or envelopes that are not an array, are refused",
      );
    }
    assert.equal(await inboxCount(sql), 4, "nothing else was written");
  } finally {
    await sql.end();
  }
});

Deno.test("inbox: the direct door and the inbox give one delivery one dedupe key", opts, async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await awayFromMinuteBoundary(5); // pg_cron applies the inbox at each minute boundary
    const e = subscriptionEnvelope(5102);
    const [{ r }] = await sql`select public.apply_tribute_delivery(${e.name}, ${JSON.stringify(e)}) as r`;
    assert.equal(r.status, "processed");
    const [a] = await accept(sql, [e]);
    assert.equal(a.status, "duplicate");
    assert.equal(Number(a.event_id), Number(r.event_id));
    // and the other way round: a copy applied directly while another waits; the waiting one is then a
    // duplicate, so the delivery has one effect
    const e2 = subscriptionEnvelope(5103);
    const [b] = await accept(sql, [e2]);
    assert.equal(b.status, "accepted");
    const [{ r: r2 }] = await sql`select public.apply_tribute_delivery(${e2.name}, ${
      JSON.stringify(e2)
    }) as r`;
    assert.equal(r2.status, "processed");
    const counts = await apply(sql);
    assert.equal(counts.duplicates, 1);
    assert.equal(counts.applied, 0);
    const [{ journal, paid }] = await sql`
      select (select count(*)::int from public.webhook_events where telegram_user_id = 5103) as journal,
             (select count(*)::int from public.payments where telegram_user_id = 5103) as paid`;
    assert.deepEqual([journal, paid], [1, 1]);
  } finally {
    await sql.end();
  }
});

Deno.test("inbox: concurrent appliers share the rows, each applied exactly once", opts, async () => {
  const sql = adminSql();
  const clients = Array.from({ length: 4 }, () => postgres(DATABASE_URL, { max: 1, onnotice: () => {} }));
  try {
    await resetDb(sql);
    await awayFromMinuteBoundary(5); // pg_cron applies the inbox at each minute boundary
    const envelopes = Array.from({ length: 300 }, (_, i) =>
      subscriptionEnvelope(6000 + (i % 150), {
        // two events per user (a subscription and its renewal), so batches lock the same users
        name: i < 150 ? "new_subscription" : "renewed_subscription",
        createdAt: new Date(Date.now() - (i < 150 ? 120_000 : 60_000)).toISOString(),
      }));
    for (let i = 0; i < envelopes.length; i += 50) await accept(sql, envelopes.slice(i, i + 50));
    const totals = await Promise.all(clients.map(async (c) => {
      let applied = 0;
      for (;;) {
        const r = await apply(c, 16);
        applied += r.applied;
        if (r.claimed === 0) return applied;
      }
    }));
    assert.equal(totals.reduce((a, b) => a + b, 0), 300);
    assert.equal(await inboxCount(sql), 0);
    const [{ n, users }] = await sql`select count(*)::int as n, count(distinct telegram_user_id)::int as users
                                     from public.webhook_events where status = 'processed'`;
    assert.equal(n, 300);
    assert.equal(users, 150);
    const [{ withAccess }] = await sql`select count(*)::int as "withAccess" from public.user_access
                                       where telegram_user_id between 6000 and 6149 and has_access`;
    assert.equal(withAccess, 150);
  } finally {
    await sql.end();
    await Promise.all(clients.map((c) => c.end()));
  }
});

Deno.test(
  "inbox: a poison row fails the fast batch whole; isolated, it is journaled failed and the rest applied",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      await awayFromMinuteBoundary(5); // pg_cron applies the inbox at each minute boundary
      // a date Postgres cannot read (the door's validation would have refused it; the inbox must cope anyway)
      await accept(sql, [
        subscriptionEnvelope(5201),
        subscriptionEnvelope(5202, { expiresAt: "2026-02-30T00:00:00Z" }),
        subscriptionEnvelope(5203),
      ]);
      await assert.rejects(apply(sql), /date\/time field value out of range|invalid input syntax/);
      assert.equal(await inboxCount(sql), 3, "the fast batch rolled back whole");

      const r = await apply(sql, 64, true);
      assert.equal(r.claimed, 3);
      assert.equal(r.applied, 2);
      assert.equal(r.failed, 1);
      assert.equal(await inboxCount(sql), 0);
      const rows =
        await sql`select telegram_user_id, status, name, error from public.webhook_events order by id`;
      const failed = rows.filter((x) => x.status === "failed");
      assert.equal(failed.length, 1);
      assert.match(failed[0].error, /SQLSTATE 22/);
      assert.equal(failed[0].name, "new_subscription");
      const [{ n }] = await sql`select count(*)::int as n from public.user_access where has_access
                              and telegram_user_id in (5201, 5203)`;
      assert.equal(n, 2);
    } finally {
      await sql.end();
    }
  },
);

Deno.test(
  "inbox: a retryable failure backs off and, after 10 attempts, is journaled failed",
  opts,
  async () => {
    const sql = adminSql();
    const holder = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    const applier = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      await resetDb(sql);
      await awayFromMinuteBoundary(5); // pg_cron applies the inbox at each minute boundary
      await accept(sql, [subscriptionEnvelope(5301)]);
      // another transaction holds the user's lock: the applier's wait times out (55P03, retryable)
      await holder`begin`;
      await holder`select pg_advisory_xact_lock(7001, hashtext('5301'))`;
      await applier`set lock_timeout = '50ms'`;
      const [{ r }] = await applier<{ r: InboxCounts }[]>`select public.apply_tribute_inbox(64, true) as r`;
      assert.equal(r.deferred, 1);
      const [row] =
        await sql`select attempts, next_attempt_at > now() as later, last_error from public.tribute_inbox`;
      assert.equal(row.attempts, 1);
      assert.equal(row.later, true, "retried later, not at once");
      assert.match(row.last_error, /55P03/);
      assert.equal((await apply(sql, 64, true)).claimed, 0, "not claimed before its retry time");

      // the tenth attempt fails too: journaled failed, gone from the inbox
      await sql`update public.tribute_inbox set attempts = 9, next_attempt_at = now()`;
      const [{ r: last }] = await applier<
        { r: InboxCounts }[]
      >`select public.apply_tribute_inbox(64, true) as r`;
      assert.equal(last.failed, 1);
      await holder`rollback`;
      assert.equal(await inboxCount(sql), 0);
      const [j] = await sql`select status, error from public.webhook_events`;
      assert.equal(j.status, "failed");
      assert.match(j.error, /after 10 attempts/);
    } finally {
      await holder.end();
      await applier.end();
      await sql.end();
    }
  },
);

Deno.test("inbox: tribute_inbox_backlog says how many wait and since when", opts, async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await awayFromMinuteBoundary(5); // pg_cron applies the inbox at each minute boundary
    const [{ b: empty }] = await sql`select public.tribute_inbox_backlog() as b`;
    assert.equal(empty.pending, 0);
    assert.equal(empty.oldest_received_at, null);
    await accept(sql, [subscriptionEnvelope(5401), subscriptionEnvelope(5402)]);
    const [{ b }] = await sql`select public.tribute_inbox_backlog() as b`;
    assert.equal(b.pending, 2);
    assert.ok(Date.now() - new Date(b.oldest_received_at).getTime() < 60_000);
  } finally {
    // (left waiting, they would make a later health check fail once they are 3 minutes old)
    await sql`delete from public.tribute_inbox`.catch(() => {});
    await sql.end();
  }
});
