// Fault suite (issue #10), part d: 50 simultaneous copies of one Tribute delivery and of one Stars
// successful_payment update (a sender retrying while the first attempt is still running, or two
// instances of the function racing). Each has exactly one effect: one journal row, one payment, one
// subscription or grant, one invite.
import assert from "node:assert/strict";
import { successfulPaymentUpdate } from "../support/fake_telegram.ts";
import { startHarness, TRIBUTE_KEY, WEBHOOK_SECRET } from "../support/harness.ts";
import { signTributeBody } from "../../functions/bot/tribute/signature.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const COPIES = 50;

Deno.test(
  "fault: 50 simultaneous copies of one Tribute delivery and one successful_payment — one effect each",
  opts,
  async () => {
    const h = await startHarness();
    try {
      const tributeUser = 991_001;
      const starsUser = 991_002;
      const now = Date.now();
      const body = JSON.stringify({
        name: "new_subscription",
        created_at: new Date(now - 1000).toISOString(),
        sent_at: new Date(now).toISOString(),
        payload: {
          subscription_id: 99_100,
          telegram_user_id: tributeUser,
          amount: 700,
          currency: "eur",
          expires_at: new Date(now + 30 * 86_400_000).toISOString(),
        },
      });
      const signature = await signTributeBody(body, TRIBUTE_KEY);
      const update = JSON.stringify(successfulPaymentUpdate({
        from: { id: starsUser },
        currency: "XTR",
        total_amount: 250,
        invoice_payload: "plan:month",
        telegram_payment_charge_id: "race-charge-1",
      }));
      const request = (headers: Record<string, string>, text: string) =>
        h.handle(new Request(h.url, { method: "POST", headers, body: text }));

      const answers = await Promise.all([
        ...Array.from({ length: COPIES }, () => request({ "trbt-signature": signature }, body)),
        ...Array.from(
          { length: COPIES },
          () => request({ "x-telegram-bot-api-secret-token": WEBHOOK_SECRET }, update),
        ),
      ]);
      const texts = await Promise.all(answers.map((r) => r.text()));
      const statuses = answers.map((r) => r.status);
      const odd = answers.findIndex((r) => r.status !== 200);
      assert.deepEqual(
        [...new Set(statuses)],
        [200],
        `statuses: ${statuses.join(",")}; first: ${texts[odd]}`,
      );
      await h.settle();
      const drained = await h.postCron(); // anything the background drains left
      assert.equal(drained.status, 200);
      await drained.body?.cancel();

      const [db] = await h.sql`
      select (select count(*)::int from public.webhook_events where source = 'tribute') as journal,
             (select count(*)::int from public.payments where telegram_user_id = ${tributeUser}) as tribute_payments,
             (select count(*)::int from public.subscriptions where telegram_user_id = ${tributeUser}) as tribute_subs,
             (select count(*)::int from public.payments where telegram_payment_charge_id = 'race-charge-1') as stars_payments,
             (select count(*)::int from public.subscriptions where telegram_user_id = ${starsUser}) as stars_subs,
             (select count(*)::int from public.outbox where kind = 'invite') as invites,
             (select count(*)::int from public.outbox where status <> 'sent') as unsent`;
      assert.deepEqual(
        { ...db },
        {
          journal: 1,
          tribute_payments: 1,
          tribute_subs: 1,
          stars_payments: 1,
          stars_subs: 1,
          invites: 2,
          unsent: 0,
        },
      );
      for (const user of [tributeUser, starsUser]) {
        const links = h.telegram.callsOf("createChatInviteLink").filter((c) =>
          c.body.name === `user ${user}`
        );
        assert.equal(links.length, 1, `one invite link for ${user}`);
        const invites = h.telegram.callsOf("sendMessage")
          .filter((c) => Number(c.body.chat_id) === user && /t\.me\/\+/.test(String(c.body.text)));
        assert.equal(invites.length, 1, `one invite message for ${user}`);
      }
      // the buyer is thanked once, not once per copy
      const thanks = h.telegram.callsOf("sendMessage").filter((c) => Number(c.body.chat_id) === starsUser);
      assert.equal(thanks.length, 2, "one thank-you reply and one invite");
    } finally {
      await h.close();
    }
  },
);
