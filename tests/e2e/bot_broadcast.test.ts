// Broadcasts end to end, through the real handler, the real database and the fake Bot API: the reply
// + confirm flow (en, ru), each recipient once whatever the button and Telegram do, cancel, status
// counts, users who blocked the bot, the admin gate, and concurrent drains sharing one budget.
import assert from "node:assert/strict";
import type { Message } from "grammy/types";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { memoryLogger } from "../../functions/bot/log.ts";
import { drainOutbox } from "../../functions/bot/outbox/drain.ts";
import { drainBroadcasts } from "../../functions/bot/outbox/paced.ts";
import { texts } from "../../functions/bot/telegram/texts.ts";
import { arrangeAudience, copyRows } from "../support/broadcast_fixtures.ts";
import { ADMIN_ID, type Harness, lastText, send, withHarness } from "../support/bot_helpers.ts";
import { callbackQueryUpdate, messageUpdate } from "../support/fake_telegram.ts";
import { DATABASE_URL } from "../support/harness.ts";
import { depsOf } from "../support/jobs_fixtures.ts";
import { duplicates, maxPerWindow, setPace } from "../support/pace.ts";

const en = texts.en;
const ru = texts.ru;
const STRANGER = 7000;

/** The message the admin broadcasts: a photo with a bold caption (copied as it is). */
const PHOTO: Partial<Message> = {
  message_id: 777,
  photo: [{ file_id: "photo-1", file_unique_id: "u-photo-1", width: 90, height: 90 }],
  caption: "Big news",
  caption_entities: [{ type: "bold", offset: 0, length: 3 }],
};

/** A command from the admin, as a reply to `replyTo` (null: not a reply). */
const adminReply = (text: string, lang = "en", replyTo: Partial<Message> | null = PHOTO) =>
  messageUpdate({
    from: { id: ADMIN_ID, first_name: "Boss", language_code: lang },
    text,
    replyTo: replyTo ?? undefined,
  });

const press = (data: string, lang = "en", from = ADMIN_ID) =>
  callbackQueryUpdate({ from: { id: from, language_code: lang }, data });

/** The inline buttons under the last message the bot sent to the admin. */
function lastButtons(h: Harness): string[] {
  const calls = h.telegram.callsOf("sendMessage").filter((c) => Number(c.body.chat_id) === ADMIN_ID);
  const markup = calls[calls.length - 1].body.reply_markup as
    | { inline_keyboard: Array<Array<{ callback_data: string }>> }
    | undefined;
  return markup?.inline_keyboard.flat().map((b) => b.callback_data) ?? [];
}

const lastAnswer = (h: Harness) => {
  const answers = h.telegram.callsOf("answerCallbackQuery");
  return String(answers[answers.length - 1].body.text);
};

const lastEdit = (h: Harness) => {
  const edits = h.telegram.callsOf("editMessageText");
  return String(edits[edits.length - 1].body.text);
};

const copiedTo = (h: Harness) => h.telegram.callsOf("copyMessage").map((c) => Number(c.body.chat_id));

async function adminActions(h: Harness) {
  const rows = await h.sql`select admin_id, command, allowed, result from public.admin_actions order by id`;
  return rows.map((r) => [Number(r.admin_id), r.command, r.allowed] as const);
}

/** Runs the scheduled route (fast pace for the test) and returns its broadcast counts. */
async function cron(h: Harness) {
  const res = await h.postCron();
  assert.equal(res.status, 200);
  return (await res.json()) as {
    outbox: { sent: number };
    broadcasts: { claimed: number; sent: number; blocked: number; skipped: number };
  };
}

Deno.test("broadcast (en): reply + confirm → one copyMessage per active user; double confirm and redelivery queue nothing twice", async () => {
  await withHarness(async (h) => {
    await arrangeAudience(h.sql, { active: [101, 102], expired: [201], never: [301], blocked: [401] });

    const command = adminReply("/broadcast active");
    await send(h, command);
    assert.equal(lastText(h, ADMIN_ID), en.broadcastConfirm({ id: 1, audience: "active", size: 2 }));
    assert.deepEqual(lastButtons(h), ["bc:ok:1", "bc:no:1"]);
    assert.equal((await copyRows(h.sql)).length, 0, "nothing is queued before the confirmation");

    const confirm = press("bc:ok:1");
    await send(h, confirm);
    const queued = en.broadcastQueued({ id: 1, recipients: 2, perSecond: 25, minutes: 1 });
    assert.equal(lastEdit(h), queued, "the prompt becomes the confirmation (buttons gone)");
    assert.equal(lastAnswer(h), queued);

    // a second press, and Telegram redelivering the first press: still one row per recipient
    await send(h, press("bc:ok:1"));
    assert.equal(lastAnswer(h), en.broadcastAlreadyConfirmed(1));
    await send(h, confirm);
    assert.equal(h.telegram.callsOf("editMessageText").length, 1, "the confirmation is not repeated");
    // and the /broadcast update redelivered finds the same broadcast, already confirmed
    h.telegram.reset();
    await send(h, command);
    assert.equal(lastText(h, ADMIN_ID), en.broadcastAlreadyConfirmed(1));
    assert.equal((await h.sql`select count(*)::int as n from public.broadcasts`)[0].n, 1);
    assert.deepEqual((await copyRows(h.sql)).map((r) => r.user), [101, 102]);

    // a notice queued meanwhile goes out in the same run, before the copies
    await h
      .sql`insert into public.outbox (telegram_user_id, kind, template) values (201, 'message', 'expired')`;
    await setPace(h.sql, 1000);
    h.telegram.reset();
    const report = await cron(h);
    assert.equal(report.outbox.sent, 1);
    assert.equal(report.broadcasts.sent, 2);
    const order = h.telegram.calls.map((c) => c.method);
    assert.ok(order.indexOf("sendMessage") < order.indexOf("copyMessage"), order.join());
    const copies = h.telegram.callsOf("copyMessage");
    assert.deepEqual(copiedTo(h).sort(), [101, 102]);
    for (const c of copies) {
      assert.equal(Number(c.body.from_chat_id), ADMIN_ID);
      assert.equal(Number(c.body.message_id), 777);
    }
    assert.equal((await cron(h)).broadcasts.claimed, 0, "nothing is sent twice");
    assert.equal(h.telegram.callsOf("copyMessage").length, 2);

    await send(h, adminReply("/broadcast_status", "en", null));
    const status = lastText(h, ADMIN_ID);
    assert.match(status, /^Broadcast #1 to members with access \(.+\): done$/m);
    for (const line of ["Recipients: 2", "Sent: 2", "Failed: 0", "Blocked the bot: 0", "Left: 0"]) {
      assert.ok(status.split("\n").includes(line), `${line} in\n${status}`);
    }
    assert.deepEqual(await adminActions(h), [
      [ADMIN_ID, "broadcast", true],
      [ADMIN_ID, "broadcast_confirm", true],
      [ADMIN_ID, "broadcast_confirm", true],
      [ADMIN_ID, "broadcast_confirm", true],
      [ADMIN_ID, "broadcast", true],
      [ADMIN_ID, "broadcast_status", true],
    ]);
  });
});

Deno.test("broadcast (ru): Russian prompt, buttons and answers; the cancel button drops a draft", async () => {
  await withHarness(async (h) => {
    await arrangeAudience(h.sql, { active: [101], expired: [201, 202], never: [301] });

    await send(h, adminReply("/broadcast expired", "ru"));
    assert.equal(lastText(h, ADMIN_ID), ru.broadcastConfirm({ id: 1, audience: "expired", size: 2 }));
    const sendButton = h.telegram.callsOf("sendMessage").at(-1)!.body.reply_markup as {
      inline_keyboard: Array<Array<{ text: string }>>;
    };
    assert.deepEqual(sendButton.inline_keyboard[0].map((b) => b.text), [
      ru.buttonBroadcastSend(2),
      ru.buttonBroadcastCancel,
    ]);
    await send(h, press("bc:no:1", "ru"));
    assert.equal(lastEdit(h), ru.broadcastCancelled({ id: 1, skipped: 0 }));
    await send(h, press("bc:ok:1", "ru"));
    assert.equal(lastAnswer(h), ru.broadcastAlreadyCancelled(1), "a cancelled draft cannot be confirmed");
    assert.equal((await copyRows(h.sql)).length, 0);

    await send(h, adminReply("/broadcast all", "ru"));
    // everyone who wrote to the bot: the admin too
    assert.equal(lastText(h, ADMIN_ID), ru.broadcastConfirm({ id: 2, audience: "all", size: 5 }));
    await send(h, press("bc:ok:2", "ru"));
    assert.equal(lastEdit(h), ru.broadcastQueued({ id: 2, recipients: 5, perSecond: 25, minutes: 1 }));
    await setPace(h.sql, 1000);
    assert.equal((await cron(h)).broadcasts.sent, 5);
    assert.deepEqual(copiedTo(h).sort(), [101, 201, 202, 301, ADMIN_ID]);

    await send(h, adminReply("/broadcast_status 2", "ru", null));
    const status = lastText(h, ADMIN_ID);
    assert.match(status, /^Рассылка №2, получатели — все, кто писал боту \(.+\): завершена$/m);
    assert.ok(status.includes("Отправлено: 5") && status.includes("Осталось: 0"), status);
    await send(h, adminReply("/broadcast_cancel 2", "ru", null));
    assert.equal(lastText(h, ADMIN_ID), ru.broadcastFinished(2));
  });
});

Deno.test("/broadcast_cancel drops what is not sent yet; /broadcast_status counts sent, cancelled, left", async () => {
  await withHarness(async (h) => {
    await arrangeAudience(h.sql, { never: [501, 502, 503, 504, 505] });
    await send(h, adminReply("/broadcast all"));
    await send(h, press("bc:ok:1"));
    // two copies went out before the admin changed their mind
    await h.sql`update public.outbox set status = 'sent', sent_at = now()
                where id in (select id from public.outbox where kind = 'copy' order by id limit 2)`;
    await send(h, adminReply("/broadcast_status", "en", null));
    let status = lastText(h, ADMIN_ID);
    assert.ok(status.includes("Sent: 2") && status.includes("Left: 4"), status); // 5 users + the admin
    assert.match(status, /: sending$/m);

    await send(h, adminReply("/broadcast_cancel", "en", null));
    assert.equal(lastText(h, ADMIN_ID), en.broadcastCancelled({ id: 1, skipped: 4 }));
    await setPace(h.sql, 1000);
    assert.equal((await cron(h)).broadcasts.claimed, 0, "nothing of a cancelled broadcast is sent");
    assert.equal(h.telegram.callsOf("copyMessage").length, 0);

    await send(h, adminReply("/broadcast_status 1", "en", null));
    status = lastText(h, ADMIN_ID);
    for (const line of ["Recipients: 6", "Sent: 2", "Cancelled: 4", "Left: 0"]) {
      assert.ok(status.split("\n").includes(line), `${line} in\n${status}`);
    }
    assert.match(status, /: cancelled$/m);
    await send(h, adminReply("/broadcast_cancel", "en", null));
    assert.equal(lastText(h, ADMIN_ID), en.broadcastNotFound(null));
    await send(h, adminReply("/broadcast_cancel 1", "en", null));
    assert.equal(lastText(h, ADMIN_ID), en.broadcastAlreadyCancelled(1));
    await send(h, adminReply("/broadcast_status 42", "en", null));
    assert.equal(lastText(h, ADMIN_ID), en.broadcastNotFound(42));
  });
});

Deno.test("a user who blocked the bot (403) is marked, their other copies skipped, and left out next time", async () => {
  await withHarness(async (h) => {
    await arrangeAudience(h.sql, { never: [801, 802, 803] });
    // two broadcasts confirmed before any is sent
    await send(h, adminReply("/broadcast all"));
    await send(h, press("bc:ok:1"));
    await send(h, adminReply("/broadcast all", "en", { ...PHOTO, message_id: 778 }));
    await send(h, press("bc:ok:2"));
    // copies 50 ms apart: each answer is known before the next copy starts
    await setPace(h.sql, 20);
    h.telegram.reset();
    h.telegram.failNext("copyMessage", {
      status: 403,
      description: "Forbidden: bot was blocked by the user",
    });
    // the first copy (to 801) is answered 403; 801's copy of broadcast 2, claimed in the same chunk,
    // is not attempted
    const report = await cron(h);
    // (each broadcast: 801, 802, 803 and the admin)
    assert.deepEqual([report.broadcasts.sent, report.broadcasts.blocked, report.broadcasts.skipped], [
      6,
      1,
      1,
    ]);
    const [u] = await h
      .sql`select blocked_at is not null as blocked from public.users where telegram_user_id = 801`;
    assert.equal(u.blocked, true);
    // 801's copy of broadcast 2 was skipped, not sent
    assert.deepEqual(copiedTo(h).filter((id) => id === 801), [801], "one attempt, the 403");
    const second = await copyRows(h.sql, 2);
    assert.deepEqual(second.find((r) => r.user === 801)?.status, "skipped");

    await send(h, adminReply("/broadcast_status 1", "en", null));
    const status = lastText(h, ADMIN_ID);
    assert.ok(status.includes("Sent: 3") && status.includes("Blocked the bot: 1"), status);

    // the next broadcast leaves 801 out
    await send(h, adminReply("/broadcast all", "en", { ...PHOTO, message_id: 779 }));
    assert.equal(lastText(h, ADMIN_ID), en.broadcastConfirm({ id: 3, audience: "all", size: 3 }));
    await send(h, press("bc:ok:3"));
    h.telegram.reset();
    await cron(h);
    assert.deepEqual(copiedTo(h).sort(), [802, 803, ADMIN_ID]);
  });
});

Deno.test("non-admins are refused: broadcast commands and buttons change nothing and are recorded", async () => {
  await withHarness(async (h) => {
    await arrangeAudience(h.sql, { never: [901, 902] });
    await send(h, adminReply("/broadcast all"));
    h.telegram.reset();
    const stranger = (text: string) =>
      messageUpdate({ from: { id: STRANGER, language_code: "en" }, text, replyTo: PHOTO });
    for (const text of ["/broadcast all", "/broadcast_status", "/broadcast_cancel 1"]) {
      await send(h, stranger(text));
      assert.equal(lastText(h, STRANGER), en.notAdmin, text);
    }
    await send(h, press("bc:ok:1", "en", STRANGER));
    assert.equal(lastAnswer(h), en.notAdmin);
    assert.equal(h.telegram.callsOf("editMessageText").length, 0);
    const [b] = await h.sql`select status from public.broadcasts`;
    assert.equal(b.status, "draft");
    assert.equal((await h.sql`select count(*)::int as n from public.broadcasts`)[0].n, 1);
    assert.equal((await copyRows(h.sql)).length, 0);
    assert.deepEqual((await adminActions(h)).slice(1), [
      [STRANGER, "broadcast", false],
      [STRANGER, "broadcast_status", false],
      [STRANGER, "broadcast_cancel", false],
      [STRANGER, "broadcast_confirm", false],
    ]);
  });
});

Deno.test("/broadcast usage: a reply is needed, the audience must be active, expired or all", async () => {
  await withHarness(async (h) => {
    await arrangeAudience(h.sql, { never: [950] });
    await send(h, adminReply("/broadcast all", "en", null));
    assert.equal(lastText(h, ADMIN_ID), en.broadcastNeedsReply);
    await send(h, adminReply("/broadcast everyone"));
    assert.equal(lastText(h, ADMIN_ID), en.adminUsage("broadcast", "active|expired|all"));
    await send(h, adminReply("/broadcast"));
    assert.equal(lastText(h, ADMIN_ID), en.adminUsage("broadcast", "active|expired|all"));
    await send(h, adminReply("/broadcast active"));
    assert.equal(lastText(h, ADMIN_ID), en.broadcastEmpty({ audience: "active" }));
    assert.deepEqual(lastButtons(h), [], "nothing to confirm");
    await send(h, adminReply("/broadcast_status x", "en", null));
    assert.equal(lastText(h, ADMIN_ID), en.adminUsage("broadcast_status", "[broadcast_id]"));
  });
});

Deno.test("concurrent drains share one budget: never more than per_second copies in any 1 s window, each once", async () => {
  await withHarness(async (h) => {
    const users = Array.from({ length: 60 }, (_, i) => 10_000 + i);
    const RECIPIENTS = users.length + 1; // and the admin
    await arrangeAudience(h.sql, { never: users });
    await send(h, adminReply("/broadcast all"));
    await send(h, press("bc:ok:1"));
    const PER_SECOND = 40; // faster than production (25) so the test stays short; same code path
    await setPace(h.sql, PER_SECOND);
    h.telegram.reset();
    // a transactional notice queued alongside is not held up by the broadcast
    await h
      .sql`insert into public.outbox (telegram_user_id, kind, template) values (10000, 'message', 'expired')`;
    assert.equal((await drainOutbox(depsOf(h), 10)).sent, 1);

    // three drains, each with its own connection, as three overlapping scheduled runs would be
    const dbs = [1, 2, 3].map(() => createPostgresDb(DATABASE_URL));
    try {
      const results = await Promise.all(
        dbs.map((db) => drainBroadcasts({ config: h.config, db, log: memoryLogger() })),
      );
      assert.equal(results.reduce((n, r) => n + r.sent, 0), RECIPIENTS);
      assert.ok(results.filter((r) => r.sent > 0).length >= 2, "the drains shared the work");
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
    const copies = h.telegram.callsOf("copyMessage");
    assert.equal(copies.length, RECIPIENTS);
    assert.deepEqual(duplicates(copies.map((c) => Number(c.body.chat_id))), [], "a recipient got it twice");
    const busiest = maxPerWindow(copies.map((c) => c.t), 1000);
    assert.ok(busiest <= PER_SECOND, `${busiest} copies in one second (budget ${PER_SECOND})`);
    assert.ok((await copyRows(h.sql)).every((r) => r.status === "sent"));
  });
});

Deno.test("429 retry_after pauses every drain: the rest waits, the throttled copy is retried, each user served once", async () => {
  await withHarness(async (h) => {
    await arrangeAudience(h.sql, { active: [1101, 1102, 1103] });
    await send(h, adminReply("/broadcast active"));
    await send(h, press("bc:ok:1"));
    // copies 50 ms apart: each answer is known before the next copy starts
    await setPace(h.sql, 20);
    h.telegram.reset();
    h.telegram.failNext("copyMessage", { status: 429, retry_after: 1 });
    const report = await cron(h);
    // the throttled copy came due again within the same run (retry_after 1 s)
    assert.deepEqual([report.broadcasts.sent, (report.broadcasts as { retried?: number }).retried], [3, 1]);
    const copies = h.telegram.callsOf("copyMessage");
    assert.equal(copies.length, 4);
    // nobody sent anything before Telegram's retry_after was over
    assert.ok(copies[1].t - copies[0].t >= 990, `next copy ${copies[1].t - copies[0].t} ms after the 429`);
    const throttled = Number(copies[0].body.chat_id);
    assert.deepEqual(
      copies.slice(1).map((c) => Number(c.body.chat_id)).sort(),
      [1101, 1102, 1103],
      "after the 429 each recipient got exactly one copy",
    );
    const [row] = await h.sql`select status, attempts from public.outbox
                              where kind = 'copy' and telegram_user_id = ${throttled}`;
    assert.deepEqual([row.status, row.attempts], ["sent", 2]);
    assert.ok((await copyRows(h.sql)).every((r) => r.status === "sent"));
  });
});

Deno.test("a broadcast whose message was deleted stops after the first copy fails", async () => {
  await withHarness(async (h) => {
    await arrangeAudience(h.sql, { active: [1201, 1202, 1203] });
    await send(h, adminReply("/broadcast active"));
    await send(h, press("bc:ok:1"));
    // copies 50 ms apart: each answer is known before the next copy starts
    await setPace(h.sql, 20);
    h.telegram.reset();
    h.telegram.failNext("copyMessage", {
      status: 400,
      description: "Bad Request: message to copy not found",
    });
    const report = await cron(h);
    assert.equal(report.broadcasts.sent, 0);
    assert.equal(h.telegram.callsOf("copyMessage").length, 1, "no copy after the first 'not found'");
    await send(h, adminReply("/broadcast_status", "en", null));
    const status = lastText(h, ADMIN_ID);
    for (const line of ["Failed: 1", "Cancelled: 2", "Left: 0"]) assert.ok(status.includes(line), status);
    assert.match(status, /: cancelled$/m);
  });
});
