// Support relay end to end: after /paysupport the user's next message (any kind) reaches every admin
// with a header (user id, access); an admin's reply to it goes back to the user as a copy. Commands are
// never relayed, the window closes after one message or when it expires, and nobody is trapped.
import assert from "node:assert/strict";
import { formatDate, texts } from "../../functions/bot/telegram/texts.ts";
import { type FakeCall, messageUpdate } from "../support/fake_telegram.ts";
import { type Harness, lastText, send, sentTexts, withHarness } from "../support/bot_helpers.ts";
import { photoUpdate, realisticRelay, replyUpdate } from "../support/relay_helpers.ts";

const en = texts.en;
const ru = texts.ru;
const ADMIN_A = 9001;
const ADMIN_B = 9002;
const USER = 8001;
const ENV = { ADMIN_TELEGRAM_IDS: `${ADMIN_A},${ADMIN_B}` };

const forwards = (h: Harness, admin?: number): FakeCall[] =>
  h.telegram.callsOf("forwardMessage").filter((c) => admin === undefined || Number(c.body.chat_id) === admin);

/** The message id the fake gave the last forward to `admin` (what the admin replies to). */
async function lastForwardId(h: Harness, admin: number): Promise<number> {
  const [row] = await h.sql`select max(admin_message_id)::int as id from public.support_messages
                            where admin_chat_id = ${admin} and admin_message_id >= 500000`;
  assert.ok(row.id, `a forwarded message to ${admin} was recorded`);
  return row.id;
}

Deno.test("support: /paysupport, then one message reaches every admin with the user's id and access; the user is told", async () => {
  await withHarness(async (h) => {
    realisticRelay(h);
    await h.sql`select public.grant_access(${USER}, 30, ${ADMIN_A}, 'seed')`;
    const [{ until }] = await h.sql`select public.access_until(${USER}) as until`;
    const user = { id: USER, first_name: "Ann", username: "ann", language_code: "en" };

    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    assert.equal(lastText(h, USER), en.paySupport);
    const question = messageUpdate({ from: user, text: "I paid 250 stars but got no link" });
    await send(h, question);

    for (const admin of [ADMIN_A, ADMIN_B]) {
      const [header] = sentTexts(h, admin);
      assert.equal(
        header,
        en.supportHeader({
          userId: USER,
          name: "Ann",
          username: "ann",
          access: `active until ${formatDate(until)}`,
        }),
      );
      assert.match(header, /user 8001 \(Ann, @ann\)\nAccess: active until /);
      const [fwd] = forwards(h, admin);
      assert.deepEqual(
        [fwd.body.from_chat_id, fwd.body.message_id],
        [USER, question.message!.message_id],
        "the user's own message is forwarded",
      );
    }
    assert.equal(lastText(h, USER), en.supportSent);
    const [{ n }] = await h
      .sql`select count(*)::int as n from public.support_messages where telegram_user_id = ${USER}`;
    assert.equal(n, 4, "header and forward, per admin, point back to the user");

    // the window closed with that message: small talk afterwards stays with the bot
    const before = h.telegram.calls.length;
    await send(h, messageUpdate({ from: user, text: "thanks!" }));
    assert.equal(h.telegram.calls.length, before, "not relayed, not answered");
  }, ENV);
});

Deno.test("support: an admin's reply goes back to the user as a copy, the admin is told; the user's answer (a photo) is relayed again", async () => {
  await withHarness(async (h) => {
    realisticRelay(h);
    const user = { id: USER, language_code: "en" };
    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    await send(h, messageUpdate({ from: user, text: "Where is my invite?" }));

    // admin B replies to the forwarded copy
    const fwdId = await lastForwardId(h, ADMIN_B);
    const answer = replyUpdate({ id: ADMIN_B, language_code: "en" }, "Sent you a new link, sorry!", {
      message_id: fwdId,
    });
    await send(h, answer);
    const [copy] = h.telegram.callsOf("copyMessage");
    assert.deepEqual([copy.body.chat_id, copy.body.from_chat_id, copy.body.message_id], [
      USER,
      ADMIN_B,
      answer.message!.message_id,
    ]);
    assert.equal(lastText(h, ADMIN_B), en.supportReplySent(USER));

    // the user answers with a photo: relayed like the first message
    const photo = photoUpdate(user, "screenshot of the receipt");
    await send(h, photo);
    assert.equal(forwards(h).length, 4);
    assert.equal(forwards(h, ADMIN_A).at(-1)!.body.message_id, photo.message!.message_id);
    assert.equal(lastText(h, USER), en.supportSent);

    // admin A replies to the header message (not the forward): routed too
    const [{ id: headerId }] = await h
      .sql`select min(admin_message_id)::int as id from public.support_messages
                                           where admin_chat_id = ${ADMIN_A}`;
    await send(h, replyUpdate({ id: ADMIN_A, language_code: "en" }, "Got it.", { message_id: headerId }));
    assert.equal(h.telegram.callsOf("copyMessage").length, 2);
    assert.equal(Number(h.telegram.callsOf("copyMessage")[1].body.chat_id), USER);

    const rows = await h
      .sql`select admin_id::int as admin, command, result from public.admin_actions order by id`;
    assert.deepEqual(rows.map((r) => [r.admin, r.command, r.result]), [
      [ADMIN_B, "support_reply", "sent"],
      [ADMIN_A, "support_reply", "sent"],
    ]);
  }, ENV);
});

Deno.test("support: Russian user and Russian admin get everything in Russian", async () => {
  await withHarness(async (h) => {
    realisticRelay(h);
    await h.sql`insert into public.users (telegram_user_id, language_code) values (${ADMIN_A}, 'ru')`;
    const user = { id: USER, first_name: "Аня", language_code: "ru" };
    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    assert.equal(lastText(h, USER), ru.paySupport);
    await send(h, messageUpdate({ from: user, text: "Оплатила, а доступа нет" }));
    assert.equal(lastText(h, USER), ru.supportSent);
    const [headerRu] = sentTexts(h, ADMIN_A);
    assert.equal(
      headerRu,
      ru.supportHeader({ userId: USER, name: "Аня", access: "нет (никогда не было)" }),
    );
    assert.match(headerRu, /^📩 Сообщение в поддержку от пользователя 8001 \(Аня\)\nДоступ: нет/);
    assert.match(
      sentTexts(h, ADMIN_B)[0],
      /^📩 Support message from user 8001/,
      "an admin we know nothing of: English",
    );

    await send(
      h,
      replyUpdate({ id: ADMIN_A, language_code: "ru" }, "Проверим!", {
        message_id: await lastForwardId(h, ADMIN_A),
      }),
    );
    assert.equal(lastText(h, ADMIN_A), ru.supportReplySent(USER));
  }, ENV);
});

Deno.test("support: nothing is relayed without /paysupport, after the window expired, for commands, or for an admin's command reply", async () => {
  await withHarness(async (h) => {
    realisticRelay(h);
    const user = { id: USER, language_code: "en" };
    await send(h, messageUpdate({ from: user, text: "hello?" }));
    assert.equal(forwards(h).length, 0, "no /paysupport: not relayed");

    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    await h.sql`update public.support_threads set waiting_until = now() - interval '1 second'`;
    await send(h, messageUpdate({ from: user, text: "an hour later" }));
    assert.equal(forwards(h).length, 0, "window expired: not relayed");

    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    const [{ minutes }] = await h
      .sql`select round(extract(epoch from waiting_until - now()) / 60)::int as minutes
                                      from public.support_threads where telegram_user_id = ${USER}`;
    assert.equal(minutes, 60, "the window is an hour");
    await send(h, messageUpdate({ from: user, text: "/status" }));
    assert.equal(lastText(h, USER), en.statusNone, "a command is answered, not relayed");
    assert.equal(forwards(h).length, 0);
    await send(h, messageUpdate({ from: user, text: "my question" }));
    assert.equal(forwards(h).length, 2, "still waiting after the command");

    // an admin's command sent as a reply to a relayed message is a command, not an answer
    const fwdId = await lastForwardId(h, ADMIN_A);
    await send(h, replyUpdate({ id: ADMIN_A, language_code: "en" }, "/stats", { message_id: fwdId }));
    assert.match(lastText(h, ADMIN_A), /^Active subscriptions:/);
    // a reply to something that was never relayed goes nowhere
    await send(h, replyUpdate({ id: ADMIN_A, language_code: "en" }, "hm", { message_id: 12345 }));
    assert.equal(h.telegram.callsOf("copyMessage").length, 0);
  }, ENV);
});

Deno.test("support: an unreachable admin does not stop the others; with none reachable the user is told to try later", async () => {
  await withHarness(async (h) => {
    realisticRelay(h);
    const user = { id: USER, language_code: "en" };
    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    h.telegram.failNext("sendMessage", {
      status: 403,
      description: "Forbidden: bot can't initiate conversation",
    });
    await send(h, messageUpdate({ from: user, text: "first" }));
    assert.equal(forwards(h, ADMIN_A).length, 0);
    assert.equal(forwards(h, ADMIN_B).length, 1);
    assert.equal(lastText(h, USER), en.supportSent);

    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    h.telegram.failNext("sendMessage", { status: 403 }, 2);
    await send(h, messageUpdate({ from: user, text: "second" }));
    assert.equal(lastText(h, USER), en.supportUnavailable);
  }, ENV);
});

Deno.test("support: a reply to a user who blocked the bot tells the admin so; without admins /paysupport only explains", async () => {
  await withHarness(async (h) => {
    realisticRelay(h);
    const user = { id: USER, language_code: "en" };
    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    await send(h, messageUpdate({ from: user, text: "help" }));
    h.telegram.failNext("copyMessage", {
      status: 403,
      description: "Forbidden: bot was blocked by the user",
    });
    await send(
      h,
      replyUpdate({ id: ADMIN_A, language_code: "en" }, "answer", {
        message_id: await lastForwardId(h, ADMIN_A),
      }),
    );
    assert.equal(
      lastText(h, ADMIN_A),
      en.supportReplyFailed({ userId: USER, reason: "Forbidden: bot was blocked by the user" }),
    );
  }, ENV);

  await withHarness(async (h) => {
    const user = { id: USER, language_code: "en" };
    await send(h, messageUpdate({ from: user, text: "/paysupport" }));
    assert.equal(lastText(h, USER), en.paySupport);
    await send(h, messageUpdate({ from: user, text: "help" }));
    assert.equal(forwards(h).length, 0);
    const [{ n }] = await h.sql`select count(*)::int as n from public.support_threads`;
    assert.equal(n, 0, "no admins: no waiting state");
  }, { ADMIN_TELEGRAM_IDS: "" });
});
