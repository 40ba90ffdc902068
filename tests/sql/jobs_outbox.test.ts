// The outbox queue functions: claim_outbox (leases, skip locked), fail_outbox (backoff, 429, 403,
// permanent), complete_outbox.
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql, DATABASE_URL, resetDb } from "../support/harness.ts";
import { outboxRows, queueOutbox } from "../support/jobs_fixtures.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

interface Claimed {
  id: number;
  telegram_user_id: number;
  kind: string;
  attempts: number;
  blocked: boolean;
  has_access: boolean;
  language_code: string | null;
}

async function claim(sql: postgres.Sql, limit = 50, lease = 120): Promise<Claimed[]> {
  const [{ rows }] = await sql<{ rows: Claimed[] }[]>`select public.claim_outbox(${limit}, ${lease}) as rows`;
  return rows;
}

async function fail(
  sql: postgres.Sql,
  id: number,
  o: { retryAfter?: number; blocked?: boolean; permanent?: boolean; max?: number } = {},
): Promise<string> {
  const [{ s }] = await sql<{ s: string }[]>`
    select public.fail_outbox(${id}, 'boom', ${o.retryAfter ?? null}, ${o.blocked ?? false}, ${
    o.permanent ?? false
  },
                              ${o.max ?? 8}) as s`;
  return s;
}

Deno.test("claim_outbox: concurrent claims never hand out the same row", opts, async () => {
  const sql = adminSql();
  const clients = Array.from({ length: 4 }, () => postgres(DATABASE_URL, { max: 1, onnotice: () => {} }));
  try {
    await resetDb(sql);
    for (let i = 0; i < 100; i++) {
      await queueOutbox(sql, { user: 1000 + (i % 7), kind: "message", template: "expired" });
    }
    const batches = await Promise.all(clients.map((c) => claim(c, 30)));
    const ids = batches.flat().map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, "a row was claimed twice");
    assert.equal(ids.length, 100);
    assert.deepEqual(await claim(sql), []);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await sql.end();
  }
});

Deno.test(
  "claim_outbox: a row whose lease ran out comes back; rows carry language, blocked, has_access",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      const id = await queueOutbox(sql, {
        user: 1101,
        kind: "message",
        template: "expired",
        languageCode: "ru",
      });
      const [first] = await claim(sql);
      assert.deepEqual(
        [first.id, first.attempts, first.language_code, first.blocked, first.has_access],
        [id, 1, "ru", false, false],
      );
      assert.deepEqual(await claim(sql), [], "leased");
      await sql`update public.outbox set locked_until = now() - interval '1 second' where id = ${id}`;
      const [again] = await claim(sql);
      assert.equal(again.id, id);
      assert.equal(again.attempts, 2);
    } finally {
      await sql.end();
    }
  },
);

Deno.test("fail_outbox: exponential backoff, retry_after, permanent and max attempts", opts, async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    const id = await queueOutbox(sql, { user: 1201, kind: "message", template: "expired" });
    const due = async () => (await outboxRows(sql)).find((r) => r.id === id)!;
    const reclaim = async () => {
      await sql`update public.outbox set next_attempt_at = now() where id = ${id}`;
      assert.equal((await claim(sql)).length, 1);
    };

    await claim(sql);
    assert.equal(await fail(sql, id), "pending");
    let row = await due();
    assert.ok(Math.abs(row.due_in - 30) < 2, `first retry in ~30 s, got ${row.due_in}`);
    assert.equal(row.last_error, "boom");

    await reclaim();
    assert.equal(await fail(sql, id), "pending");
    row = await due();
    assert.ok(Math.abs(row.due_in - 60) < 2, `second retry in ~60 s, got ${row.due_in}`);

    await reclaim();
    assert.equal(await fail(sql, id, { retryAfter: 17 }), "pending");
    row = await due();
    assert.ok(Math.abs(row.due_in - 17) < 2, `429: retry after 17 s, got ${row.due_in}`);

    await reclaim();
    assert.equal(await fail(sql, id, { max: 4 }), "failed", "4th attempt of 4");

    const other = await queueOutbox(sql, { user: 1201, kind: "message", template: "revoked" });
    await claim(sql);
    assert.equal(await fail(sql, other, { permanent: true }), "failed");
    assert.deepEqual((await outboxRows(sql)).map((r) => r.status), ["failed", "failed"]);
  } finally {
    await sql.end();
  }
});

Deno.test(
  "fail_outbox: 403 marks the user blocked (even without a users row) and skips their messages",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      // rows queued for a user the bot never saw write (no users row)
      const [{ id: a }] = await sql<{ id: number }[]>`
      insert into public.outbox (telegram_user_id, kind, template) values (1301, 'message', 'renewed') returning id::int`;
      const [{ id: b }] = await sql<{ id: number }[]>`
      insert into public.outbox (telegram_user_id, kind, template, next_attempt_at)
      values (1301, 'message', 'cancelled', now() + interval '1 hour') returning id::int`;
      const [{ id: r }] = await sql<{ id: number }[]>`
      insert into public.outbox (telegram_user_id, kind, template, next_attempt_at)
      values (1301, 'remove', 'expired', now() + interval '1 hour') returning id::int`;
      await claim(sql);
      assert.equal(await fail(sql, a, { blocked: true }), "skipped");
      const [u] = await sql<{ blocked: boolean }[]>`
      select blocked_at is not null as blocked from public.users where telegram_user_id = 1301`;
      assert.equal(u?.blocked, true);
      const byId = new Map((await outboxRows(sql)).map((x) => [x.id, x.status]));
      assert.equal(byId.get(a), "skipped");
      assert.equal(byId.get(b), "skipped", "later messages are skipped too");
      assert.equal(byId.get(r), "pending", "the removal still happens");

      // a removal whose notice got 403 is done: the removal itself succeeded
      await sql`update public.outbox set next_attempt_at = now() where id = ${r}`;
      await claim(sql);
      assert.equal(await fail(sql, r, { blocked: true }), "sent");
    } finally {
      await sql.end();
    }
  },
);

Deno.test("fail_outbox: a row that is no longer being delivered is left as it is", opts, async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    const id = await queueOutbox(sql, { user: 1401, kind: "message", template: "expired" });
    await claim(sql);
    await sql`select public.complete_outbox(${id}, 'sent', null)`;
    // a worker whose lease ran out reports a failure afterwards: the row stays sent
    assert.equal(await fail(sql, id), "sent");
    assert.equal((await outboxRows(sql))[0].status, "sent");
    await assert.rejects(sql`select public.complete_outbox(${id}, 'failed', null)`, /sent or skipped/);
  } finally {
    await sql.end();
  }
});
