/**
 * npm run bench, second part (after scripts/bench.ts): broadcast pace and micro-benchmarks.
 * npm run bench: speed checks that print ratios against a baseline measured in the same run (never
 * absolute timings asserted in tests). Runs in a scratch database migrated with the Supabase CLI, so
 * local data is untouched.
 *
 * 1. expire_subscriptions cost follows the number due, not the table size: 200 due rows among 2k vs
 *    200k rows that are not due. Baseline: the same call with index scans disabled (a full scan).
 * 2. A signed Tribute webhook through the whole handler (verify, parse, one SQL transaction) vs the
 *    health route through the same handler (routing + HTTP overhead only).
 * 3. HMAC verification of a 1 MiB body vs a 1 KiB body (linear in size, as it must be).
 * 5. The Mini App admin panels on 1,000,000 subscriptions (scripts/bench_admin.ts).
 * 4. Broadcast pace: one broadcast drained by 3 concurrent drains (each in its own Worker with its own
 *    connection, like three edge function instances) through a fake Bot API on loopback; every copyMessage arrival is timed there. Reported: copies, recipients
 *    served twice (must be 0), the most arrivals in any sliding 1 s window (must be ≤ the budget), the
 *    mean rate. Run A: 10,000 recipients at a raised budget (`--broadcast-rate`, default 400/s) so it
 *    takes ~30 s instead of 7 min; run B: the production budget (25/s) with `--real-recipients`
 *    (default 500, ~21 s). `--full` runs B with 10,000 recipients (~7 min).
 */
import postgres from "postgres";
import { createAppDeps } from "../functions/bot/app.ts";
import { parseConfig } from "../functions/bot/config.ts";
import { createPostgresDb } from "../functions/bot/db/postgres.ts";
import { createHandler } from "../functions/bot/handler.ts";
import { memoryLogger } from "../functions/bot/log.ts";
import { signTributeBody, verifyTributeSignature } from "../functions/bot/tribute/signature.ts";
import type { BroadcastCounts } from "../functions/bot/outbox/paced.ts";
import { startFakeTelegram } from "../tests/support/fake_telegram.ts";
import { duplicates, maxPerWindow, setPace } from "../tests/support/pace.ts";
import { cliDatabaseUrl } from "./local_defaults.ts";
import { benchAdminPanels } from "./bench_admin.ts";

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(Deno.args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
const FULL = Deno.args.includes("--full");
const FAST_RATE = flag("broadcast-rate", 400);
const REAL_RECIPIENTS = FULL ? 10_000 : flag("real-recipients", 500);
const DRAINS = 3;

const BASE_URL = Deno.env.get("DATABASE_URL") ?? "postgresql://postgres:postgres@127.0.0.1:54322/postgres";
const dbName = `bench_${Date.now()}`;
const scratchUrl = BASE_URL.replace(/\/[^/?]*(\?.*)?$/, `/${dbName}`);

/**
 * One broadcast to `recipients` users at `perSecond`, drained by DRAINS concurrent drains; the fake
 * Bot API timestamps every copyMessage as it arrives.
 */
async function broadcastRun(sql: postgres.Sql, url: string, recipients: number, perSecond: number) {
  await sql`truncate public.outbox, public.users, public.broadcasts, public.broadcast_pace restart identity cascade`;
  await sql`insert into public.users (telegram_user_id) select 1000000 + g from generate_series(1, ${recipients}) g`;
  const [{ b }] = await sql`select public.create_broadcast(1, 1, 42, 'all', null) as b`;
  await sql`select public.confirm_broadcast(${b.id}, 1)`;
  await setPace(sql, perSecond);
  const telegram = startFakeTelegram();
  const started = performance.now();
  try {
    // each drain in its own Worker, like separate edge function instances
    const results = await Promise.all(Array.from({ length: DRAINS }, () => {
      const worker = new Worker(new URL("./bench_drain_worker.ts", import.meta.url).href, { type: "module" });
      return new Promise<BroadcastCounts>((resolve, reject) => {
        worker.onmessage = (e) => e.data.ok ? resolve(e.data.counts) : reject(new Error(e.data.error));
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage({ url, apiRoot: telegram.apiRoot });
      });
    }));
    const elapsed = (performance.now() - started) / 1000;
    const copies = telegram.callsOf("copyMessage");
    const times = copies.map((c) => c.t);
    const [{ left }] = await sql`select count(*)::int as left from public.outbox where status <> 'sent'`;
    return {
      copies: copies.length,
      twice: duplicates(copies.map((c) => Number(c.body.chat_id))).length,
      left,
      busiest: maxPerWindow(times, 1000),
      mean: copies.length / ((Math.max(...times) - Math.min(...times)) / 1000),
      elapsed,
      released: results.reduce((n, r) => n + r.released, 0),
      perDrain: results.map((r) => r.sent),
    };
  } finally {
    await telegram.close();
  }
}

/** Ends 200 due grants among `notDue` live ones; returns the milliseconds expire_subscriptions took. */
async function expireRun(sql: postgres.Sql, notDue: number, opts: { noIndex?: boolean } = {}) {
  await sql`truncate public.subscriptions, public.outbox, public.users restart identity cascade`;
  await sql`insert into public.subscriptions (telegram_user_id, provider, external_id, kind, status, starts_at, expires_at)
            select g, 'manual', 'live-' || g, 'grant', 'active', now() - interval '1 day', now() + (g % 300 + 1) * interval '1 day'
            from generate_series(1, ${notDue}) g`;
  await sql`insert into public.subscriptions (telegram_user_id, provider, external_id, kind, status, starts_at, expires_at)
            select 10000000 + g, 'manual', 'due-' || g, 'grant', 'active', now() - interval '31 days', now() - interval '1 minute'
            from generate_series(1, 200) g`;
  await sql`analyze public.subscriptions`;
  return await sql.begin(async (tx) => {
    if (opts.noIndex) {
      await tx`set local enable_indexscan = off; set local enable_bitmapscan = off`.simple();
    }
    const t = performance.now();
    const [r] = await tx`select public.expire_subscriptions() as n`;
    const elapsed = performance.now() - t;
    if (r.n !== 200) throw new Error(`expected 200 ended, got ${r.n}`);
    return elapsed;
  });
}
async function best(run: () => Promise<number>, times = 3) {
  let fastest = Infinity;
  for (let i = 0; i < times; i++) fastest = Math.min(fastest, await run());
  return fastest;
}

const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${dbName}`);
const rows: string[][] = [["benchmark", "measured", "baseline", "ratio"]];
const paceLines: string[] = [];
let paceFailed = false;
const ms = (n: number) => `${n.toFixed(2)} ms`;

try {
  const up = await new Deno.Command("node_modules/.bin/supabase", {
    args: ["migration", "up", "--db-url", cliDatabaseUrl(scratchUrl)],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (up.code !== 0) throw new Error(new TextDecoder().decode(up.stderr));
  const sql = postgres(scratchUrl, { max: 2, onnotice: () => {} });
  await sql.file("supabase/seed.sql");

  // ---------------------------------------------------------------- 1. expiry cost vs table size
  const small = await best(() => expireRun(sql, 2_000));
  const large = await best(() => expireRun(sql, 200_000));
  const largeNoIndex = await best(() => expireRun(sql, 200_000, { noIndex: true }), 1);
  rows.push(["expire 200 due among 200k (vs among 2k)", ms(large), ms(small), (large / small).toFixed(2)]);
  rows.push([
    "expire 200 due among 200k: index vs full scan",
    ms(large),
    ms(largeNoIndex),
    (large / largeNoIndex).toFixed(3),
  ]);
  await sql`truncate public.subscriptions, public.outbox, public.users restart identity cascade`;

  // ---------------------------------------------------------------- 2. webhook through the handler
  const config = parseConfig({
    TELEGRAM_BOT_TOKEN: "1:bench",
    TELEGRAM_WEBHOOK_SECRET: "bench",
    TELEGRAM_API_ROOT: "http://127.0.0.1:9", // nothing listens: background delivery fails fast and is retried later
    TRIBUTE_API_KEY: "bench-key",
    CRON_SECRET: "bench",
    DATABASE_URL: scratchUrl,
  });
  const db = createPostgresDb(scratchUrl);
  const deps = createAppDeps(config, { db, log: memoryLogger(), background: () => {} });
  const handle = createHandler(deps);
  const N = 300;
  const bodies = await Promise.all([...Array(N)].map(async (_, i) => {
    const body = JSON.stringify({
      name: "new_subscription",
      created_at: new Date(Date.now() - i * 1000).toISOString(),
      payload: {
        subscription_id: 10_000 + i,
        telegram_user_id: 20_000 + (i % 100),
        expires_at: new Date(Date.now() + 86_400_000).toISOString(),
        amount: 700,
        currency: "eur",
      },
    });
    return { body, sig: await signTributeBody(body, "bench-key") };
  }));
  let t = performance.now();
  for (const { body, sig } of bodies) {
    const res = await handle(
      new Request("http://bench/", { method: "POST", headers: { "trbt-signature": sig }, body }),
    );
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  }
  const webhook = (performance.now() - t) / N;
  t = performance.now();
  for (let i = 0; i < N; i++) await (await handle(new Request("http://bench/"))).arrayBuffer();
  const health = (performance.now() - t) / N;
  rows.push([
    `tribute webhook, per event (n=${N})`,
    ms(webhook),
    ms(health) + " (health)",
    (webhook / health).toFixed(1),
  ]);
  // duplicates: the journal's unique key answers them without touching entitlements
  t = performance.now();
  for (const { body, sig } of bodies) {
    await (await handle(
      new Request("http://bench/", { method: "POST", headers: { "trbt-signature": sig }, body }),
    )).arrayBuffer();
  }
  const dup = (performance.now() - t) / N;
  rows.push([`duplicate delivery, per event`, ms(dup), ms(webhook) + " (first)", (dup / webhook).toFixed(2)]);
  await db.close();

  // ---------------------------------------------------------------- 3. HMAC cost by body size
  const big = new Uint8Array(1024 * 1024).fill(97);
  const tiny = new Uint8Array(1024).fill(97);
  const bigSig = await signTributeBody(big, "k");
  const tinySig = await signTributeBody(tiny, "k");
  const timeVerify = async (body: Uint8Array, sig: string, n: number) => {
    const s = performance.now();
    for (let i = 0; i < n; i++) {
      if (!(await verifyTributeSignature(body, sig, "k"))) throw new Error("verify failed");
    }
    return (performance.now() - s) / n;
  };
  const bigT = await timeVerify(big, bigSig, 50);
  const tinyT = await timeVerify(tiny, tinySig, 500);
  rows.push(["HMAC verify 1 MiB body (vs 1 KiB)", ms(bigT), ms(tinyT), (bigT / tinyT).toFixed(1)]);

  // ---------------------------------------------------------------- 4. broadcast pace
  for (
    const [label, recipients, perSecond] of [
      ["A (raised budget)", 10_000, FAST_RATE],
      ["B (production budget)", REAL_RECIPIENTS, 25],
    ] as const
  ) {
    const r = await broadcastRun(sql, scratchUrl, recipients, perSecond);
    paceLines.push(
      `broadcast ${label}: ${recipients} recipients, ${DRAINS} concurrent drains, budget ${perSecond}/s → ` +
        `${r.copies} copies, ${r.twice} recipients twice, ${r.left} not sent; busiest 1 s window ${r.busiest} ` +
        `(≤ ${perSecond}: ${r.busiest <= perSecond ? "yes" : "NO"}); mean ${r.mean.toFixed(1)}/s; ` +
        `${r.elapsed.toFixed(1)} s; per drain ${
          r.perDrain.join("/")
        }; slots missed and given back ${r.released}`,
    );
    if (r.twice > 0 || r.busiest > perSecond || r.left > 0) paceFailed = true;
  }
  paceLines.push(
    `at 25/s (one slot per 44 ms: 1.1 s / 25, a 100 ms margin) 10,000 recipients need ` +
      `${(10_000 * 1.1 / 25).toFixed(0)} s of sending${
        FULL ? " (run B above measured it)" : " (npm run bench -- --full measures it)"
      }`,
  );

  // ---------------------------------------------------------------- 5. admin panels on 1M subscriptions
  rows.push(...await benchAdminPanels(sql));
  await sql.end();
} finally {
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
for (const line of paceLines) console.log(line);
if (paceFailed) {
  console.error("broadcast pace: budget exceeded, a copy sent twice or not sent");
  Deno.exit(1);
}
