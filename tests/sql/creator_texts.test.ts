// The SQL behind editable texts and the support relay: who may call it, what the tables refuse, and
// that a waiting support window hands out exactly one message even when two arrive at once.
import assert from "node:assert/strict";
import { adminSql, resetDb } from "../support/harness.ts";
import { assertOnlyServiceRoleExecutes, assertTablesClosed } from "../support/privileges.ts";

const FUNCTIONS = [
  "bot_text_overrides(text)",
  "bot_text_index()",
  "set_bot_text(text,text,text,bigint)",
  "reset_bot_text(text,text)",
  "open_support_thread(bigint,integer)",
  "take_support_message(bigint,bigint[])",
  "record_support_messages(bigint,bigint,jsonb)",
  "support_reply_target(bigint,bigint)",
];

Deno.test("creator texts SQL: only service_role executes the functions; the tables are closed to anon/authenticated", async () => {
  const sql = adminSql();
  try {
    await assertOnlyServiceRoleExecutes(sql, FUNCTIONS.map((fn) => `public.${fn}`));
    await assertTablesClosed(sql, ["public.bot_texts", "public.support_threads", "public.support_messages"]);
  } finally {
    await sql.end();
  }
});

Deno.test("bot_texts: set returns what it replaced, reset says whether there was one, the table guards key/lang/length", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    const [a] = await sql`select public.set_bot_text('terms', 'en', 'v1', 9001) as r`;
    assert.deepEqual(a.r, { previous: null });
    const [b] = await sql`select public.set_bot_text('terms', 'en', 'v2', 9002) as r`;
    assert.deepEqual(b.r, { previous: "v1" });
    await sql`select public.set_bot_text('terms', 'ru', 'в1', 9001)`;
    const [o] = await sql`select public.bot_text_overrides('en') as en, public.bot_text_overrides('de') as de,
                                 public.bot_text_index() as idx`;
    assert.deepEqual(o.en, { terms: "v2" });
    assert.deepEqual(o.de, {});
    assert.deepEqual(o.idx, { terms: ["en", "ru"] });
    const [row] =
      await sql`select updated_by::int as by from public.bot_texts where key = 'terms' and lang = 'en'`;
    assert.equal(row.by, 9002);

    const [r1] = await sql`select public.reset_bot_text('terms', 'en') as removed`;
    const [r2] = await sql`select public.reset_bot_text('terms', 'en') as removed`;
    assert.deepEqual([r1.removed, r2.removed], [true, false]);

    for (const [key, lang, text] of [["terms", "de", "x"], ["Bad Key", "en", "x"], ["terms", "en", ""]]) {
      await assert.rejects(sql`select public.set_bot_text(${key}, ${lang}, ${text}, 1)`, { code: "23514" });
    }
    await assert.rejects(sql`select public.set_bot_text('terms', 'en', ${"x".repeat(4097)}, 1)`, {
      code: "23514",
    });
  } finally {
    await sql.end();
  }
});

Deno.test("support SQL: one message per window even when two arrive at once; expired windows take nothing; replies map back", async () => {
  const sql = adminSql();
  try {
    await resetDb(sql);
    await sql`insert into public.users (telegram_user_id, language_code) values (9001, 'ru')`;
    const [none] = await sql`select public.take_support_message(42, array[9001]::bigint[]) as t`;
    assert.equal(none.t, null, "never opened");

    await sql`select public.open_support_thread(42)`;
    const takes = await Promise.all(
      [1, 2, 3].map(() => sql`select public.take_support_message(42, array[9001, 9002]::bigint[]) as t`),
    );
    const taken = takes.map(([r]) => r.t).filter((t) => t !== null);
    assert.equal(taken.length, 1, "exactly one concurrent message is taken");
    assert.equal(taken[0].summary.telegram_user_id, 42);
    assert.deepEqual(taken[0].admins, [{ id: 9001, language_code: "ru" }, { id: 9002, language_code: null }]);

    await sql`select public.open_support_thread(42, 5)`;
    await sql`update public.support_threads set waiting_until = now() - interval '1 second'`;
    const [late] = await sql`select public.take_support_message(42, array[9001]::bigint[]) as t`;
    assert.equal(late.t, null, "an expired window takes nothing");

    const [n] = await sql`select public.record_support_messages(42, 7, ${
      sql.json([{ chat_id: 9001, message_id: 10 }, { chat_id: 9001, message_id: 11 }])
    }) as n`;
    assert.equal(n.n, 2);
    await sql`insert into public.support_messages (admin_chat_id, admin_message_id, telegram_user_id, created_at)
              values (9001, 1, 41, now() - interval '31 days')`;
    await sql`select public.record_support_messages(43, 8, ${sql.json([{ chat_id: 9002, message_id: 10 }])})`;
    const [m] = await sql`select public.support_reply_target(9001, 11) as hit,
                                 public.support_reply_target(9002, 10) as other,
                                 public.support_reply_target(9001, 99) as miss,
                                 public.support_reply_target(9001, 1) as old`;
    assert.deepEqual([Number(m.hit), Number(m.other), m.miss, m.old], [42, 43, null, null]);
  } finally {
    await sql.end();
  }
});
