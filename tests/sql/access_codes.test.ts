// The SQL behind access codes: who may call it, what the tables refuse, once per user per code, uses
// counted atomically under concurrency (the last use goes to exactly one member; a rolled-back
// redemption uses nothing), the wrong-code rate limit, and a redemption as a banked timeline item.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { adminSql, resetDb } from "../support/harness.ts";
import { assertOnlyServiceRoleExecutes, assertTablesClosed } from "../support/privileges.ts";

const FUNCTIONS = [
  "create_access_code(text,integer,integer,integer,bigint,text)",
  "redeem_access_code(bigint,text,text,timestamptz)",
  "list_access_codes(integer)",
  "disable_access_code(text,bigint)",
];
const DAY = 86_400_000;

// deno-lint-ignore no-explicit-any
type Json = any;

async function create(
  sql: postgres.Sql,
  code: string,
  days: number,
  maxUses: number,
  validDays: number | null = null,
) {
  const [r] = await sql`select public.create_access_code(${code}, ${days}, ${maxUses}, ${validDays}, 9001, ${
    "req-" + code
  }) as r`;
  return r.r as Json;
}

async function redeem(sql: postgres.Sql, user: number, code: string, request: string | null = null) {
  const [r] = await sql`select public.redeem_access_code(${user}, ${code}, ${request}) as r`;
  return r.r as Json;
}

Deno.test("access codes SQL: only service_role executes the functions; the tables are behind RLS, closed to anon/authenticated", async () => {
  const sql = adminSql();
  try {
    await assertOnlyServiceRoleExecutes(sql, FUNCTIONS.map((fn) => `public.${fn}`));
    await assertTablesClosed(sql, ["public.access_codes", "public.code_redemptions", "public.code_attempts"]);
  } finally {
    await sql.end();
  }
});

Deno.test("access codes SQL: the alphabet and bounds are enforced; a request creates one code; a taken code is reported", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    const made = await create(sql, "abcdefghjk", 30, 2, 7);
    assert.equal(made.status, "created");
    assert.equal(made.code, "ABCDEFGHJK", "stored upper case");
    assert.equal(made.uses_left, 2);
    assert.equal((await create(sql, "abcdefghjk", 30, 2, 7)).status, "duplicate", "the same request again");
    const [t] = await sql`select public.create_access_code('ABCDEFGHJK', 5, 1, null, 9001, 'another') as r`;
    assert.deepEqual(t.r, { status: "taken", code: "ABCDEFGHJK" });
    // look-alikes, too short, bad numbers
    for (const bad of ["ABCDEFGHJO", "ABCDEFGH01", "ABCDEFGHJI", "ABCDEFGHJL", "ABCDEFGHJU", "ABCDEFGHJ"]) {
      await assert.rejects(
        sql`select public.create_access_code(${bad}, 5, 1, null, 9001, ${"r-" + bad})`,
        (e: { code?: string }) => e.code === "23514",
        bad,
      );
    }
    for (const [days, uses, valid] of [[0, 1, null], [3651, 1, null], [1, 0, null], [1, 1, 0]]) {
      await assert.rejects(
        sql`select public.create_access_code('MNPQRSTVWX', ${days}, ${uses}, ${valid}, 9001, 'r-bad')`,
        (e: { code?: string }) => e.code === "22023",
      );
    }
    // used never exceeds max_uses, whoever writes
    await assert.rejects(
      sql`update public.access_codes set used = 3 where code = 'ABCDEFGHJK'`,
      (e: { code?: string }) => e.code === "23514",
    );
  } finally {
    await sql.end();
  }
});

Deno.test("access codes SQL: once per user per code; a redelivered request answers as before; the table refuses a second row", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await create(sql, "ABCDEFGHJK", 30, 5);
    const first = await redeem(sql, 5001, "abcd-efgh-jk", "u1");
    assert.equal(first.status, "redeemed");
    assert.equal(first.uses_left, 4);
    const again = await redeem(sql, 5001, "ABCDEFGHJK", "u1");
    assert.equal(again.status, "redeemed", "the same update: the same answer");
    assert.equal(new Date(again.access_until).getTime(), new Date(first.access_until).getTime());
    assert.equal((await redeem(sql, 5001, "ABCDEFGHJK", "u2")).status, "already_redeemed");
    assert.equal((await redeem(sql, 5001, "ABCDEFGHJK")).status, "already_redeemed");
    const [row] = await sql`select used from public.access_codes where code = 'ABCDEFGHJK'`;
    assert.equal(row.used, 1);
    const subs =
      await sql`select external_id, kind, provider from public.subscriptions where telegram_user_id = 5001`;
    assert.deepEqual(subs.map((s) => ({ ...s })), [
      { external_id: "code:ABCDEFGHJK:5001", kind: "code", provider: "manual" },
    ]);
    await assert.rejects(
      sql`insert into public.code_redemptions (code, telegram_user_id) values ('ABCDEFGHJK', 5001)`,
      (e: { code?: string }) => e.code === "23505",
    );
  } finally {
    await sql.end();
  }
});

/** Waits until some backend is blocked on a lock while running `fragment`. */
async function waitForBlocked(sql: postgres.Sql, fragment: string) {
  for (let i = 0; i < 200; i++) {
    const [r] = await sql`select count(*)::int as n from pg_stat_activity
                          where wait_event_type = 'Lock' and query like ${"%" + fragment + "%"}`;
    if (r.n > 0) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error("the second redemption never waited for the first");
}

Deno.test("access codes SQL: the last use, raced: the second redemption waits for the first and then finds the code used up", async () => {
  const sql = adminSql();
  const a = adminSql();
  const b = adminSql();
  try {
    await resetDb(sql);
    await create(sql, "MNPQRSTVWX", 30, 1);

    for (const outcome of ["commit", "rollback"] as const) {
      await sql`update public.access_codes set used = 0 where code = 'MNPQRSTVWX'`;
      await sql`delete from public.code_redemptions`;
      await sql`delete from public.subscriptions`;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let redeemed!: () => void;
      const redeemedInA = new Promise<void>((r) => (redeemed = r));
      let resultA: Json = null;
      const txA = a.begin(async (tx) => {
        [{ r: resultA }] = await tx`select public.redeem_access_code(6001, 'MNPQRSTVWX', 'a') as r`;
        redeemed();
        await gate;
        if (outcome === "rollback") throw new Error("rolled back on purpose");
      }).catch((e) => {
        if (outcome !== "rollback") throw e;
      });
      await redeemedInA;
      const pB = (async () =>
        (await b`select public.redeem_access_code(6002, 'MNPQRSTVWX', 'b') as r`)[0].r as Json)();
      await waitForBlocked(sql, "redeem_access_code(6002");
      release();
      await txA;
      const resultB = await pB;
      assert.equal(resultA.status, "redeemed");
      const [row] = await sql`select used from public.access_codes where code = 'MNPQRSTVWX'`;
      const holders = await sql`select telegram_user_id::int as u from public.code_redemptions order by 1`;
      if (outcome === "commit") {
        assert.equal(resultB.status, "exhausted", "only one wins the last use");
        assert.deepEqual(
          holders.map((h) =>
            h.u
          ),
          [6001],
        );
      } else {
        assert.equal(resultB.status, "redeemed", "a rolled-back redemption used nothing");
        assert.deepEqual(holders.map((h) => h.u), [6002]);
      }
      assert.equal(row.used, 1);
    }

    // many at once on separate connections: exactly max_uses win
    await create(sql, "ZYXWVTSRQP", 30, 5);
    const pool = Array.from({ length: 6 }, () => adminSql());
    try {
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) => redeem(pool[i % pool.length], 6100 + i, "ZYXWVTSRQP")),
      );
      const won = results.filter((r) => r.status === "redeemed").length;
      assert.equal(won, 5);
      assert.equal(results.filter((r) => r.status === "exhausted").length, 19);
      const [row] = await sql`select used from public.access_codes where code = 'ZYXWVTSRQP'`;
      assert.equal(row.used, 5);
      const [{ n }] = await sql`select count(*)::int as n from public.subscriptions
                                where external_id like 'code:ZYXWVTSRQP:%'`;
      assert.equal(n, 5);
    } finally {
      await Promise.all(pool.map((p) => p.end()));
    }
  } finally {
    await Promise.all([sql.end(), a.end(), b.end()]);
  }
});

Deno.test("access codes SQL: 5 unknown codes in an hour limit the user; while limited nothing is looked up or counted", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await create(sql, "ABCDEFGHJK", 30, 5);
    const lefts = [];
    for (let i = 0; i < 5; i++) lefts.push((await redeem(sql, 5001, `NOPE${i}XXXXX`)).attempts_left);
    assert.deepEqual(lefts, [4, 3, 2, 1, 0]);
    const limited = await redeem(sql, 5001, "ABCDEFGHJK");
    assert.equal(limited.status, "rate_limited");
    const [first] =
      await sql`select min(attempted_at) as at from public.code_attempts where telegram_user_id = 5001`;
    assert.equal(new Date(limited.retry_at).getTime(), first.at.getTime() + 3_600_000);
    const [{ n }] =
      await sql`select count(*)::int as n from public.code_attempts where telegram_user_id = 5001`;
    assert.equal(n, 5, "limited attempts are not recorded");
    const [row] = await sql`select used from public.access_codes where code = 'ABCDEFGHJK'`;
    assert.equal(row.used, 0);
    // expired / off / exhausted codes are real codes: they do not count as wrong
    assert.equal((await redeem(sql, 5002, "ABCDEFGHJK")).status, "redeemed");
    await sql`select public.disable_access_code('ABCDEFGHJK', 9001)`;
    for (let i = 0; i < 6; i++) assert.equal((await redeem(sql, 5003, "ABCDEFGHJK")).status, "off");
    // attempts older than an hour no longer count
    await sql`update public.code_attempts set attempted_at = attempted_at - interval '2 hours'`;
    assert.equal((await redeem(sql, 5001, "NOPENOPENOPE")).status, "unknown");
  } finally {
    await sql.end();
  }
});

Deno.test("access codes SQL: a redemption is a banked item: it follows a grant, and a window that begins later splits it", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await create(sql, "ABCDEFGHJK", 30, 5);
    const now = Date.now();
    await sql`select public.grant_access(5001, 10, 9001, 'g1')`;
    const r = await redeem(sql, 5001, "ABCDEFGHJK");
    assert.ok(Math.abs(new Date(r.access_until).getTime() - (now + 40 * DAY)) < 60_000);
    assert.equal(r.until, r.access_until, "access held now lasts to the end");

    // a recorded window 5..15 days from now: the code's 30 days go around it
    await sql`insert into public.subscriptions (telegram_user_id, provider, external_id, status, starts_at, expires_at)
              values (5002, 'manual', 'window', 'active', now() + interval '5 days', now() + interval '15 days')`;
    const s = await redeem(sql, 5002, "ABCDEFGHJK");
    assert.ok(Math.abs(new Date(s.access_until).getTime() - (now + 40 * DAY)) < 60_000);
    assert.ok(Math.abs(new Date(s.until).getTime() - (now + 40 * DAY)) < 60_000, "contiguous: no gap");
    const [item] = await sql`select cardinality(array(select unnest(segments))) as pieces
                             from public.subscriptions where external_id = 'code:ABCDEFGHJK:5002'`;
    assert.equal(item.pieces, 2);
    const [tl] = await sql`select public.user_timeline(5002) as t`;
    assert.deepEqual((tl.t as Json[]).map((x) => x.kind), ["code", "subscription"]);
  } finally {
    await sql.end();
  }
});
