// Editable texts end to end: an admin replies to a message with `/text <key> [lang]`, users see the new
// wording (per language) in the bot's replies, `/text <key> reset` brings the built-in text back, a
// text with an unknown or missing required placeholder is refused, non-admins change nothing.
import assert from "node:assert/strict";
import type { Db, RpcName } from "../../functions/bot/db/port.ts";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { formatDate, texts } from "../../functions/bot/telegram/texts.ts";
import { type FakeFrom, messageUpdate } from "../support/fake_telegram.ts";
import { ADMIN_ID, type Harness, lastText, send, withHarness } from "../support/bot_helpers.ts";
import { DATABASE_URL } from "../support/harness.ts";
import { replyUpdate } from "../support/relay_helpers.ts";
import { drainOutbox } from "../../functions/bot/outbox/drain.ts";
import { depsOf } from "../support/jobs_fixtures.ts";

const en = texts.en;
const ru = texts.ru;
const USER_EN = 6001;
const USER_RU = 6002;
const STRANGER = 6003;

/** `text` sent as a reply to an earlier message of the same chat that read `wording`. */
const replyTo = (from: FakeFrom, text: string, wording: string) =>
  replyUpdate(from, text, { message_id: 1, text: wording });

const admin = (lang = "en"): FakeFrom => ({ id: ADMIN_ID, first_name: "Boss", language_code: lang });
const userEn: FakeFrom = { id: USER_EN, language_code: "en" };
const userRu: FakeFrom = { id: USER_RU, language_code: "ru" };

async function overrides(h: Harness) {
  const rows = await h.sql`select key, lang, text, updated_by from public.bot_texts order by key, lang`;
  return rows.map((r) => ({ key: r.key, lang: r.lang, text: r.text, updated_by: Number(r.updated_by) }));
}

async function actions(h: Harness) {
  const rows = await h
    .sql`select admin_id, command, args, result, allowed from public.admin_actions order by id`;
  return rows.map((r) => ({
    admin_id: Number(r.admin_id),
    command: String(r.command),
    args: r.args as unknown,
    result: String(r.result),
    allowed: Boolean(r.allowed),
  }));
}

Deno.test("texts: an admin's override replaces the built-in text for users of that language; reset brings it back", async () => {
  await withHarness(async (h) => {
    await send(h, replyTo(admin(), "/text status_none", "No access yet — have a look at /plans 🙂"));
    assert.match(lastText(h, ADMIN_ID), /^Saved "status_none" \(en\)/);
    assert.deepEqual(await overrides(h), [
      {
        key: "status_none",
        lang: "en",
        text: "No access yet — have a look at /plans 🙂",
        updated_by: ADMIN_ID,
      },
    ]);

    await send(h, messageUpdate({ from: userEn, text: "/status" }));
    assert.equal(lastText(h, USER_EN), "No access yet — have a look at /plans 🙂");
    await send(h, messageUpdate({ from: userRu, text: "/status" }));
    assert.equal(lastText(h, USER_RU), ru.statusNone, "Russian speakers keep the Russian text");

    // an explicit language; /start shows the same override inside the welcome
    await send(h, replyTo(admin(), "/text status_none ru", "Доступа пока нет — загляните в /plans"));
    await send(h, messageUpdate({ from: userRu, text: "/start" }));
    assert.ok(lastText(h, USER_RU).includes("\n\nДоступа пока нет — загляните в /plans\n\n"));

    // reset: the admin's language by default, then the other one explicitly
    await send(h, messageUpdate({ from: admin(), text: "/text status_none reset" }));
    assert.equal(lastText(h, ADMIN_ID), en.textReset({ key: "status_none", lang: "en", removed: true }));
    await send(h, messageUpdate({ from: userEn, text: "/status" }));
    assert.equal(lastText(h, USER_EN), en.statusNone);
    await send(h, messageUpdate({ from: userRu, text: "/status" }));
    assert.equal(lastText(h, USER_RU), "Доступа пока нет — загляните в /plans");
    await send(h, messageUpdate({ from: admin(), text: "/text status_none reset ru" }));
    await send(h, messageUpdate({ from: userRu, text: "/status" }));
    assert.equal(lastText(h, USER_RU), ru.statusNone);
    await send(h, messageUpdate({ from: admin(), text: "/text status_none reset ru" }));
    assert.equal(lastText(h, ADMIN_ID), en.textReset({ key: "status_none", lang: "ru", removed: false }));
    assert.deepEqual(await overrides(h), []);

    const log = await actions(h);
    assert.deepEqual(log.map((a) => [a.command, a.result, a.allowed]), [
      ["text", "saved en", true],
      ["text", "saved ru", true],
      ["text", "reset en", true],
      ["text", "reset ru", true],
      ["text", "reset ru: no override", true],
    ]);
    assert.deepEqual(log[0].args, {
      key: "status_none",
      lang: "en",
      text: "No access yet — have a look at /plans 🙂",
    });
  });
});

Deno.test("texts: placeholders are filled with what the default would show (/status, Stars buttons)", async () => {
  await withHarness(async (h) => {
    await h.sql`select public.grant_access(${USER_EN}, 30, ${ADMIN_ID}, 'seed')`;
    await send(
      h,
      replyTo(admin(), "/text status_active", "Paid up to {until} ({source}, renewal {auto_renew})"),
    );
    await send(h, replyTo(admin(), "/text button_stars", "Buy {title} — {stars}⭐"));
    const [{ until }] = await h.sql`select public.access_until(${USER_EN}) as until`;
    await send(h, messageUpdate({ from: userEn, text: "/status" }));
    assert.equal(lastText(h, USER_EN), `Paid up to ${formatDate(until)} (Manual grant, renewal off)`);

    await send(h, messageUpdate({ from: userEn, text: "/plans" }));
    const keyboard = h.telegram.callsOf("sendMessage").at(-1)!.body.reply_markup as {
      inline_keyboard: Array<Array<{ text: string; callback_data?: string }>>;
    };
    assert.deepEqual(
      keyboard.inline_keyboard.flat().filter((b) => b.callback_data).map((b) => b.text),
      ["Buy 1 month — 250⭐", "Buy 3 months — 650⭐", "Buy 1 year — 2200⭐"],
    );
  });
});

Deno.test("texts: an unknown placeholder or a missing required one is refused with the allowed list (en, ru); nothing stored", async () => {
  await withHarness(async (h) => {
    await send(h, replyTo(admin(), "/text activated", "Welcome aboard! Access until {until}."));
    assert.equal(
      lastText(h, ADMIN_ID),
      en.textRefused({
        key: "activated",
        unknown: [],
        missing: ["invite_link"],
        allowed: "{until}* {invite_link}*",
      }),
    );
    assert.match(lastText(h, ADMIN_ID), /lacks the required \{invite_link\}/);
    assert.match(
      lastText(h, ADMIN_ID),
      /Allowed placeholders \(\* = required\): \{until\}\* \{invite_link\}\*/,
    );

    await send(h, replyTo(admin(), "/text status_expired", "Ended on {date}"));
    assert.match(
      lastText(h, ADMIN_ID),
      /uses unknown placeholders \{date\} and lacks the required \{until\}/,
    );

    // a Russian-speaking admin: refused in Russian, and the language defaults to theirs
    await send(h, replyTo(admin("ru"), "/text renewed", "Продлено до {data}"));
    assert.equal(
      lastText(h, ADMIN_ID),
      ru.textRefused({ key: "renewed", unknown: ["data"], missing: ["until"], allowed: "{until}*" }),
    );
    await send(h, replyTo(admin("ru"), "/text no_such_key", "x"));
    assert.equal(lastText(h, ADMIN_ID), ru.textUnknownKey("no_such_key"));
    await send(h, replyTo(admin("ru"), "/text renewed fr", "Продлено до {until}"));
    assert.equal(
      lastText(h, ADMIN_ID),
      ru.adminUsage("text", "<key> [en|ru] (as a reply to the new wording) · /text <key> reset [en|ru]"),
    );
    assert.deepEqual(await overrides(h), [], "nothing stored");

    await send(h, replyTo(admin("ru"), "/text renewed", "🔄 Продлено! Доступ до {until}."));
    assert.match(lastText(h, ADMIN_ID), /^Сохранено «renewed» \(ru\)/);
    assert.deepEqual((await overrides(h)).map((o) => [o.key, o.lang]), [["renewed", "ru"]]);

    const log = await actions(h);
    assert.deepEqual(log.map((a) => a.result), [
      "refused: unknown [] missing [invite_link]",
      "refused: unknown [date] missing [until]",
      "refused: unknown [data] missing [until]",
      "unknown key",
      "usage",
      "saved ru",
    ]);
  });
});

Deno.test("texts: /texts lists every key with its placeholders and the overridden languages; /text without a reply explains", async () => {
  await withHarness(async (h) => {
    await send(h, replyTo(admin(), "/text terms ru", "Правила: платите вовремя."));
    await send(h, messageUpdate({ from: admin(), text: "/texts" }));
    const list = lastText(h, ADMIN_ID);
    assert.match(list, /^Editable texts/);
    assert.match(list, /• activated: \{until\}\* \{invite_link\}\*\n/);
    assert.match(list, /• status_active: \{until\}\* \{source\} \{auto_renew\}\n/);
    assert.match(list, /• reminder: \{until\}\* \{time_left\}\n/);
    assert.match(list, /• terms \[ru\]\n/);
    assert.match(list, /• welcome: \{name\}\n/);
    assert.ok(list.length < 4096, "fits one message");

    await send(h, messageUpdate({ from: admin("ru"), text: "/texts" }));
    assert.match(lastText(h, ADMIN_ID), /^Редактируемые тексты/);

    await send(h, messageUpdate({ from: admin(), text: "/text terms ru" }));
    assert.equal(
      lastText(h, ADMIN_ID),
      en.textHowTo({ key: "terms", lang: "ru", placeholders: "", current: "Правила: платите вовремя." }),
    );
    await send(h, messageUpdate({ from: admin(), text: "/text activated" }));
    assert.match(lastText(h, ADMIN_ID), /Placeholders: \{until\}\* \{invite_link\}\*\.\nNo override/);
  });
});

Deno.test("texts: a non-admin is refused /text and /texts; nothing is stored; the attempts are recorded", async () => {
  await withHarness(async (h) => {
    await send(h, replyTo({ id: STRANGER, language_code: "en" }, "/text status_none", "hacked"));
    assert.equal(lastText(h, STRANGER), en.notAdmin);
    await send(h, messageUpdate({ from: { id: STRANGER, language_code: "ru" }, text: "/texts" }));
    assert.equal(lastText(h, STRANGER), ru.notAdmin);
    await send(
      h,
      messageUpdate({ from: { id: STRANGER, language_code: "en" }, text: "/text status_none reset" }),
    );
    assert.deepEqual(await overrides(h), []);
    assert.deepEqual((await actions(h)).map((a) => [a.admin_id, a.command, a.allowed]), [
      [STRANGER, "text", false],
      [STRANGER, "texts", false],
      [STRANGER, "text", false],
    ]);
    await send(h, messageUpdate({ from: userEn, text: "/status" }));
    assert.equal(lastText(h, USER_EN), en.statusNone);
  });
});

Deno.test("texts: the overrides cost at most one query per language while cached, and an edit applies at once", async () => {
  const real = createPostgresDb(DATABASE_URL);
  const counted: RpcName[] = [];
  const db: Db = {
    call<T>(fn: RpcName, args?: Record<string, unknown>): Promise<T> {
      counted.push(fn);
      return real.call<T>(fn, args);
    },
    close: () => real.close(),
  };
  await withHarness(
    async (h) => {
      for (let i = 0; i < 5; i++) await send(h, messageUpdate({ from: userEn, text: "/status" }));
      assert.equal(counted.filter((f) => f === "bot_text_overrides").length, 1, "one load for five updates");
      await send(h, replyTo(admin(), "/text status_none", "Nope, not yet."));
      await send(h, messageUpdate({ from: userEn, text: "/status" }));
      assert.equal(lastText(h, USER_EN), "Nope, not yet.", "the editing instance sees the edit at once");
    },
    {},
    { db },
  );
});

Deno.test("texts: outbox notices use the overrides too (the activation with its invite link, in Russian)", async () => {
  await withHarness(async (h) => {
    await h
      .sql`select public.set_bot_text('activated', 'ru', 'Добро пожаловать! До {until}: {invite_link}', ${ADMIN_ID})`;
    await h.sql`insert into public.users (telegram_user_id, language_code) values (4242, 'ru')`;
    await h.sql`select public.grant_access(4242, 7, ${ADMIN_ID}, 'override-outbox')`;
    await drainOutbox(depsOf(h), 10);
    const text = lastText(h, 4242);
    assert.match(text, /^Добро пожаловать! До \d{4}-\d\d-\d\d \d\d:\d\d UTC: https:\/\/t\.me\/\+/);
  });
});
