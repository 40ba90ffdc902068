// Access codes and promo links end to end (issue #12 part 1): the real handler over HTTP, real Postgres,
// the fake Bot API. /code_new (deep link, alphabet), /start <CODE> (a banked item of the timeline, the
// invite through the outbox), once per user, exhausted / expired / switched off / unknown, the wrong-code
// rate limit, the last use raced by several members, /codes, /code_off, and the admin gate.
import assert from "node:assert/strict";
import { CODE_ALPHABET } from "../../functions/bot/telegram/codes.ts";
import { texts } from "../../functions/bot/telegram/texts.ts";
import { messageUpdate } from "../support/fake_telegram.ts";
import {
  ADMIN_ID,
  assertNear,
  DAY_MS,
  type Harness,
  lastText,
  PAID_CHAT_ID,
  send,
  sentTexts,
  withHarness,
} from "../support/bot_helpers.ts";

const en = texts.en;
const ru = texts.ru;
const MEMBER = 7300;
const OTHER = 7301;
const STRANGER = 7000; // not an admin

const admin = (text: string, lang = "en") =>
  messageUpdate({ from: { id: ADMIN_ID, first_name: "Boss", language_code: lang }, text });
const from = (id: number, text: string, lang = "en") =>
  messageUpdate({ from: { id, first_name: `U${id}`, language_code: lang }, text });

const CODE_RE = new RegExp(`^[${CODE_ALPHABET}]{12}$`);

/** /code_new as the admin; returns the code taken from the deep link in the reply. */
async function newCode(h: Harness, args: string, lang = "en"): Promise<string> {
  await send(h, admin(`/code_new ${args}`, lang));
  const reply = lastText(h, ADMIN_ID);
  const m = reply.match(/https:\/\/t\.me\/test_bot\?start=(\S+)/);
  assert.ok(m, `a deep link in: ${reply}`);
  return m[1];
}

async function codeRow(h: Harness, code: string) {
  const [row] = await h.sql`select code, days, max_uses, used, valid_until, disabled_at
                            from public.access_codes where code = ${code}`;
  return row;
}

async function accessUntil(h: Harness, user: number): Promise<Date | null> {
  const [{ until }] = await h.sql`select public.access_until(${user}) as until`;
  return until;
}

/** What a refused redemption must leave alone. */
async function ledger(h: Harness) {
  return {
    subscriptions: await h
      .sql`select id, telegram_user_id, external_id from public.subscriptions order by id`,
    redemptions: await h.sql`select code, telegram_user_id from public.code_redemptions order by 1, 2`,
    codes: await h.sql`select code, used from public.access_codes order by code`,
    access: await h.sql`select telegram_user_id, access_until from public.user_access order by 1`,
    outbox: await h.sql`select id, kind, template from public.outbox order by id`,
  };
}

Deno.test("codes: /code_new answers with the deep link of an unguessable code; a redelivery makes no second code", async () => {
  await withHarness(async (h) => {
    const update = admin("/code_new 30 5 7");
    await send(h, update);
    const reply = lastText(h, ADMIN_ID);
    const code = reply.match(/\?start=(\S+)/)![1];
    assert.match(code, CODE_RE, "12 symbols of Crockford base32 without 0 1 I L O U");
    assert.doesNotMatch(code, /[01ILOU]/);
    const row = await codeRow(h, code);
    assert.equal(row.days, 30);
    assert.equal(row.max_uses, 5);
    assert.equal(row.used, 0);
    assertNear(row.valid_until, Date.now() + 7 * DAY_MS);
    assert.equal(
      reply,
      en.adminCodeCreated({
        code,
        link: `https://t.me/test_bot?start=${code}`,
        days: 30,
        used: 0,
        maxUses: 5,
        validUntil: row.valid_until,
        state: "active",
      }),
    );

    // Telegram redelivers the same update: the same code again, nothing new
    await send(h, update);
    assert.match(lastText(h, ADMIN_ID), new RegExp(`start=${code}`));
    const [{ n }] = await h.sql`select count(*)::int as n from public.access_codes`;
    assert.equal(n, 1);

    // defaults: one use, no end date; Russian reply for a Russian admin
    const other = await newCode(h, "14", "ru");
    assert.match(other, CODE_RE);
    assert.notEqual(other, code);
    const o = await codeRow(h, other);
    assert.equal(o.max_uses, 1);
    assert.equal(o.valid_until, null);
    assert.match(
      lastText(h, ADMIN_ID),
      /^Код [A-Z0-9]{12} создан: 14 дней доступа, 1 активация, без срока\./,
    );

    // many codes: all distinct, all in the alphabet
    const many = new Set<string>();
    for (let i = 0; i < 5; i++) many.add(await newCode(h, "1"));
    assert.equal(many.size, 5);
    for (const c of many) assert.match(c, CODE_RE);

    // bad arguments: the usage line, nothing created
    for (
      const bad of [
        "/code_new",
        "/code_new 0",
        "/code_new 30 x",
        "/code_new 30 0",
        "/code_new 3651",
        "/code_new 1 2 3 4",
      ]
    ) {
      await send(h, admin(bad));
      assert.equal(
        lastText(h, ADMIN_ID),
        en.adminUsage("code_new", "<days> [max_uses (default 1)] [valid_days (default: no end)]"),
        bad,
      );
    }
    const [{ total }] = await h.sql`select count(*)::int as total from public.access_codes`;
    assert.equal(total, 7);

    const actions = await h.sql`select command, args, result, allowed from public.admin_actions order by id`;
    assert.equal(actions[0].command, "code_new");
    assert.equal(actions[0].allowed, true);
    assert.deepEqual(actions[0].args, { code, days: 30, max_uses: 5, valid_days: 7 });
    assert.match(actions[0].result, new RegExp(`^created ${code}`));
  });
});

Deno.test("codes: /start <code> banks the code's days on the timeline, queues the invite and says until when; once per member", async () => {
  await withHarness(async (h) => {
    const code = await newCode(h, "30 10");
    h.telegram.reset();
    // case-insensitive, as people type it
    await send(h, from(MEMBER, `/start ${code.toLowerCase()}`));
    const until = await accessUntil(h, MEMBER);
    assertNear(until, Date.now() + 30 * DAY_MS);
    assert.ok(
      sentTexts(h, MEMBER).includes(en.codeRedeemed({ days: 30, until: until! })),
      sentTexts(h, MEMBER).join("|"),
    );

    const subs = await h.sql`select provider, kind, external_id, duration::text as length, event_at, status
                             from public.subscriptions where telegram_user_id = ${MEMBER}`;
    assert.equal(subs.length, 1);
    assert.equal(subs[0].provider, "manual");
    assert.equal(subs[0].kind, "code");
    assert.equal(subs[0].external_id, `code:${code}:${MEMBER}`);
    assert.equal(subs[0].length, "30 days");
    assert.equal(subs[0].status, "active");
    assertNear(subs[0].event_at, Date.now());
    const [{ has }] = await h.sql`select public.has_access(${MEMBER}) as has`;
    assert.equal(has, true);

    // the recompute queued the invite; the outbox delivered it after the request
    const outbox = await h.sql`select kind, template from public.outbox where telegram_user_id = ${MEMBER}`;
    assert.deepEqual(outbox.map((r) => [r.kind, r.template]), [["invite", "activated"]]);
    const [link] = h.telegram.callsOf("createChatInviteLink");
    assert.ok(link, "an invite link was created");
    assert.equal(Number(link.body.chat_id), PAID_CHAT_ID);
    assert.equal(Number(link.body.member_limit), 1);
    assert.ok(sentTexts(h, MEMBER).some((t) => t.includes("https://t.me/+fake")), "the invite was sent");
    assert.equal((await codeRow(h, code)).used, 1);

    // /status and the admin's /user name the source
    await send(h, from(MEMBER, "/status"));
    assert.equal(lastText(h, MEMBER), en.statusActive({ until: until!, provider: "code", autoRenew: false }));
    assert.match(lastText(h, MEMBER), /Source: Access code/);
    await send(h, admin(`/user ${MEMBER}`));
    assert.match(lastText(h, ADMIN_ID), /• Access code \(30 d, .*\): active/);

    // the same member again (another update): refused, nothing changes
    const before = await ledger(h);
    await send(h, from(MEMBER, `/start ${code}`));
    assert.equal(lastText(h, MEMBER), en.codeAlreadyUsed);
    assert.deepEqual(await ledger(h), before);

    // Russian member, and one who already has access: the end moves, the reply says to when; no invite again
    await h.sql`select public.grant_access(${OTHER}, 10, ${ADMIN_ID}, 'seed')`;
    const drained = await h.postCron(); // the grant's own invite goes out first
    assert.equal(drained.status, 200);
    await drained.body?.cancel();
    await h.settle();
    h.telegram.reset();
    await send(h, from(OTHER, `/start ${code}`, "ru"));
    const otherUntil = await accessUntil(h, OTHER);
    assertNear(otherUntil, Date.now() + 40 * DAY_MS);
    assert.deepEqual(sentTexts(h, OTHER), [ru.codeRedeemed({ days: 30, until: otherUntil! })]);
    assert.equal(h.telegram.callsOf("createChatInviteLink").length, 0);
    await send(h, from(OTHER, `/start ${code}`, "ru"));
    assert.equal(lastText(h, OTHER), ru.codeAlreadyUsed);
    assert.equal((await codeRow(h, code)).used, 2);
  });
});

Deno.test("codes: exhausted, expired, switched off and unknown codes get one sentence each and change nothing (en, ru)", async () => {
  await withHarness(async (h) => {
    const once = await newCode(h, "30 1");
    await send(h, from(MEMBER, `/start ${once}`));
    assert.equal((await codeRow(h, once)).used, 1);

    const expiring = await newCode(h, "30 5 1");
    await h
      .sql`update public.access_codes set valid_until = now() - interval '1 minute' where code = ${expiring}`;
    const off = await newCode(h, "30 5");
    await send(h, admin(`/code_off ${off.toLowerCase()}`));
    assert.equal(lastText(h, ADMIN_ID), en.adminCodeOff({ code: off, status: "off", used: 0, maxUses: 5 }));

    const before = await ledger(h);
    const cases: Array<[string, string, string]> = [
      [once, en.codeExhausted, ru.codeExhausted],
      [expiring, en.codeExpired, ru.codeExpired],
      [off, en.codeOff, ru.codeOff],
      ["ABCDEFGHJKMN", en.codeUnknown, ru.codeUnknown],
    ];
    for (const [code, enText, ruText] of cases) {
      await send(h, from(OTHER, `/start ${code}`));
      assert.equal(lastText(h, OTHER), enText, code);
      await send(h, from(OTHER + 1, `/start ${code}`, "ru"));
      assert.equal(lastText(h, OTHER + 1), ruText, code);
    }
    assert.deepEqual(await ledger(h), before, "no item, no use, no access, no message queued");
    assert.equal(await accessUntil(h, OTHER), null);

    // /code_off again, and an unknown code
    await send(h, admin(`/code_off ${off}`));
    assert.equal(
      lastText(h, ADMIN_ID),
      en.adminCodeOff({ code: off, status: "already_off", used: 0, maxUses: 5 }),
    );
    await send(h, admin("/code_off ZZZZZZZZZZ"));
    assert.equal(lastText(h, ADMIN_ID), en.adminCodeOff({ code: "ZZZZZZZZZZ", status: "unknown" }));
    await send(h, admin("/code_off"));
    assert.equal(lastText(h, ADMIN_ID), en.adminUsage("code_off", "<CODE>"));

    // switching a code off keeps what it already gave
    await send(h, admin(`/code_off ${once}`));
    assertNear(await accessUntil(h, MEMBER), Date.now() + 30 * DAY_MS);
    const [{ has }] = await h.sql`select public.has_access(${MEMBER}) as has`;
    assert.equal(has, true);
  });
});

Deno.test("codes: after 5 wrong codes within an hour a member is told to wait, and even a good code is not looked up", async () => {
  await withHarness(async (h) => {
    const good = await newCode(h, "30 5");
    for (let i = 0; i < 5; i++) {
      await send(h, from(MEMBER, `/start WRONGCODE${i}`));
      assert.equal(lastText(h, MEMBER), en.codeUnknown, `attempt ${i + 1}`);
    }
    const [first] = await h.sql`select min(attempted_at) as at from public.code_attempts
                                where telegram_user_id = ${MEMBER}`;
    await send(h, from(MEMBER, `/start ${good}`));
    const retryAt = new Date(first.at.getTime() + 3_600_000);
    assert.equal(lastText(h, MEMBER), en.codeRateLimited({ until: retryAt }));
    assert.equal((await codeRow(h, good)).used, 0, "the code was not redeemed");
    assert.equal(await accessUntil(h, MEMBER), null);
    // in Russian too; limited attempts are not counted, so the wait does not grow
    await send(h, from(MEMBER, "/start ANOTHERWRONG", "ru"));
    assert.equal(lastText(h, MEMBER), ru.codeRateLimited({ until: retryAt }));
    const [{ n }] = await h
      .sql`select count(*)::int as n from public.code_attempts where telegram_user_id = ${MEMBER}`;
    assert.equal(n, 5);

    // someone else is not limited
    await send(h, from(OTHER, `/start ${good}`));
    assert.ok(sentTexts(h, OTHER).some((t) => t.startsWith("🎟 Code accepted")));

    // an hour later the member may try again
    await h.sql`update public.code_attempts set attempted_at = attempted_at - interval '61 minutes'
                where telegram_user_id = ${MEMBER}`;
    await send(h, from(MEMBER, `/start ${good}`));
    assert.ok(sentTexts(h, MEMBER).some((t) => t.startsWith("🎟 Code accepted")));
    assert.equal((await codeRow(h, good)).used, 2);

    // a start parameter that is not a code (has `_`) is the ordinary welcome and counts for nothing
    await send(h, from(OTHER + 5, "/start src_channel"));
    assert.match(lastText(h, OTHER + 5), /^Hi, U7306!/);
    const [{ m }] = await h
      .sql`select count(*)::int as m from public.code_attempts where telegram_user_id = ${OTHER + 5}`;
    assert.equal(m, 0);
  });
});

Deno.test("codes: members racing for the last use: exactly one wins", async () => {
  await withHarness(async (h) => {
    const code = await newCode(h, "30 3");
    await send(h, from(MEMBER, `/start ${code}`));
    await send(h, from(MEMBER + 1, `/start ${code}`));
    h.telegram.reset();
    const racers = Array.from({ length: 8 }, (_, i) => 7400 + i);
    const responses = await Promise.all(racers.map((id) => h.postUpdate(from(id, `/start ${code}`))));
    for (const r of responses) {
      assert.equal(r.status, 200);
      await r.body?.cancel();
    }
    await h.settle();
    const replies = racers.map((id) => sentTexts(h, id).filter((t) => !t.startsWith("🎉")));
    const winners = racers.filter((_, i) => replies[i].some((t) => t.startsWith("🎟 Code accepted")));
    assert.equal(winners.length, 1, replies.map((r) => r.join("|")).join("\n"));
    for (const [i, id] of racers.entries()) {
      if (id !== winners[0]) assert.deepEqual(replies[i], [en.codeExhausted]);
    }
    assert.equal((await codeRow(h, code)).used, 3);
    const [{ n }] = await h.sql`select count(*)::int as n from public.code_redemptions where code = ${code}`;
    assert.equal(n, 3);
    const [{ s }] = await h.sql`select count(*)::int as s from public.subscriptions where kind = 'code'`;
    assert.equal(s, 3);
  });
});

Deno.test("codes: /codes lists codes with uses left and validity (en, ru)", async () => {
  await withHarness(async (h) => {
    await send(h, admin("/codes"));
    assert.equal(lastText(h, ADMIN_ID), en.adminCodes({ total: 0, codes: [] }));

    const a = await newCode(h, "30 3 10");
    const b = await newCode(h, "7");
    await send(h, from(MEMBER, `/start ${a}`));
    await send(h, admin(`/code_off ${b}`));
    await send(h, admin("/codes"));
    const text = lastText(h, ADMIN_ID);
    assert.match(text, /^Access codes \(2\):/);
    const lineA = text.split("\n").find((l) => l.includes(a))!;
    assert.match(lineA, /30 days · 2 of 3 uses left · until \d{4}-\d\d-\d\d \d\d:\d\d UTC · active/);
    assert.ok(text.includes(`https://t.me/test_bot?start=${a}`), "active codes show their link");
    const lineB = text.split("\n").find((l) => l.includes(b))!;
    assert.match(lineB, /7 days · 1 of 1 uses left · no end date · off/);
    assert.ok(!text.includes(`start=${b}`), "a switched-off code shows no link");

    await send(h, admin("/codes", "ru"));
    const ruText = lastText(h, ADMIN_ID);
    assert.match(ruText, /^Коды доступа \(2\):/);
    assert.match(ruText, /осталось 2 из 3 · до .* · действует/);
    assert.match(ruText, /без срока · отключён/);

    const actions = await h
      .sql`select command, result from public.admin_actions where command = 'codes' order by id`;
    assert.deepEqual(actions.map((r) => r.result), ["0 codes", "2 codes", "2 codes"]);
  });
});

Deno.test("codes: a non-admin is refused /code_new, /codes and /code_off; nothing changes, each attempt is recorded", async () => {
  await withHarness(async (h) => {
    const code = await newCode(h, "30");
    for (const [text, lang] of [["/code_new 30 100", "en"], ["/codes", "en"], [`/code_off ${code}`, "ru"]]) {
      await send(h, from(STRANGER, text, lang));
      assert.equal(lastText(h, STRANGER), lang === "ru" ? ru.notAdmin : en.notAdmin, text);
    }
    const codes = await h.sql`select code, disabled_at from public.access_codes`;
    assert.equal(codes.length, 1);
    assert.equal(codes[0].disabled_at, null);
    const refused = await h.sql`select admin_id, command, allowed from public.admin_actions
                                where admin_id = ${STRANGER} order by id`;
    assert.deepEqual(refused.map((r) => [Number(r.admin_id), r.command, r.allowed]), [
      [STRANGER, "code_new", false],
      [STRANGER, "codes", false],
      [STRANGER, "code_off", false],
    ]);
    // the code still works
    await send(h, from(MEMBER, `/start ${code}`));
    assert.ok(sentTexts(h, MEMBER).some((t) => t.startsWith("🎟 Code accepted")));
  });
});
