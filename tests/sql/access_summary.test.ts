// The access summary upsert_user returns (public._access_summary) skips the item queries for a user who
// holds no item: the answer must be exactly what the one full query gives, with or without items
// (checked inside a transaction that is rolled back).
import assert from "node:assert/strict";
import { adminSql } from "../support/harness.ts";

class Rollback extends Error {}

/** The summary as one query over everything, as it was before the skip. */
const reference = (sql: ReturnType<typeof adminSql>, user: number) =>
  sql`select jsonb_build_object(
        'telegram_user_id', ${user}::bigint,
        'known', u.telegram_user_id is not null,
        'username', u.username, 'first_name', u.first_name, 'language_code', u.language_code,
        'blocked', u.blocked_at is not null,
        'has_access', coalesce(a.coverage @> now(), false),
        'access_until', a.access_until,
        'live_until', (select upper(p) from unnest(a.coverage) p where p @> now()),
        'current', (
          select jsonb_build_object('provider', s.provider, 'kind', s.kind, 'status', s.status,
                                    'auto_renew', s.auto_renew, 'expires_at', s.expires_at, 'plan_code', s.plan_code)
          from public.subscriptions s
          where s.telegram_user_id = ${user}::bigint and s.segments @> now()
          order by s.duration is not null, s.id limit 1),
        'auto_renew', exists (select 1 from public.subscriptions s
                              where s.telegram_user_id = ${user}::bigint and s.status = 'active' and s.auto_renew
                                and s.expires_at > now())) as v
      from (select 1) one
      left join public.users u on u.telegram_user_id = ${user}::bigint
      left join public.user_access a on a.telegram_user_id = ${user}::bigint`;

Deno.test("access summary: the same as the full query for users with no item, a live item, a past one", async () => {
  const sql = adminSql();
  try {
    await sql.begin(async (tx) => {
      const [none, live, past, revoked] = [885_000_001, 885_000_002, 885_000_003, 885_000_004];
      for (const u of [none, live, past, revoked]) await tx`select public.upsert_user(${u}, 'n', 'N', 'en')`;
      await tx`select public.grant_access(${live}, 30, 1, 'summary-live')`;
      await tx`select public.grant_access(${past}, 5, 1, 'summary-past', now() - interval '40 days')`;
      await tx`select public.grant_access(${revoked}, 30, 1, 'summary-revoked', now() - interval '1 day')`;
      await tx`select public.revoke_access(${revoked}, 1, 'summary-revoke')`;
      for (const u of [none, live, past, revoked, 885_000_099 /* never seen */]) {
        const [{ got }] = await tx`select public._access_summary(${u}) as got`;
        const [{ v }] = await reference(tx as unknown as ReturnType<typeof adminSql>, u);
        assert.deepEqual(got, v, `user ${u}`);
        const [{ upserted }] = await tx`select public.upsert_user(${u}, 'n', 'N', 'en') as upserted`;
        if (u !== 885_000_099) assert.deepEqual(upserted, v, `upsert_user ${u}`);
      }
      const [{ s }] = await tx`select public._access_summary(${live}) as s`;
      assert.equal(s.has_access, true);
      assert.equal(s.current.kind, "grant");
      throw new Rollback();
    }).catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  } finally {
    await sql.end();
  }
});
