// CONTRACT section 4: every row of the routing table, through real HTTP into the real handler.
import assert from "node:assert/strict";
import { CRON_SECRET, startHarness, TRIBUTE_KEY, WEBHOOK_SECRET } from "../support/harness.ts";
import { messageUpdate } from "../support/fake_telegram.ts";

const sample = {
  name: "new_subscription",
  created_at: "2026-11-20T10:00:00.123Z",
  sent_at: "2026-11-20T10:00:01Z",
  payload: {
    subscription_id: 77,
    telegram_user_id: 5550001,
    expires_at: "2099-01-01T00:00:00Z",
    amount: 700,
    currency: "eur",
  },
};

async function counts(sql: import("postgres").Sql) {
  const [row] = await sql`select (select count(*) from public.webhook_events)::int as events,
                                 (select count(*) from public.subscriptions)::int as subs,
                                 (select count(*) from public.payments)::int as payments,
                                 (select count(*) from public.outbox)::int as outbox`;
  return row;
}

Deno.test("routing table: health, tribute, telegram, cron, unauthenticated, limits", async (t) => {
  const h = await startHarness();
  try {
    await t.step("GET with no header: 200 {ok:true}, no secrets", async () => {
      const res = await fetch(h.url);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual(body, { ok: true });
      assert.ok(!JSON.stringify(body).includes(TRIBUTE_KEY));
    });

    await t.step("POST/PUT/DELETE with none of the headers: 401, nothing written", async () => {
      const before = await counts(h.sql);
      for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
        const res = await fetch(h.url, { method, body: JSON.stringify(sample) });
        assert.equal(res.status, 401, method);
        await res.body?.cancel();
      }
      // a door header with the wrong method still has to authenticate first
      const res = await fetch(h.url, { method: "GET", headers: { "trbt-signature": "00" } });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      assert.deepEqual(await counts(h.sql), before);
    });

    await t.step(
      "tribute: missing/wrong/truncated signature and tampered body are 401, nothing written",
      async () => {
        const before = await counts(h.sql);
        for (const signature of ["", "00", "deadbeef".repeat(8)]) {
          const res = await h.postTribute(sample, { signature });
          assert.equal(res.status, 401, `signature ${JSON.stringify(signature)}`);
          await res.body?.cancel();
        }
        const good = await (await import("../../functions/bot/tribute/signature.ts")).signTributeBody(
          JSON.stringify(sample),
          TRIBUTE_KEY,
        );
        let res = await h.postTribute(sample, { signature: good.slice(0, 40) });
        assert.equal(res.status, 401);
        await res.body?.cancel();
        const tampered = JSON.stringify({ ...sample, payload: { ...sample.payload, telegram_user_id: 1 } });
        res = await h.postTribute(null, { raw: tampered, signature: good });
        assert.equal(res.status, 401);
        await res.body?.cancel();
        assert.deepEqual(await counts(h.sql), before);
      },
    );

    await t.step("tribute: a correctly signed event is 200 and applied", async () => {
      const res = await h.postTribute(sample);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.status, "processed");
      const [sub] = await h
        .sql`select status, telegram_user_id from public.subscriptions where external_id = '77'`;
      assert.equal(sub.status, "active");
    });

    await t.step("tribute: signed but unparsable JSON is 400 and journaled failed", async () => {
      const res = await h.postTribute(null, { raw: "{not json" });
      assert.equal(res.status, 400);
      await res.body?.cancel();
      const [row] = await h.sql`select count(*)::int as n from public.webhook_events where status = 'failed'`;
      assert.equal(row.n, 1);
    });

    await t.step("telegram: wrong secret 401 and no Bot API call; right secret 200", async () => {
      h.telegram.reset();
      const update = messageUpdate({ from: { id: 4242, first_name: "Ann" }, text: "/start" });
      let res = await h.postUpdate(update, { secret: "wrong" });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      assert.equal(h.telegram.calls.length, 0);
      res = await h.postUpdate(update, { secret: WEBHOOK_SECRET });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });

    await t.step("telegram: right secret, unparsable JSON: 400", async () => {
      const res = await fetch(h.url, {
        method: "POST",
        headers: { "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET },
        body: "{{",
      });
      assert.equal(res.status, 400);
      await res.body?.cancel();
    });

    await t.step("cron: wrong secret 401; right secret 200 with JSON counts", async () => {
      let res = await h.postCron({ secret: "nope" });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      res = await h.postCron({ secret: CRON_SECRET });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.ok, true);
      assert.equal(typeof body.expired, "number");
    });

    await t.step("body over 1 MiB: 413 on every door", async () => {
      const big = JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) });
      const doors: Record<string, string>[] = [{}, { "trbt-signature": "ab" }, {
        "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
      }, { "X-Cron-Secret": CRON_SECRET }];
      for (const headers of doors) {
        const res = await fetch(h.url, { method: "POST", headers, body: big });
        assert.equal(res.status, 413);
        await res.body?.cancel();
      }
    });

    await t.step("responses and logs never contain secrets", () => {
      const all = h.logs.join("\n");
      for (const s of [TRIBUTE_KEY, WEBHOOK_SECRET, CRON_SECRET, h.config.telegramBotToken]) {
        assert.ok(!all.includes(s), "log leaked a secret");
      }
      for (const line of h.logs) JSON.parse(line);
    });
  } finally {
    await h.close();
  }
});
