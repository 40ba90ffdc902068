/**
 * npm run bench, the admin view's part (called from scripts/bench.ts; alone: `bash scripts/deno.sh run -A
 * scripts/bench_admin.ts`, which makes its own scratch database): builds 1,000,000 subscriptions
 * set-based and times each panel function of migrations/20261126000090_admin_view.sql on them.
 *
 * Data (deterministic, spread over two years): 250,000 users with usernames; 1,000,000 items (a Tribute
 * window, Stars purchases and grants; 1 in 50 refunded) written with `app.recompute` on, so the
 * trigger does not recompute per row, and `user_access` filled from them set-based (the union of
 * each user's windows); a payment per paid item (their revenue totals filled set-based too); a refund
 * adjustment per refunded one; 100,000 journal
 * rows (1% failed); 100,000 outbox rows.
 *
 * Baseline: a full scan of `subscriptions` (count(*)) in the same run: what reading every row costs.
 * A panel that is "fast on a million" stays well below it whatever the table size.
 */
import postgres from "postgres";

const USERS = 250_000;
const ITEMS = 1_000_000;

async function build(sql: postgres.Sql) {
  await sql`truncate public.outbox, public.payments, public.webhook_events, public.subscriptions, public.users,
                     public.admin_actions, public.access_adjustments, public.user_access restart identity cascade`;
  await sql.begin(async (tx) => {
    await tx`select set_config('app.recompute', 'on', true)`;
    await tx`insert into public.users (telegram_user_id, username, first_name)
             select g, 'user' || g, 'User ' || g from generate_series(1, ${USERS}) g`;
    // item g: user (g % USERS) + 1; its kind follows g / USERS (0: Tribute window, 1-2: Stars, 3: grant)
    await tx`
      insert into public.subscriptions (telegram_user_id, provider, external_id, kind, status, auto_renew,
                                        event_at, duration, segments, starts_at, expires_at, refunded_at)
      select u, provider, 'bench-' || g, kind,
             case when refunded then 'refunded' when t0 + interval '30 days' < now() then 'expired' else 'active' end,
             kind = 'subscription' and not refunded,
             case when kind <> 'subscription' then t0 end,
             case when kind <> 'subscription' then interval '30 days' end,
             case when refunded then '{}'::tstzmultirange
                  else tstzmultirange(tstzrange(t0, t0 + interval '30 days')) end,
             t0, case when refunded then t0 else t0 + interval '30 days' end,
             case when refunded then t0 + interval '1 day' end
      from (
        select g, (g % ${USERS}) + 1 as u,
               case g / ${USERS} when 0 then 'tribute' when 3 then 'manual' else 'telegram_stars' end as provider,
               case g / ${USERS} when 0 then 'subscription' when 3 then 'grant' else 'purchase' end as kind,
               g % 50 = 0 and g / ${USERS} in (1, 2) as refunded,
               now() - ((g::bigint * 7919) % 730) * interval '1 day' - (g % 1440) * interval '1 minute' as t0
        from generate_series(0, ${ITEMS - 1}) g) x`;
    await tx`
      insert into public.user_access (telegram_user_id, coverage, access_until, has_access, covering_item)
      select telegram_user_id, cov, upper(cov), cov @> now(), first_id
      from (select s.telegram_user_id, coalesce(range_agg(r), '{}'::tstzmultirange) as cov, min(s.id) as first_id
            from public.subscriptions s left join lateral unnest(s.segments) r on true
            group by s.telegram_user_id) x`;
    // payments set-based: their per-row trigger (revenue totals) is off for this insert, and the totals are
    // filled from them at once afterwards, as the migration does for existing payments
    await tx`set local session_replication_role = replica`;
    await tx`
      insert into public.payments (provider, external_id, kind, telegram_user_id, subscription_id, plan_code, amount,
                                   currency, status, paid_at, refunded_at)
      select s.provider, s.external_id,
             case when s.kind = 'subscription' then (case when s.id % 3 = 0 then 'subscription' else 'renewal' end)
                  else 'purchase' end,
             s.telegram_user_id, s.id, null,
             case when s.provider = 'tribute' then 700 else 250 end,
             case when s.provider = 'tribute' then 'eur' else 'XTR' end,
             case when s.status = 'refunded' then 'refunded' else 'paid' end, s.starts_at, s.refunded_at
      from public.subscriptions s where s.provider <> 'manual'`;
    await tx`set local session_replication_role = origin`;
    await tx`
      insert into public.payment_month_totals (month, currency, shard, amount, refunded, payments)
      select date_trunc('month', p.paid_at at time zone 'UTC')::date, upper(p.currency), 0,
             coalesce(sum(p.amount) filter (where p.status = 'paid'), 0),
             coalesce(sum(p.amount) filter (where p.status = 'refunded'), 0), count(*)
      from public.payments p
      where p.kind in ('subscription', 'renewal', 'purchase') and p.status in ('paid', 'refunded')
      group by 1, 2`;
    await tx`
      insert into public.access_adjustments (telegram_user_id, kind, event_at, provider, target_external_id, source_key)
      select telegram_user_id, 'refund', refunded_at, provider, external_id, 'bench-refund:' || external_id
      from public.subscriptions where status = 'refunded'`;
    await tx`
      insert into public.webhook_events (source, name, dedupe_key, status, telegram_user_id, payload, error, received_at)
      select 'tribute', 'new_subscription', 'bench-' || g, case when g % 100 = 0 then 'failed' else 'processed' end,
             (g % ${USERS}) + 1, '{}'::jsonb, case when g % 100 = 0 then 'payload.expires_at: invalid date' end,
             now() - (g % 43200) * interval '1 minute'
      from generate_series(1, 100000) g`;
    await tx`
      insert into public.outbox (telegram_user_id, kind, template, status, next_attempt_at, sent_at)
      select (g % ${USERS}) + 1, 'message', 'renewed', case when g % 1000 = 0 then 'pending' else 'sent' end,
             now() - (g % 600) * interval '1 second', case when g % 1000 <> 0 then now() end
      from generate_series(1, 100000) g`;
  });
  await sql`vacuum analyze public.subscriptions, public.user_access, public.users, public.payments,
                            public.access_adjustments, public.webhook_events, public.outbox`;
}

async function best(sql: postgres.Sql, query: string, times = 5): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await sql.unsafe(query);
    fastest = Math.min(fastest, performance.now() - t);
  }
  return fastest;
}

/** Rows for bench.ts's table: [benchmark, measured, baseline, ratio]. */
export async function benchAdminPanels(
  sql: postgres.Sql,
  opts: { build?: boolean } = {},
): Promise<string[][]> {
  const started = performance.now();
  if (opts.build !== false) await build(sql);
  const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.subscriptions`;
  if (n !== ITEMS) throw new Error(`expected ${ITEMS} subscriptions, built ${n}`);
  const buildSeconds = (performance.now() - started) / 1000;
  const scan = await best(sql, "select count(*) from public.subscriptions", 3);
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const rows: string[][] = [];
  const panels: Array<[string, string]> = [
    ["admin_overview()", "select public.admin_overview()"],
    ["admin_find_members('user1234')", "select public.admin_find_members('user1234')"],
    ["admin_find_members('123456')", "select public.admin_find_members('123456')"],
    ["admin_member(123456)", "select public.admin_member(123456)"],
    ["admin_health()", "select public.admin_health()"],
    ["admin_codes()", "select public.admin_codes()"],
    ["admin_broadcast_status()", "select public.admin_broadcast_status()"],
  ];
  for (const [name, query] of panels) {
    const t = await best(sql, query);
    rows.push([
      `admin panel ${name} on 1M subscriptions`,
      ms(t),
      ms(scan) + " (full scan)",
      (t / scan).toFixed(3),
    ]);
  }
  if (opts.build !== false) {
    console.error(`(admin bench: 1M subscriptions, ${USERS} users built in ${buildSeconds.toFixed(1)} s)`);
  }
  return rows;
}

if (import.meta.main) {
  // --keep: leave the scratch database (its name is printed); --db NAME: time the panels on a database
  // built by an earlier --keep run, without building again
  const base = Deno.env.get("DATABASE_URL") ?? "postgresql://postgres:postgres@127.0.0.1:54322/postgres";
  const reuse = Deno.args.includes("--db") ? Deno.args[Deno.args.indexOf("--db") + 1] : null;
  const keep = Deno.args.includes("--keep") || reuse !== null;
  const dbName = reuse ?? `bench_admin_${Date.now()}`;
  const scratchUrl = base.replace(/\/[^/?]*(\?.*)?$/, `/${dbName}`);
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  if (reuse) {
    const sql = postgres(scratchUrl, { max: 2, onnotice: () => {} });
    const rows = [
      ["benchmark", "measured", "baseline", "ratio"],
      ...await benchAdminPanels(sql, { build: false }),
    ];
    await sql.end();
    printTable(rows);
    await admin.end();
    Deno.exit(0);
  }
  await admin.unsafe(`create database ${dbName}`);
  try {
    const up = await new Deno.Command("node_modules/.bin/supabase", {
      args: ["migration", "up", "--db-url", scratchUrl],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (up.code !== 0) throw new Error(new TextDecoder().decode(up.stderr));
    const sql = postgres(scratchUrl, { max: 2, onnotice: () => {} });
    await sql.file("supabase/seed.sql");
    const rows = [["benchmark", "measured", "baseline", "ratio"], ...await benchAdminPanels(sql)];
    await sql.end();
    printTable(rows);
  } finally {
    if (keep) console.error(`kept database ${dbName}`);
    else await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

function printTable(rows: string[][]) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
}
