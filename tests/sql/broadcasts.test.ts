// Broadcast SQL: audiences, drafts and confirmations that queue each recipient once, cancellation,
// status counts, and the shared pace (claim_broadcast hands out send slots at most per_second a
// second, to every drain together).
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql, DATABASE_URL, resetDb } from "../support/harness.ts";
import { arrangeAudience, copyRows } from "../support/broadcast_fixtures.ts";
import { setPace } from "../support/pace.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ADMIN = 9;

interface Draft {
  id: number;
  audience: string;
  audience_size: number;
  status: string;
}

async function draft(sql: postgres.Sql, audience: string, commandMessageId: number, messageId = 55) {
  const [{ r }] = await sql<{ r: Draft }[]>`
    select public.create_broadcast(${ADMIN}, ${ADMIN}, ${messageId}, ${audience}, ${commandMessageId}) as r`;
  return r;
}

async function call<T>(query: postgres.PendingQuery<{ r: T }[]>): Promise<T> {
  const [{ r }] = await query;
  return r;
}

interface Claim {
  rows: Array<{ id: number; telegram_user_id: number; kind: string; send_at: string; send_in_ms: number }>;
  wait_ms: number | null;
  late_ms: number;
}

const claimBroadcast = (sql: postgres.Sql, limit = 50, horizonMs = 1000) =>
  call<Claim>(sql`select public.claim_broadcast(${limit}, 120, ${horizonMs}) as r`);

async function withAudience(sql: postgres.Sql) {
  await resetDb(sql);
  await arrangeAudience(sql, { active: [101, 102], expired: [201], never: [301], blocked: [401] });
}

Deno.test("broadcast audiences: active, expired, all; never a user who blocked the bot", opts, async () => {
  const sql = adminSql();
  try {
    await withAudience(sql);
    assert.equal((await draft(sql, "active", 1)).audience_size, 2);
    assert.equal((await draft(sql, "expired", 2)).audience_size, 1);
    assert.equal((await draft(sql, "all", 3)).audience_size, 4);
    await assert.rejects(draft(sql, "everyone", 4), /audience must be/);
    // the same /broadcast message (a redelivered update) gets the same draft back
    const again = await draft(sql, "all", 3);
    assert.equal(again.id, 3);
    assert.equal((await sql`select count(*)::int as n from public.broadcasts`)[0].n, 3);
  } finally {
    await sql.end();
  }
});

Deno.test(
  "confirm_broadcast queues one copy per recipient, once, even when confirmed concurrently",
  opts,
  async () => {
    const sql = adminSql();
    const clients = Array.from({ length: 3 }, () => postgres(DATABASE_URL, { max: 1, onnotice: () => {} }));
    try {
      await withAudience(sql);
      const b = await draft(sql, "all", 1);
      const results = await Promise.all(
        clients.map((c) =>
          call<{ status: string }>(c`select public.confirm_broadcast(${b.id}, ${ADMIN}) as r`)
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [
        "already_confirmed",
        "already_confirmed",
        "confirmed",
      ]);
      const rows = await copyRows(sql, b.id);
      assert.deepEqual(rows.map((r) => r.user).sort(), [101, 102, 201, 301]);
      const [params] = await sql`select params from public.outbox where kind = 'copy' limit 1`;
      assert.deepEqual(params.params, { from_chat_id: ADMIN, message_id: 55 });
      const again = await call<{ status: string; recipients: number }>(
        sql`select public.confirm_broadcast(${b.id}, ${ADMIN}) as r`,
      );
      assert.deepEqual([again.status, again.recipients], ["already_confirmed", 4]);
      assert.equal((await copyRows(sql)).length, 4);
      // the unique key holds even against a direct insert
      await assert.rejects(
        sql`insert into public.outbox (telegram_user_id, kind, template, broadcast_id) values (101, 'copy', 'broadcast', ${b.id})`,
        /outbox_broadcast_user_key/,
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
      await sql.end();
    }
  },
);

Deno.test("cancel_broadcast: a draft, then what is not sent yet; status counts", opts, async () => {
  const sql = adminSql();
  try {
    await withAudience(sql);
    const d = await draft(sql, "active", 1);
    const r1 = await call<{ status: string }>(sql`select public.cancel_broadcast(${d.id}, ${ADMIN}) as r`);
    assert.equal(r1.status, "cancelled");
    const c1 = await call<{ status: string }>(sql`select public.confirm_broadcast(${d.id}, ${ADMIN}) as r`);
    assert.equal(c1.status, "cancelled", "a cancelled draft cannot be confirmed");
    assert.equal((await copyRows(sql)).length, 0);

    const b = await draft(sql, "all", 2);
    await sql`select public.confirm_broadcast(${b.id}, ${ADMIN})`;
    // progress: one sent, one failed, one skipped because the user blocked the bot
    const ids = (await sql`select id from public.outbox where broadcast_id = ${b.id} order by id`).map((r) =>
      r.id
    );
    await sql`update public.outbox set status = 'sent' where id = ${ids[0]}`;
    await sql`update public.outbox set status = 'failed' where id = ${ids[1]}`;
    await sql`update public.outbox set status = 'skipped', last_error = 'user blocked the bot' where id = ${
      ids[2]
    }`;
    let s = await call<Record<string, unknown>>(sql`select public.broadcast_status() as r`);
    assert.deepEqual(
      [s.id, s.status, s.total, s.sent, s.failed, s.blocked, s.cancelled, s.left],
      [b.id, "sending", 4, 1, 1, 1, 0, 1],
    );
    // without an id: the latest draft or sending broadcast
    const r2 = await call<{ status: string; id: number; skipped: number }>(
      sql`select public.cancel_broadcast(null, ${ADMIN}) as r`,
    );
    assert.deepEqual([r2.status, r2.id, r2.skipped], ["cancelled", b.id, 1]);
    s = await call(sql`select public.broadcast_status(${b.id}) as r`);
    assert.deepEqual([s.status, s.sent, s.cancelled, s.left], ["cancelled", 1, 1, 0]);
    const r3 = await call<{ status: string }>(sql`select public.cancel_broadcast(${b.id}, ${ADMIN}) as r`);
    assert.equal(r3.status, "already_cancelled");
    const none = await call<{ status: string }>(sql`select public.cancel_broadcast(null, ${ADMIN}) as r`);
    assert.equal(none.status, "not_found");
    assert.equal((await claimBroadcast(sql)).rows.length, 0, "nothing of a cancelled broadcast is claimed");

    // a broadcast sent to everyone is done, and cannot be cancelled any more
    const done = await draft(sql, "expired", 3);
    await sql`select public.confirm_broadcast(${done.id}, ${ADMIN})`;
    await sql`update public.outbox set status = 'sent' where broadcast_id = ${done.id}`;
    s = await call(sql`select public.broadcast_status() as r`);
    assert.deepEqual([s.id, s.status, s.sent, s.left], [done.id, "done", 1, 0]);
    const r4 = await call<{ status: string }>(sql`select public.cancel_broadcast(${done.id}, ${ADMIN}) as r`);
    assert.equal(r4.status, "finished");
    assert.equal(
      (await call<{ status: string }>(sql`select public.broadcast_status(999) as r`)).status,
      "not_found",
    );
  } finally {
    await sql.end();
  }
});

Deno.test(
  "two queues: claim_outbox never takes a copy, claim_broadcast never takes a notice",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await withAudience(sql);
      await setPace(sql, 1000);
      const b = await draft(sql, "all", 1);
      await sql`select public.confirm_broadcast(${b.id}, ${ADMIN})`;
      // a notice queued after the broadcast is still claimed first by claim_outbox
      await sql`insert into public.outbox (telegram_user_id, kind, template) values (101, 'message', 'expired')`;
      const [{ rows }] = await sql`select public.claim_outbox(50, 120) as rows`;
      assert.deepEqual(rows.map((r: { kind: string }) => r.kind), ["message"]);
      const claim = await claimBroadcast(sql);
      assert.deepEqual(claim.rows.map((r) => r.kind), ["copy", "copy", "copy", "copy"]);
    } finally {
      await sql.end();
    }
  },
);

Deno.test("claim_broadcast: slots at most per_second a second across concurrent claims", opts, async () => {
  const sql = adminSql();
  const clients = Array.from({ length: 4 }, () => postgres(DATABASE_URL, { max: 1, onnotice: () => {} }));
  try {
    await resetDb(sql);
    const users = Array.from({ length: 40 }, (_, i) => 5000 + i);
    await arrangeAudience(sql, { never: users });
    await setPace(sql, 10, 0); // one slot every 100 ms
    const b = await draft(sql, "all", 1);
    await sql`select public.confirm_broadcast(${b.id}, ${ADMIN})`;

    const first = await claimBroadcast(sql, 50, 1000);
    assert.equal(first.rows.length, 10, "one second of slots at 10/s");
    const offsets = first.rows.map((r) => Number(r.send_in_ms));
    offsets.slice(1).forEach((o, i) => assert.ok(Math.abs(o - offsets[i] - 100) < 0.01, `slot ${i + 1}`));
    // the horizon is booked: a claim right after gets at most the slot that came into it meanwhile
    const next = await claimBroadcast(sql, 5, 1000);
    assert.ok(next.rows.length <= 1, `got ${next.rows.length}`);
    const lastFirst = new Date(first.rows[9].send_at).getTime();
    for (const r of next.rows) assert.ok(new Date(r.send_at).getTime() - lastFirst >= 99.99);
    if (next.rows.length === 0) {
      assert.ok(next.wait_ms !== null && next.wait_ms > 0, "told when to come back");
    }

    // concurrent drains share one budget: slots never closer than 100 ms, whoever got them
    await setPace(sql, 10, 0);
    const claims = await Promise.all(clients.map((c) => claimBroadcast(c, 50, 1000)));
    const slots = [...first.rows, ...claims.flatMap((c) => c.rows)];
    assert.equal(new Set(slots.map((r) => r.id)).size, slots.length, "a row claimed twice");
    const later = claims.flatMap((c) => c.rows).map((r) => new Date(r.send_at).getTime()).sort((a, b) =>
      a - b
    );
    assert.ok(later.length >= 10);
    later.slice(1).forEach((t, i) =>
      assert.ok(t - later[i] >= 99.99, `slots ${i}/${i + 1} only ${t - later[i]} ms apart`)
    );
    // the pace row keeps the next free slot: no claim could get one before every handed-out slot
    const [pace] = await sql`select next_slot from public.broadcast_pace`;
    assert.ok(new Date(pace.next_slot).getTime() >= later[later.length - 1] + 99);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await sql.end();
  }
});

Deno.test("claim_broadcast: blocked users skipped without a slot; release and pause", opts, async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await arrangeAudience(sql, { never: [601, 602, 603] });
    await setPace(sql, 1000);
    const b = await draft(sql, "all", 1);
    await sql`select public.confirm_broadcast(${b.id}, ${ADMIN})`;
    // 602 blocks the bot after the confirmation
    await sql`update public.users set blocked_at = now() where telegram_user_id = 602`;
    const claim = await claimBroadcast(sql);
    assert.deepEqual(claim.rows.map((r) => r.telegram_user_id), [601, 603]);
    const rows = await copyRows(sql, b.id);
    assert.deepEqual(rows.find((r) => r.user === 602), {
      user: 602,
      status: "skipped",
      last_error: "user blocked the bot",
      broadcast_id: b.id,
    });

    // a row given back: due again, the attempt does not count
    await sql`select public.release_outbox(${[claim.rows[0].id]}::bigint[])`;
    const [released] = await sql`select status, attempts from public.outbox where id = ${claim.rows[0].id}`;
    assert.deepEqual([released.status, released.attempts], ["pending", 0]);

    // Telegram said 429 retry_after 5: nobody gets a slot before then
    await sql`select public.pause_broadcasts(5)`;
    const paused = await claimBroadcast(sql);
    assert.equal(paused.rows.length, 0);
    assert.ok(paused.wait_ms! >= 3900, `wait ${paused.wait_ms}`);
    await setPace(sql, 1000);
    assert.equal((await claimBroadcast(sql)).rows.length, 1);
    assert.deepEqual(await claimBroadcast(sql), { rows: [], wait_ms: null, late_ms: 25 }, "nothing due");
  } finally {
    await sql.end();
  }
});
