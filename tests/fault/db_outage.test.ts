// Fault suite (issue #10), parts b and e: the database goes away under load.
//   b. Postgres is stopped for a few seconds in the middle of a stream of Tribute events sent by a
//      client that retries like Tribute does (on 503, again after a delay): only 200 and 503 are seen
//      and at the end every event is applied exactly once.
//   e. A request in flight when the database goes away answers 503 within 5 s (the contract's bound),
//      both when Postgres stops (sessions terminated) and when it freezes (sockets open, no bytes: only
//      the per-call deadline in db/postgres.ts ends that wait).
import assert from "node:assert/strict";
import postgres from "postgres";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { adminSql, DATABASE_URL, type Harness, startHarness } from "../support/harness.ts";
import { messageUpdate } from "../support/fake_telegram.ts";
import { freePort } from "../support/scripts.ts";
import { DbUnavailableError } from "../../functions/bot/db/port.ts";
import { postgresUp, runPool, sleep, startFreezableProxy, startPostgres, stopPostgres } from "./support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const DAY = 86_400_000;
/** CONTRACT section 4 / issue #10: a request in flight when the database goes away answers 503 in ≤ 5 s. */
const BOUND_MS = 5_000;

type Event = { name: string; created_at: string; sent_at: string; payload: Record<string, unknown> };

function subscriptionEvent(
  name: string,
  user: number,
  sub: number,
  createdMs: number,
  expiresMs: number,
): Event {
  return {
    name,
    created_at: new Date(createdMs).toISOString(),
    sent_at: new Date(createdMs + 1000).toISOString(),
    payload: {
      subscription_name: "Club",
      subscription_id: sub,
      period: "monthly",
      amount: 700,
      currency: "eur",
      telegram_user_id: user,
      expires_at: new Date(expiresMs).toISOString(),
    },
  };
}

interface Answer {
  status: number;
  ms: number;
}

/** Sends one event the way Tribute does: a 503 is retried after a short delay, anything else is final. */
async function deliverWithRetry(
  h: Harness,
  event: Event,
  answers: Answer[],
  deadline: number,
): Promise<number> {
  while (true) {
    const started = performance.now();
    const res = await h.postTribute(event);
    const text = await res.text();
    answers.push({ status: res.status, ms: performance.now() - started });
    if (res.status !== 503) {
      if (res.status !== 200) console.error(`final answer ${res.status}: ${text}`);
      return res.status;
    }
    assert.ok(res.headers.get("retry-after"), "a 503 says when to retry");
    assert.ok(
      Date.now() < deadline,
      `the event was not applied before the deadline; ${answers.length} answers so far, the last after ` +
        `${Math.round(answers.at(-1)!.ms)} ms: ${text}; the function's last log lines:\n` +
        h.logs.slice(-5).join("\n"),
    );
    await sleep(150);
  }
}

/** Makes sure this worktree's Postgres runs again, whatever happened in the test. */
async function ensurePostgresUp(): Promise<void> {
  if (!(await postgresUp(() => postgres(DATABASE_URL, { max: 1, connect_timeout: 2, onnotice: () => {} })))) {
    await startPostgres();
  }
}

Deno.test(
  "fault: Postgres stopped mid-stream — only 200/503, every event applied exactly once, in-flight 503 ≤ 5 s",
  opts,
  async () => {
    const h = await startHarness();
    const lockSql = adminSql();
    let outage: Promise<{ victim: Answer; stoppedAt: number }> | undefined;
    try {
      const base = 880_000_000;
      const now = Date.now();
      const events: Event[] = [];
      for (let i = 0; i < 30; i++) {
        events.push(
          subscriptionEvent("new_subscription", base + i, 88_000 + i, now - 60_000, now + 30 * DAY),
        );
      }
      for (let i = 0; i < 10; i++) {
        events.push(
          subscriptionEvent("renewed_subscription", base + i, 88_000 + i, now - 1000, now + 60 * DAY),
        );
      }
      // the in-flight victim: another session holds its user's lock and has written (not committed) an
      // inbox row with its dedupe key, so its call waits in Postgres whichever way the door takes it
      // (applied at once: the user's lock; accepted in a burst: the unique key), and nothing else waits
      const victimUser = base + 99;
      const victim = subscriptionEvent("new_subscription", victimUser, 88_099, now - 60_000, now + 30 * DAY);

      const answers: Answer[] = [];
      const deadline = Date.now() + 90_000;
      let applied = 0;
      // The second part of the stream starts once Postgres has stopped: the outage is mid-stream whatever
      // the machine's speed (acknowledging a burst takes a few milliseconds per event, less than
      // Postgres takes to shut down).
      let stopping: () => void = () => {};
      const stopped = new Promise<void>((r) => (stopping = r));

      const injectOutage = async () => {
        await lockSql`select pg_advisory_lock(7001, hashtext(${String(victimUser)}))`;
        const holder = await lockSql.reserve();
        await holder`begin`;
        await holder`insert into public.tribute_inbox (dedupe_key, name, envelope)
                     select public._tribute_dedupe_key(e ->> 'name', e ->> 'created_at', e -> 'payload'), e ->> 'name', e
                     from (select (${JSON.stringify(victim)}::text)::jsonb as e) x`;
        const started = performance.now();
        const inFlight = h.postTribute(victim).then(async (res) => {
          await res.body?.cancel();
          return { status: res.status, at: performance.now() };
        });
        // wait until the victim is really inside its transaction, waiting on the lock (a fixed sleep is
        // not enough on a busy machine: the request may not have reached Postgres yet)
        for (let i = 0; i < 200; i++) {
          const [{ waiting }] = await lockSql<{ waiting: number }[]>`
            select count(*)::int as waiting from pg_locks where not granted`;
          if (waiting > 0) break;
          await sleep(50);
        }
        const stoppedAt = performance.now();
        await stopPostgres();
        stopping();
        const v = await inFlight;
        await sleep(2500); // down for a few seconds while the stream keeps retrying
        await startPostgres();
        return { victim: { status: v.status, ms: v.at - Math.max(stoppedAt, started) }, stoppedAt };
      };

      await runPool(events, 3, async (event, i) => {
        if (i >= 12) await stopped;
        const status = await deliverWithRetry(h, event, answers, deadline);
        assert.equal(status, 200, `final answer ${status}`);
        if (++applied === 10) {
          outage = injectOutage();
          outage.catch((err) => { // a failed injection must not leave the stream waiting
            console.error("the outage injection failed:", err);
            stopping();
          });
        }
      });
      assert.ok(outage, "the outage was injected mid-stream");
      const { victim: victimAnswer } = await outage;
      // A fast shutdown signals every backend at once; on a busy machine the lock holder can die first and
      // the victim commit before its own signal lands (seen once with a CPU hog beside the test). Then it
      // was applied before the stop, and its 200 is true; otherwise it is a 503 within the bound.
      assert.ok([200, 503].includes(victimAnswer.status), `in flight at the stop: ${victimAnswer.status}`);
      if (victimAnswer.status === 503) {
        assert.ok(victimAnswer.ms <= BOUND_MS, `in-flight 503 after ${Math.round(victimAnswer.ms)} ms`);
      }
      // Tribute retries the victim too
      assert.equal(await deliverWithRetry(h, victim, answers, deadline), 200);
      await h.settle();

      const statuses = new Set(answers.map((a) => a.status));
      assert.deepEqual([...statuses].filter((s) => s !== 200 && s !== 503), [], "only 200 and 503");
      const unavailable = answers.filter((a) => a.status === 503);
      assert.ok(unavailable.length > 0, "the stream did meet the outage");
      const slowest = Math.max(...unavailable.map((a) => a.ms));
      assert.ok(slowest <= BOUND_MS, `a 503 took ${Math.round(slowest)} ms`);

      const [db] = await h.sql`
      select (select count(*)::int from public.webhook_events where source = 'tribute' and status = 'processed') as journal,
             (select count(*)::int from public.webhook_events where status = 'failed') as failed,
             (select count(*)::int from public.subscriptions where provider = 'tribute') as subs,
             (select count(*)::int from public.payments where provider = 'tribute') as payments,
             (select count(*)::int from generate_series(${base}::bigint, ${base + 29}::bigint) u
               where public.has_access(u)) as with_access,
             (select count(*)::int from public.subscriptions where external_id::int between 88000 and 88009
               and expires_at > now() + interval '59 days') as renewed,
             public.has_access(${victimUser}) as victim_access`;
      assert.equal(db.journal, events.length + 1, "every event journaled exactly once");
      assert.equal(db.failed, 0);
      assert.equal(db.subs, 31, "one subscription per subscription id");
      assert.equal(db.payments, events.length + 1, "one ledger row per paid event");
      assert.equal(db.with_access, 30);
      assert.equal(db.renewed, 10, "every renewal applied");
      assert.equal(db.victim_access, true);

      console.log(JSON.stringify({
        outage: {
          events: events.length + 1,
          answers: answers.length,
          answered_503: unavailable.length,
          slowest_503_ms: Math.round(slowest),
          in_flight_503_ms: Math.round(victimAnswer.ms),
        },
      }));
    } finally {
      await outage?.catch(() => {}); // it starts Postgres again itself; never two starts at once
      await ensurePostgresUp();
      await lockSql.end({ timeout: 1 }).catch(() => {});
      await h.close();
    }
  },
);

Deno.test(
  "fault: Postgres frozen (sockets open, no answer) — a request in flight answers 503 within 5 s",
  opts,
  async () => {
    const proxy = startFreezableProxy();
    // one connection, opened before the freeze: the waits below are on a live socket, which no connect
    // timeout covers (only the per-call deadline of db/postgres.ts ends them)
    const db = createPostgresDb(proxy.url, { max: 1 });
    const h = await startHarness({}, { db });
    try {
      const now = Date.now();
      const first = subscriptionEvent("new_subscription", 881_000_001, 88_101, now - 1000, now + 30 * DAY);
      const second = subscriptionEvent("new_subscription", 881_000_002, 88_102, now - 1000, now + 30 * DAY);
      assert.equal((await h.postTribute(first)).status, 200);

      proxy.freeze();
      const timings: Record<string, number> = {};
      for (
        const [door, send] of [
          ["tribute", () => h.postTribute(second)],
          ["telegram", () => h.postUpdate(messageUpdate({ from: { id: 881_000_003 }, text: "/status" }))],
        ] as const
      ) {
        const started = performance.now();
        const res = await send();
        await res.body?.cancel();
        timings[door] = Math.round(performance.now() - started);
        assert.equal(res.status, 503, `${door}: ${res.status}`);
        assert.ok(timings[door] <= BOUND_MS, `${door}: 503 after ${timings[door]} ms`);
      }

      proxy.thaw();
      // the retry is applied (or finds the delivery already applied): one effect either way
      const answers: Answer[] = [];
      assert.equal(await deliverWithRetry(h, second, answers, Date.now() + 30_000), 200);
      await h.settle(); // (an acknowledgement may be the inbox's: applied right after)
      const [row] = await h.sql`
      select count(*)::int as n from public.webhook_events
      where source = 'tribute' and status = 'processed' and telegram_user_id = 881000002`;
      assert.equal(row.n, 1);
      console.log(JSON.stringify({ frozen: { ms_to_503: timings } }));
    } finally {
      proxy.thaw();
      await h.close();
      await proxy.close();
    }
  },
);

Deno.test(
  "fault: a call cancelled inside Postgres (SQLSTATE 57014, as a late cancel request does) answers 503, the retry applies once",
  opts,
  async () => {
    // After a frozen connection thaws, the cancel request sent for the call given up on can reach the
    // server while that connection runs the next call, and cancels it. Here the cancel is sent on purpose
    // to a delivery waiting for its user's lock: the answer must tell Tribute to retry (503), not 500.
    const h = await startHarness();
    const lockSql = adminSql();
    try {
      const user = 882_000_001;
      const now = Date.now();
      const event = subscriptionEvent("new_subscription", user, 88_201, now - 1000, now + 30 * DAY);
      await lockSql`select pg_advisory_lock(7001, hashtext(${String(user)}))`;
      const inFlight = h.postTribute(event);
      let pid: number | undefined;
      for (let i = 0; i < 200 && pid === undefined; i++) {
        const rows = await lockSql<{ pid: number }[]>`
          select pid from pg_locks where locktype = 'advisory' and not granted limit 1`;
        pid = rows[0]?.pid;
        if (pid === undefined) await sleep(25);
      }
      assert.ok(pid, "the delivery waits for its user's lock");
      await lockSql`select pg_cancel_backend(${pid})`;
      const res = await inFlight;
      const body = await res.json();
      assert.equal(res.status, 503, JSON.stringify(body));
      assert.equal(body.code, "57014");
      assert.equal(res.headers.get("retry-after"), "1");
      const [before] = await h.sql`
        select count(*)::int as n from public.webhook_events where telegram_user_id = ${user}`;
      assert.equal(before.n, 0, "the cancelled transaction left nothing behind");

      await lockSql`select pg_advisory_unlock(7001, hashtext(${String(user)}))`;
      const answers: Answer[] = [];
      assert.equal(await deliverWithRetry(h, event, answers, Date.now() + 10_000), 200);
      await h.settle();
      const [after] = await h.sql`
        select (select count(*)::int from public.webhook_events
                 where telegram_user_id = ${user} and status = 'processed') as journal,
               public.has_access(${user}) as access`;
      assert.deepEqual({ ...after }, { journal: 1, access: true });
    } finally {
      await lockSql.end({ timeout: 1 }).catch(() => {});
      await h.close();
    }
  },
);

Deno.test(
  "fault: a call given up on while its connection waits to reconnect does not wedge the pool when the database returns",
  opts,
  async () => {
    // Seen in CI (stopped mid-stream, on a busy machine): after an outage longer than the call deadline,
    // every call timed out for 90 s although Postgres was back. postgres.js hands a call to a closed
    // connection as the one to run once it has reconnected; after failed attempts it waits (backoff)
    // before reconnecting. Cancelling that call (our deadline did) left the connection, once connected,
    // with nothing to run and never marked open: every later call queued behind it forever.
    const port = freePort(); // nothing listens here yet: the database is "down"
    const url = new URL(DATABASE_URL);
    url.port = String(port);
    const db = createPostgresDb(url.toString(), { max: 1, backgroundMax: 0, callTimeoutMs: 400 });
    let proxy: ReturnType<typeof startFreezableProxy> | undefined;
    try {
      // refused attempts lengthen the wait before the connection's next one, until a call is given up
      // on (the 400 ms deadline) while it waits: that call is the one the connection will run once
      // connected
      let givenUp = false;
      for (let i = 0; i < 20 && !givenUp; i++) {
        const started = performance.now();
        await assert.rejects(db.call("list_plans"), DbUnavailableError);
        givenUp = performance.now() - started >= 400;
      }
      assert.ok(givenUp, "a call was given up on while its connection waited to reconnect");
      proxy = startFreezableProxy(DATABASE_URL, port); // the database is back before that attempt
      const back = performance.now();
      let answered = false;
      while (!answered && performance.now() - back < 10_000) {
        answered = await db.call<unknown[]>("list_plans").then(() => true, () => false);
        if (!answered) await sleep(100);
      }
      assert.ok(answered, "calls are answered again after the database returned");
      const recoveredMs = Math.round(performance.now() - back);
      assert.ok(recoveredMs < 3000, `answered again ${recoveredMs} ms after the database returned`);
      console.log(JSON.stringify({ reconnect: { answered_again_ms: recoveredMs } }));
    } finally {
      await db.close();
      await proxy?.close();
    }
  },
);
