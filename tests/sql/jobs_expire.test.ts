// expire_subscriptions() and its pg_cron job, against the real local Postgres (CONTRACT section 7).
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql, DATABASE_URL, resetDb } from "../support/harness.ts";
import { awayFromMinuteBoundary, insertSubscription, outboxRows } from "../support/jobs_fixtures.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("cron: job expire-subscriptions runs expire_subscriptions() every minute", opts, async () => {
  const sql = adminSql();
  try {
    const jobs = await sql<{ schedule: string; command: string; active: boolean }[]>`
      select schedule, command, active from cron.job where jobname = 'expire-subscriptions'`;
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].schedule, "* * * * *");
    assert.match(jobs[0].command, /public\.expire_subscriptions\(\)/);
    assert.equal(jobs[0].active, true);
  } finally {
    await sql.end();
  }
});

Deno.test(
  "expire: ends what is past due (active and cancelled), one removal per user, returns the count",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      await awayFromMinuteBoundary();
      await insertSubscription(sql, { user: 501, expiresIn: "-1 minute" });
      await insertSubscription(sql, {
        user: 501,
        expiresIn: "-2 hours",
        provider: "tribute",
        status: "cancelled",
      });
      await insertSubscription(sql, { user: 502, expiresIn: "-1 minute", provider: "telegram_stars" });
      // 503 still has a live window: the past one ends, but no removal
      await insertSubscription(sql, { user: 503, expiresIn: "-1 minute" });
      await insertSubscription(sql, { user: 503, expiresIn: "10 days", provider: "telegram_stars" });
      await insertSubscription(sql, { user: 504, expiresIn: "1 minute" });
      await insertSubscription(sql, { user: 505, expiresIn: "-3 days", status: "expired" });
      await insertSubscription(sql, { user: 506, expiresIn: "-3 days", status: "refunded" });

      const [{ n }] = await sql<{ n: number }[]>`select public.expire_subscriptions() as n`;
      assert.equal(n, 4);

      const subs = await sql<{ user: number; status: string; auto_renew: boolean; ended: boolean }[]>`
      select telegram_user_id::int as user, status, auto_renew, ended_at is not null as ended
      from public.subscriptions order by id`;
      assert.deepEqual(subs.map((s) => [s.user, s.status]), [
        [501, "expired"],
        [501, "expired"],
        [502, "expired"],
        [503, "expired"],
        [503, "active"],
        [504, "active"],
        [505, "expired"],
        [506, "refunded"],
      ]);
      assert.ok(subs.slice(0, 4).every((s) => s.ended && !s.auto_renew));

      const rows = await outboxRows(sql);
      assert.deepEqual(rows.map((r) => [r.telegram_user_id, r.kind, r.template, r.status]), [
        [501, "remove", "expired", "pending"],
        [502, "remove", "expired", "pending"],
      ]);
      // the notice says when access ended: the latest end of the user's windows
      const [p] = await sql<{ until: string; expected: string }[]>`
      select (o.params ->> 'until')::timestamptz::text as until, public.access_until(501)::text as expected
      from public.outbox o where o.telegram_user_id = 501`;
      assert.equal(p.until, p.expected);

      // a second run finds nothing and queues nothing
      const [{ again }] = await sql<{ again: number }[]>`select public.expire_subscriptions() as again`;
      assert.equal(again, 0);
      assert.equal((await outboxRows(sql)).length, 2);
    } finally {
      await sql.end();
    }
  },
);

Deno.test(
  "expire: concurrent runs end every subscription exactly once and queue one removal per user",
  opts,
  async () => {
    const sql = adminSql();
    const clients = Array.from({ length: 4 }, () => postgres(DATABASE_URL, { max: 1, onnotice: () => {} }));
    try {
      await resetDb(sql);
      await awayFromMinuteBoundary(20);
      const users = 150;
      await sql`insert into public.users (telegram_user_id) select 700000 + g from generate_series(1, ${users}) g`;
      // three due windows per user, spread over the last hour
      await sql`
      insert into public.subscriptions (telegram_user_id, provider, external_id, kind, status, starts_at, expires_at)
      select 700000 + u, 'manual', 'conc-' || u || '-' || k, 'grant', case when k = 2 then 'cancelled' else 'active' end,
             now() - interval '40 days', now() - make_interval(secs => (u * 3 + k) % 3600 + 1)
      from generate_series(1, ${users}) u, generate_series(1, 3) k`;

      // all at once, each in its own transaction on its own connection
      const results = await Promise.all(clients.map((c) =>
        c.begin(async (tx) => {
          const [{ n }] = await tx<{ n: number }[]>`select public.expire_subscriptions() as n`;
          return n;
        })
      ));
      assert.equal(results.reduce((a, b) => a + b, 0), users * 3, `per run: ${results.join(", ")}`);

      const [{ live }] = await sql<{ live: number }[]>`
      select count(*)::int as live from public.subscriptions where status in ('active', 'cancelled')`;
      assert.equal(live, 0);
      const removals = await sql<{ user: number; n: number }[]>`
      select telegram_user_id::int as user, count(*)::int as n from public.outbox
      where kind = 'remove' group by 1 order by 1`;
      assert.equal(removals.length, users);
      assert.ok(removals.every((r) => r.n === 1));

      const [{ again }] = await sql<{ again: number }[]>`select public.expire_subscriptions() as again`;
      assert.equal(again, 0);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
      await sql.end();
    }
  },
);

Deno.test(
  "expire: a run skips rows another run holds (skip locked) and neither queues twice",
  opts,
  async () => {
    const sql = adminSql();
    const a = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    const b = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      await resetDb(sql);
      await awayFromMinuteBoundary(20);
      for (let u = 0; u < 20; u++) {
        await insertSubscription(sql, { user: 800 + u, expiresIn: "-5 minutes" });
        await insertSubscription(sql, { user: 800 + u, expiresIn: "-1 minute", provider: "telegram_stars" });
      }
      let inB = -1;
      const inA = await a.begin(async (tx) => {
        const [{ n }] = await tx<{ n: number }[]>`select public.expire_subscriptions() as n`;
        // A still holds its row locks: B must not wait for them, and must not end them again
        inB = await b.begin(async (tx2) =>
          (await tx2<{ n: number }[]>`select public.expire_subscriptions() as n`)[0].n
        );
        return n;
      });
      assert.equal(inA, 40);
      assert.equal(inB, 0);
      const removals = await outboxRows(sql);
      assert.equal(removals.length, 20);
      assert.ok(removals.every((r) => r.kind === "remove"));
    } finally {
      await a.end();
      await b.end();
      await sql.end();
    }
  },
);

Deno.test(
  "expire: scans through the partial index (cost follows what is due, not the table)",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      await sql`
      insert into public.subscriptions (telegram_user_id, provider, external_id, kind, status, starts_at, expires_at)
      select 900000 + g, 'manual', 'bulk-' || g, 'grant', 'active', now() - interval '1 day',
             now() + make_interval(days => 1 + g % 300)
      from generate_series(1, 20000) g`;
      await insertSubscription(sql, { user: 901, expiresIn: "-1 minute" });
      await sql`analyze public.subscriptions`;
      // the backend's not-yet-flushed counters include earlier statements: compare before and after
      const scans = await sql.begin(async (tx) => {
        const counters = async () =>
          (await tx<{ idx: number; seq: number }[]>`
          select pg_stat_get_xact_numscans('public.subscriptions_live_expiry_idx'::regclass)::int as idx,
                 pg_stat_get_xact_numscans('public.subscriptions'::regclass)::int as seq`)[0];
        const before = await counters();
        const [{ n }] = await tx<{ n: number }[]>`select public.expire_subscriptions() as n`;
        const after = await counters();
        return { n, idx: after.idx - before.idx, seq: after.seq - before.seq };
      });
      assert.ok(scans.n >= 0); // the cron job may have taken the one due row; the plan is the point
      assert.ok(scans.idx >= 1, `index scans: ${scans.idx}`);
      assert.equal(scans.seq, 0, "no sequential scan of subscriptions");
    } finally {
      await resetDb(sql);
      await sql.end();
    }
  },
);
