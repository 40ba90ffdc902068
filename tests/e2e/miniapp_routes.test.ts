// Mini App doors (CONTRACT section 4) through real HTTP into the real handler: the page, the member's
// data (only with valid init data, only their own), Stars invoice links, the admin path's gate.
import assert from "node:assert/strict";
import type { Db, RpcName } from "../../functions/bot/db/port.ts";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import {
  ADMIN_ID,
  BOT_TOKEN,
  CRON_SECRET,
  DATABASE_URL,
  startHarness,
  TRIBUTE_KEY,
  WEBHOOK_SECRET,
} from "../support/harness.ts";
import { initDataFor } from "../support/miniapp.ts";

const ANN = 7101;
const BOB = 7102;

/** The real Postgres port, counting every call: "nothing read" means no call at all. */
function countingDb(): Db & { calls: RpcName[] } {
  const inner = createPostgresDb(DATABASE_URL);
  const calls: RpcName[] = [];
  return {
    calls,
    call(fn, args) {
      calls.push(fn);
      return inner.call(fn, args);
    },
    close: () => inner.close(),
  };
}

Deno.test("mini app routes: page, own data only, invoices, admin path", async (t) => {
  const db = countingDb();
  const h = await startHarness({}, { db });
  const app = `${h.url}/app`;
  const post = (headers: Record<string, string>, body = "{}", url = app) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  try {
    // Ann: a manual grant and a refunded Stars payment; Bob: a grant of his own.
    await h.sql`select public.grant_access(${ANN}, 30, ${ADMIN_ID}, 'req-ann')`;
    await h.sql`select public.apply_star_payment(${ANN}, 'month', 250, 'XTR', 'charge-ann-1')`;
    await h.sql`select public.refund_star_payment('charge-ann-1')`;
    await h.sql`select public.grant_access(${BOB}, 7, ${ADMIN_ID}, 'req-bob')`;

    await t.step("GET .../bot/app: the page, 200 HTML, no secret, no user data", async () => {
      for (const url of [app, `${app}/`]) {
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
        assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
        const html = await res.text();
        assert.match(html, /telegram\.org\/js\/telegram-web-app\.js/);
        for (const secret of [BOT_TOKEN, WEBHOOK_SECRET, TRIBUTE_KEY, CRON_SECRET, DATABASE_URL]) {
          assert.ok(!html.includes(secret), "the page carries a secret");
        }
        for (const data of [String(ANN), String(BOB), "postgres"]) {
          assert.ok(!html.includes(data), `the page carries data: ${data}`);
        }
      }
      const head = await fetch(app, { method: "HEAD" });
      assert.equal(head.status, 200);
      // the health door is unchanged
      const health = await fetch(h.url);
      assert.deepEqual(await health.json(), { ok: true });
      assert.equal(db.calls.length, 0, "serving the page reads nothing");
    });

    await t.step("POST without, with forged, stale or other-bot init data: 401, nothing read", async () => {
      const good = await initDataFor({ id: ANN });
      const forged = new URLSearchParams(good);
      forged.set("user", JSON.stringify({ id: BOB, first_name: "Test" }));
      const cases: Array<[string, Record<string, string>]> = [
        ["no header", {}],
        ["empty header", { "X-Telegram-Init-Data": "" }],
        ["garbage", { "X-Telegram-Init-Data": "hello" }],
        ["forged user", { "X-Telegram-Init-Data": forged.toString() }],
        ["stale", { "X-Telegram-Init-Data": await initDataFor({ id: ANN }, { ageSeconds: 86400 + 60 }) }],
        ["other bot", { "X-Telegram-Init-Data": await initDataFor({ id: ANN }, { token: "1:other" }) }],
      ];
      for (const [name, headers] of cases) {
        for (const body of ["{}", '{"action":"invoice","plan":"month"}', "{not json"]) {
          const res = await post(headers, body);
          assert.equal(res.status, 401, `${name} ${body}`);
          assert.deepEqual(await res.json(), { error: "unauthorized" });
        }
      }
      // GET with a bad header is the data door too, not the page
      const res = await fetch(app, { headers: { "X-Telegram-Init-Data": "nope" } });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      assert.deepEqual(db.calls, [], "nothing was read");
      assert.equal(h.telegram.calls.length, 0, "no Bot API call");
    });

    await t.step("valid init data: 200 with that user's data only", async () => {
      const headers = { "X-Telegram-Init-Data": await initDataFor({ id: ANN, language_code: "en" }) };
      // the body cannot choose the user
      const res = await post(headers, JSON.stringify({ action: "view", telegram_user_id: BOB, user: BOB }));
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.telegram_user_id, ANN);
      assert.equal(body.lang, "en");
      assert.equal(body.access.has_access, true);
      assert.equal(body.access.source, "manual");
      assert.equal(body.access.renewing, false);
      assert.ok(new Date(body.access.until).getTime() > Date.now() + 29 * 86400_000);
      assert.equal(body.timeline.length, 2);
      const refunded = body.timeline.filter((w: { refunded: boolean }) => w.refunded);
      assert.equal(refunded.length, 1);
      assert.equal(refunded[0].source, "telegram_stars");
      assert.deepEqual(body.plans.map((p: { code: string }) => p.code), ["month", "quarter", "year"]);
      assert.match(body.support, /Payment problems/);
      const text = JSON.stringify(body);
      assert.ok(!text.includes(String(BOB)), "another user's data leaked");
      assert.ok(!text.includes("charge-ann-1"), "payment ids are not shown");
      // an empty body is a view too; Russian speakers get Russian
      const ru = await fetch(app, {
        method: "POST",
        headers: { "X-Telegram-Init-Data": await initDataFor({ id: BOB, language_code: "ru" }) },
      });
      const ruBody = await ru.json();
      assert.equal(ruBody.telegram_user_id, BOB);
      assert.equal(ruBody.lang, "ru");
      assert.match(ruBody.support, /Проблемы с оплатой/);
      assert.equal(ruBody.timeline.length, 1);
    });

    await t.step("a user the bot never saw: 200, no access, the plans", async () => {
      const res = await post({ "X-Telegram-Init-Data": await initDataFor({ id: 7199 }) });
      const body = await res.json();
      assert.equal(res.status, 200);
      assert.deepEqual(body.access, { has_access: false, until: null, source: null, renewing: false });
      assert.deepEqual(body.timeline, []);
      assert.equal(body.plans.length, 3);
      const [row] = await h.sql`select count(*)::int as n from public.users where telegram_user_id = 7199`;
      assert.equal(row.n, 0, "viewing writes nothing");
    });

    await t.step("valid init data, bad body: 400 (JSON, shape, action, plan)", async () => {
      const headers = { "X-Telegram-Init-Data": await initDataFor({ id: ANN }) };
      for (
        const body of [
          "{not json",
          "[1,2]",
          '"view"',
          '{"action":"delete"}',
          '{"action":"invoice"}',
          '{"action":"invoice","plan":"no such plan!"}',
          '{"action":"invoice","plan":"nope"}',
        ]
      ) {
        const res = await post(headers, body);
        assert.equal(res.status, 400, body);
        await res.body?.cancel();
      }
      assert.equal(h.telegram.callsOf("createInvoiceLink").length, 0);
    });

    await t.step("invoice: createInvoiceLink in XTR at the plan's price, link returned", async () => {
      h.telegram.reset();
      await h.sql`update public.plans set stars_price = 275 where code = 'month'`;
      const headers = { "X-Telegram-Init-Data": await initDataFor({ id: ANN, language_code: "ru" }) };
      const res = await post(headers, JSON.stringify({ action: "invoice", plan: "month" }));
      assert.equal(res.status, 200);
      const body = await res.json();
      const [call] = h.telegram.callsOf("createInvoiceLink");
      assert.ok(call, "createInvoiceLink was called");
      assert.equal(call.token, BOT_TOKEN);
      assert.equal(call.body.currency, "XTR");
      assert.equal(call.body.provider_token, "");
      assert.equal(call.body.payload, "plan:month");
      assert.deepEqual((call.body.prices as Array<{ amount: number }>).map((p) => p.amount), [275]);
      assert.match(String(call.body.description), /доступ/);
      assert.deepEqual(Object.keys(body), ["invoice_link"]);
      assert.match(body.invoice_link, /^https:\/\/t\.me\/\$/);
      // a plan not sold for Stars
      await h.sql`update public.plans set stars_price = null where code = 'year'`;
      const no = await post(headers, JSON.stringify({ action: "invoice", plan: "year" }));
      assert.equal(no.status, 400);
      assert.deepEqual(await no.json(), { error: "inactive_plan" });
      assert.equal(h.telegram.callsOf("createInvoiceLink").length, 1);
    });

    await t.step("invoice: Bot API 5xx → 503 with Retry-After; 400 → 422", async () => {
      const headers = { "X-Telegram-Init-Data": await initDataFor({ id: ANN }) };
      const body = JSON.stringify({ action: "invoice", plan: "quarter" });
      h.telegram.failNext("createInvoiceLink", { status: 502 });
      let res = await post(headers, body);
      assert.equal(res.status, 503);
      assert.ok(res.headers.get("retry-after"));
      await res.body?.cancel();
      h.telegram.failNext("createInvoiceLink", {
        status: 400,
        description: "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID",
      });
      res = await post(headers, body);
      assert.equal(res.status, 422);
      await res.body?.cancel();
    });

    await t.step(
      "the admin path: invalid init data 401; a member 403, nothing read (admins: miniapp_admin_routes)",
      async () => {
        db.calls.length = 0;
        const admin = `${app}/admin`;
        const headerSets: Record<string, string>[] = [{}, { "X-Telegram-Init-Data": "x=1&hash=00" }];
        for (const headers of headerSets) {
          for (const method of ["GET", "POST"]) {
            const res = await fetch(admin, { method, headers });
            assert.equal(res.status, 401, `${method} ${JSON.stringify(headers)}`);
            await res.body?.cancel();
          }
        }
        for (const id of [ANN, BOB]) {
          const res = await post({ "X-Telegram-Init-Data": await initDataFor({ id }) }, "{}", admin);
          assert.equal(res.status, 403);
          assert.deepEqual(await res.json(), { error: "forbidden" });
        }
        assert.deepEqual(db.calls, []);
        // an admin reaches it (the panels are tested in miniapp_admin_routes.test.ts)
        const res = await post({ "X-Telegram-Init-Data": await initDataFor({ id: ADMIN_ID }) }, "{}", admin);
        assert.equal(res.status, 200);
        assert.equal((await res.json()).panel, "overview");
      },
    );

    await t.step("limits and precedence: 413 over 1 MiB; the secret doors win over the path", async () => {
      const big = JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) });
      const headerSets: Record<string, string>[] = [{}, {
        "X-Telegram-Init-Data": await initDataFor({ id: ANN }),
      }];
      for (const headers of headerSets) {
        const res = await post(headers, big);
        assert.equal(res.status, 413);
        await res.body?.cancel();
      }
      const initData = await initDataFor({ id: ANN });
      // a wrong Tribute signature / Telegram secret / cron secret on the Mini App path is still that door's 401
      const doors: Record<string, string>[] = [
        { "trbt-signature": "00" },
        { "X-Telegram-Bot-Api-Secret-Token": "no" },
        { "X-Cron-Secret": "no" },
      ];
      for (const door of doors) {
        const res = await post({ ...door, "X-Telegram-Init-Data": initData });
        assert.equal(res.status, 401);
        await res.body?.cancel();
      }
      // a correct cron secret on that path runs the scheduled work, as anywhere
      const cron = await post({ "X-Cron-Secret": CRON_SECRET, "X-Telegram-Init-Data": initData });
      assert.equal(cron.status, 200);
      assert.equal(typeof (await cron.json()).expired, "number");
    });

    await t.step("logs: no init data, hash or secret", async () => {
      await h.settle();
      const all = h.logs.join("\n");
      const initData = await initDataFor({ id: ANN });
      const hash = new URLSearchParams(initData).get("hash")!;
      assert.ok(!all.includes(hash.slice(0, 16)));
      assert.ok(!all.includes("query_id"));
      for (const s of [BOT_TOKEN, WEBHOOK_SECRET, TRIBUTE_KEY, CRON_SECRET]) assert.ok(!all.includes(s));
      assert.match(all, /mini app init data refused/);
    });
  } finally {
    await h.close();
  }
});
