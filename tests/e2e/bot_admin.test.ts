// Admin commands end to end: the gate (refusal, nothing changes, attempt recorded), each command's
// effect on the database and its reply, and /refund's "Telegram first, then the books" order.
import assert from "node:assert/strict";
import { texts } from "../../functions/bot/telegram/texts.ts";
import { fakeProduct } from "../support/fake_tribute.ts";
import { messageUpdate, successfulPaymentUpdate } from "../support/fake_telegram.ts";
import {
  ADMIN_ID,
  assertNear,
  DAY_MS,
  type Harness,
  lastText,
  send,
  withHarness,
} from "../support/bot_helpers.ts";

const en = texts.en;
const STRANGER = 7000; // not an admin
const BUYER = 7100;

const admin = (text: string, lang = "en") =>
  messageUpdate({ from: { id: ADMIN_ID, first_name: "Boss", language_code: lang }, text });

interface AdminAction {
  admin_id: number;
  command: string;
  args: unknown;
  result: string;
  allowed: boolean;
}

async function adminActions(h: Harness): Promise<AdminAction[]> {
  const rows = await h
    .sql`select admin_id, command, args, result, allowed from public.admin_actions order by id`;
  return rows.map((r) => ({
    admin_id: Number(r.admin_id),
    command: r.command,
    args: r.args,
    result: r.result,
    allowed: r.allowed,
  }));
}

async function starsPayment(h: Harness, charge: string, user = BUYER) {
  await send(
    h,
    successfulPaymentUpdate({
      from: { id: user },
      currency: "XTR",
      total_amount: 250,
      invoice_payload: "plan:month",
      telegram_payment_charge_id: charge,
    }),
  );
}

/** Everything an admin command could change, to compare before and after a refused attempt. */
async function snapshot(h: Harness) {
  return {
    subscriptions: await h.sql`select * from public.subscriptions order by id`,
    payments: await h.sql`select * from public.payments order by id`,
    outbox: await h.sql`select id, telegram_user_id, kind, template, status from public.outbox order by id`,
  };
}

Deno.test("admin gate: a non-admin is refused every admin command, nothing changes, each attempt is recorded", async () => {
  await withHarness(async (h) => {
    await starsPayment(h, "ch_keep");
    await h.sql`select public.grant_access(7002, 10, ${ADMIN_ID}, 'seed')`;
    // something sync would expire
    await h.sql`select public.grant_access(7003, 10, ${ADMIN_ID}, 'seed2')`;
    await h
      .sql`update public.subscriptions set starts_at = now() - interval '20 days', expires_at = now() - interval '1 hour'
                where telegram_user_id = 7003`;
    h.tribute.products.push(fakeProduct(1));
    const before = await snapshot(h);
    h.telegram.reset();
    const tributeCallsBefore = h.tribute.calls.length;

    const commands = [
      "/sync_subscriptions",
      "/tribute_test",
      "/stats",
      `/user ${BUYER}`,
      "/grant 7001 30",
      "/revoke 7002",
      "/refund ch_keep",
    ];
    for (const text of commands) {
      await send(h, messageUpdate({ from: { id: STRANGER, language_code: "en" }, text }));
      assert.equal(lastText(h, STRANGER), en.notAdmin, text);
    }
    assert.equal(h.telegram.callsOf("sendMessage").length, commands.length);
    for (const m of ["refundStarPayment", "getWebhookInfo", "banChatMember", "createChatInviteLink"]) {
      assert.equal(h.telegram.callsOf(m).length, 0, `${m} must not be called for a non-admin`);
    }
    assert.equal(h.tribute.calls.length, tributeCallsBefore, "no Tribute API call for a non-admin");
    assert.deepEqual(await snapshot(h), before, "no database change");

    const actions = await adminActions(h);
    assert.deepEqual(actions.map((a) => [a.admin_id, a.command, a.allowed]), [
      [STRANGER, "sync_subscriptions", false],
      [STRANGER, "tribute_test", false],
      [STRANGER, "stats", false],
      [STRANGER, "user", false],
      [STRANGER, "grant", false],
      [STRANGER, "revoke", false],
      [STRANGER, "refund", false],
    ]);
    assert.deepEqual(actions[4].args, { args: ["7001", "30"] });

    // Russian refusal for a Russian speaker
    await send(h, messageUpdate({ from: { id: STRANGER, language_code: "ru" }, text: "/stats" }));
    assert.equal(lastText(h, STRANGER), texts.ru.notAdmin);
  });
});

Deno.test("admin /sync_subscriptions expires what is past and reports checked/expired/restored", async () => {
  await withHarness(async (h) => {
    // a window an operator wrote by hand that ended an hour ago, still marked active
    await h
      .sql`insert into public.subscriptions (telegram_user_id, provider, external_id, status, starts_at, expires_at)
                values (7003, 'manual', 'by-hand', 'active', now() - interval '20 days', now() - interval '1 hour')`;
    await h.sql`select public.grant_access(7004, 10, ${ADMIN_ID}, 'live')`;
    await send(h, admin("/sync_subscriptions"));
    assert.equal(lastText(h, ADMIN_ID), en.adminSync({ checked: 2, expired: 1, restored: 0 }));
    const [{ status }] = await h.sql`select status from public.subscriptions where telegram_user_id = 7003`;
    assert.equal(status, "expired");
    const actions = await adminActions(h);
    assert.equal(actions.length, 1);
    assert.equal(actions[0].command, "sync_subscriptions");
    assert.equal(actions[0].allowed, true);
    assert.equal(actions[0].admin_id, ADMIN_ID);
  });
});

Deno.test("admin /tribute_test: webhook URL, API key, Tribute API reachable, Telegram webhook info", async () => {
  await withHarness(async (h) => {
    h.tribute.products.push(fakeProduct(11), fakeProduct(12));
    h.telegram.setWebhookInfo({
      url: "https://example.supabase.co/functions/v1/bot",
      pending_update_count: 3,
      last_error_message: "Wrong response from the webhook: 503 Service Unavailable",
    });
    await send(h, admin("/tribute_test"));
    let text = lastText(h, ADMIN_ID);
    // the same checks as npm run doctor (jobs/checks.ts)
    assert.match(text, /https:\/\/example\.supabase\.co\/functions\/v1\/bot/);
    assert.match(text, /✅ reachable, key accepted \(2 products\)/);
    assert.match(text, /url https:\/\/example\.supabase\.co\/functions\/v1\/bot, pending 3/);
    assert.match(text, /Wrong response from the webhook: 503 Service Unavailable/);
    const [probe] = h.tribute.calls;
    assert.equal(probe.path, "/products");
    assert.equal(probe.query, "size=1");
    assert.equal(probe.apiKey, "tribute-test-key");
    assert.ok(!lastText(h, ADMIN_ID).includes("tribute-test-key"), "the API key itself is never shown");

    // Tribute answers an {error, message} body: code and message are reported
    h.tribute.failNext(401, { error: "error_unauthorized", message: "invalid api key" });
    await send(h, admin("/tribute_test"));
    text = lastText(h, ADMIN_ID);
    assert.match(text, /❌ key rejected \(HTTP 401: invalid api key\)/);

    // Telegram's getWebhookInfo failing does not break the report
    h.telegram.failNext("getWebhookInfo", { status: 400, description: "Bad Request: nope" });
    await send(h, admin("/tribute_test"));
    assert.match(lastText(h, ADMIN_ID), /getWebhookInfo failed: 400 Bad Request: nope/);

    const actions = await adminActions(h);
    assert.deepEqual(actions.map((a) => [a.command, a.allowed]), [
      ["tribute_test", true],
      ["tribute_test", true],
      ["tribute_test", true],
    ]);
    assert.match(actions[1].result, /key rejected/);
  });
});

Deno.test("admin /tribute_test without PUBLIC_URL and with Tribute unreachable says so", async () => {
  await withHarness(async (h) => {
    await send(h, admin("/tribute_test"));
    const text = lastText(h, ADMIN_ID);
    assert.match(text, /set PUBLIC_URL/);
    assert.match(text, /API key: present/);
    assert.match(text, /Tribute API: ❌ .*unreachable/i);
    assert.match(text, /Telegram webhook: ❌ no webhook set/);
  }, { PUBLIC_URL: "", TRIBUTE_API_URL: "http://127.0.0.1:9/api/v1" });
});

Deno.test("admin /stats: active subscriptions by provider and 30-day revenue as stored", async () => {
  await withHarness(async (h) => {
    await starsPayment(h, "ch_stats");
    await h.sql`select public.grant_access(7002, 10, ${ADMIN_ID}, 'seed')`;
    await send(h, admin("/stats"));
    const text = lastText(h, ADMIN_ID);
    assert.ok(text.startsWith("Active subscriptions:"), text);
    assert.match(text, /Telegram Stars: 1/);
    assert.match(text, /Manual grant: 1/);
    assert.match(text, /250 XTR/);
    assert.match(text, /Failed deliveries, last 24 h: 0$/m);
    const [action] = await adminActions(h);
    assert.deepEqual([action.command, action.allowed, action.admin_id], ["stats", true, ADMIN_ID]);
  });
});

Deno.test("admin /stats: failed deliveries of the last 24 h (a poison Tribute body, a poison update)", async () => {
  await withHarness(async (h) => {
    const bad = await h.postTribute({ name: "new_subscription", created_at: "yesterday", payload: {} });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    // a chat_member update without the member's user: acknowledged, journaled
    await send(h, {
      update_id: 4242,
      chat_member: { chat: { id: -100, type: "channel" }, new_chat_member: {} },
    });
    await h
      .sql`insert into public.webhook_events (source, name, dedupe_key, status, payload, error, received_at)
                values ('tribute', 'old', 'old-failure', 'failed', '{}', 'x', now() - interval '2 days')`;
    await send(h, admin("/stats"));
    assert.match(lastText(h, ADMIN_ID), /Failed deliveries, last 24 h: 2 /);
    await send(h, admin("/stats", "ru"));
    assert.match(lastText(h, ADMIN_ID), /Неудачные доставки за 24 ч: 2 /);
  });
});

Deno.test("admin /user <id>: summary, not found, usage", async () => {
  await withHarness(async (h) => {
    await starsPayment(h, "ch_user");
    await send(h, admin(`/user ${BUYER}`));
    const text = lastText(h, ADMIN_ID);
    assert.match(text, new RegExp(`^User ${BUYER}`));
    assert.match(text, /Access: yes, until/);
    // the timeline: source, kind, length, when it was paid, what it covers
    assert.match(text, /Telegram Stars purchase \(30 d, .+ UTC\): active\n +.+ UTC → .+ UTC/);

    await send(h, admin("/user 424242"));
    assert.equal(lastText(h, ADMIN_ID), en.adminUserNotFound(424242));
    await send(h, admin("/user"));
    assert.equal(lastText(h, ADMIN_ID), en.adminUsage("user", "<telegram_user_id>"));
    await send(h, admin("/user abc"));
    assert.equal(lastText(h, ADMIN_ID), en.adminUsage("user", "<telegram_user_id>"));

    const actions = await adminActions(h);
    assert.deepEqual(actions.map((a) => [a.command, a.result, a.allowed]), [
      ["user", "has_access true", true],
      ["user", "not found", true],
      ["user", "usage", true],
      ["user", "usage", true],
    ]);
  });
});

Deno.test("admin /grant <id> <days>: manual access, idempotent per update, usage on bad args", async () => {
  await withHarness(async (h) => {
    const update = admin("/grant 7001 30");
    await send(h, update);
    const [{ until, has }] = await h
      .sql`select public.access_until(7001) as until, public.has_access(7001) as has`;
    assert.equal(has, true);
    assertNear(until, Date.now() + 30 * DAY_MS);
    assert.equal(lastText(h, ADMIN_ID), en.adminGranted({ userId: 7001, days: 30, until }));
    const subs = await h
      .sql`select provider, kind, external_id, details from public.subscriptions where telegram_user_id = 7001`;
    assert.equal(subs.length, 1);
    assert.equal(subs[0].provider, "manual");
    assert.equal(
      subs[0].external_id,
      `grant:${(update as { update_id: number }).update_id}`,
      "request id = update_id",
    );

    await send(h, update); // Telegram redelivers the same update: no second grant
    const [{ n }] = await h
      .sql`select count(*)::int as n from public.subscriptions where telegram_user_id = 7001`;
    assert.equal(n, 1);

    for (
      const bad of [
        "/grant",
        "/grant 7001",
        "/grant abc 5",
        "/grant 7001 0",
        "/grant 7001 99999",
        "/grant 7001 5 6",
        "/grant -5 3",
      ]
    ) {
      await send(h, admin(bad));
      assert.equal(lastText(h, ADMIN_ID), en.adminUsage("grant", "<telegram_user_id> <days>"), bad);
    }
    const [{ total }] = await h.sql`select count(*)::int as total from public.subscriptions`;
    assert.equal(total, 1, "bad arguments grant nothing");

    const actions = await adminActions(h);
    assert.equal(actions.length, 9);
    assert.ok(actions.every((a) => a.allowed && a.command === "grant" && a.admin_id === ADMIN_ID));
    assert.deepEqual(actions[0].args, { user_id: 7001, days: 30 });
    assert.match(actions[0].result, /^granted 30 days/);
  });
});

Deno.test("admin /revoke <id>: ends access and queues the removal; nothing to revoke says so", async () => {
  await withHarness(async (h) => {
    await send(h, admin("/grant 7001 30"));
    await send(h, admin("/revoke 7001"));
    assert.equal(lastText(h, ADMIN_ID), en.adminRevoked({ userId: 7001, ended: 1 }));
    const [{ has }] = await h.sql`select public.has_access(7001) as has`;
    assert.equal(has, false);
    const removals = await h
      .sql`select template from public.outbox where telegram_user_id = 7001 and kind = 'remove'`;
    assert.deepEqual(removals.map((r) => r.template), ["revoked"]);

    await send(h, admin("/revoke 7001"));
    assert.equal(lastText(h, ADMIN_ID), en.adminRevoked({ userId: 7001, ended: 0 }));
    await send(h, admin("/revoke"));
    assert.equal(lastText(h, ADMIN_ID), en.adminUsage("revoke", "<telegram_user_id>"));
    const actions = await adminActions(h);
    assert.deepEqual(actions.map((a) => [a.command, a.allowed]), [
      ["grant", true],
      ["revoke", true],
      ["revoke", true],
      ["revoke", true],
    ]);
  });
});

Deno.test("admin /refund: refundStarPayment(user_id, charge id) first, then the payment is refunded and access ends", async () => {
  await withHarness(async (h) => {
    await starsPayment(h, "ch_refund");
    h.telegram.reset();
    await send(h, admin("/refund ch_refund"));
    const calls = h.telegram.callsOf("refundStarPayment");
    assert.equal(calls.length, 1);
    assert.equal(Number(calls[0].body.user_id), BUYER);
    assert.equal(calls[0].body.telegram_payment_charge_id, "ch_refund");

    const [p] = await h
      .sql`select status, refunded_at from public.payments where telegram_payment_charge_id = 'ch_refund'`;
    assert.equal(p.status, "refunded");
    assert.ok(p.refunded_at);
    const [{ has }] = await h.sql`select public.has_access(${BUYER}) as has`;
    assert.equal(has, false);
    const [sub] = await h.sql`select status from public.subscriptions where external_id = 'ch_refund'`;
    assert.equal(sub.status, "refunded");
    assert.equal(lastText(h, ADMIN_ID), en.adminRefunded({ chargeId: "ch_refund", userId: BUYER }));

    // again: already refunded, Telegram is not asked twice
    await send(h, admin("/refund ch_refund"));
    assert.equal(h.telegram.callsOf("refundStarPayment").length, 1);
    assert.equal(
      lastText(h, ADMIN_ID),
      en.adminRefundFailed({ chargeId: "ch_refund", reason: en.refundReasonAlreadyRefunded }),
    );

    const actions = await adminActions(h);
    assert.deepEqual(actions.map((a) => [a.command, a.allowed]), [["refund", true], ["refund", true]]);
    assert.deepEqual(actions[0].args, { charge_id: "ch_refund", user_id: BUYER });
  });
});

Deno.test("admin /refund when the Bot API answers 400: reported, nothing changes", async () => {
  await withHarness(async (h) => {
    await starsPayment(h, "ch_keep");
    h.telegram.failNext("refundStarPayment", { status: 400, description: "Bad Request: CHARGE_NOT_FOUND" });
    await send(h, admin("/refund ch_keep"));
    assert.equal(h.telegram.callsOf("refundStarPayment").length, 1);
    assert.equal(
      lastText(h, ADMIN_ID),
      en.adminRefundFailed({ chargeId: "ch_keep", reason: "Bad Request: CHARGE_NOT_FOUND" }),
    );
    const [p] = await h.sql`select status from public.payments where telegram_payment_charge_id = 'ch_keep'`;
    assert.equal(p.status, "paid");
    const [{ has }] = await h.sql`select public.has_access(${BUYER}) as has`;
    assert.equal(has, true);
    const [{ n }] = await h.sql`select count(*)::int as n from public.payments where kind = 'refund'`;
    assert.equal(n, 0);
    const [action] = await adminActions(h);
    assert.match(action.result, /^refund failed: Bad Request: CHARGE_NOT_FOUND/);
  });
});

Deno.test("admin /refund: unknown charge, missing argument, and a charge Telegram already refunded", async () => {
  await withHarness(async (h) => {
    await send(h, admin("/refund nope"));
    assert.equal(
      lastText(h, ADMIN_ID),
      en.adminRefundFailed({ chargeId: "nope", reason: en.refundReasonNotFound }),
    );
    await send(h, admin("/refund"));
    assert.equal(lastText(h, ADMIN_ID), en.adminUsage("refund", "<telegram_payment_charge_id>"));
    assert.equal(h.telegram.callsOf("refundStarPayment").length, 0);

    // Telegram refunded it before (our books missed it): the books catch up
    await starsPayment(h, "ch_done");
    h.telegram.failNext("refundStarPayment", {
      status: 400,
      description: "Bad Request: CHARGE_ALREADY_REFUNDED",
    });
    await send(h, admin("/refund ch_done", "ru"));
    const [p] = await h.sql`select status from public.payments where telegram_payment_charge_id = 'ch_done'`;
    assert.equal(p.status, "refunded");
    assert.equal(lastText(h, ADMIN_ID), texts.ru.adminRefunded({ chargeId: "ch_done", userId: BUYER }));
  });
});
