// The database port has two transports; both must behave the same against the same Postgres.
import assert from "node:assert/strict";
import { createAppDeps } from "../../functions/bot/app.ts";
import { type Db, DbQueryError, DbUnavailableError } from "../../functions/bot/db/port.ts";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { createRpcDb } from "../../functions/bot/db/rpc.ts";
import { createHandler } from "../../functions/bot/handler.ts";
import { memoryLogger } from "../../functions/bot/log.ts";
import { signTributeBody } from "../../functions/bot/tribute/signature.ts";
import { adminSql, DATABASE_URL, resetDb, startHarness, TRIBUTE_KEY } from "../support/harness.ts";
import { SHIM_SERVICE_KEY, startRpcShim } from "../support/rpc_shim.ts";

async function exercise(db: Db, user: number, charge: string) {
  const plans = await db.call<{ code: string; stars_price: number }[]>("list_plans");
  const verdict = await db.call<{ ok: boolean }>("stars_checkout_verdict", {
    p_plan_code: "month",
    p_amount: 250,
    p_currency: "XTR",
  });
  const paid = await db.call<{ status: string }>("apply_star_payment", {
    p_telegram_user_id: user,
    p_plan_code: "month",
    p_amount: 250,
    p_currency: "XTR",
    p_telegram_payment_charge_id: charge,
    p_provider_payment_charge_id: null,
    p_paid_at: new Date(Date.now() - 60_000).toISOString(),
  });
  const again = await db.call<{ status: string }>("apply_star_payment", {
    p_telegram_user_id: user,
    p_plan_code: "month",
    p_amount: 250,
    p_currency: "XTR",
    p_telegram_payment_charge_id: charge,
  });
  const has = await db.call<boolean>("has_access", { telegram_user_id: user });
  const expired = await db.call<number>("expire_subscriptions");
  return {
    plans: plans.map((p) => [p.code, p.stars_price]),
    verdict: verdict.ok,
    paid: paid.status,
    again: again.status,
    has,
    expiredType: typeof expired,
  };
}

Deno.test("db port: postgres.js and supabase-js .rpc() give the same results", async () => {
  const sql = adminSql();
  await resetDb(sql);
  const shim = startRpcShim(DATABASE_URL);
  const pg = createPostgresDb(DATABASE_URL);
  const rpc = createRpcDb(shim.url, SHIM_SERVICE_KEY);
  try {
    const a = await exercise(pg, 31, "charge-pg");
    const b = await exercise(rpc, 32, "charge-rpc");
    assert.deepEqual(a, b);
    assert.deepEqual(a.plans, [["month", 250], ["quarter", 650], ["year", 2200]]);
    assert.equal(a.paid, "processed");
    assert.equal(a.again, "duplicate");
    assert.equal(a.has, true);
    assert.equal(a.expiredType, "number");
    assert.ok(
      shim.calls.some((c) => c.fn === "apply_star_payment"),
      "the supabase transport went through PostgREST-style RPC",
    );
    const [rows] =
      await sql`select count(*)::int as n from public.payments where telegram_payment_charge_id in ('charge-pg', 'charge-rpc')`;
    assert.equal(rows.n, 2);

    // a raised SQL exception is a query error on both, not an outage
    for (const db of [pg, rpc]) {
      await assert.rejects(
        db.call("grant_access", { p_telegram_user_id: 1, p_days: -5, p_admin_id: 1, p_request_id: "x" }),
        DbQueryError,
      );
    }
    // an unreachable database is DbUnavailableError on both
    shim.failNext503(true);
    await assert.rejects(rpc.call("list_plans"), DbUnavailableError);
    shim.failNext503(false);
    const deadRpc = createRpcDb("http://127.0.0.1:1", SHIM_SERVICE_KEY);
    await assert.rejects(deadRpc.call("list_plans"), DbUnavailableError);
    const deadPg = createPostgresDb("postgresql://postgres:postgres@127.0.0.1:1/postgres", {
      connectTimeoutSeconds: 2,
    });
    await assert.rejects(deadPg.call("list_plans"), DbUnavailableError);
    await deadPg.close();
  } finally {
    await pg.close();
    await shim.close();
    await sql.end();
  }
});

Deno.test("db port: a Tribute webhook through the production (supabase-js) transport", async () => {
  const h = await startHarness();
  const shim = startRpcShim(DATABASE_URL);
  const deps = createAppDeps(h.config, { db: createRpcDb(shim.url, SHIM_SERVICE_KEY), log: memoryLogger() });
  const handle = createHandler(deps);
  try {
    const body = JSON.stringify({
      name: "new_subscription",
      created_at: new Date().toISOString(),
      payload: {
        subscription_id: 4242,
        telegram_user_id: 4243,
        expires_at: new Date(Date.now() + 86_400_000).toISOString(),
        amount: 100,
        currency: "usd",
      },
    });
    const res = await handle(
      new Request(h.url, {
        method: "POST",
        headers: { "trbt-signature": await signTributeBody(body, TRIBUTE_KEY) },
        body,
      }),
    );
    assert.equal(res.status, 200);
    await deps.settle();
    const [s] = await h.sql`select status from public.subscriptions where external_id = '4242'`;
    assert.equal(s.status, "active");
  } finally {
    await deps.settle();
    await shim.close();
    await h.close();
  }
});
