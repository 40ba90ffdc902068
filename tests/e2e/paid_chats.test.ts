// Several paid chats end to end (issue: creator tools, part 3): PAID_CHAT_ID lists two chats, plans say
// which chat they open. Stars payments through the real handler, deliveries through the fake Bot API.
import assert from "node:assert/strict";
import { drainOutbox } from "../../functions/bot/outbox/drain.ts";
import { send, withHarness } from "../support/bot_helpers.ts";
import { depsOf } from "../support/jobs_fixtures.ts";
import { chatMemberUpdate, successfulPaymentUpdate } from "../support/fake_telegram.ts";

const A = -1001111111111;
const B = -1002222222222;
const USER = 96001;

const pay = (plan: string, amount: number, charge: string) =>
  successfulPaymentUpdate({
    from: { id: USER },
    currency: "XTR",
    total_amount: amount,
    invoice_payload: `plan:${plan}`,
    telegram_payment_charge_id: charge,
  });

Deno.test("paid chats: one invite per chat a plan opens; a refund removes from that chat only; intruders per chat", async () => {
  await withHarness(async (h) => {
    await h.sql`update public.plans set chat_ids = ${[A]} where code = 'month'`;
    await h.sql`update public.plans set chat_ids = ${[B]} where code = 'quarter'`;
    const drain = () => drainOutbox(depsOf(h), 50);
    const invitedTo = () => h.telegram.callsOf("createChatInviteLink").map((c) => Number(c.body.chat_id));

    // the month opens chat A only
    await send(h, pay("month", 250, "pc-1"));
    await drain();
    assert.deepEqual(invitedTo(), [A]);

    // joining chat B without access to it: removed from B (ban + unban), though access to A goes on
    await send(
      h,
      chatMemberUpdate({ chatId: B, user: { id: USER }, oldStatus: "left", newStatus: "member" }),
    );
    assert.deepEqual(h.telegram.callsOf("banChatMember").map((c) => Number(c.body.chat_id)), [B]);
    // joining chat A is fine
    await send(
      h,
      chatMemberUpdate({ chatId: A, user: { id: USER }, oldStatus: "left", newStatus: "member" }),
    );
    assert.equal(h.telegram.callsOf("banChatMember").length, 1);

    // the quarter opens chat B: an invite to each chat now open, in one message
    h.telegram.reset();
    await send(h, pay("quarter", 650, "pc-2"));
    await drain();
    assert.deepEqual(invitedTo().sort(), [A, B].sort());
    const invite = h.telegram.callsOf("sendMessage").find((c) => String(c.body.text).includes("t.me"))!;
    assert.equal(String(invite.body.text).match(/https:\/\/t\.me\/\+/g)?.length, 2, String(invite.body.text));

    // refunding the quarter closes chat B: removed from B, not from A, and no "access ended" notice
    h.telegram.reset();
    await h.sql`select public.refund_star_payment('pc-2')`;
    await drain();
    assert.deepEqual(h.telegram.callsOf("banChatMember").map((c) => Number(c.body.chat_id)), [B]);
    assert.deepEqual(h.telegram.callsOf("unbanChatMember").map((c) => Number(c.body.chat_id)), [B]);
    assert.equal(h.telegram.callsOf("sendMessage").length, 0);
    const [{ has }] = await h.sql`select public.has_access(${USER}) as has`;
    assert.equal(has, true);
  }, { PAID_CHAT_ID: `${A},${B}` });
});
