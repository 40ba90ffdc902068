// The inbox applies a batch's first subscriptions of new subscribers as one set
// (_apply_inbox_first_subscriptions, migrations/20261126000015_tribute_inbox.sql) and everything else
// one event at a time. The set is a shortcut through the timeline for the one case where the timeline is
// a single window, so it must write exactly what the one-by-one path writes. Random batches (new,
// renewed and cancelled events, users and subscriptions that repeat, users with a ledger already, a plan
// that opens named chats, dates with and without a zone, duplicates, a poison payload) are applied
// both ways from the same state; every table must come out the same, ids aside.
import assert from "node:assert/strict";
import fc from "fast-check";
import type postgres from "postgres";
import type { InboxCounts } from "../../functions/bot/tribute/inbox.ts";
import { adminSql, resetDb } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const RUNS = Number(Deno.env.get("INBOX_SET_RUNS") ?? 150);
const DAY = 86_400_000;
const USERS = 20;
const BASE_USER = 610_000;
const VIP_SUBSCRIPTION = BASE_USER + 1; // the subscription id a plan names (with or without chats)

interface Draft {
  name: "new_subscription" | "renewed_subscription" | "cancelled_subscription";
  user: number;
  /** the user's own subscription id, or another user's */
  sid: number;
  createdDays: number;
  /** how created_at is written: UTC, an offset, or no zone at all */
  zone: "Z" | "+03:00" | "";
  expires: null | "" | number;
  type: null | "" | "regular" | "gift" | "trial";
  amount: null | number | "poison";
}

const draftArb: fc.Arbitrary<Draft> = fc.record({
  name: fc.oneof(
    { weight: 6, arbitrary: fc.constant("new_subscription" as const) },
    { weight: 1, arbitrary: fc.constant("renewed_subscription" as const) },
    { weight: 1, arbitrary: fc.constant("cancelled_subscription" as const) },
  ),
  user: fc.integer({ min: 0, max: USERS - 1 }),
  sid: fc.oneof({ weight: 5, arbitrary: fc.constant(-1) }, {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: USERS - 1 }),
  }),
  createdDays: fc.integer({ min: -40, max: 3 }),
  zone: fc.constantFrom(...(["Z", "Z", "Z", "Z", "+03:00", ""] as const)),
  expires: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant("" as const) },
    { weight: 6, arbitrary: fc.integer({ min: -3, max: 60 }) },
  ),
  type: fc.constantFrom(null, "", "regular", "gift", "trial"),
  amount: fc.oneof(
    { weight: 16, arbitrary: fc.integer({ min: 0, max: 5000 }) },
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant("poison" as const) }, // a cast the database refuses
  ),
}).map((d) => ({ ...d, sid: d.sid === -1 ? d.user : d.sid }));

interface Scenario {
  /** users with a Tribute subscription applied before the batch */
  prior: number[];
  granted: number[];
  revoked: number[];
  /** the plan naming VIP_SUBSCRIPTION opens a named chat (else every paid chat), or there is none */
  vip: "none" | "all_chats" | "named_chat";
  drafts: Draft[];
  /** of the accepted events, these (by index) are also applied by the direct door before the batch */
  direct: number[];
  /** each accepted twice */
  copies: number[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  prior: fc.uniqueArray(fc.integer({ min: 0, max: USERS - 1 }), { maxLength: 3 }),
  granted: fc.uniqueArray(fc.integer({ min: 0, max: USERS - 1 }), { maxLength: 2 }),
  revoked: fc.uniqueArray(fc.integer({ min: 0, max: USERS - 1 }), { maxLength: 1 }),
  vip: fc.constantFrom(...(["none", "all_chats", "named_chat"] as const)),
  drafts: fc.array(draftArb, { minLength: 1, maxLength: 14 }),
  direct: fc.uniqueArray(fc.integer({ min: 0, max: 13 }), { maxLength: 2 }),
  copies: fc.uniqueArray(fc.integer({ min: 0, max: 13 }), { maxLength: 2 }),
});

function iso(ms: number, zone: Draft["zone"]): string {
  const z = new Date(ms).toISOString(); // ...Z
  if (zone === "Z") return z;
  if (zone === "") return z.slice(0, -1); // read in the session's time zone
  return new Date(ms + 3 * 3_600_000).toISOString().slice(0, -1) + "+03:00";
}

function envelope(d: Draft, now: number) {
  const created = now + d.createdDays * DAY + 3_600_000;
  const payload: Record<string, unknown> = {
    subscription_id: BASE_USER + d.sid,
    telegram_user_id: BASE_USER + d.user,
    subscription_name: "Set test",
    period: "monthly",
    channel_id: 1,
  };
  if (d.expires !== null) payload.expires_at = d.expires === "" ? "" : iso(created + d.expires * DAY, d.zone);
  if (d.type !== null) payload.type = d.type;
  if (d.amount !== null) {
    payload.amount = d.amount === "poison" ? "7.5" : d.amount;
    payload.currency = "eur";
  }
  return { name: d.name, created_at: iso(created, d.zone), sent_at: new Date(now).toISOString(), payload };
}

/** Everything the two ways write, with ids replaced by what they stand for and clock times by their presence. */
async function snapshot(sql: postgres.TransactionSql) {
  const [{ s }] = await sql<{ s: unknown }[]>`
    with sub as (select s.id, s.provider || ':' || s.external_id as tok from public.subscriptions s),
         ev as (select w.id, w.dedupe_key as tok from public.webhook_events w)
    select jsonb_build_object(
      'events', (select jsonb_agg(jsonb_build_object('key', w.dedupe_key, 'name', w.name, 'status', w.status,
                   'subject', w.subject, 'user', w.telegram_user_id, 'created', w.event_created_at,
                   'payload', w.payload, 'error', w.error) order by w.dedupe_key) from public.webhook_events w),
      'subscriptions', (select jsonb_agg((to_jsonb(s) - 'id' - 'created_at' - 'updated_at' - 'ended_at'
                   - 'refunded_at' - 'bonus_to' - 'details')
                   || jsonb_build_object('ended', s.ended_at is not null, 'refunded', s.refunded_at is not null,
                        'bonus_to', (select x.tok from sub x where x.id = s.bonus_to),
                        'details', s.details - 'from_subscription' - 'to_subscription')
                   order by s.provider, s.external_id) from public.subscriptions s),
      'payments', (select jsonb_agg((to_jsonb(p) - 'id' - 'created_at' - 'subscription_id' - 'webhook_event_id'
                   - 'refunded_at')
                   || jsonb_build_object('subscription', (select x.tok from sub x where x.id = p.subscription_id),
                        'event', (select e.tok from ev e where e.id = p.webhook_event_id))
                   order by p.provider, p.external_id) from public.payments p),
      'access', (select jsonb_agg((to_jsonb(a) - 'updated_at' - 'covering_item')
                   || jsonb_build_object('covering', (select x.tok from sub x where x.id = a.covering_item))
                   order by a.telegram_user_id) from public.user_access a),
      'outbox', (select jsonb_agg(o order by o) from (
                   select o.telegram_user_id, o.kind, o.template, o.params::text, o.status,
                          coalesce((select 'event:' || e.tok || substring(o.dedupe_key from '^event:[0-9]+(.*)$') from ev e
                                    where o.dedupe_key ~ '^event:[0-9]+' and e.id = substring(o.dedupe_key from '^event:([0-9]+)')::bigint),
                                   o.dedupe_key) as dedupe
                   from public.outbox o) o),
      'users', (select jsonb_agg(u.telegram_user_id order by u.telegram_user_id) from public.users u),
      'revenue', (select jsonb_agg(t order by t) from (
                   select t.month, t.currency, sum(t.amount) as amount, sum(t.refunded) as refunded,
                          sum(t.payments) as payments
                   from public.payment_month_totals t group by 1, 2) t),
      'inbox', (select jsonb_agg(jsonb_build_object('key', i.dedupe_key, 'attempts', i.attempts) order by i.dedupe_key)
                from public.tribute_inbox i)
    ) as s`;
  return s;
}

class Rollback extends Error {}

/** Runs `fn` in a transaction that is always rolled back; returns what it returned. */
async function rolledBack<T>(sql: postgres.Sql, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  let out: T | undefined;
  try {
    await sql.begin(async (tx) => {
      out = await fn(tx);
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  return out as T;
}

/** The state before the batch, then the batch accepted into the inbox (as the door does under a burst). */
async function arrange(tx: postgres.TransactionSql, sc: Scenario, now: number) {
  await tx`select set_config('TimeZone', 'UTC', true)`;
  if (sc.vip !== "none") {
    await tx`insert into public.plans (code, title, duration_days, tribute_subscription_id, chat_ids)
             values ('vip', 'VIP', 30, ${VIP_SUBSCRIPTION}, ${sc.vip === "named_chat" ? [-100777] : null})`;
  }
  for (const u of sc.prior) {
    const e = envelope(
      {
        name: "new_subscription",
        user: u,
        sid: u,
        createdDays: -20,
        zone: "Z",
        expires: 30,
        type: null,
        amount: 100,
      },
      now,
    );
    await tx`select public.apply_tribute_delivery(${e.name}, ${JSON.stringify(e)})`;
  }
  // (at fixed times: the two ways run in two transactions, whose now() differs)
  const at = (days: number) => new Date(now + days * DAY).toISOString();
  for (const u of sc.granted) {
    await tx`select public.grant_access(${BASE_USER + u}, 10, 1, ${"set-" + u}, ${at(-5)}::timestamptz)`;
  }
  for (const u of sc.revoked) {
    await tx`select public.revoke_access(${BASE_USER + u}, 1, ${"set-r-" + u}, ${at(-2)}::timestamptz)`;
  }
  const envelopes = sc.drafts.map((d) => envelope(d, now));
  const bodies = [...envelopes, ...sc.copies.filter((i) => i < envelopes.length).map((i) => envelopes[i])];
  await tx`select public.accept_tribute_events(${bodies.map((e) => e.name)}::text[],
                                               ${JSON.stringify(bodies)}::text)`;
  // the direct door applying a delivery the inbox holds too (a retry that came in alone)
  for (const i of sc.direct.filter((i) => i < envelopes.length && envelopes[i].payload.amount !== "7.5")) {
    await tx`select public.apply_tribute_delivery(${envelopes[i].name}, ${JSON.stringify(envelopes[i])})`;
  }
}

async function applyAll(tx: postgres.TransactionSql, isolate: boolean): Promise<InboxCounts> {
  const call = async (t: postgres.TransactionSql, iso: boolean) =>
    (await t<{ r: InboxCounts }[]>`select public.apply_tribute_inbox(1000, ${iso}) as r`)[0].r;
  if (isolate) return await call(tx, true);
  // as the applier does (inbox.ts applyBatch): the fast batch, and if it fails, the same rows isolated
  try {
    return await tx.savepoint((sp) => call(sp, false));
  } catch {
    return await call(tx, true);
  }
}

Deno.test(
  "inbox: the set of first subscriptions writes exactly what one-by-one applying writes",
  opts,
  async () => {
    const sql = adminSql();
    let together = 0;
    let events = 0;
    try {
      await resetDb(sql);
      const now = Date.now();
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (sc) => {
          const asSet = await rolledBack(sql, async (tx) => {
            await arrange(tx, sc, now);
            // how many the set takes (in a savepoint that is undone; then the batch is applied for real)
            const taken = await tx.savepoint(async (sp) => {
              const [{ r }] = await sp<{ r: { applied: number } }[]>`
              select public._apply_inbox_first_subscriptions(array(select i.id from public.tribute_inbox i)) as r`;
              throw Object.assign(new Rollback(), { applied: r.applied });
            }).catch((err) => {
              if (err instanceof Rollback) return (err as Rollback & { applied: number }).applied;
              // the poison payload among the set fails it whole: the batch then goes one by one
              if (String(err?.code ?? "").startsWith("22")) return 0;
              throw err;
            });
            const counts = await applyAll(tx, false);
            return { taken, counts, state: await snapshot(tx) };
          });
          const oneByOne = await rolledBack(sql, async (tx) => {
            await arrange(tx, sc, now);
            const counts = await applyAll(tx, true);
            return { counts, state: await snapshot(tx) };
          });
          together += asSet.taken;
          events += asSet.counts.claimed;
          assert.deepEqual(asSet.counts, oneByOne.counts);
          assert.deepEqual(asSet.state, oneByOne.state);
        }),
        { numRuns: RUNS, seed: Number(Deno.env.get("INBOX_SET_SEED") ?? 20261126) },
      );
      // the property is only worth something if the set path really ran, and the one-by-one path too
      assert.ok(together > events / 5, `the set applied ${together} of ${events} events`);
      assert.ok(together < events, `the set applied all ${events} events: nothing went one by one`);
    } finally {
      await sql.end();
    }
  },
);
