// The X-Cron-Secret route over real HTTP: expire, reminders, outbox drain, JSON counts.
import assert from "node:assert/strict";
import { PAID_CHAT_ID, startHarness } from "../support/harness.ts";
import { awayFromMinuteBoundary, insertSubscription, outboxRows } from "../support/jobs_fixtures.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function snapshot(sql: import("postgres").Sql) {
  return {
    subs: await sql`select id, status, expires_at, ended_at from public.subscriptions order by id`,
    outbox: await sql`select id, status, attempts from public.outbox order by id`,
    users: await sql`select telegram_user_id, blocked_at from public.users order by 1`,
  };
}

Deno.test("scheduled route: a wrong or empty secret is 401 and changes nothing", opts, async () => {
  const h = await startHarness();
  try {
    await awayFromMinuteBoundary();
    await insertSubscription(h.sql, { user: 2001, expiresIn: "-1 minute" });
    await insertSubscription(h.sql, { user: 2002, expiresIn: "2 days" });
    const before = await snapshot(h.sql);

    for (const secret of ["wrong-secret", "", "cron-secret-xy"]) {
      const res = await h.postCron({ secret });
      assert.equal(res.status, 401, `secret ${JSON.stringify(secret)}`);
      const body = await res.text();
      assert.doesNotMatch(body, /cron-secret-xyz/);
    }
    await h.settle();
    assert.deepEqual(await snapshot(h.sql), before);
    assert.equal(h.telegram.calls.length, 0);
  } finally {
    await h.close();
  }
});

Deno.test(
  "scheduled route: the right secret expires, reminds, delivers and answers the counts",
  opts,
  async () => {
    const h = await startHarness();
    try {
      await awayFromMinuteBoundary();
      await insertSubscription(h.sql, { user: 2101, expiresIn: "-1 minute", languageCode: "en" });
      await insertSubscription(h.sql, { user: 2102, expiresIn: "2 days 23 hours", languageCode: "ru" });
      // auto-renewing Tribute subscription: not reminded by default
      await insertSubscription(h.sql, {
        user: 2103,
        expiresIn: "2 days",
        provider: "tribute",
        autoRenew: true,
      });

      const res = await h.postCron();
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      const body = await res.json();
      assert.deepEqual(body, {
        ok: true,
        inbox: { claimed: 0, applied: 0, duplicates: 0, failed: 0, deferred: 0, queued: false },
        expired: 1,
        reminders: 1,
        outbox: { claimed: 2, sent: 2, skipped: 0, retried: 0, failed: 0, blocked: 0 },
        broadcasts: { claimed: 0, sent: 0, skipped: 0, retried: 0, failed: 0, blocked: 0, released: 0 },
      });

      // 2101: removed from the paid chat (ban + unban) and told why
      const ban = h.telegram.callsOf("banChatMember");
      const unban = h.telegram.callsOf("unbanChatMember");
      assert.equal(ban.length, 1);
      assert.deepEqual([ban[0].body.chat_id, ban[0].body.user_id], [PAID_CHAT_ID, 2101]);
      assert.deepEqual([unban[0].body.user_id, unban[0].body.only_if_banned], [2101, true]);
      const sent = h.telegram.callsOf("sendMessage");
      assert.equal(sent.length, 2);
      const toUser = (id: number) => sent.find((c) => c.body.chat_id === id)!.body.text as string;
      assert.match(toUser(2101), /access has ended/);
      assert.match(toUser(2102), /через 2 дня 23 часа \(/, "the time really left, in the user's language");

      const [sub] = await h.sql`select status from public.subscriptions where telegram_user_id = 2101`;
      assert.equal(sub.status, "expired");
      assert.ok((await outboxRows(h.sql)).every((r) => r.status === "sent"));

      // the next minute: nothing to do
      const again = await (await h.postCron()).json();
      assert.deepEqual(again, {
        ok: true,
        inbox: { claimed: 0, applied: 0, duplicates: 0, failed: 0, deferred: 0, queued: false },
        expired: 0,
        reminders: 0,
        outbox: { claimed: 0, sent: 0, skipped: 0, retried: 0, failed: 0, blocked: 0 },
        broadcasts: { claimed: 0, sent: 0, skipped: 0, retried: 0, failed: 0, blocked: 0, released: 0 },
      });
      assert.equal(h.telegram.callsOf("sendMessage").length, 2);
    } finally {
      await h.close();
    }
  },
);

Deno.test(
  "scheduled route: REMIND_AUTO_RENEW=true reminds auto-renewing Tribute subscribers too",
  opts,
  async () => {
    const h = await startHarness({ REMIND_AUTO_RENEW: "true" });
    try {
      await insertSubscription(h.sql, {
        user: 2201,
        expiresIn: "20 hours",
        provider: "tribute",
        autoRenew: true,
      });
      const body = await (await h.postCron()).json();
      assert.equal(body.reminders, 1);
      assert.equal(body.outbox.sent, 1);
      assert.match(h.telegram.callsOf("sendMessage")[0].body.text as string, /ends in 20 hours \(/);
    } finally {
      await h.close();
    }
  },
);

Deno.test("scheduled route: the outbox drain is bounded by OUTBOX_BATCH", opts, async () => {
  const h = await startHarness({ OUTBOX_BATCH: "3" });
  try {
    for (let i = 0; i < 7; i++) {
      await h.sql`insert into public.outbox (telegram_user_id, kind, template) values (${
        2300 + i
      }, 'message', 'revoked')`;
    }
    const first = await (await h.postCron()).json();
    assert.equal(first.outbox.claimed, 3);
    assert.equal(first.outbox.sent, 3);
    const second = await (await h.postCron()).json();
    assert.equal(second.outbox.sent, 3);
    const third = await (await h.postCron()).json();
    assert.equal(third.outbox.sent, 1);
    assert.equal(h.telegram.callsOf("sendMessage").length, 7);
  } finally {
    await h.close();
  }
});
