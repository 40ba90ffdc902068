// The paid chat's door: chat_member updates for PAID_CHAT_ID. Joining without access means removal
// (ban + unban) and a notice; joining with access is fine; leaving is noted.
import assert from "node:assert/strict";
import { texts } from "../../functions/bot/telegram/texts.ts";
import { chatMemberUpdate } from "../support/fake_telegram.ts";
import {
  ADMIN_ID,
  type Harness,
  PAID_CHAT_ID,
  send,
  sentTexts,
  withHarness,
} from "../support/bot_helpers.ts";

const USER = 8001;

async function inChat(h: Harness, user: number): Promise<boolean | undefined> {
  const [row] = await h.sql`select in_chat from public.users where telegram_user_id = ${user}`;
  return row?.in_chat;
}

Deno.test("members: a user who joins without access is removed (ban + unban) and told why", async () => {
  await withHarness(async (h) => {
    await send(
      h,
      chatMemberUpdate({ chatId: PAID_CHAT_ID, user: { id: USER }, oldStatus: "left", newStatus: "member" }),
    );
    const [ban] = h.telegram.callsOf("banChatMember");
    const [unban] = h.telegram.callsOf("unbanChatMember");
    assert.ok(ban && unban, "ban and unban were called");
    assert.equal(Number(ban.body.chat_id), PAID_CHAT_ID);
    assert.equal(Number(ban.body.user_id), USER);
    assert.equal(Number(unban.body.chat_id), PAID_CHAT_ID);
    assert.equal(Number(unban.body.user_id), USER);
    assert.equal(unban.body.only_if_banned, true);
    assert.ok(h.telegram.calls.indexOf(ban) < h.telegram.calls.indexOf(unban), "ban before unban");
    assert.deepEqual(sentTexts(h, USER), [texts.en.removedNoAccess]);
    assert.equal(await inChat(h, USER), false);
  });
});

Deno.test("members: the removal notice is in the user's language; a 403 on it is ignored", async () => {
  await withHarness(async (h) => {
    await send(
      h,
      chatMemberUpdate({
        chatId: PAID_CHAT_ID,
        user: { id: USER, language_code: "ru" },
        oldStatus: "left",
        newStatus: "member",
        chatType: "supergroup",
      }),
    );
    assert.deepEqual(sentTexts(h, USER), [texts.ru.removedNoAccess]);

    h.telegram.reset();
    h.telegram.failNext("sendMessage", { status: 403 });
    await send(
      h,
      chatMemberUpdate({
        chatId: PAID_CHAT_ID,
        user: { id: 8002 },
        oldStatus: "kicked",
        newStatus: "member",
      }),
    );
    assert.equal(h.telegram.callsOf("banChatMember").length, 1);
    assert.equal(h.telegram.callsOf("unbanChatMember").length, 1);
    assert.equal(h.telegram.callsOf("sendMessage").length, 1);
  });
});

Deno.test("members: a user with access who joins stays; in_chat is recorded", async () => {
  await withHarness(async (h) => {
    await h.sql`select public.grant_access(${USER}, 30, ${ADMIN_ID}, 'seed')`;
    await send(
      h,
      chatMemberUpdate({
        chatId: PAID_CHAT_ID,
        user: { id: USER },
        oldStatus: "left",
        newStatus: "member",
        inviteLink: "https://t.me/+fake1",
      }),
    );
    assert.equal(h.telegram.callsOf("banChatMember").length, 0);
    assert.equal(h.telegram.callsOf("unbanChatMember").length, 0);
    assert.equal(h.telegram.callsOf("sendMessage").length, 0);
    assert.equal(await inChat(h, USER), true);

    // leaving is noted
    await send(
      h,
      chatMemberUpdate({ chatId: PAID_CHAT_ID, user: { id: USER }, oldStatus: "member", newStatus: "left" }),
    );
    assert.equal(await inChat(h, USER), false);
    assert.equal(h.telegram.callsOf("banChatMember").length, 0);
  });
});

Deno.test("members: admins, bots, promotions and other chats are left alone; my_chat_member is ignored", async () => {
  await withHarness(async (h) => {
    await send(
      h,
      chatMemberUpdate({
        chatId: PAID_CHAT_ID,
        user: { id: ADMIN_ID },
        oldStatus: "left",
        newStatus: "member",
      }),
    );
    await send(
      h,
      chatMemberUpdate({
        chatId: PAID_CHAT_ID,
        user: { id: 8100, is_bot: true },
        oldStatus: "left",
        newStatus: "member",
      }),
    );
    await send(
      h,
      chatMemberUpdate({
        chatId: PAID_CHAT_ID,
        user: { id: USER },
        oldStatus: "left",
        newStatus: "administrator",
      }),
    );
    await send(
      h,
      chatMemberUpdate({ chatId: -1009999, user: { id: USER }, oldStatus: "left", newStatus: "member" }),
    );
    const mine = chatMemberUpdate({
      chatId: PAID_CHAT_ID,
      user: { id: 100000, is_bot: true },
      oldStatus: "left",
      newStatus: "administrator",
    });
    const { chat_member, ...rest } = mine as { chat_member: unknown; update_id: number };
    await send(h, { ...rest, my_chat_member: chat_member });
    assert.equal(h.telegram.callsOf("banChatMember").length, 0);
    assert.equal(h.telegram.callsOf("sendMessage").length, 0);
  });
});

Deno.test("members: without PAID_CHAT_ID chat_member updates change nothing", async () => {
  await withHarness(async (h) => {
    await send(
      h,
      chatMemberUpdate({ chatId: PAID_CHAT_ID, user: { id: USER }, oldStatus: "left", newStatus: "member" }),
    );
    assert.equal(h.telegram.callsOf("banChatMember").length, 0);
    assert.equal(await inChat(h, USER), undefined);
  }, { PAID_CHAT_ID: "" });
});
