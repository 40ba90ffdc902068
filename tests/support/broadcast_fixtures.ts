/**
 * Audiences for the broadcast tests, arranged through the entitlement functions (grant_access,
 * revoke_access) so they hold whatever way the access timeline is stored.
 */
import type postgres from "postgres";

export interface AudienceSpec {
  /** access now */
  active?: number[];
  /** had access, not any more (granted, then revoked) */
  expired?: number[];
  /** known users who never had access */
  never?: number[];
  /** access now, but they blocked the bot */
  blocked?: number[];
  languageCode?: string | null;
}

export async function arrangeAudience(sql: postgres.Sql, spec: AudienceSpec): Promise<void> {
  const all = [
    ...(spec.active ?? []),
    ...(spec.expired ?? []),
    ...(spec.never ?? []),
    ...(spec.blocked ?? []),
  ];
  for (const u of all) {
    await sql`insert into public.users (telegram_user_id, language_code) values (${u}, ${
      spec.languageCode ?? null
    })
              on conflict (telegram_user_id) do nothing`;
  }
  for (const u of [...(spec.active ?? []), ...(spec.expired ?? []), ...(spec.blocked ?? [])]) {
    await sql`select public.grant_access(${u}, 30, 1, ${"fixture-grant-" + u})`;
  }
  for (const u of spec.expired ?? []) {
    await sql`select public.revoke_access(${u}, 1, ${"fixture-revoke-" + u})`;
  }
  for (const u of spec.blocked ?? []) {
    await sql`update public.users set blocked_at = now() where telegram_user_id = ${u}`;
  }
  // the invites and removals those grants queued are not what these tests look at
  await sql`delete from public.outbox where kind <> 'copy'`;
}

/** Copy rows of a broadcast: user → status. */
export async function copyRows(sql: postgres.Sql, broadcastId?: number) {
  const rows = await sql<{ user: string; status: string; last_error: string | null; broadcast_id: string }[]>`
    select telegram_user_id::text as user, status, last_error, broadcast_id::text from public.outbox
    where kind = 'copy' and (${broadcastId ?? null}::bigint is null or broadcast_id = ${broadcastId ?? null})
    order by id`;
  return rows.map((r) => ({ ...r, user: Number(r.user), broadcast_id: Number(r.broadcast_id) }));
}
