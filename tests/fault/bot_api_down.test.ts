// Fault suite (issue #10), part c: the Bot API is down (502 for every call, then 429 with retry_after).
// Tribute and Telegram deliveries are still acknowledged with 200 (the database took the payment; the
// messages wait in the outbox), and once the Bot API is back the scheduled drain sends every invite
// and notice exactly once.
import assert from "node:assert/strict";
import { chatMemberUpdate, messageUpdate, successfulPaymentUpdate } from "../support/fake_telegram.ts";
import { PAID_CHAT_ID, startHarness } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const DAY = 86_400_000;

Deno.test(
  "fault: Bot API down (502, then 429) — webhooks answer 200, every invite and notice goes out exactly once",
  opts,
  async () => {
    const h = await startHarness();
    try {
      // a warm function: grammY has its bot info (getMe) from an earlier update
      const warm = await h.postUpdate(messageUpdate({ from: { id: 1 }, chatId: -100777, text: "hello" }));
      assert.equal(warm.status, 200);
      await h.settle();
      const before = h.telegram.calls.length;

      h.telegram.failNext("*", { status: 502 }, 1_000_000);
      const tributeUsers = [990_001, 990_002, 990_003];
      const starsUsers = [990_101, 990_102];
      const now = Date.now();
      for (const [i, user] of tributeUsers.entries()) {
        const res = await h.postTribute({
          name: "new_subscription",
          created_at: new Date(now - 1000).toISOString(),
          sent_at: new Date(now).toISOString(),
          payload: {
            subscription_id: 99_000 + i,
            telegram_user_id: user,
            amount: 700,
            currency: "eur",
            expires_at: new Date(now + 30 * DAY).toISOString(),
          },
        });
        assert.equal(res.status, 200, `tribute answered ${res.status}`);
        await res.body?.cancel();
      }
      // Stars payments while the Bot API is down: the thank-you reply fails, the payment stands
      const paid = await Promise.all(starsUsers.map((user) =>
        h.postUpdate(successfulPaymentUpdate({
          from: { id: user },
          currency: "XTR",
          total_amount: 250,
          invoice_payload: "plan:month",
          telegram_payment_charge_id: `down-${user}`,
        }))
      ));
      for (const res of paid) {
        assert.equal(res.status, 200, `telegram answered ${res.status}`);
        await res.body?.cancel();
      }
      // a member joining the paid chat with access: nothing to call, still 200
      const joined = await h.postUpdate(
        chatMemberUpdate({
          chatId: PAID_CHAT_ID,
          user: { id: tributeUsers[0] },
          oldStatus: "left",
          newStatus: "member",
        }),
      );
      assert.equal(joined.status, 200);
      await joined.body?.cancel();
      await h.settle();
      const failedDuringOutage = h.telegram.calls.slice(before).filter((c) => c.status === 502).length;
      assert.ok(failedDuringOutage > 0, "the Bot API was called and failed");
      assert.equal(h.telegram.calls.slice(before).filter((c) => c.status === 200).length, 0);

      // Recovery: first a rate limit, then normal service. Each scheduled run finds the rows whose backoff
      // is over (made due here instead of waiting minutes).
      h.telegram.clearFailures();
      h.telegram.failNext("*", { status: 429, retry_after: 1 }, 3);
      let runs = 0;
      for (; runs < 20; runs++) {
        await h.sql`update public.outbox set next_attempt_at = now() where status = 'pending'`;
        const res = await h.postCron();
        assert.equal(res.status, 200);
        await res.body?.cancel();
        const [left] = await h
          .sql`select count(*)::int as n from public.outbox where status in ('pending', 'sending')`;
        if (left.n === 0) break;
      }

      const rows = await h
        .sql`select telegram_user_id::text as user, kind, status from public.outbox order by id`;
      assert.deepEqual(
        rows.map((r) => [Number(r.user), r.kind, r.status]).sort(),
        [...tributeUsers, ...starsUsers].map((u) => [u, "invite", "sent"]).sort(),
        "one invite per newly entitled user, all sent",
      );
      const ok = h.telegram.calls.filter((c) => c.status === 200);
      for (const user of [...tributeUsers, ...starsUsers]) {
        const messages = ok.filter((c) => c.method === "sendMessage" && Number(c.body.chat_id) === user);
        assert.equal(messages.length, 1, `user ${user} got ${messages.length} messages`);
        const links = ok.filter((c) => c.method === "createChatInviteLink" && c.body.name === `user ${user}`);
        assert.ok(links.length >= 1);
        assert.match(String(messages[0].body.text), /https:\/\/t\.me\/\+/);
      }
      const created = ok.filter((c) => c.method === "createChatInviteLink").length;
      const revoked = ok.filter((c) => c.method === "revokeChatInviteLink").length;
      assert.equal(
        created - revoked,
        tributeUsers.length + starsUsers.length,
        "exactly one live invite per user",
      );
      const [money] = await h
        .sql`select count(*)::int as n from public.payments where provider = 'telegram_stars'`;
      assert.equal(money.n, starsUsers.length);

      const rateLimited = h.telegram.calls.filter((c) => c.status === 429).length;
      console.log(JSON.stringify({
        bot_api_down: { failed_502: failedDuringOutage, failed_429: rateLimited, drain_runs: runs + 1 },
      }));
    } finally {
      await h.close();
    }
  },
);
