// Fault suite (issue #10), part a: thousands of fuzzed requests at every door of the real handler, over
// the real Postgres. Properties, whatever the input:
//   - no 5xx at all (the database is up, so not even 503);
//   - without a valid signature or secret, nothing is written anywhere and the Bot API is not called;
//   - signed / authenticated garbage is acknowledged (Tribute 400 or 200-ignored, Telegram 200), grants
//     no access, creates no subscription or payment, and every such delivery is journaled as failed.
// Requests go straight to the handler function (no sockets) so 10,000 fit in seconds. Inputs come from
// a seeded generator (reproducible) plus fast-check's arbitrary JSON.
import assert from "node:assert/strict";
import fc from "fast-check";
import { signTributeBody } from "../../functions/bot/tribute/signature.ts";
import { CRON_SECRET, type Harness, startHarness, TRIBUTE_KEY, WEBHOOK_SECRET } from "../support/harness.ts";
import { Rng, runPool, tableCounts } from "./support.ts";

const URL_ = "http://127.0.0.1/functions/v1/bot";
const SEED = 20261126;
/** Fuzzed users live in their own id range, so "no access for any of them" is one query. */
const USER_BASE = 770_000_000;
const USERS = 200;

// ---------------------------------------------------------------------------------------------------
// Well-formed templates the mutations start from

function tributeTemplates(rng: Rng): Array<Record<string, unknown>> {
  const user = USER_BASE + rng.int(USERS);
  const created = new Date(Date.now() - rng.int(10) * 86_400_000).toISOString();
  const expires = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const sub = {
    subscription_name: "Club",
    subscription_id: 1 + rng.int(1000),
    period_id: 1,
    period: "monthly",
    price: 1000,
    amount: 700,
    currency: "eur",
    telegram_user_id: user,
    expires_at: expires,
  };
  const purchase = {
    product_id: 456,
    purchase_id: rng.int(1e6),
    amount: 500,
    currency: "usd",
    telegram_user_id: user,
  };
  return [
    { name: "new_subscription", created_at: created, sent_at: created, payload: sub },
    { name: "renewed_subscription", created_at: created, sent_at: created, payload: sub },
    { name: "cancelled_subscription", created_at: created, sent_at: created, payload: sub },
    { name: "new_digital_product", created_at: created, sent_at: created, payload: purchase },
    { name: "digital_product_refund", created_at: created, sent_at: created, payload: purchase },
    { name: "some_future_event", created_at: created, sent_at: created, payload: { telegram_user_id: user } },
  ];
}

/** Values that are wrong for an id, an amount, a date or a bounded string (never accidentally right). */
const BAD_IDS: unknown[] = [
  { a: 1 },
  [1],
  "123",
  "abc",
  1.5,
  -7,
  0,
  2 ** 63,
  1e300,
  -1e300,
  true,
  "",
  "9".repeat(40),
];
const BAD_AMOUNTS: unknown[] = [-1, 1.25, "700", { v: 1 }, 2 ** 60, [], true, -1e20];
const BAD_DATES: unknown[] = [
  "yesterday",
  "0000-01-01T00:00:00Z",
  "2025-13-01T00:00:00Z",
  "2025-02-30T00:00:00Z",
  "2025-03-20T01:15:58+23:00",
  "2025-03-20T01:15:58",
  "99999-01-01T00:00:00Z",
  "1900-01-01T00:00:00Z",
  1742433358,
  { date: 1 },
  "x".repeat(300),
];
const BAD_STRINGS: unknown[] = ["n".repeat(300), "n".repeat(5000), 42, { s: "x" }, ["x"], ""];
/** Strings a schema lets through but Postgres cannot store (U+0000 in text/jsonb, a lone surrogate). */
const UNSTORABLE = ["nul\u0000inside", "\u0000", "lone \ud800 surrogate", "\udfff"];

function mutateTribute(rng: Rng, ev: Record<string, unknown>): Record<string, unknown> {
  const e = structuredClone(ev) as Record<string, unknown> & { payload: Record<string, unknown> };
  const p = e.payload;
  switch (rng.int(12)) {
    case 0:
      e.name = rng.pick([...BAD_STRINGS.filter((s) => s !== ""), "n".repeat(101)]);
      break;
    case 1:
      e.created_at = rng.pick(BAD_DATES);
      break;
    case 2:
      if (e.name === "some_future_event") p.telegram_user_id = rng.pick(BAD_IDS);
      else p.telegram_user_id = rng.pick([...BAD_IDS, null]);
      break;
    case 3:
      if ("subscription_id" in p) p.subscription_id = rng.pick([...BAD_IDS, null]);
      else if ("product_id" in p) p.product_id = rng.pick([...BAD_IDS, null]);
      else p.telegram_user_id = rng.pick(BAD_IDS);
      break;
    case 4:
      if (e.name === "some_future_event") e.payload = rng.pick([null, [], "payload", 7]) as never;
      else p.amount = rng.pick(BAD_AMOUNTS);
      break;
    case 5:
      if ("expires_at" in p) p.expires_at = rng.pick(BAD_DATES);
      else if ("purchase_id" in p) p.purchase_id = rng.pick([1.5, "7", { id: 1 }, 2 ** 60]);
      else e.payload = null as never;
      break;
    case 6:
      // a value that passes the schema but not Postgres: the deterministic SQL path
      if ("subscription_name" in p) p.subscription_name = rng.pick(UNSTORABLE);
      else p[rng.pick(["note", "x\u0000key"])] = rng.pick(UNSTORABLE);
      break;
    case 7:
      e.payload = rng.pick([null, [], "payload", 7, true]) as never;
      break;
    case 8:
      delete (e as Record<string, unknown>)[rng.pick(["name", "created_at", "payload"])];
      break;
    case 9:
      e.sent_at = rng.pick([{ a: 1 }, 7, "s".repeat(200)]);
      break;
    case 10:
      if ("currency" in p) p.currency = rng.pick(["c".repeat(50), 978, { c: "eur" }]);
      else p.telegram_user_id = rng.pick(BAD_IDS);
      break;
    default:
      e.name = rng.pick(["", 7, null, { n: 1 }]);
  }
  return e;
}

/** Raw (string) bodies: not JSON, not UTF-8, nested too deep, NUL bytes. */
function rawGarbage(rng: Rng): string | Uint8Array {
  switch (rng.int(6)) {
    case 0:
      return "{not json";
    case 1:
      return new Uint8Array([0xff, 0xfe, 0x00, 0x7b, 0x7d]);
    case 2:
      return "[".repeat(2000) + "]".repeat(2000);
    case 3:
      return `{"name":"new_subscription","created_at":"2025-03-20T01:15:58Z","payload":${
        '{"a":'.repeat(200)
      }1${"}".repeat(200)}}`;
    case 4:
      return "\u0000\u0000\u0000";
    default:
      return "";
  }
}

// ---------------------------------------------------------------------------------------------------
// Telegram templates and mutations

function telegramTemplates(rng: Rng): Array<Record<string, unknown>> {
  const id = USER_BASE + rng.int(USERS);
  const updateId = 1 + rng.int(1e9);
  const user = { id, is_bot: false, first_name: "Fuzz", language_code: "en" };
  const chat = { id, type: "private", first_name: "Fuzz" };
  const date = Math.floor(Date.now() / 1000);
  return [
    {
      update_id: updateId,
      message: {
        message_id: 1,
        date,
        chat,
        from: user,
        text: "/start",
        entities: [{ type: "bot_command", offset: 0, length: 6 }],
      },
    },
    {
      update_id: updateId,
      message: {
        message_id: 2,
        date,
        chat,
        from: user,
        successful_payment: {
          currency: "XTR",
          total_amount: 250,
          invoice_payload: "plan:month",
          telegram_payment_charge_id: `fuzz-${updateId}`,
          provider_payment_charge_id: "",
        },
      },
    },
    {
      update_id: updateId,
      chat_member: {
        chat: { id: -1001234567890, type: "channel", title: "Paid" },
        from: user,
        date,
        old_chat_member: { status: "left", user },
        new_chat_member: { status: "member", user },
      },
    },
    {
      update_id: updateId,
      pre_checkout_query: {
        id: `q${updateId}`,
        from: user,
        currency: "XTR",
        total_amount: 250,
        invoice_payload: "plan:month",
      },
    },
    {
      update_id: updateId,
      callback_query: { id: `c${updateId}`, from: user, chat_instance: "ci", data: "buy:month" },
    },
  ];
}

function mutateTelegram(rng: Rng, u: Record<string, unknown>): unknown {
  const up = structuredClone(u) as Record<string, Record<string, unknown>>;
  const kind = Object.keys(up).find((k) => k !== "update_id")!;
  const body = up[kind];
  switch (rng.int(9)) {
    case 0:
      (up as Record<string, unknown>).update_id = rng.pick(["7", -1, 1.5, null, { id: 1 }, 2 ** 60]);
      break;
    case 1: {
      const from = body.from as Record<string, unknown>;
      from.id = rng.pick(BAD_IDS);
      break;
    }
    case 2:
      if (kind === "chat_member") {
        const m = body[rng.pick(["old_chat_member", "new_chat_member"])] as Record<string, unknown>;
        if (rng.int(2)) delete m.user;
        else m.user = rng.pick([null, "user", { id: "x" }, { first_name: "no id" }]);
      } else if (kind === "message" && body.successful_payment) {
        const p = body.successful_payment as Record<string, unknown>;
        p.total_amount = rng.pick([-250, 0, 1.5, "250", 2 ** 60, null, { a: 1 }]);
      } else body.from = rng.pick([null, "me", 7]);
      break;
    case 3:
      if (kind === "message" && body.successful_payment) {
        const p = body.successful_payment as Record<string, unknown>;
        const field = rng.pick(["currency", "telegram_payment_charge_id", "invoice_payload"]);
        p[field] = rng.pick([null, 7, { x: 1 }, "", "c".repeat(3000)]);
        if (field === "invoice_payload" && p[field] === "") p[field] = 7;
        if (field === "currency" && p[field] === "") p[field] = null;
      } else if ("chat" in body) {
        (body.chat as Record<string, unknown>).id = rng.pick(
          BAD_IDS.filter((v) => typeof v !== "number" || !Number.isSafeInteger(v)),
        );
      } else body.id = rng.pick([null, 7, "", { id: 1 }]);
      break;
    case 4:
      up[kind] = rng.pick([null, "text", 7, []]) as never;
      break;
    case 5:
      // passes the schema, refused by Postgres (NUL / lone surrogate in the user's name)
      (body.from as Record<string, unknown>).first_name = rng.pick(UNSTORABLE);
      (body.from as Record<string, unknown>).username = rng.pick(UNSTORABLE);
      if (kind === "message" && body.successful_payment) {
        (body.successful_payment as Record<string, unknown>).telegram_payment_charge_id = rng.pick(
          UNSTORABLE,
        );
      }
      break;
    case 6:
      if (kind === "message") body.text = "t".repeat(20_000);
      else (body.from as Record<string, unknown>).language_code = "l".repeat(100);
      break;
    case 7:
      if ("chat" in body) body.chat = rng.pick([null, { id: 1 }, { type: "private" }]);
      else (body.from as Record<string, unknown>).first_name = { nested: true };
      break;
    default:
      return rng.pick([null, 42, "update", [], [{ update_id: 1 }], { update_id: "1" }]);
  }
  return up;
}

// ---------------------------------------------------------------------------------------------------
// Request builders

type Door = "tribute" | "telegram" | "cron" | "health" | "none";
interface Fuzzed {
  door: Door;
  /** carries a valid signature / the right secret */
  authentic: boolean;
  request: () => Promise<Request>;
}

function bytes(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? new TextEncoder().encode(body) : body;
}

function post(headers: Record<string, string>, body: string | Uint8Array, method = "POST"): Request {
  return new Request(URL_, { method, headers, body: bytes(body) as BodyInit });
}

/** A header value a client could send (printable ASCII). */
function junkHeader(rng: Rng): string {
  const pool = ["", "x", "0".repeat(64), "sha256=abc", "null", "' or 1=1 --", "a".repeat(500)];
  return rng.pick(pool) + String(rng.int(1e6));
}

function buildCases(): Fuzzed[] {
  const rng = new Rng(SEED);
  const json = fc.sample(fc.jsonValue({ maxDepth: 4 }), { seed: SEED, numRuns: 1200 });
  const cases: Fuzzed[] = [];
  const add = (n: number, make: (i: number) => Fuzzed) => {
    for (let i = 0; i < n; i++) cases.push(make(i));
  };

  // ---- not authenticated (5,800): nothing may be written, nothing sent
  add(2000, (i) => ({
    door: "tribute",
    authentic: false,
    request: async () => {
      const body = i % 3 === 0
        ? JSON.stringify(rng.pick(tributeTemplates(rng)))
        : JSON.stringify(json[i % json.length]);
      // a signature for other bytes, for the right bytes with the wrong key, or junk
      const sig = i % 4 === 0
        ? await signTributeBody(body + " ", TRIBUTE_KEY)
        : i % 4 === 1
        ? await signTributeBody(body, "not-the-key")
        : junkHeader(rng);
      return post({ "trbt-signature": sig }, body);
    },
  }));
  add(1500, (i) => ({
    door: "telegram",
    authentic: false,
    request: () =>
      Promise.resolve(post(
        { "x-telegram-bot-api-secret-token": i % 2 ? junkHeader(rng) : WEBHOOK_SECRET + "x" },
        JSON.stringify(rng.pick(telegramTemplates(rng))),
      )),
  }));
  add(800, (i) => ({
    door: "cron",
    authentic: false,
    request: () =>
      Promise.resolve(post({ "x-cron-secret": i % 2 ? junkHeader(rng) : CRON_SECRET.slice(0, -1) }, "{}")),
  }));
  add(800, (i) => ({
    door: "none",
    authentic: false,
    request: () =>
      Promise.resolve(post(
        { "content-type": rng.pick(["application/json", "text/plain", "x/y"]), "x-other": junkHeader(rng) },
        JSON.stringify(json[(i * 7) % json.length]),
        rng.pick(["POST", "PUT", "DELETE", "PATCH"]),
      )),
  }));
  add(700, () => ({
    door: "health",
    authentic: false,
    request: () =>
      Promise.resolve(
        new Request(`${URL_}${rng.pick(["", "/", "/x", "?q=1", "/../../etc"])}`, {
          method: rng.pick(["GET", "HEAD"]),
          headers: { "x-junk": junkHeader(rng) },
        }),
      ),
  }));

  // ---- authenticated but malformed (4,200)
  add(2200, (i) => ({
    door: "tribute",
    authentic: true,
    request: async () => {
      let body: string | Uint8Array;
      if (i % 10 === 0) body = rawGarbage(rng);
      else if (i % 10 === 1) body = JSON.stringify(json[i % json.length]);
      else body = JSON.stringify(mutateTribute(rng, rng.pick(tributeTemplates(rng))));
      return post({ "trbt-signature": await signTributeBody(bytes(body), TRIBUTE_KEY) }, body);
    },
  }));
  add(1800, (i) => ({
    door: "telegram",
    authentic: true,
    request: () => {
      const body = i % 10 === 0
        ? JSON.stringify(json[(i * 3) % json.length])
        : JSON.stringify(mutateTelegram(rng, rng.pick(telegramTemplates(rng))));
      return Promise.resolve(post({ "x-telegram-bot-api-secret-token": WEBHOOK_SECRET }, body));
    },
  }));
  add(200, (i) => ({
    door: "cron",
    authentic: true,
    request: () =>
      Promise.resolve(
        post(
          { "x-cron-secret": CRON_SECRET },
          i % 2 ? JSON.stringify(json[i % json.length]) : rawGarbage(rng),
        ),
      ),
  }));
  return cases;
}

// ---------------------------------------------------------------------------------------------------

async function fire(h: Harness, cases: Fuzzed[], statuses: Map<string, number>): Promise<number[]> {
  const fiveXX: number[] = [];
  await runPool(cases, 12, async (c, i) => {
    const res = await h.handle(await c.request());
    await res.body?.cancel();
    const key = `${c.door}${c.authentic ? "+auth" : ""} ${res.status}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    if (res.status >= 500) fiveXX.push(i);
  });
  await h.settle();
  return fiveXX;
}

Deno.test(
  "fault: 10,000 fuzzed requests at every door — no 5xx, no unauthenticated write, no access from garbage",
  {
    sanitizeOps: false,
    sanitizeResources: false,
  },
  async () => {
    const h = await startHarness();
    try {
      const cases = buildCases();
      const unauth = cases.filter((c) => !c.authentic);
      const auth = cases.filter((c) => c.authentic);
      assert.ok(cases.length >= 10_000);
      assert.ok(auth.length * 3 >= cases.length, "at least a third carries a valid signature or secret");
      const statuses = new Map<string, number>();
      const started = performance.now();

      // 1. Unauthenticated: every table exactly as before, not one Bot API call.
      const before = await tableCounts(h.sql);
      const unauthFailures = await fire(h, unauth, statuses);
      assert.deepEqual(unauthFailures, [], "no 5xx for unauthenticated requests");
      assert.deepEqual(
        await tableCounts(h.sql),
        before,
        "nothing written without a valid signature or secret",
      );
      assert.equal(h.telegram.calls.length, 0, "no Bot API call for unauthenticated requests");
      for (const [key, n] of statuses) {
        const [door, status] = key.split(" ");
        const expected = door === "health" ? "200" : "401";
        assert.ok(status === expected || status === "413", `${door} answered ${status} (${n}x)`);
      }

      // 2. Authenticated garbage: acknowledged, journaled, and no access, payment or subscription.
      const authFailures = await fire(h, auth, statuses);
      const seconds = (performance.now() - started) / 1000;
      assert.deepEqual(authFailures, [], "no 5xx for signed / authenticated garbage");
      for (const [key, n] of statuses) {
        const [door, status] = key.split(" ");
        if (door === "tribute+auth") {
          assert.ok(
            status === "400" || status === "200",
            `tribute ${status} (${n}x)`,
          );
        }
        if (door === "telegram+auth") {
          assert.ok(
            status === "200" || status === "400",
            `telegram ${status} (${n}x)`,
          );
        }
      }
      const [db] = await h.sql`
      select (select count(*)::int from public.subscriptions) as subscriptions,
             (select count(*)::int from public.payments) as payments,
             (select count(*)::int from public.outbox) as outbox,
             (select count(*)::int from generate_series(${USER_BASE}::bigint, ${
        USER_BASE + USERS - 1
      }::bigint) u
               where public.has_access(u)) as with_access,
             (select count(*)::int from public.webhook_events where status = 'processed') as processed,
             (select count(*)::int from public.webhook_events where status = 'failed' and source = 'tribute') as tribute_failed,
             (select count(*)::int from public.webhook_events where status = 'failed' and source = 'telegram') as telegram_failed`;
      assert.equal(db.subscriptions, 0, "garbage created no subscription");
      assert.equal(db.payments, 0, "garbage created no payment");
      assert.equal(db.outbox, 0, "garbage queued no invite or notice");
      assert.equal(db.with_access, 0, "has_access is false for every fuzzed user");
      assert.equal(db.processed, 0, "no garbage delivery was applied");
      const tribute400 = statuses.get("tribute+auth 400") ?? 0;
      assert.ok(
        db.tribute_failed > 0 && db.tribute_failed <= tribute400,
        "rejected Tribute deliveries are journaled",
      );
      assert.ok(db.telegram_failed > 0, "failed Telegram updates are journaled");

      console.log(JSON.stringify({
        fuzz: {
          requests: cases.length,
          authenticated_malformed: auth.length,
          unauthenticated: unauth.length,
          seconds: Math.round(seconds * 10) / 10,
          statuses: Object.fromEntries([...statuses].sort()),
          journaled_failed: { tribute: db.tribute_failed, telegram: db.telegram_failed },
        },
      }));
    } finally {
      await h.close();
    }
  },
);
