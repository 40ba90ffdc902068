// Several paid chats (CONTRACT section 5, tiers): each item opens the chats of its plan, and the
// timeline is kept per chat. A plan naming no chat opens every paid chat.
import assert from "node:assert/strict";
import { adminSql, resetDb } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const DAY = 86_400_000;
const A = -1001;
const B = -1002;
const OTHER = -1003;

Deno.test(
  "tiers: each chat has its own timeline; access is their union; a newly opened chat is an invite",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      await sql`update public.plans set chat_ids = ${[A]} where code = 'month'`;
      await sql`update public.plans set chat_ids = ${[B]} where code = 'quarter'`;
      const user = 95001;
      const t0 = Date.now() - DAY;
      const iso = (ms: number) => new Date(ms).toISOString();
      const open = async () => {
        const [{ chats }] = await sql<{ chats: number[] }[]>`
        select public.open_chats(${user}, ${[A, B, OTHER]}::bigint[]) as chats`;
        return chats.map(Number);
      };
      const until = async () => {
        const [{ u }] = await sql<{ u: Date }[]>`select public.access_until(${user}) as u`;
        return u.getTime();
      };

      // a month for chat A only
      await sql`select public.apply_star_payment(${user}, 'month', 250, 'XTR', 'tier-1', null, ${iso(t0)})`;
      assert.deepEqual(await open(), [A]);
      assert.equal(await until(), t0 + 30 * DAY);

      // a quarter for chat B bought a day later does not queue behind chat A's month: other chat
      const t1 = t0 + DAY;
      await sql`select public.apply_star_payment(${user}, 'quarter', 650, 'XTR', 'tier-2', null, ${iso(t1)})`;
      assert.deepEqual(await open(), [B, A].sort((x, y) => x - y));
      assert.equal(await until(), t1 + 90 * DAY);
      const invites =
        await sql`select dedupe_key from public.outbox where telegram_user_id = ${user} and kind = 'invite'
                              order by id`;
      assert.deepEqual(invites.map((r) => r.dedupe_key), ["stars:tier-1:invite", "stars:tier-2:invite"]);

      // refunding chat B's quarter closes chat B while chat A stays open: a removal from the closed chat
      await sql`select public.refund_star_payment('tier-2')`;
      assert.deepEqual(await open(), [A]);
      const [{ has }] = await sql`select public.has_access(${user}) as has`;
      assert.equal(has, true);
      const removals = await sql`select dedupe_key, template from public.outbox
                               where telegram_user_id = ${user} and kind = 'remove'`;
      assert.deepEqual(removals.map((r) => [r.dedupe_key, r.template]), [[
        "refund:tier-2:remove",
        "refunded",
      ]]);
      assert.equal(await until(), t0 + 30 * DAY);

      // a grant (no plan) opens every chat: in each chat it takes that chat's uncovered time
      await sql`select public.grant_access(${user}, 10, 1, 'tier-grant', ${iso(t1)})`;
      assert.deepEqual(await open(), [B, A, OTHER].sort((x, y) => x - y));
      const [{ cov }] =
        await sql`select chat_coverage as cov from public.user_access where telegram_user_id = ${user}`;
      const end = (key: string) => {
        const bounds = String(cov[key]).match(/"([^"]+)"/g)!.map((x) => Date.parse(x.replaceAll('"', "")));
        return bounds[bounds.length - 1];
      };
      assert.equal(end(String(A)), t0 + 40 * DAY, "chat A: the month, then the grant");
      assert.equal(end(String(B)), t1 + 10 * DAY, "chat B: the grant alone");
      assert.equal(end("*"), t1 + 10 * DAY, "every other chat: the grant alone");
      assert.equal(await until(), t0 + 40 * DAY);
      const [{ invite }] = await sql`select count(*)::int as invite from public.outbox
                                   where dedupe_key = 'grant:tier-grant:invite'`;
      assert.equal(invite, 1, "chat B opened again: an invite");
    } finally {
      await sql.end();
    }
  },
);

Deno.test(
  "tiers: without any plan naming chats there is one timeline and every paid chat is open",
  opts,
  async () => {
    const sql = adminSql();
    try {
      await resetDb(sql);
      const user = 95002;
      await sql`select public.grant_access(${user}, 5, 1, 'one-timeline')`;
      const [row] =
        await sql`select chat_coverage, open_chats from public.user_access where telegram_user_id = ${user}`;
      assert.equal(row.chat_coverage, null);
      assert.deepEqual(row.open_chats, ["*"]);
      const [{ chats }] = await sql`select public.open_chats(${user}, ${[A, B]}::bigint[]) as chats`;
      assert.deepEqual(chats.map(Number), [B, A].sort((x, y) => x - y));
    } finally {
      await sql.end();
    }
  },
);
