// The postgres.js transport's pool for short calls (db/postgres.ts SHORT_CALLS): with `shortMax`, the
// per-update reads share that many connections (pipelined when more are in flight) and answer as the
// main pool would; the other calls never use them.
import assert from "node:assert/strict";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { adminSql, DATABASE_URL } from "../support/harness.ts";

const USER_BASE = 884_000_000;

Deno.test("db short calls: 32 concurrent upsert_user on a 1-connection short pool, same answers as the main pool", async () => {
  const db = createPostgresDb(DATABASE_URL, { max: 3, shortMax: 1 });
  const plain = createPostgresDb(DATABASE_URL, { max: 3 });
  const sql = adminSql();
  try {
    const args = (i: number) => ({
      p_telegram_user_id: USER_BASE + i,
      p_username: null,
      p_first_name: `U${i}`,
      p_language_code: i % 2 ? "ru" : "en",
    });
    const calls = [...Array(32)].map((_, i) => db.call<Record<string, unknown>>("upsert_user", args(i)));
    const answers = await Promise.all(calls);
    for (const [i, a] of answers.entries()) {
      assert.equal(a.telegram_user_id, USER_BASE + i);
      assert.equal(a.first_name, `U${i}`);
      assert.deepEqual(a, await plain.call("upsert_user", args(i)), "the same summary from either pool");
    }
    const [short] = await sql`select count(*)::int as n from pg_stat_activity
                              where application_name = 'bot short calls' and datname = current_database()`;
    assert.equal(short.n, 1, "one connection served them all");
    // a call outside the set goes to the main pool
    assert.equal(typeof await db.call("expire_subscriptions"), "number");
  } finally {
    await sql`delete from public.users where telegram_user_id between ${USER_BASE} and ${USER_BASE + 31}`;
    await Promise.all([db.close(), plain.close(), sql.end()]);
  }
});
