// The Tribute door under a burst (functions/bot/tribute/webhook.ts, inbox.ts): alone, a delivery is
// applied before its 200 ("processed"); among others in flight, it is acknowledged once it is durably in
// the inbox ("accepted") and applied right after. Either way each delivery has one effect, the journal
// keeps the id the 200 named, and each new member gets one invite.
import assert from "node:assert/strict";
import { startHarness, subscriptionEnvelope } from "../support/harness.ts";
import { runPool } from "../fault/support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "tribute burst: alone it is applied before the 200, in a burst accepted and applied right after",
  opts,
  async () => {
    const h = await startHarness();
    try {
      // alone: applied when the answer comes
      const alone = await h.postTribute(subscriptionEnvelope(7_700_000));
      assert.equal(alone.status, 200);
      assert.equal((await alone.json()).status, "processed");
      const [{ has }] = await h.sql`select public.has_access(7700000) as has`;
      assert.equal(has, true, "applied before the 200");
      await h.settle();

      // a burst: 60 deliveries, 16 at a time, and a copy of each sent again while they are in flight
      const users = Array.from({ length: 60 }, (_, i) => 7_700_001 + i);
      const bodies = new Map(users.map((u) => [u, subscriptionEnvelope(u)]));
      // what each copy's 200 said (a copy applied at once while the other waits in the inbox is
      // possible: the waiting one is a duplicate when applied; the journal and payments check that)
      const answers = new Map<number, Array<{ status: string; event_id: number }>>();
      await runPool([...users, ...users], 16, async (u) => {
        const res = await h.postTribute(bodies.get(u));
        assert.equal(res.status, 200);
        const a = await res.json();
        answers.set(u, [...answers.get(u) ?? [], a]);
      });
      const statuses = [...answers.values()].flat().map((a) => a.status);
      assert.ok(
        statuses.includes("accepted"),
        `a burst is acknowledged from the inbox: ${statuses.join(",")}`,
      );
      await h.settle();

      const journal = await h
        .sql`select id::float8 as id, telegram_user_id::float8 as u from public.webhook_events
                                where telegram_user_id between 7700001 and 7700060 and status = 'processed'`;
      assert.equal(journal.length, 60, "each delivery journaled once");
      for (const j of journal) {
        const named = answers.get(Number(j.u))!.map((a) => Number(a.event_id));
        assert.ok(named.includes(Number(j.id)), `journal id ${j.id} was named by a 200 (${named})`);
      }
      const [{ paid }] = await h.sql`select count(*)::int as paid from public.payments
                                     where telegram_user_id between 7700001 and 7700060`;
      assert.equal(paid, 60, "one payment each");
      const [{ members, left }] = await h.sql`
      select (select count(*)::int from public.user_access where telegram_user_id between 7700001 and 7700060
                and has_access) as members,
             (select count(*)::int from public.tribute_inbox) as left`;
      assert.deepEqual([members, left], [60, 0]);
      const invited = h.telegram.callsOf("createChatInviteLink").length;
      assert.equal(invited, 61, "one invite per new member, the first one included");
    } finally {
      await h.close();
    }
  },
);
