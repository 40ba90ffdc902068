-- The admin view of the Mini App (issue #14): one read-only function per panel, called by
-- functions/bot/miniapp/admin.ts only after the init data named a user of ADMIN_TELEGRAM_IDS.
-- Grants and revocations go through public.grant_access / public.revoke_access like /grant and /revoke.
--
--   admin_overview()               members with access now; new, renewed, lapsed, refunded in 7 and 30 days;
--                                  revenue per month (last 12) per currency, as received (minor units)
--   admin_find_members(q)          by Telegram id, or by username prefix (a leading @ is ignored)
--   admin_member(id)               summary, every window and item (user_timeline), payments
--   admin_health()                 cron job, outbox backlog, latest deliveries journaled `failed`
--   admin_codes()                  access codes        } when their tables exist (another branch adds them);
--   admin_broadcast_status()       recent broadcasts   } otherwise {"available": false}
--
-- All of them are fast on a million subscriptions (npm run bench: scripts/bench_admin.ts); the indexes
-- below are what they need beyond the schema's.

-- new: members whose access first began in the period (the first moment of their coverage)
create index if not exists user_access_first_start_idx on public.user_access ((lower(coverage)));
-- search by username prefix, case-insensitive
create index if not exists users_username_search_idx on public.users (lower(username) text_pattern_ops)
  where username is not null;
-- refunded in the period (both rails write a refund adjustment)
create index if not exists access_adjustments_refund_time_idx on public.access_adjustments (event_at)
  where kind = 'refund';
-- the latest failed deliveries
create index if not exists webhook_events_failed_idx on public.webhook_events (received_at desc)
  where status = 'failed';
-- renewed: who paid in the period, read from the index alone
create index if not exists payments_renewed_idx on public.payments (paid_at) include (telegram_user_id, status)
  where kind in ('subscription', 'renewal', 'purchase');

-- Revenue per month and currency, kept up to date by a trigger on payments, so the overview reads a few
-- dozen rows instead of aggregating every payment of a year (hundreds of thousands at a million
-- subscriptions). Exact: an insert adds, a refund moves the amount from "amount" to "refunded", a delete
-- subtracts, a truncate of payments empties it. tests/sql/admin_view.test.ts holds it equal to the
-- aggregate of payments.
-- Each change is a new delta row (shard > 0, from a sequence): an INSERT that never conflicts, never
-- waits for another payment's transaction, and costs the same in a batch of a hundred events as alone
-- (updating one sum row a hundred times in one transaction leaves a chain of versions every later
-- update must walk). compact_payment_month_totals (pg_cron, every minute) folds the deltas into one row
-- per month and currency (shard 0); readers sum whatever rows there are.
create table if not exists public.payment_month_totals (
  month    date not null,              -- first day of the month (UTC) of paid_at
  currency text not null,              -- upper-cased code as received (Tribute sends "eur")
  shard    bigint not null,            -- 0: the folded sum; otherwise one delta
  amount   bigint not null default 0,  -- paid and kept, minor units
  refunded bigint not null default 0,  -- paid and refunded since, minor units
  payments bigint not null default 0,
  primary key (month, currency, shard)
);
create sequence if not exists public.payment_month_delta_seq;
alter table public.payment_month_totals enable row level security;
comment on table public.payment_month_totals is
  'Revenue per month and currency: one folded row (shard 0) plus recent deltas, maintained by a trigger on payments.';

create or replace function public._payment_month_add(p_at timestamptz, p_currency text, p_status text,
                                                     p_amount bigint, p_sign int)
returns void language plpgsql set search_path = '' as $$
begin
  insert into public.payment_month_totals (month, currency, shard, amount, refunded, payments)
  values (date_trunc('month', p_at at time zone 'UTC')::date, upper(p_currency), nextval('public.payment_month_delta_seq'),
          case when p_status = 'paid' then p_sign * p_amount else 0 end,
          case when p_status = 'refunded' then p_sign * p_amount else 0 end, p_sign);
end $$;

-- Folds the deltas into the month's row (shard 0). Safe to run concurrently and repeatedly: a delta is
-- deleted by exactly one run, and the fold is one upsert per month and currency.
create or replace function public.compact_payment_month_totals()
returns integer language plpgsql set search_path = '' as $$
declare
  v_folded int;
begin
  with d as (
    delete from public.payment_month_totals t where t.shard <> 0
    returning t.month, t.currency, t.amount, t.refunded, t.payments
  ), s as (
    select d.month, d.currency, sum(d.amount)::bigint as amount, sum(d.refunded)::bigint as refunded,
           sum(d.payments)::bigint as payments, count(*) as n
    from d group by d.month, d.currency
  ), up as (
    insert into public.payment_month_totals as t (month, currency, shard, amount, refunded, payments)
    select s.month, s.currency, 0, s.amount, s.refunded, s.payments from s
    on conflict (month, currency, shard) do update
      set amount = t.amount + excluded.amount, refunded = t.refunded + excluded.refunded,
          payments = t.payments + excluded.payments
  )
  select coalesce(sum(s.n), 0) into v_folded from s;
  return v_folded;
end $$;

create or replace function public._payments_month_totals()
returns trigger language plpgsql set search_path = '' as $$
begin
  if tg_op = 'UPDATE' and (old.kind, old.status, old.paid_at, old.currency, old.amount)
                          is not distinct from (new.kind, new.status, new.paid_at, new.currency, new.amount) then
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') and old.kind in ('subscription', 'renewal', 'purchase')
     and old.status in ('paid', 'refunded') then
    perform public._payment_month_add(old.paid_at, old.currency, old.status, old.amount, -1);
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.kind in ('subscription', 'renewal', 'purchase')
     and new.status in ('paid', 'refunded') then
    perform public._payment_month_add(new.paid_at, new.currency, new.status, new.amount, 1);
  end if;
  return null;
end $$;

create or replace function public._payments_month_totals_truncate()
returns trigger language plpgsql set search_path = '' as $$
begin
  truncate public.payment_month_totals;
  return null;
end $$;

drop trigger if exists payments_month_totals on public.payments;
create trigger payments_month_totals after insert or update or delete on public.payments
  for each row execute function public._payments_month_totals();
drop trigger if exists payments_month_totals_truncate on public.payments;
create trigger payments_month_totals_truncate after truncate on public.payments
  for each statement execute function public._payments_month_totals_truncate();

-- what was paid before this migration
truncate public.payment_month_totals;
insert into public.payment_month_totals (month, currency, shard, amount, refunded, payments)
select date_trunc('month', p.paid_at at time zone 'UTC')::date, upper(p.currency), 0,
       coalesce(sum(p.amount) filter (where p.status = 'paid'), 0),
       coalesce(sum(p.amount) filter (where p.status = 'refunded'), 0), count(*)
from public.payments p
where p.kind in ('subscription', 'renewal', 'purchase') and p.status in ('paid', 'refunded')
group by 1, 2;

-- {
--   "generated_at": "...",
--   "members_now": 123,                        -- users whose coverage contains now()
--   "periods": [{"days": 7, "new": 3, "renewed": 5, "lapsed": 2, "refunded": 1}, {"days": 30, ...}],
--       new:      access first began in the period
--       renewed:  paid in the period (subscription, renewal, purchase; not refunded) with access that
--                 began before it
--       lapsed:   access ended in the period and has not come back
--       refunded: refunds (Tribute or Stars) in the period
--   "months": ["2025-12", ..., "2026-11"],      -- the last 12 calendar months (UTC), oldest first
--   "revenue": [{"month": "2026-11", "currency": "EUR", "amount": 1400, "refunded": 700, "payments": 3}]
--       amount: paid and kept, refunded: paid and refunded since; both in minor units, never converted
--       (only the currency code's case is unified: Tribute sends "eur")
-- }
create or replace function public.admin_overview()
returns jsonb language sql stable set search_path = '' as $$
  with bounds as (
    select (date_trunc('month', now() at time zone 'UTC') - interval '11 months') at time zone 'UTC' as since
  )
  select jsonb_build_object(
    'generated_at', now(),
    'members_now', (select count(*) from public.user_access a
                    where a.access_until > now() and a.coverage @> now()),
    'periods', (
      select jsonb_agg(jsonb_build_object(
               'days', d,
               'new', (select count(*) from public.user_access a
                       where lower(a.coverage) > now() - make_interval(days => d) and lower(a.coverage) <= now()),
               'renewed', (select count(distinct p.telegram_user_id)
                           from public.payments p
                           where p.kind in ('subscription', 'renewal', 'purchase')
                             and p.paid_at > now() - make_interval(days => d) and p.paid_at <= now()
                             and p.status = 'paid'
                             -- not among those whose access began later (few: an index range) or never
                             and p.telegram_user_id not in (
                               select a.telegram_user_id from public.user_access a
                               where lower(a.coverage) > now() - make_interval(days => d)
                                  or lower(a.coverage) is null)),
               'lapsed', (select count(*) from public.user_access a
                          where a.access_until > now() - make_interval(days => d) and a.access_until <= now()),
               'refunded', (select count(*) from public.access_adjustments j
                            where j.kind = 'refund'
                              and j.event_at > now() - make_interval(days => d) and j.event_at <= now()))
             order by d)
      from unnest(array[7, 30]) d),
    'months', (
      select jsonb_agg(to_char(m, 'YYYY-MM') order by m)
      from bounds b, generate_series(b.since at time zone 'UTC', now() at time zone 'UTC', interval '1 month') m),
    'revenue', coalesce((
      select jsonb_agg(jsonb_build_object('month', r.month, 'currency', r.currency, 'amount', r.amount,
                                          'refunded', r.refunded, 'payments', r.n)
                       order by r.month, r.currency)
      from (
        select to_char(t.month, 'YYYY-MM') as month, t.currency, sum(t.amount)::bigint as amount,
               sum(t.refunded)::bigint as refunded, sum(t.payments)::bigint as n
        from public.payment_month_totals t, bounds b
        where t.month >= (b.since at time zone 'UTC')::date
        group by 1, 2
        having sum(t.payments) <> 0) r), '[]'::jsonb))
$$;

-- Up to p_limit members: the one with that Telegram id, or those whose username starts with the query.
-- [{"telegram_user_id", "username", "first_name", "has_access", "access_until", "blocked"}]
create or replace function public.admin_find_members(p_query text, p_limit int default 20)
returns jsonb language sql stable set search_path = '' as $$
  with q as (
    select s,
           case when s ~ '^\d{1,18}$' then s::bigint end as id,
           replace(replace(replace(lower(s), '\', '\\'), '%', '\%'), '_', '\_') || '%' as prefix
    from (select nullif(ltrim(btrim(coalesce(p_query, '')), '@'), '') as s) x
  ), found as (
    select coalesce(u.telegram_user_id, a.telegram_user_id) as telegram_user_id
    from q
    left join public.users u on u.telegram_user_id = q.id
    left join public.user_access a on a.telegram_user_id = q.id
    where q.id is not null and coalesce(u.telegram_user_id, a.telegram_user_id) is not null
    union
    select u.telegram_user_id from (
      select u0.telegram_user_id from public.users u0, q
      -- the range lets the pattern index serve a prefix that is not a constant; LIKE keeps it exact
      where q.id is null and q.s is not null and lower(u0.username) like q.prefix
        and lower(u0.username) operator(pg_catalog.~>=~) lower(q.s)
        and lower(u0.username) operator(pg_catalog.~<~) (lower(q.s) || chr(1114111))
      order by lower(u0.username) limit greatest(1, least(coalesce(p_limit, 20), 100))) u
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'telegram_user_id', f.telegram_user_id, 'username', u.username, 'first_name', u.first_name,
           'has_access', coalesce(a.coverage @> now(), false), 'access_until', a.access_until,
           'blocked', u.blocked_at is not null)
         order by lower(u.username), f.telegram_user_id), '[]'::jsonb)
  from found f
  left join public.users u on u.telegram_user_id = f.telegram_user_id
  left join public.user_access a on a.telegram_user_id = f.telegram_user_id
$$;

-- One member for the admin: who, access now, the whole timeline (public.user_timeline: every window and
-- item with its source, dates, segments, refunded or not) and their payments (newest first, at most 100).
create or replace function public.admin_member(p_telegram_user_id bigint)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'summary', public.user_summary(p_telegram_user_id) - 'subscriptions',
    'timeline', public.user_timeline(p_telegram_user_id),
    'payments', coalesce((
      select jsonb_agg(jsonb_build_object(
               'id', p.id, 'provider', p.provider, 'kind', p.kind, 'plan_code', p.plan_code, 'amount', p.amount,
               'currency', p.currency, 'status', p.status, 'paid_at', p.paid_at, 'refunded_at', p.refunded_at,
               'external_id', p.external_id, 'telegram_payment_charge_id', p.telegram_payment_charge_id)
             order by p.paid_at desc, p.id desc)
      from (select * from public.payments p0 where p0.telegram_user_id = p_telegram_user_id
            order by p0.paid_at desc, p0.id desc limit 100) p), '[]'::jsonb))
$$;

-- The database side of `npm run doctor` for the Health panel (the Telegram and Tribute checks run in the
-- function, functions/bot/jobs/checks.ts): the pg_cron job, the outbox backlog, the Tribute inbox,
-- failed deliveries.
-- SECURITY DEFINER only to read cron.job, which service_role cannot; it reads nothing else of cron.
-- (plpgsql, not sql: a database without pg_cron, like the bench's scratch one, can still create it)
create or replace function public._admin_cron_job()
returns jsonb language plpgsql stable security definer set search_path = '' as $$
begin
  if to_regclass('cron.job') is null then
    return jsonb_build_object('exists', false, 'pg_cron', false);
  end if;
  return coalesce((select jsonb_build_object('exists', true, 'schedule', j.schedule, 'active', j.active)
                   from cron.job j where j.jobname = 'expire-subscriptions' limit 1),
                  jsonb_build_object('exists', false));
end $$;

create or replace function public.admin_health()
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'cron', public._admin_cron_job(),
    'outbox', (select jsonb_build_object('pending', count(*),
                                         'due', count(*) filter (where o.next_attempt_at <= now()),
                                         'oldest_due_at', min(o.next_attempt_at) filter (where o.next_attempt_at <= now()))
               from public.outbox o where o.status in ('pending', 'sending')),
    'inbox', public.tribute_inbox_backlog(),
    'failed_24h', (select count(*) from public.webhook_events w
                   where w.status = 'failed' and w.received_at > now() - interval '24 hours'),
    'failed', coalesce((
      select jsonb_agg(jsonb_build_object('id', w.id, 'source', w.source, 'name', w.name, 'error', w.error,
                                          'received_at', w.received_at, 'telegram_user_id', w.telegram_user_id)
                       order by w.received_at desc, w.id desc)
      from (select * from public.webhook_events w0 where w0.status = 'failed'
            order by w0.received_at desc limit 20) w), '[]'::jsonb))
$$;

-- Access codes and broadcasts were built on other branches (tables access_codes with
-- public.list_access_codes(), broadcasts with public.broadcast_status(id)). Where they are missing these
-- answer {"available": false}; otherwise they read them with dynamic SQL, so this migration neither
-- depends on them nor breaks plpgsql_check without them. Without list_access_codes, codes come back as
-- whole rows (to_jsonb), newest first. Creating and switching off codes from the Mini App calls
-- create_access_code / disable_access_code (admin.ts), as /code_new and /code_off do.
create or replace function public.admin_codes()
returns jsonb language plpgsql stable set search_path = '' as $$
declare
  v_table regclass := to_regclass('public.access_codes');
  v_list regprocedure := to_regprocedure('public.list_access_codes(integer)');
  v_order text;
  v_codes jsonb;
begin
  if v_table is null then
    return jsonb_build_object('available', false, 'codes', '[]'::jsonb);
  end if;
  -- what /codes shows (code, days, max_uses, used, uses_left, valid_until, state), newest first
  if v_list is not null then
    execute format('select %s(100)', v_list::regproc) into v_codes;
    return jsonb_build_object('available', true, 'codes', coalesce(v_codes -> 'codes', '[]'::jsonb),
                              'total', v_codes -> 'total');
  end if;
  -- newest first: by created_at when the table has it, else by its first column
  v_order := case when exists (select 1 from pg_catalog.pg_attribute a
                               where a.attrelid = v_table and a.attname = 'created_at' and not a.attisdropped)
                  then 'x.created_at' else '1' end;
  execute format('select coalesce(jsonb_agg(c.j order by c.n), ''[]''::jsonb) from '
              || '(select to_jsonb(x) as j, row_number() over (order by %s desc) as n from %s x '
              || ' order by %s desc limit 100) c', v_order, v_table, v_order)
    into v_codes;
  return jsonb_build_object('available', true, 'codes', v_codes);
end $$;

create or replace function public.admin_broadcast_status()
returns jsonb language plpgsql stable set search_path = '' as $$
declare
  v_table regclass := to_regclass('public.broadcasts');
  v_status regprocedure := to_regprocedure('public.broadcast_status(bigint)');
  v_list jsonb;
begin
  if v_table is null or v_status is null then
    return jsonb_build_object('available', false, 'broadcasts', '[]'::jsonb);
  end if;
  execute format('select coalesce(jsonb_agg(%s(b.id) order by b.id desc), ''[]''::jsonb) '
              || 'from (select id from %s order by id desc limit 10) b', v_status::regproc, v_table)
    into v_list;
  return jsonb_build_object('available', true, 'broadcasts', v_list);
end $$;

revoke all on table public.payment_month_totals from anon, authenticated, public;
grant all on table public.payment_month_totals to service_role;
revoke all on function public._payment_month_add(timestamptz, text, text, bigint, int),
  public._payments_month_totals(), public._payments_month_totals_truncate() from public, anon, authenticated;

comment on function public.admin_overview() is 'Mini App admin: overview numbers and revenue per month per currency (read-only).';
comment on function public.admin_find_members(text, int) is 'Mini App admin: members by Telegram id or username prefix (read-only).';
comment on function public.admin_member(bigint) is 'Mini App admin: one member with timeline and payments (read-only).';
comment on function public.admin_health() is 'Mini App admin: cron job, outbox backlog, failed deliveries (read-only).';
comment on function public.admin_codes() is 'Mini App admin: access codes when the access_codes table exists (read-only).';
comment on function public.admin_broadcast_status() is 'Mini App admin: recent broadcasts when the broadcasts table exists (read-only).';

-- Locked down like every other function: only the edge function (service_role) calls them.
revoke all on function public.admin_overview(), public.admin_find_members(text, int), public.admin_member(bigint),
  public._admin_cron_job(), public.admin_health(), public.admin_codes(), public.admin_broadcast_status()
  from public, anon, authenticated;
grant execute on function public.admin_overview(), public.admin_find_members(text, int), public.admin_member(bigint),
  public._admin_cron_job(), public.admin_health(), public.admin_codes(), public.admin_broadcast_status()
  to service_role;

-- the deltas are folded every minute where pg_cron runs (readers are exact either way)
do $$
begin
  if to_regnamespace('cron') is not null then
    perform cron.schedule('compact-revenue-totals', '* * * * *', 'select public.compact_payment_month_totals()');
  end if;
end $$;
