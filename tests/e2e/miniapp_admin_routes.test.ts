// The Mini App admin door, `POST .../bot/app/admin` (CONTRACT section 4, issue #14), through real HTTP
// into the real handler and Postgres: members get 403 from every panel and action with nothing read or
// recorded; admins get each panel; grant/revoke go through grant_access/revoke_access once per request
// id, are recorded in admin_actions and their notices are delivered.
import assert from "node:assert/strict";
import type { Db, RpcName } from "../../functions/bot/db/port.ts";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { ADMIN_ID, DATABASE_URL, startHarness } from "../support/harness.ts";
import { initDataFor } from "../support/miniapp.ts";
import { ANN, BOB, CAT, DAN, seedAdminData, WEBHOOK_ERROR } from "../support/admin_seed.ts";

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

/** Every body the admin door knows (and some it does not): a non-admin gets 403 for each. */
const EVERY_ADMIN_BODY = [
  "",
  "{}",
  '{"panel":"overview"}',
  '{"panel":"members","query":"ann"}',
  `{"panel":"member","user_id":${ANN}}`,
  '{"panel":"codes"}',
  '{"panel":"broadcasts"}',
  '{"panel":"health"}',
  `{"action":"grant","user_id":${ANN},"days":30,"request_id":"abcdefgh-1"}`,
  `{"action":"revoke","user_id":${ANN},"request_id":"abcdefgh-2"}`,
  '{"action":"code_new","days":30,"request_id":"abcdefgh-3"}',
  '{"action":"code_off","code":"AAAAAAAAAA"}',
  '{"panel":"nope"}',
  "{not json",
  "[1]",
];

Deno.test("mini app admin routes: 403 for members, every panel for admins, grant/revoke once", async (t) => {
  const db = countingDb();
  const h = await startHarness({}, { db });
  const admin = `${h.url}/app/admin`;
  const post = async (initData: string, body: unknown) => {
    const res = await fetch(admin, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Telegram-Init-Data": initData },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const adminActions = async () => Number((await h.sql`select count(*) as n from public.admin_actions`)[0].n);
  try {
    await seedAdminData(h);
    const asAdmin = await initDataFor({ id: ADMIN_ID, language_code: "en" });
    const asAnn = await initDataFor({ id: ANN, language_code: "en" });

    await t.step(
      "a member: 403 from every admin body and method, nothing read, nothing recorded",
      async () => {
        db.calls.length = 0;
        const before = await adminActions();
        for (const body of EVERY_ADMIN_BODY) {
          for (const method of ["POST", "GET", "PUT"]) {
            const res = await fetch(admin, {
              method,
              headers: { "X-Telegram-Init-Data": asAnn, "content-type": "application/json" },
              body: method === "GET" ? undefined : body,
            });
            assert.equal(res.status, 403, `${method} ${body}`);
            assert.deepEqual(await res.json(), { error: "forbidden" });
          }
        }
        // the admin's id in the body changes nothing: only the init data decides
        const spoof = await post(asAnn, { panel: "overview", user_id: ADMIN_ID, admin_id: ADMIN_ID });
        assert.equal(spoof.status, 403);
        assert.deepEqual(db.calls, [], "nothing was read");
        assert.equal(await adminActions(), before, "nothing was recorded");
        assert.equal(h.telegram.calls.length, 0, "no Bot API call");
        // and invalid init data is a 401 before anything
        const forged = new URLSearchParams(asAnn);
        forged.set("user", JSON.stringify({ id: ADMIN_ID, first_name: "Test" }));
        assert.equal((await post(forged.toString(), { panel: "overview" })).status, 401);
        assert.equal(
          (await post(await initDataFor({ id: ADMIN_ID }, { ageSeconds: 86400 + 60 }), "{}")).status,
          401,
        );
        assert.deepEqual(db.calls, []);
      },
    );

    await t.step("member data: `admin: true` only in an admin's answer", async () => {
      const view = async (initData: string) =>
        (await fetch(`${h.url}/app`, { method: "POST", headers: { "X-Telegram-Init-Data": initData } }))
          .json();
      assert.equal((await view(asAdmin)).admin, true);
      const ann = await view(asAnn);
      assert.ok(!("admin" in ann));
    });

    await t.step("overview: members now, new/renewed/lapsed/refunded in 7 and 30 days, revenue", async () => {
      const r = await post(asAdmin, { panel: "overview" });
      assert.equal(r.status, 200);
      assert.equal(r.body.panel, "overview");
      assert.equal(r.body.lang, "en");
      const d = r.body.data;
      assert.equal(d.members_now, 2); // Ann, Bob
      const [p7, p30] = d.periods;
      assert.deepEqual(p7, { days: 7, new: 1, renewed: 0, lapsed: 1, refunded: 1 }); // Bob · Dan · Ann's Stars
      assert.deepEqual(p30, { days: 30, new: 3, renewed: 1, lapsed: 2, refunded: 1 }); // Bob, Cat, Dan · Ann
      assert.equal(d.months.length, 12);
      const thisMonth = d.months[11];
      const cur = d.revenue.filter((x: { month: string }) => x.month === thisMonth);
      // this month: Bob's 250 XTR kept, Ann's 250 XTR refunded; Ann's EUR renewal (if it fell this month)
      const xtr = cur.find((x: { currency: string }) => x.currency === "XTR");
      assert.equal(Number(xtr.amount), 250);
      assert.equal(Number(xtr.refunded), 250);
      assert.ok(d.revenue.some((x: { currency: string }) => x.currency === "EUR"));
      assert.equal(new Set(d.revenue.map((x: { month: string }) => x.month)).size, 12);
    });

    await t.step("members: by id, by @username prefix; a member's timeline and payments", async () => {
      const byId = await post(asAdmin, { panel: "members", query: String(BOB) });
      assert.deepEqual(byId.body.data.map((m: { telegram_user_id: number }) => m.telegram_user_id), [BOB]);
      const byName = await post(asAdmin, { panel: "members", query: "@ANN" });
      assert.deepEqual(byName.body.data.map((m: { username: string }) => m.username), ["ann_lee", "annabel"]);
      assert.equal(byName.body.data[0].has_access, true);
      assert.equal(byName.body.data[1].has_access, false);
      // a member without a username, whose access ended 3 days ago
      const [dan] = (await post(asAdmin, { panel: "members", query: ` ${DAN} ` })).body.data;
      assert.equal(dan.telegram_user_id, DAN);
      assert.equal(dan.username, null);
      assert.equal(dan.has_access, false);
      assert.ok(Math.abs(Date.parse(dan.access_until) - (Date.now() - 3 * 86400_000)) < 60_000);
      const none = await post(asAdmin, { panel: "members", query: "zz%" });
      assert.deepEqual(none.body.data, []);

      const m = await post(asAdmin, { panel: "member", user_id: ANN });
      assert.equal(m.status, 200);
      const d = m.body.data;
      assert.equal(d.summary.username, "ann_lee");
      assert.equal(d.summary.has_access, true);
      assert.deepEqual(
        d.timeline.map((w: { provider: string; kind: string; refunded: boolean }) =>
          `${w.provider}:${w.kind}:${w.refunded}`
        ),
        ["tribute:subscription:false", "telegram_stars:purchase:true", "manual:grant:false"],
      );
      assert.ok(d.timeline.every((w: { segments: unknown[] }) => Array.isArray(w.segments)));
      assert.deepEqual(
        d.payments.map((p: { kind: string; currency: string }) => `${p.kind}:${p.currency}`).sort(),
        ["purchase:XTR", "refund:XTR", "renewal:eur", "subscription:eur"],
      );
    });

    await t.step("grant: twice with one request id is one grant, recorded, notice delivered", async () => {
      const before = await adminActions();
      const body = { action: "grant", user_id: CAT, days: 14, request_id: "confirm-0001" };
      const first = await post(asAdmin, body);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.data.status, "granted");
      assert.equal(first.body.data.member.summary.has_access, true);
      const second = await post(asAdmin, body);
      assert.equal(second.status, 200);
      assert.equal(second.body.data.status, "duplicate");
      const grants = await h.sql`select count(*)::int as n from public.subscriptions
                                 where telegram_user_id = ${CAT} and kind = 'grant'`;
      assert.equal(grants[0].n, 2, "the seeded grant and one new one");
      const rows = await h.sql`select admin_id, command, args, result, allowed from public.admin_actions
                               order by id desc limit 2`;
      assert.equal(await adminActions(), before + 2);
      assert.equal(Number(rows[1].admin_id), ADMIN_ID);
      assert.equal(rows[1].command, "grant");
      assert.deepEqual(rows[1].args, { user_id: CAT, days: 14, request_id: "confirm-0001", via: "mini_app" });
      assert.match(rows[1].result, /^granted 14 days/);
      assert.match(rows[0].result, /duplicate/);
      await h.settle();
      const sent = h.telegram.calls.filter((c) => Number(c.body.chat_id) === CAT);
      assert.ok(sent.length >= 1, "the outbox rows the grant queued were delivered");
    });

    await t.step("revoke: access ends, recorded, removal delivered", async () => {
      const n0 = h.telegram.calls.length;
      const r = await post(asAdmin, { action: "revoke", user_id: CAT, request_id: "confirm-0002" });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.status, "revoked");
      assert.equal(r.body.data.member.summary.has_access, false);
      const [row] = await h.sql`select command, args from public.admin_actions order by id desc limit 1`;
      assert.equal(row.command, "revoke");
      assert.equal(row.args.via, "mini_app");
      await h.settle();
      assert.ok(h.telegram.calls.slice(n0).some((c) => Number(c.body.user_id ?? c.body.chat_id) === CAT));
    });

    await t.step("health: doctor checks, the Telegram error, failed deliveries", async () => {
      const r = await post(asAdmin, { panel: "health" });
      assert.equal(r.status, 200);
      const d = r.body.data;
      const byName = Object.fromEntries(
        d.checks.map((c: { name: string; ok: boolean; detail: string }) => [c.name, c]),
      );
      assert.deepEqual(Object.keys(byName), [
        "telegram webhook",
        "tribute api key",
        "tribute api",
        "cron job",
        "outbox backlog",
        "tribute inbox",
      ]);
      assert.equal(byName["telegram webhook"].ok, false, "an error 10 minutes ago fails the check");
      assert.match(byName["telegram webhook"].detail, /502 Bad Gateway/);
      assert.equal(d.webhook.last_error, WEBHOOK_ERROR);
      assert.equal(byName["tribute api key"].ok, true);
      assert.equal(byName["tribute api"].ok, true, byName["tribute api"].detail);
      assert.equal(byName["cron job"].ok, true, byName["cron job"].detail);
      assert.equal(byName["outbox backlog"].ok, true);
      assert.equal(byName["tribute inbox"].ok, true);
      assert.match(byName["tribute inbox"].detail, /^empty/);
      // a delivery acknowledged 10 minutes ago and still waiting: nothing is applying the inbox
      await h.sql`insert into public.tribute_inbox (dedupe_key, name, envelope, received_at)
                  values ('health-test', 'new_subscription', '{}', now() - interval '10 minutes')`;
      const stuck = (await post(asAdmin, { panel: "health" })).body.data.checks
        .find((c: { name: string }) => c.name === "tribute inbox");
      await h.sql`delete from public.tribute_inbox where dedupe_key = 'health-test'`;
      assert.equal(stuck.ok, false);
      assert.match(stuck.detail, /1 acknowledged, not applied yet/);
      assert.equal(d.failed_24h, 1);
      assert.equal(d.failed[0].source, "tribute");
      assert.equal(d.failed[0].name, "new_subscription");
      assert.match(d.failed[0].error, /subscription_id/);
      const text = JSON.stringify(r.body);
      for (const secret of [h.config.telegramBotToken, h.config.tributeApiKey]) {
        assert.ok(!text.includes(secret));
      }
    });

    await t.step("codes: create (once per request id), list, switch off; all recorded", async () => {
      assert.deepEqual((await post(asAdmin, { panel: "codes" })).body.data, {
        available: true,
        codes: [],
        total: 0,
      });
      const before = await adminActions();
      const body = { action: "code_new", days: 14, max_uses: 3, valid_days: 7, request_id: "confirm-code-1" };
      const first = await post(asAdmin, body);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.data.status, "created");
      const code = first.body.data.code as string;
      assert.match(code, /^[2-9A-HJKMNP-TV-Z]{10,32}$/);
      const again = await post(asAdmin, body);
      assert.equal(again.body.data.status, "duplicate");
      assert.equal(again.body.data.code, code);
      const list = (await post(asAdmin, { panel: "codes" })).body.data;
      assert.equal(list.codes.length, 1);
      assert.deepEqual(
        [list.codes[0].code, list.codes[0].days, list.codes[0].max_uses, list.codes[0].state],
        [code, 14, 3, "active"],
      );
      const off = await post(asAdmin, { action: "code_off", code: code.toLowerCase() });
      assert.equal(off.body.data.status, "off");
      assert.equal(off.body.data.codes.codes[0].state, "off");
      const rows = await h
        .sql`select command, args, result from public.admin_actions order by id desc limit 3`;
      assert.equal(await adminActions(), before + 3);
      assert.deepEqual(rows.map((r) => r.command), ["code_off", "code_new", "code_new"]);
      assert.equal(rows[2].args.via, "mini_app");
      assert.match(rows[2].result, new RegExp(`^created ${code}`));
      assert.match(rows[1].result, /duplicate/);
    });

    await t.step("broadcasts: sent/failed/blocked/left", async () => {
      const b = (await post(asAdmin, { panel: "broadcasts" })).body.data;
      assert.equal(b.available, true);
      assert.equal(b.broadcasts.length, 1);
      const [one] = b.broadcasts;
      assert.equal(one.audience, "all");
      assert.deepEqual([one.sent, one.failed, one.blocked, one.left], [1, 1, 1, 1]);
    });

    await t.step("bad admin bodies: 400, nothing changed or recorded", async () => {
      const before = await adminActions();
      for (
        const body of [
          "{not json",
          "[1]",
          { panel: "nope" },
          { panel: "members" },
          { panel: "members", query: "x".repeat(65) },
          { panel: "member", user_id: -1 },
          { panel: "member", user_id: "abc" },
          { action: "delete" },
          { action: "grant", user_id: ANN, days: 0, request_id: "confirm-0003" },
          { action: "grant", user_id: ANN, days: 3651, request_id: "confirm-0003" },
          { action: "grant", user_id: ANN, days: 1.5, request_id: "confirm-0003" },
          { action: "grant", user_id: ANN, days: 3 },
          { action: "grant", user_id: ANN, days: 3, request_id: "short" },
          { action: "revoke", user_id: ANN, request_id: "bad id with spaces" },
          { action: "code_new", days: 0, request_id: "confirm-code-9" },
          { action: "code_new", days: 5, max_uses: 0, request_id: "confirm-code-9" },
          { action: "code_new", days: 5, valid_days: 4000, request_id: "confirm-code-9" },
          { action: "code_new", days: 5 },
          { action: "code_off" },
          { action: "code_off", code: "no such code!" },
        ]
      ) {
        const r = await post(asAdmin, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(typeof r.body.error, "string");
      }
      assert.equal(await adminActions(), before);
    });
  } finally {
    await h.close();
  }
});
