// Outbox delivery against the fake Bot API (real HTTP) and the real database: invites, removals,
// 429 retry_after, 403 blocked, 5xx backoff, concurrency.
import assert from "node:assert/strict";
import { drainOutbox } from "../../functions/bot/outbox/drain.ts";
import { texts } from "../../functions/bot/telegram/texts.ts";
import { PAID_CHAT_ID, startHarness } from "../support/harness.ts";
import { depsOf, insertSubscription, makeDue, outboxRows, queueOutbox } from "../support/jobs_fixtures.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const UNTIL = new Date(Date.now() + 30 * 86_400_000).toISOString();

Deno.test("outbox: invite → one-use expiring link, then the activation message with it", opts, async () => {
  const h = await startHarness();
  try {
    await insertSubscription(h.sql, { user: 3001, expiresIn: "30 days" });
    await queueOutbox(h.sql, { user: 3001, kind: "invite", template: "activated", params: { until: UNTIL } });
    const counts = await drainOutbox(depsOf(h), 10);
    assert.deepEqual(counts, { claimed: 1, sent: 1, skipped: 0, retried: 0, failed: 0, blocked: 0 });

    const [invite] = h.telegram.callsOf("createChatInviteLink");
    assert.equal(invite.body.chat_id, PAID_CHAT_ID);
    assert.equal(invite.body.member_limit, 1);
    const expires = Number(invite.body.expire_date);
    assert.ok(expires > Date.now() / 1000 + 3600 && expires < Date.now() / 1000 + 8 * 86400, "link expires");
    const [msg] = h.telegram.callsOf("sendMessage");
    assert.equal(msg.body.chat_id, 3001);
    assert.match(msg.body.text as string, /https:\/\/t\.me\/\+fake1/);
    assert.equal(msg.body.text, texts.en.activated({ until: UNTIL, inviteLink: "https://t.me/+fake1" }));
    const order = h.telegram.calls.map((c) => c.method);
    assert.ok(order.indexOf("createChatInviteLink") < order.indexOf("sendMessage"));
    assert.equal((await outboxRows(h.sql))[0].status, "sent");
  } finally {
    await h.close();
  }
});

Deno.test("outbox: invite without PAID_CHAT_ID → activation message without a link", opts, async () => {
  const h = await startHarness({ PAID_CHAT_ID: "" });
  try {
    await insertSubscription(h.sql, { user: 3011, expiresIn: "30 days", languageCode: "ru" });
    await queueOutbox(h.sql, { user: 3011, kind: "invite", template: "activated", params: { until: UNTIL } });
    assert.equal((await drainOutbox(depsOf(h), 10)).sent, 1);
    assert.equal(h.telegram.callsOf("createChatInviteLink").length, 0);
    assert.equal(h.telegram.callsOf("sendMessage")[0].body.text, texts.ru.activated({ until: UNTIL }));
  } finally {
    await h.close();
  }
});

Deno.test(
  "outbox: invite for a user whose access already ended is skipped (no link leaks)",
  opts,
  async () => {
    const h = await startHarness();
    try {
      await queueOutbox(h.sql, {
        user: 3021,
        kind: "invite",
        template: "activated",
        params: { until: UNTIL },
      });
      const counts = await drainOutbox(depsOf(h), 10);
      assert.equal(counts.skipped, 1);
      assert.equal(h.telegram.calls.length, 0);
    } finally {
      await h.close();
    }
  },
);

Deno.test("outbox: remove → ban, unban, then the notice", opts, async () => {
  const h = await startHarness();
  try {
    await queueOutbox(h.sql, { user: 3101, kind: "remove", template: "expired", params: { until: UNTIL } });
    await queueOutbox(h.sql, { user: 3102, kind: "remove", template: "refunded" });
    await queueOutbox(h.sql, { user: 3103, kind: "remove", template: "revoked", languageCode: "ru" });
    const counts = await drainOutbox(depsOf(h), 10);
    assert.deepEqual(counts, { claimed: 3, sent: 3, skipped: 0, retried: 0, failed: 0, blocked: 0 });

    const forUser = (id: number) =>
      h.telegram.calls.filter((c) => c.body.user_id === id || c.body.chat_id === id).map((c) => c.method);
    assert.deepEqual(forUser(3101), ["banChatMember", "unbanChatMember", "sendMessage"]);
    const ban = h.telegram.callsOf("banChatMember")[0];
    assert.equal(ban.body.chat_id, PAID_CHAT_ID);
    assert.equal(h.telegram.callsOf("unbanChatMember")[0].body.only_if_banned, true);
    const text = (id: number) =>
      h.telegram.callsOf("sendMessage").find((c) => c.body.chat_id === id)!.body.text;
    assert.equal(text(3101), texts.en.expired);
    assert.equal(text(3102), texts.en.refunded);
    assert.equal(text(3103), texts.ru.revoked);
  } finally {
    await h.close();
  }
});

Deno.test("outbox: remove for a user whose access came back is skipped", opts, async () => {
  const h = await startHarness();
  try {
    await insertSubscription(h.sql, { user: 3201, expiresIn: "10 days" });
    await queueOutbox(h.sql, { user: 3201, kind: "remove", template: "expired", params: { until: UNTIL } });
    const counts = await drainOutbox(depsOf(h), 10);
    assert.deepEqual(counts, { claimed: 1, sent: 0, skipped: 1, retried: 0, failed: 0, blocked: 0 });
    assert.equal(h.telegram.calls.length, 0);
    const [row] = await h.sql`select status, last_error from public.outbox`;
    assert.deepEqual([row.status, row.last_error], ["skipped", "access restored"]);
  } finally {
    await h.close();
  }
});

Deno.test(
  "outbox: 429 → pending until now + retry_after, then delivered by the next drain",
  opts,
  async () => {
    const h = await startHarness();
    try {
      await queueOutbox(h.sql, {
        user: 3301,
        kind: "message",
        template: "renewed",
        params: { until: UNTIL },
      });
      h.telegram.failNext("sendMessage", { status: 429, retry_after: 2 });
      const first = await drainOutbox(depsOf(h), 10);
      assert.deepEqual(first, { claimed: 1, sent: 0, skipped: 0, retried: 1, failed: 0, blocked: 0 });
      const [row] = await outboxRows(h.sql);
      assert.equal(row.status, "pending");
      assert.ok(Math.abs(row.due_in - 2) < 1, `next attempt in ~2 s, got ${row.due_in}`);
      assert.match(row.last_error ?? "", /429/);

      assert.equal((await drainOutbox(depsOf(h), 10)).claimed, 0, "not due before retry_after");
      await new Promise((r) => setTimeout(r, Math.max(0, row.due_in * 1000) + 300));
      const second = await drainOutbox(depsOf(h), 10);
      assert.deepEqual(second, { claimed: 1, sent: 1, skipped: 0, retried: 0, failed: 0, blocked: 0 });
      assert.equal(h.telegram.callsOf("sendMessage").length, 2);
      assert.equal((await outboxRows(h.sql))[0].status, "sent");
    } finally {
      await h.close();
    }
  },
);

Deno.test(
  "outbox: 403 → user marked blocked, row skipped, later messages skipped without a call",
  opts,
  async () => {
    const h = await startHarness();
    try {
      await queueOutbox(h.sql, {
        user: 3401,
        kind: "message",
        template: "cancelled",
        params: { until: UNTIL },
      });
      h.telegram.failNext("sendMessage", {
        status: 403,
        description: "Forbidden: bot was blocked by the user",
      });
      const first = await drainOutbox(depsOf(h), 10);
      assert.deepEqual(first, { claimed: 1, sent: 0, skipped: 0, retried: 0, failed: 0, blocked: 1 });
      const [u] = await h
        .sql`select blocked_at is not null as blocked from public.users where telegram_user_id = 3401`;
      assert.equal(u.blocked, true);
      assert.equal((await outboxRows(h.sql))[0].status, "skipped");

      await queueOutbox(h.sql, {
        user: 3401,
        kind: "message",
        template: "renewed",
        params: { until: UNTIL },
      });
      await insertSubscription(h.sql, { user: 3401, expiresIn: "30 days" });
      await queueOutbox(h.sql, {
        user: 3401,
        kind: "invite",
        template: "activated",
        params: { until: UNTIL },
      });
      const calls = h.telegram.calls.length;
      const second = await drainOutbox(depsOf(h), 10);
      assert.deepEqual(second, { claimed: 2, sent: 0, skipped: 2, retried: 0, failed: 0, blocked: 0 });
      assert.equal(h.telegram.calls.length, calls, "no Bot API call for a blocked user");
    } finally {
      await h.close();
    }
  },
);

Deno.test(
  "outbox: remove for a blocked user still removes; a 403 on the notice leaves the removal done",
  opts,
  async () => {
    const h = await startHarness();
    try {
      await queueOutbox(h.sql, { user: 3501, kind: "remove", template: "expired", blocked: true });
      await queueOutbox(h.sql, { user: 3502, kind: "remove", template: "expired" });
      h.telegram.failNext("sendMessage", { status: 403, description: "Forbidden: user is deactivated" });
      const counts = await drainOutbox(depsOf(h), 10);
      assert.deepEqual(counts, { claimed: 2, sent: 1, skipped: 0, retried: 0, failed: 0, blocked: 1 });
      assert.deepEqual(h.telegram.callsOf("banChatMember").map((c) => c.body.user_id), [3501, 3502]);
      assert.deepEqual(h.telegram.callsOf("sendMessage").map((c) => c.body.chat_id), [3502]);
      assert.ok((await outboxRows(h.sql)).every((r) => r.status === "sent"));
    } finally {
      await h.close();
    }
  },
);

Deno.test(
  "outbox: a removal whose notice can never be delivered (400) still counts as done",
  opts,
  async () => {
    const h = await startHarness();
    try {
      await queueOutbox(h.sql, { user: 3551, kind: "remove", template: "expired" });
      h.telegram.failNext("sendMessage", { status: 400, description: "Bad Request: chat not found" });
      const counts = await drainOutbox(depsOf(h), 10);
      assert.deepEqual(counts, { claimed: 1, sent: 1, skipped: 0, retried: 0, failed: 0, blocked: 0 });
      const [row] = await h.sql`select status, last_error from public.outbox`;
      assert.equal(row.status, "sent");
      assert.match(row.last_error, /removed; notice failed: sendMessage: 400 Bad Request: chat not found/);
      assert.equal(h.telegram.callsOf("banChatMember").length, 1);
    } finally {
      await h.close();
    }
  },
);

Deno.test("outbox: 500 → retried with growing backoff, then delivered", opts, async () => {
  const h = await startHarness();
  try {
    await queueOutbox(h.sql, { user: 3601, kind: "message", template: "revoked" });
    h.telegram.failNext("sendMessage", { status: 500 }, 2);
    assert.equal((await drainOutbox(depsOf(h), 10)).retried, 1);
    let [row] = await outboxRows(h.sql);
    assert.deepEqual([row.status, row.attempts], ["pending", 1]);
    assert.ok(Math.abs(row.due_in - 30) < 2, `backoff ~30 s, got ${row.due_in}`);

    await makeDue(h.sql);
    assert.equal((await drainOutbox(depsOf(h), 10)).retried, 1);
    [row] = await outboxRows(h.sql);
    assert.deepEqual([row.status, row.attempts], ["pending", 2]);
    assert.ok(Math.abs(row.due_in - 60) < 2, `backoff ~60 s, got ${row.due_in}`);

    await makeDue(h.sql);
    assert.equal((await drainOutbox(depsOf(h), 10)).sent, 1);
    assert.equal(h.telegram.callsOf("sendMessage").length, 3);
  } finally {
    await h.close();
  }
});

Deno.test(
  "outbox: 400 chat not found on a message is permanent; a chat-side error (no rights) is retried",
  opts,
  async () => {
    const h = await startHarness();
    try {
      await queueOutbox(h.sql, { user: 3701, kind: "message", template: "revoked" });
      h.telegram.failNext("sendMessage", { status: 400, description: "Bad Request: chat not found" });
      assert.equal((await drainOutbox(depsOf(h), 10)).failed, 1);

      await queueOutbox(h.sql, { user: 3702, kind: "remove", template: "expired" });
      h.telegram.failNext("banChatMember", {
        status: 400,
        description: "Bad Request: not enough rights to restrict/unrestrict chat member",
      });
      const counts = await drainOutbox(depsOf(h), 10);
      assert.equal(counts.retried, 1);
      assert.equal(
        h.telegram.callsOf("sendMessage").filter((c) => c.body.chat_id === 3702).length,
        0,
        "no notice yet",
      );
      const rows = await outboxRows(h.sql);
      assert.deepEqual(rows.map((r) => r.status), ["failed", "pending"]);
    } finally {
      await h.close();
    }
  },
);

Deno.test("outbox: an unknown template fails permanently and the drain goes on", opts, async () => {
  const h = await startHarness();
  try {
    await queueOutbox(h.sql, { user: 3801, kind: "message", template: "no_such_template" });
    await queueOutbox(h.sql, { user: 3802, kind: "message", template: "revoked" });
    const counts = await drainOutbox(depsOf(h), 10);
    assert.deepEqual(counts, { claimed: 2, sent: 1, skipped: 0, retried: 0, failed: 1, blocked: 0 });
    const rows = await outboxRows(h.sql);
    assert.match(rows[0].last_error ?? "", /unknown outbox template/);
  } finally {
    await h.close();
  }
});

Deno.test("outbox: concurrent drains never send a row twice", opts, async () => {
  const h = await startHarness();
  try {
    const n = 40;
    for (let i = 0; i < n; i++) {
      await queueOutbox(h.sql, { user: 3900 + i, kind: "message", template: "revoked" });
    }
    const results = await Promise.all([1, 2, 3].map(() => drainOutbox(depsOf(h), n, { chunkSize: 4 })));
    assert.equal(results.reduce((s, c) => s + c.sent, 0), n);
    assert.equal(results.reduce((s, c) => s + c.claimed, 0), n);
    const chats = h.telegram.callsOf("sendMessage").map((c) => c.body.chat_id);
    assert.equal(chats.length, n);
    assert.equal(new Set(chats).size, n);
  } finally {
    await h.close();
  }
});

Deno.test("outbox: a drain takes at most `limit` rows", opts, async () => {
  const h = await startHarness();
  try {
    for (let i = 0; i < 12; i++) {
      await queueOutbox(h.sql, { user: 4000 + i, kind: "message", template: "revoked" });
    }
    assert.equal((await drainOutbox(depsOf(h), 5, { chunkSize: 2 })).sent, 5);
    assert.equal((await drainOutbox(depsOf(h), 0)).claimed, 0);
    assert.equal((await drainOutbox(depsOf(h), 50)).sent, 7);
  } finally {
    await h.close();
  }
});
