-- The Tribute inbox: under a burst the webhook door acknowledges a delivery once it is durably written
-- here (one narrow INSERT, the least a receiver can do) and applies it right after, in batches
-- (apply_tribute_inbox). Nothing can be lost between the two: a row leaves the inbox only in the
-- transaction that applies it (or journals it as failed), so a crash, a restart or a killed background
-- task leaves it here for the next applier: the next request's, the scheduled route's, or pg_cron's.
--
-- Alone (no other delivery in flight), the door still applies before answering (apply_tribute_event):
-- the inbox only exists to keep a burst's acknowledgements fast.

create table public.tribute_inbox (
  -- drawn from the journal's sequence: the id the acknowledgement names becomes the webhook_events id
  id              bigint primary key default nextval('public.webhook_events_id_seq'),
  dedupe_key      text not null unique,  -- public._tribute_dedupe_key: a retry while pending is a no-op
  name            text not null,         -- the event name applied (a *refund* variant is digital_product_refund)
  envelope        jsonb not null,        -- as received (parsed): name, created_at, payload
  telegram_user_id bigint null,          -- batches take users in id order (the locks' order)
  received_at     timestamptz not null default now(),
  attempts        int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error      text null
);
alter table public.tribute_inbox enable row level security;
comment on table public.tribute_inbox is
  'Tribute deliveries acknowledged and not applied yet (normally empty within a second); see apply_tribute_inbox.';

-- Acknowledges verified, validated deliveries, many per call: the door gathers the deliveries that arrive
-- while a write is under way into the next one (group commit: one round trip and one commit for all of
-- them, each answered only after it). p_envelopes is their envelopes as one JSON array text (each as
-- apply_tribute_delivery reads its body), p_names their canonical event names in the same order: one
-- text the driver sends as it is, where an array of texts had every quote of every body escaped on the
-- way (a sampling heap profile of the server under load: 31.7 → 25.8 KB allocated per acknowledgement
-- without the escaping). A copy already applied or already waiting is a duplicate (nothing written);
-- otherwise one inbox row. Rows are written in dedupe-key order, so two concurrent calls holding copies
-- of the same deliveries wait for each other in one order and never deadlock.
-- Returns, in input order, [{status: accepted|duplicate, event_id}, ...].
create or replace function public.accept_tribute_events(p_names text[], p_envelopes text)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_all jsonb := p_envelopes::jsonb;
  n int;
  v_keys text[] := '{}'::text[];
  v_order int[] := array[1];
  v_out jsonb[];
  v_envelope jsonb;
  v_key text;
  v_id bigint;
  i int;
begin
  if jsonb_typeof(v_all) is distinct from 'array' then
    raise exception 'accept_tribute_events: p_envelopes is not a JSON array' using errcode = '22023';
  end if;
  n := jsonb_array_length(v_all);
  if coalesce(cardinality(p_names), 0) <> n then
    raise exception 'accept_tribute_events: % names for % envelopes', cardinality(p_names), n using errcode = '22023';
  end if;
  if n = 0 then
    return '[]'::jsonb;
  end if;
  for i in 1 .. n loop
    v_envelope := v_all -> (i - 1);
    v_keys := array_append(v_keys, public._tribute_dedupe_key(v_envelope ->> 'name', v_envelope ->> 'created_at',
                                                               v_envelope -> 'payload'));
  end loop;
  -- one query to sort, and only when there is something to sort (a delivery alone is the common call)
  if n > 1 then
    select array_agg(k.i::int order by k.key collate "C") into v_order from unnest(v_keys) with ordinality k(key, i);
  end if;
  v_out := array_fill(null::jsonb, array[n]);
  -- Every expression below is a plain one, which PL/pgSQL evaluates without the executor: an expression
  -- holding a subquery (the duplicate's id read inside a CASE) ran a whole query per delivery, about a
  -- sixth of the call.
  foreach i in array v_order loop
    v_key := v_keys[i];
    v_envelope := v_all -> (i - 1);
    select w.id into v_id from public.webhook_events w where w.dedupe_key = v_key;
    if v_id is null then
      insert into public.tribute_inbox (dedupe_key, name, envelope, telegram_user_id)
      values (v_key, p_names[i], v_envelope, (v_envelope #>> '{payload,telegram_user_id}')::bigint)
      on conflict (dedupe_key) do nothing
      returning id into v_id;
      if v_id is not null then
        v_out[i] := jsonb_build_object('status', 'accepted', 'event_id', v_id);
        continue;
      end if;
      -- a copy is waiting (written by another call, or earlier in this one); or it was applied since
      -- this call looked in the journal, which moves it there under the same id
      select x.id into v_id from public.tribute_inbox x where x.dedupe_key = v_key;
      if v_id is null then
        select w.id into v_id from public.webhook_events w where w.dedupe_key = v_key;
      end if;
    end if;
    v_out[i] := jsonb_build_object('status', 'duplicate', 'event_id', v_id);
  end loop;
  return to_jsonb(v_out);
end $$;

-- Applies up to p_limit waiting deliveries in one transaction. Rows are claimed with SKIP LOCKED
-- (appliers never wait for each other) and applied in user order, the order every batch takes the
-- users' locks in.
-- p_isolate false (the fast path): one transaction, no subtransactions; the batch's first subscriptions
-- of new subscribers are applied together (_apply_inbox_first_subscriptions), the rest one by one; any
-- error rolls the whole batch back (nothing of it was applied, every row stays) and the caller calls
-- again with p_isolate true.
-- p_isolate true: each event in its own subtransaction, so one event's failure cannot undo the others.
-- An event that fails the same way every time (SQLSTATE 22, 23, 54: the bad-payload classes) is then
-- journaled as failed at once; any other failure is retried with backoff and journaled as failed after
-- 10 attempts, so no row can stay in the inbox forever.
-- Either way each event's effects are all or nothing, as on the direct path (apply_tribute_delivery).
-- Returns {claimed, applied, duplicates, failed, deferred, queued}.
create or replace function public.apply_tribute_inbox(p_limit int default 64, p_isolate boolean default true)
returns jsonb language plpgsql set search_path = '' as $$
declare
  r record;
  v jsonb;
  v_ids bigint[];
  v_claimed int;
  v_applied int := 0;
  v_duplicates int := 0;
  v_failed int := 0;
  v_deferred int := 0;
  v_queued boolean := false;
begin
  select coalesce(array_agg(c.id order by c.telegram_user_id nulls first, c.id), '{}') into v_ids
    from (select i.id, i.telegram_user_id from public.tribute_inbox i
          where i.next_attempt_at <= now()
          order by i.id
          limit greatest(p_limit, 1)
          for update skip locked) c;
  v_claimed := cardinality(v_ids);
  if not p_isolate and v_claimed > 0 then
    v := public._apply_inbox_first_subscriptions(v_ids);
    v_applied := (v ->> 'applied')::int;
    v_queued := (v ->> 'queued')::boolean;
  end if;
  -- the rest, one by one (what the set above applied has left the inbox)
  for r in select i.* from unnest(v_ids) with ordinality k(id, n)
           join public.tribute_inbox i on i.id = k.id
           order by k.n
  loop
    if not p_isolate then
      v := public._apply_inbox_row(r.id, r.name, r.envelope, r.received_at);
    else
      begin
        v := public._apply_inbox_row(r.id, r.name, r.envelope, r.received_at);
      exception when others then
        if sqlstate ~ '^(22|23|54)' or r.attempts >= 9 then
          perform public.record_failed_event('tribute', coalesce(r.envelope ->> 'name', r.name), r.envelope,
            'the database refused the payload: ' || sqlerrm || ' (SQLSTATE ' || sqlstate || ')'
            || case when r.attempts >= 9 then ' after ' || (r.attempts + 1) || ' attempts' else '' end);
          delete from public.tribute_inbox i where i.id = r.id;
          v_failed := v_failed + 1;
        else
          update public.tribute_inbox i
             set attempts = i.attempts + 1, last_error = left(sqlerrm || ' (SQLSTATE ' || sqlstate || ')', 2000),
                 next_attempt_at = now() + least(interval '1 second' * power(2, i.attempts), interval '10 minutes')
           where i.id = r.id;
          v_deferred := v_deferred + 1;
        end if;
        continue;
      end;
    end if;
    if v ->> 'status' = 'duplicate' then v_duplicates := v_duplicates + 1; else v_applied := v_applied + 1; end if;
    v_queued := v_queued or coalesce((v ->> 'queued')::boolean, false);
  end loop;
  return jsonb_build_object('claimed', v_claimed, 'applied', v_applied, 'duplicates', v_duplicates,
                            'failed', v_failed, 'deferred', v_deferred, 'queued', v_queued);
end $$;

-- The common case of a burst, applied as a set: a new_subscription whose subscriber has nothing else
-- in the ledger (no item, no adjustment, no computed access) and whose subscription has no other event.
-- The timeline of such a user is that one window, so what apply_tribute_event and _recompute_access
-- would write event by event (about 35 statements each) is written here in one statement for the whole
-- batch: the same journal row, subscription, payment, revenue delta, access and invite, row for row.
-- tests/sql/tribute_inbox_set.test.ts holds the two ways equal over random batches; anything outside
-- this case (a second event of the user or subscription in the batch, a plan that opens named chats, a
-- date without a zone) is left in the inbox for the caller's one-by-one path.
-- The batch's users are locked first, in user order, as each event would lock its own; what is eligible
-- is read after that, so a concurrent event of one of them is either already visible or waits.
-- Dates: created_at is read as apply_tribute_event reads it and expires_at as _tribute_fold does (under
-- UTC); only zone-qualified ones are taken, which read the same under any TimeZone, and the invite's
-- date is written under UTC, as _recompute_access writes it.
-- Returns {applied, queued}.
create or replace function public._apply_inbox_first_subscriptions(p_ids bigint[])
returns jsonb language plpgsql set search_path = '' set "TimeZone" = 'UTC'
  -- one plan for every batch: planning this statement afresh costs more than running it
  set plan_cache_mode = force_generic_plan as $$
declare
  v_zoned constant text := '^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d(:?\d\d)?)$';
  v_applied int;
  v_queued boolean;
begin
  perform pg_advisory_xact_lock(7001, hashtext(u.id::text))
     from (select distinct i.telegram_user_id as id from public.tribute_inbox i
           where i.id = any (p_ids) and i.telegram_user_id is not null order by 1) u;
  -- rows written here are outputs: the trigger on subscriptions must not recompute them
  perform set_config('app.recompute', 'on', true);
  with batch as (
    select i.id, i.name, i.dedupe_key as key, i.envelope, i.received_at, i.telegram_user_id as u,
           i.envelope -> 'payload' as p, i.envelope #>> '{payload,subscription_id}' as sid,
           count(*) over (partition by i.telegram_user_id) as user_events,
           count(*) over (partition by i.envelope #>> '{payload,subscription_id}') as subscription_events
    from public.tribute_inbox i where i.id = any (p_ids)
  ), cand as (
    select b.id, b.key, b.envelope, b.received_at, b.u, b.p, b.sid,
           (b.envelope ->> 'created_at')::timestamptz as created, plan.code as plan_code
    from batch b
    -- the plan of the subscription (tribute_subscription_id is unique), if any
    left join lateral (select pl.code, pl.chat_ids from public.plans pl
                       where pl.tribute_subscription_id::text = b.sid) plan on true
    -- Nothing else in the ledger. Each probe is one index lookup per event, whatever the statistics say
    -- (a LATERAL with LIMIT is never turned into a join that scans a whole table for the batch).
    cross join lateral (
      select count(*) as found from (
        -- applied already (a copy that is, is the one-by-one path's duplicate)
        (select 1 from public.webhook_events d where d.dedupe_key = b.key limit 1)
        union all (select 1 from public.subscriptions s where s.telegram_user_id = b.u limit 1)
        union all (select 1 from public.subscriptions s where s.provider = 'tribute' and s.external_id = b.sid limit 1)
        union all (select 1 from public.access_adjustments a where a.telegram_user_id = b.u limit 1)
        union all (select 1 from public.user_access a where a.telegram_user_id = b.u limit 1)
        union all (select 1 from public.webhook_events w
                   where w.subject = 'tribute:subscription:' || b.sid and w.status = 'processed' limit 1)
      ) x
    ) ledger
    where ledger.found = 0
      -- one timeline: no plan, or one that opens every paid chat
      and plan.chat_ids is null
      and b.name = 'new_subscription' and b.envelope ->> 'name' = 'new_subscription'
      and b.u is not null and b.sid is not null and b.envelope ->> 'created_at' ~ v_zoned
      and (nullif(b.p ->> 'expires_at', '') is null or b.p ->> 'expires_at' ~ v_zoned)
      -- the only event of its user and of its subscription in the batch
      and b.user_events = 1 and b.subscription_events = 1
  ), win as (
    -- what _tribute_fold reads off one new_subscription, and its window in _recompute_access; the
    -- subscription's id is drawn here so that its payment and access need no join back to it
    select c.*, nextval('public.subscriptions_id_seq') as sub_id, f.pexp, t.segs, e.until,
           case when e.until <= now() then 'expired' else 'active' end as status,
           t.segs @> now() as has,
           -- _next_access_change of that one window
           case when f.pexp > c.created then
             case when c.created > now() then c.created when f.pexp > now() then f.pexp end end as next_change
    from cand c
    cross join lateral (select coalesce(nullif(c.p ->> 'expires_at', '')::timestamptz,
                                        c.created + interval '30 days') as pexp) f
    cross join lateral (select case when f.pexp > c.created then tstzmultirange(tstzrange(c.created, f.pexp))
                                    else '{}'::tstzmultirange end as segs) t
    cross join lateral (select coalesce(upper(t.segs), least(c.created, f.pexp)) as until) e
  ), journal as (
    insert into public.webhook_events (id, source, name, dedupe_key, status, subject, telegram_user_id,
                                       event_created_at, payload, received_at)
    overriding system value
    select w.id, 'tribute', 'new_subscription', w.key, 'processed', 'tribute:subscription:' || w.sid, w.u,
           w.created, w.envelope, w.received_at
    from win w
  ), new_users as (
    insert into public.users (telegram_user_id) select w.u from win w on conflict do nothing
  ), sub as (
    insert into public.subscriptions (id, telegram_user_id, provider, external_id, kind, type, plan_code, status,
                                      auto_renew, event_at, segments, starts_at, expires_at, provider_expires_at,
                                      last_event_at, ended_at, details)
    overriding system value
    select w.sub_id, w.u, 'tribute', w.sid, 'subscription', coalesce(nullif(w.p ->> 'type', ''), 'regular'),
           w.plan_code, w.status, w.status = 'active', w.created, w.segs, w.created, w.until, w.pexp, w.created,
           case when w.status = 'expired' then now() end,
           jsonb_strip_nulls(jsonb_build_object('subscription_name', w.p -> 'subscription_name',
             'period', w.p -> 'period', 'period_id', w.p -> 'period_id', 'channel_id', w.p -> 'channel_id'))
    from win w order by w.u
  ), paid as (
    insert into public.payments (provider, external_id, kind, telegram_user_id, subscription_id, amount, currency,
                                 webhook_event_id, paid_at)
    select 'tribute', 'event:' || w.key, 'subscription', w.u, w.sub_id, (w.p ->> 'amount')::bigint,
           coalesce(w.p ->> 'currency', ''), w.id, w.created
    from win w where w.p ? 'amount'
    order by w.u
    on conflict do nothing
  ), access as (
    insert into public.user_access (telegram_user_id, coverage, chat_coverage, access_until, has_access, open_chats,
                                    next_change_at, covering_item, updated_at)
    select w.u, w.segs, null, upper(w.segs), w.has, case when w.has then '{*}'::text[] else '{}'::text[] end,
           w.next_change, case when w.has then w.sub_id end, clock_timestamp()
    from win w
  ), invites as (
    insert into public.outbox (telegram_user_id, kind, template, params, dedupe_key)
    select w.u, 'invite', 'activated', jsonb_build_object('until', upper(w.segs)), 'event:' || w.id || ':invite'
    from win w where w.has
    order by w.u
    on conflict (dedupe_key) do nothing
    returning 1
  ), applied as (
    delete from public.tribute_inbox i where i.id in (select w.id from win w)
  )
  select (select count(*) from win), exists (select from invites) into v_applied, v_queued;
  perform set_config('app.recompute', 'off', true);
  return jsonb_build_object('applied', v_applied, 'queued', v_queued);
end $$;

-- One inbox row applied with the id and receipt time its acknowledgement gave it, and gone from the inbox.
create or replace function public._apply_inbox_row(p_id bigint, p_name text, p_envelope jsonb, p_received_at timestamptz)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v jsonb;
begin
  v := public.apply_tribute_event(p_name => p_name, p_created_at => p_envelope ->> 'created_at',
                                  p_payload => p_envelope -> 'payload', p_envelope => p_envelope,
                                  p_received_name => p_envelope ->> 'name',
                                  p_event_id => p_id, p_received_at => p_received_at);
  delete from public.tribute_inbox i where i.id = p_id;
  return v;
end $$;

-- What is waiting, for the health checks: how many and since when.
create or replace function public.tribute_inbox_backlog()
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object('pending', count(*), 'oldest_received_at', min(i.received_at),
                            'retrying', count(*) filter (where i.attempts > 0),
                            'last_error', (select i2.last_error from public.tribute_inbox i2
                                           where i2.last_error is not null order by i2.id desc limit 1))
  from public.tribute_inbox i
$$;

-- Even with no request arriving and the function down, pg_cron applies what is left every minute (the
-- notices it queues go out with the next outbox drain).
do $$
begin
  if to_regnamespace('cron') is not null then
    perform cron.schedule('apply-tribute-inbox', '* * * * *', 'select public.apply_tribute_inbox(1000, true)');
  end if;
end $$;
