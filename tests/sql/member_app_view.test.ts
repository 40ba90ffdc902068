// public.member_app_view (migrations/20261126000030_mini_app.sql): the Mini App's one read. Its JSON
// shape is what the page relies on; it is as locked down as every other function.
import assert from "node:assert/strict";
import { ADMIN_ID, adminSql, resetDb } from "../support/harness.ts";
import { assertOnlyServiceRoleExecutes } from "../support/privileges.ts";

Deno.test("member_app_view: access, timeline (refunds marked), plans; only that user's rows", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await sql`select public.grant_access(8101, 10, ${ADMIN_ID}, 'v1')`;
    await sql`select public.apply_star_payment(8101, 'quarter', 650, 'XTR', 'ch-8101')`;
    await sql`select public.refund_star_payment('ch-8101')`;
    await sql`select public.grant_access(8102, 5, ${ADMIN_ID}, 'v2')`;

    const [{ v }] = await sql`select public.member_app_view(8101) as v`;
    assert.deepEqual(Object.keys(v).sort(), ["access", "plans", "telegram_user_id", "timeline"]);
    assert.equal(Number(v.telegram_user_id), 8101);
    assert.equal(v.access.has_access, true);
    assert.equal(v.access.source, "manual");
    assert.equal(v.access.renewing, false);
    const until = new Date(v.access.until).getTime();
    assert.ok(Math.abs(until - (Date.now() + 10 * 86400_000)) < 60_000, v.access.until);
    assert.equal(v.timeline.length, 2);
    for (const w of v.timeline) {
      assert.deepEqual(Object.keys(w).sort(), [
        "from",
        "kind",
        "plan_code",
        "refunded",
        "segments",
        "source",
        "status",
        "to",
      ]);
    }
    const stars = v.timeline.find((w: { source: string }) => w.source === "telegram_stars");
    assert.equal(stars.refunded, true);
    assert.equal(stars.status, "refunded");
    assert.equal(stars.plan_code, "quarter");
    assert.deepEqual(stars.segments, [], "a refunded item covers nothing");
    const grant = v.timeline.find((w: { kind: string }) => w.kind === "grant");
    assert.equal(grant.segments.length, 1);
    assert.equal(new Date(grant.segments[0][1]).getTime(), until, "the grant covers up to the access end");
    assert.ok(!JSON.stringify(v).includes("ch-8101"), "no payment ids");
    const [{ plans }] = await sql`select public.list_plans() as plans`;
    assert.deepEqual(v.plans, plans);

    const [{ none }] = await sql`select public.member_app_view(8199) as none`;
    assert.deepEqual(none.access, { has_access: false, until: null, source: null, renewing: false });
    assert.deepEqual(none.timeline, []);

    // a revoked member: no access now, until = the end of the last window (in the past or now)
    await sql`select public.revoke_access(8102, ${ADMIN_ID}, 'v3')`;
    const [{ revoked }] = await sql`select public.member_app_view(8102) as revoked`;
    assert.equal(revoked.access.has_access, false);
    assert.equal(revoked.access.source, null);
    assert.ok(revoked.access.until === null || new Date(revoked.access.until).getTime() <= Date.now() + 1000);
  } finally {
    await sql.end();
  }
});

Deno.test("member_app_view: only service_role may execute it", async () => {
  const sql = adminSql();
  try {
    await assertOnlyServiceRoleExecutes(sql, ["public.member_app_view(bigint)"]);
    const [{ volatility }] = await sql`select provolatile as volatility from pg_proc
                                       where oid = 'public.member_app_view(bigint)'::regprocedure`;
    assert.equal(volatility, "s", "read-only (stable)");
  } finally {
    await sql.end();
  }
});
