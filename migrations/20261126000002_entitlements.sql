-- Entitlements: every state change of access is one of these functions, called once per event in its
-- own transaction. Concurrent events of the same user are serialised by a transaction-scoped advisory
-- lock, so the read-modify-write below never interleaves.

-- ------------------------------------------------------------------ reading access

-- The moment a user's access ends (or ended). Null: the user never had access.
create or replace function public.access_until(telegram_user_id bigint)
returns timestamptz language sql stable set search_path = '' as $$
  select max(s.expires_at) from public.subscriptions s
  where s.telegram_user_id = access_until.telegram_user_id and s.bonus_to is null
$$;

create or replace function public.has_access(telegram_user_id bigint)
returns boolean language sql stable set search_path = '' as $$
  select exists (
    select 1 from public.subscriptions s
    where s.telegram_user_id = has_access.telegram_user_id
      and s.status in ('active', 'cancelled')
      -- a Tribute subscription counts from its first event even if the sender's clock runs ahead;
      -- stacked purchases count only once their window has begun
      and (s.kind = 'subscription' or s.starts_at <= now()) and s.expires_at > now()
  )
$$;

-- End of the access a user holds right now or has queued (stacked purchases included).
create or replace function public._live_access_end(p_user bigint)
returns timestamptz language sql stable set search_path = '' as $$
  select max(s.expires_at) from public.subscriptions s
  where s.telegram_user_id = p_user and s.status in ('active', 'cancelled') and s.expires_at > now()
$$;

create or replace function public._lock_user(p_user bigint)
returns void language sql set search_path = '' as $$
  select pg_advisory_xact_lock(7001, hashtext(p_user::text))
$$;

-- ------------------------------------------------------------------ outbox helpers

create or replace function public._queue(p_user bigint, p_kind text, p_template text, p_params jsonb, p_dedupe text)
returns void language sql set search_path = '' as $$
  insert into public.outbox (telegram_user_id, kind, template, params, dedupe_key)
  values (p_user, p_kind, p_template, coalesce(p_params, '{}'::jsonb), p_dedupe)
  on conflict (dedupe_key) do nothing
$$;

-- Queues what a change of access means for the user: an invite when access begins, a removal (with its
-- notice) when it ends. p_tag makes the rows unique per cause, so a retried cause queues nothing new.
create or replace function public._queue_access_change(p_user bigint, p_had boolean, p_tag text, p_end_template text default 'expired')
returns void language plpgsql set search_path = '' as $$
declare
  v_has boolean := public.has_access(p_user);
  v_until timestamptz := public._live_access_end(p_user);
begin
  if v_has and not p_had then
    perform public._queue(p_user, 'invite', 'activated', jsonb_build_object('until', v_until), p_tag || ':invite');
  elsif p_had and not v_has then
    perform public._queue(p_user, 'remove', p_end_template, '{}'::jsonb, p_tag || ':remove');
  end if;
end $$;

-- ------------------------------------------------------------------ stacking purchases

-- Time bought separately (a Tribute product, Stars, a manual grant) is placed after the access the
-- user already has. Windows that have not begun yet are re-laid after any change (a renewal that
-- moved the subscription's end, a refund that removed a window), so paid time is never swallowed by
-- an overlap and never leaves a gap.
create or replace function public._restack_future(p_user bigint)
returns void language plpgsql set search_path = '' as $$
declare
  v_cursor timestamptz;
  r record;
begin
  select greatest(now(), max(s.expires_at)) into v_cursor from public.subscriptions s
  where s.telegram_user_id = p_user and s.status in ('active', 'cancelled')
    and (s.kind = 'subscription' or s.starts_at <= now());
  v_cursor := coalesce(v_cursor, now());
  for r in select s.id, s.expires_at - s.starts_at as length from public.subscriptions s
           where s.telegram_user_id = p_user and s.kind in ('purchase', 'grant')
             and s.status in ('active', 'cancelled') and s.starts_at > now()
           order by s.created_at, s.id
  loop
    update public.subscriptions set starts_at = v_cursor, expires_at = v_cursor + r.length, updated_at = now()
    where id = r.id;
    v_cursor := v_cursor + r.length;
  end loop;
end $$;

-- Adds p_days of access after what the user has; returns the new row, or the existing one when this
-- (provider, external_id) was already granted (idempotent).
create or replace function public._grant_stacked(
  p_user bigint, p_provider text, p_kind text, p_external_id text, p_plan_code text, p_days int, p_details jsonb)
returns public.subscriptions language plpgsql set search_path = '' as $$
declare
  v_row public.subscriptions;
  v_start timestamptz;
begin
  select * into v_row from public.subscriptions where provider = p_provider and external_id = p_external_id;
  if found then return v_row; end if;
  v_start := greatest(now(), coalesce(public._live_access_end(p_user), now()));
  insert into public.subscriptions (telegram_user_id, provider, external_id, kind, plan_code, status, auto_renew,
                                    starts_at, expires_at, details)
  values (p_user, p_provider, p_external_id, p_kind, p_plan_code, 'active', false,
          v_start, v_start + make_interval(days => p_days), coalesce(p_details, '{}'::jsonb))
  returning * into v_row;
  return v_row;
end $$;

-- Takes back one window (refund or revoke): nothing of it remains from now on; later windows move up.
create or replace function public._end_window(p_id bigint, p_status text)
returns void language plpgsql set search_path = '' as $$
declare v_user bigint;
begin
  update public.subscriptions
     set status = p_status,
         auto_renew = false,
         starts_at = least(starts_at, now()),
         expires_at = least(expires_at, now()),
         revoked_at = case when kind = 'subscription' then now() else revoked_at end,
         ended_at = coalesce(ended_at, now()),
         updated_at = now()
   where id = p_id
  returning telegram_user_id into v_user;
  perform public._restack_future(v_user);
end $$;

-- ------------------------------------------------------------------ users

create or replace function public.upsert_user(
  p_telegram_user_id bigint, p_username text default null, p_first_name text default null,
  p_language_code text default null)
returns jsonb language plpgsql set search_path = '' as $$
begin
  insert into public.users (telegram_user_id, username, first_name, language_code)
  values (p_telegram_user_id, p_username, p_first_name, p_language_code)
  on conflict (telegram_user_id) do update
    set username = coalesce(excluded.username, users.username),
        first_name = coalesce(excluded.first_name, users.first_name),
        language_code = coalesce(excluded.language_code, users.language_code),
        -- a user who writes to the bot again has unblocked it
        blocked_at = null,
        updated_at = now()
  where users.username is distinct from excluded.username
     or users.first_name is distinct from excluded.first_name
     or users.language_code is distinct from excluded.language_code
     or users.blocked_at is not null;
  return public.user_summary(p_telegram_user_id);
end $$;

create or replace function public.user_summary(p_telegram_user_id bigint)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'telegram_user_id', p_telegram_user_id,
    'known', u.telegram_user_id is not null,
    'username', u.username,
    'first_name', u.first_name,
    'language_code', u.language_code,
    'blocked', u.blocked_at is not null,
    'has_access', public.has_access(p_telegram_user_id),
    'access_until', public.access_until(p_telegram_user_id),
    'live_until', public._live_access_end(p_telegram_user_id),
    'current', (
      select jsonb_build_object('provider', s.provider, 'status', s.status, 'auto_renew', s.auto_renew,
                                'expires_at', s.expires_at, 'plan_code', s.plan_code)
      from public.subscriptions s
      where s.telegram_user_id = p_telegram_user_id and s.status in ('active', 'cancelled')
        and (s.kind = 'subscription' or s.starts_at <= now()) and s.expires_at > now()
      order by s.expires_at desc limit 1),
    'auto_renew', exists (select 1 from public.subscriptions s
                          where s.telegram_user_id = p_telegram_user_id and s.status = 'active' and s.auto_renew
                            and s.expires_at > now()),
    'subscriptions', coalesce((
      select jsonb_agg(jsonb_build_object('id', s.id, 'provider', s.provider, 'kind', s.kind, 'type', s.type,
                                          'status', s.status, 'auto_renew', s.auto_renew, 'starts_at', s.starts_at,
                                          'expires_at', s.expires_at, 'plan_code', s.plan_code,
                                          'external_id', s.external_id) order by s.expires_at desc)
      from (select * from public.subscriptions s0 where s0.telegram_user_id = p_telegram_user_id
            order by s0.expires_at desc limit 10) s), '[]'::jsonb))
  from (select 1) one
  left join public.users u on u.telegram_user_id = p_telegram_user_id
$$;

-- ------------------------------------------------------------------ Tribute

-- State of one Tribute subscription as its events give it, replayed in created_at order (optionally
-- only the events up to p_until). Replaying instead of patching is what makes the result independent
-- of the order deliveries arrive in.
create or replace function public._tribute_fold(p_subject text, p_until timestamptz default 'infinity')
returns table (status text, auto_renew boolean, provider_expires_at timestamptz, sub_type text,
               first_event_at timestamptz, last_event_at timestamptz, events int)
language plpgsql stable set search_path = '' as $$
declare
  e record;
  v_exp timestamptz;
begin
  events := 0;
  auto_renew := false;
  for e in select w.name, w.event_created_at, w.payload -> 'payload' as p
           from public.webhook_events w
           where w.subject = p_subject and w.status = 'processed' and w.event_created_at <= p_until
           order by w.event_created_at,
                    case w.name when 'new_subscription' then 0 when 'renewed_subscription' then 1 else 2 end,
                    w.dedupe_key
  loop
    events := events + 1;
    first_event_at := coalesce(first_event_at, e.event_created_at);
    last_event_at := e.event_created_at;
    sub_type := coalesce(nullif(e.p ->> 'type', ''), sub_type, 'regular');
    v_exp := nullif(e.p ->> 'expires_at', '')::timestamptz;
    if e.name = 'cancelled_subscription' then
      status := 'cancelled';
      auto_renew := false;
      provider_expires_at := coalesce(v_exp, provider_expires_at, e.event_created_at + interval '30 days');
    else
      status := 'active';
      auto_renew := true;
      provider_expires_at := coalesce(v_exp, e.event_created_at + interval '30 days');
    end if;
  end loop;
  return next;
end $$;

-- Recomputes every Tribute subscription of a user from the journal. Bonus days: when a subscription
-- starts while an earlier one of the same user is cancelled but still has days left, those days
-- (rounded up to whole days) are added to the new one once, and the old one ends there.
create or replace function public._recompute_tribute_user(p_user bigint)
returns void language plpgsql set search_path = '' as $$
declare
  s record;
  d record;
  f record;
  fd record;
  v_bonus int;
  v_expires timestamptz;
  v_status text;
  v_donors bigint[] := '{}';
  v_recipient bigint[] := '{}';
  v_handover timestamptz[] := '{}';
  i int;
begin
  -- in order of each subscription's first event as the journal knows it now (the stored starts_at may
  -- predate an older event that arrived late)
  for s in select x.id, x.external_id, x.revoked_at from public.subscriptions x
           where x.telegram_user_id = p_user and x.provider = 'tribute' and x.kind = 'subscription'
           order by (select min(w.event_created_at) from public.webhook_events w
                     where w.subject = 'tribute:subscription:' || x.external_id and w.status = 'processed'),
                    x.external_id
  loop
    select * into f from public._tribute_fold('tribute:subscription:' || s.external_id);
    continue when f.events = 0;
    v_bonus := 0;
    for d in select x.id, x.external_id, x.bonus_days from public.subscriptions x
             where x.telegram_user_id = p_user and x.provider = 'tribute' and x.kind = 'subscription'
               and x.id <> s.id and x.starts_at < f.first_event_at and x.revoked_at is null
               and not (x.id = any (v_donors))
             order by x.starts_at, x.id
    loop
      select * into fd from public._tribute_fold('tribute:subscription:' || d.external_id, f.first_event_at);
      if fd.status = 'cancelled'
         and fd.provider_expires_at + make_interval(days => d.bonus_days) > f.first_event_at then
        v_bonus := v_bonus + ceil(extract(epoch from (fd.provider_expires_at + make_interval(days => d.bonus_days)
                                                      - f.first_event_at)) / 86400)::int;
        v_donors := v_donors || d.id;
        v_recipient := v_recipient || s.id;
        v_handover := v_handover || f.first_event_at;
      end if;
    end loop;

    v_expires := f.provider_expires_at + make_interval(days => v_bonus);
    v_status := f.status;
    if s.revoked_at is not null and s.revoked_at >= f.last_event_at then
      v_status := 'expired';
      v_expires := least(v_expires, s.revoked_at);
    end if;
    if v_status in ('active', 'cancelled') and v_expires <= now() then
      v_status := 'expired';
    end if;
    update public.subscriptions x
       set status = v_status,
           auto_renew = f.auto_renew and v_status = 'active',
           type = f.sub_type,
           starts_at = f.first_event_at,
           provider_expires_at = f.provider_expires_at,
           bonus_days = v_bonus,
           bonus_to = null,
           expires_at = v_expires,
           last_event_at = f.last_event_at,
           ended_at = case when v_status = 'expired' then coalesce(x.ended_at, now()) end,
           updated_at = now()
     where x.id = s.id;
  end loop;

  -- A donor's remaining days now live in the subscription that took them.
  for i in 1 .. coalesce(array_length(v_donors, 1), 0) loop
    update public.subscriptions x
       set status = 'expired', auto_renew = false, bonus_to = v_recipient[i],
           expires_at = greatest(x.starts_at, least(x.expires_at, v_handover[i])),
           ended_at = coalesce(x.ended_at, now()), updated_at = now()
     where x.id = v_donors[i];
  end loop;
end $$;

create or replace function public._tribute_dedupe_key(p_name text, p_created_at text, p_payload jsonb)
returns text language sql immutable set search_path = '' as $$
  -- jsonb's text form is canonical (key order, whitespace), so equal payloads give equal keys;
  -- sent_at is deliberately not part of it: a retry may change it.
  select encode(sha256(convert_to(p_name || '|' || p_created_at || '|' || p_payload::text, 'UTF8')), 'hex')
$$;

-- Applies one verified, validated Tribute webhook. One call = one transaction: journal row (unique
-- dedupe key), ledger row, entitlement change and outbox rows, or nothing at all.
-- Returns {status: processed|duplicate|ignored, event_id, telegram_user_id, ...}.
create or replace function public.apply_tribute_event(
  p_name text, p_created_at text, p_payload jsonb, p_envelope jsonb, p_received_name text default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_key text := public._tribute_dedupe_key(coalesce(p_received_name, p_name), p_created_at, p_payload);
  v_created timestamptz := p_created_at::timestamptz;
  v_user bigint := nullif(p_payload ->> 'telegram_user_id', '')::bigint;
  v_event_id bigint;
  v_subject text;
  v_kind text;
  v_had boolean;
  v_plan public.plans;
  v_sub public.subscriptions;
  v_purchase_key text;
  v_result jsonb := '{}'::jsonb;
  v_pay_id bigint;
begin
  if p_name in ('new_subscription', 'renewed_subscription', 'cancelled_subscription') then
    v_kind := 'subscription';
    v_subject := 'tribute:subscription:' || (p_payload ->> 'subscription_id');
  elsif p_name = 'new_digital_product' then
    v_kind := 'purchase';
  elsif p_name = 'digital_product_refund' then
    v_kind := 'refund';
  else
    v_kind := 'ignored';
  end if;
  if v_kind in ('purchase', 'refund') then
    v_purchase_key := coalesce(p_payload ->> 'purchase_id',
                               (p_payload ->> 'product_id') || ':' || (p_payload ->> 'telegram_user_id'));
    v_subject := 'tribute:purchase:' || v_purchase_key;
  end if;

  if v_user is not null then
    perform public._lock_user(v_user);
  end if;

  insert into public.webhook_events (source, name, dedupe_key, status, subject, telegram_user_id, event_created_at, payload)
  values ('tribute', p_name, v_key, case when v_kind = 'ignored' then 'ignored' else 'processed' end,
          v_subject, v_user, v_created, p_envelope)
  on conflict (dedupe_key) do nothing
  returning id into v_event_id;
  if v_event_id is null then
    return jsonb_build_object('status', 'duplicate', 'dedupe_key', v_key, 'telegram_user_id', v_user,
      'event_id', (select id from public.webhook_events where dedupe_key = v_key));
  end if;
  if v_kind = 'ignored' then
    return jsonb_build_object('status', 'ignored', 'event_id', v_event_id, 'telegram_user_id', v_user);
  end if;

  insert into public.users (telegram_user_id) values (v_user) on conflict do nothing;
  v_had := public.has_access(v_user);

  if v_kind = 'subscription' then
    insert into public.subscriptions (telegram_user_id, provider, external_id, kind, type, status, starts_at,
                                      expires_at, details)
    values (v_user, 'tribute', p_payload ->> 'subscription_id', 'subscription', coalesce(p_payload ->> 'type', 'regular'),
            'active', v_created, v_created,
            jsonb_strip_nulls(jsonb_build_object('subscription_name', p_payload -> 'subscription_name',
              'period', p_payload -> 'period', 'period_id', p_payload -> 'period_id',
              'channel_id', p_payload -> 'channel_id')))
    on conflict (provider, external_id) do update set updated_at = now()
    returning * into v_sub;
    perform public._recompute_tribute_user(v_user);
    perform public._restack_future(v_user);
    select * into v_sub from public.subscriptions where id = v_sub.id;

    if p_name in ('new_subscription', 'renewed_subscription') and p_payload ? 'amount' then
      insert into public.payments (provider, external_id, kind, telegram_user_id, subscription_id, amount, currency,
                                   webhook_event_id, paid_at)
      values ('tribute', 'event:' || v_key, case p_name when 'new_subscription' then 'subscription' else 'renewal' end,
              v_user, v_sub.id, (p_payload ->> 'amount')::bigint, coalesce(p_payload ->> 'currency', ''),
              v_event_id, v_created)
      on conflict do nothing;
    end if;

    -- Tell the user what happened, but only for the newest news: a stale event replayed into an older
    -- state says nothing.
    if v_sub.last_event_at = v_created then
      if p_name = 'renewed_subscription' and v_had and public.has_access(v_user) then
        perform public._queue(v_user, 'message', 'renewed', jsonb_build_object('until', public._live_access_end(v_user)),
                              'event:' || v_event_id || ':renewed');
      elsif p_name = 'cancelled_subscription' and public.has_access(v_user) then
        perform public._queue(v_user, 'message', 'cancelled', jsonb_build_object('until', public._live_access_end(v_user)),
                              'event:' || v_event_id || ':cancelled');
      end if;
    end if;
    perform public._queue_access_change(v_user, v_had, 'event:' || v_event_id);
    v_result := jsonb_build_object('subscription_id', v_sub.id, 'subscription_status', v_sub.status,
                                   'expires_at', v_sub.expires_at, 'bonus_days', v_sub.bonus_days);

  elsif v_kind = 'purchase' then
    select * into v_plan from public.plans where tribute_product_id = (p_payload ->> 'product_id')::bigint;
    insert into public.payments (provider, external_id, kind, telegram_user_id, plan_code, amount, currency,
                                 status, webhook_event_id, paid_at)
    values ('tribute', 'purchase:' || v_purchase_key || ':' || v_key, 'purchase', v_user, v_plan.code,
            coalesce((p_payload ->> 'amount')::bigint, 0), coalesce(p_payload ->> 'currency', ''),
            case when v_plan.code is null then 'unmatched' else 'paid' end, v_event_id, v_created)
    returning id into v_pay_id;
    if v_plan.code is not null then
      v_sub := public._grant_stacked(v_user, 'tribute', 'purchase', 'purchase:' || v_purchase_key, v_plan.code,
                                     v_plan.duration_days,
                                     jsonb_build_object('product_id', p_payload -> 'product_id',
                                                        'purchase_id', p_payload -> 'purchase_id',
                                                        'payment_id', v_pay_id));
      update public.payments set subscription_id = v_sub.id where id = v_pay_id;
      -- The refund may have been delivered before the purchase it cancels.
      if exists (select 1 from public.webhook_events w where w.subject = v_subject and w.status = 'processed'
                   and w.name = 'digital_product_refund') then
        perform public._end_window(v_sub.id, 'refunded');
        update public.payments set status = 'refunded', refunded_at = now() where id = v_pay_id;
      end if;
      select * into v_sub from public.subscriptions where id = v_sub.id;
      -- someone who already had access hears that it was extended (a newcomer gets the invite below)
      if v_had and v_sub.status = 'active' then
        perform public._queue(v_user, 'message', 'renewed', jsonb_build_object('until', public._live_access_end(v_user)),
                              'event:' || v_event_id || ':extended');
      end if;
      v_result := jsonb_build_object('subscription_id', v_sub.id, 'subscription_status', v_sub.status,
                                     'expires_at', v_sub.expires_at, 'plan_code', v_plan.code);
    else
      v_result := jsonb_build_object('note', 'no plan maps this product');
    end if;
    perform public._queue_access_change(v_user, v_had, 'event:' || v_event_id);

  elsif v_kind = 'refund' then
    select * into v_sub from public.subscriptions
     where provider = 'tribute' and external_id = 'purchase:' || v_purchase_key;
    if v_sub.id is null and not (p_payload ? 'purchase_id') then
      -- no purchase id: the newest unrefunded purchase of that product by that user
      select * into v_sub from public.subscriptions
       where provider = 'tribute' and kind = 'purchase' and telegram_user_id = v_user
         and details ->> 'product_id' = p_payload ->> 'product_id' and status <> 'refunded'
       order by created_at desc limit 1;
    end if;
    insert into public.payments (provider, external_id, kind, telegram_user_id, subscription_id, plan_code, amount,
                                 currency, webhook_event_id, paid_at)
    values ('tribute', 'refund:' || v_key, 'refund', v_user, v_sub.id, v_sub.plan_code,
            coalesce((p_payload ->> 'amount')::bigint, 0), coalesce(p_payload ->> 'currency', ''), v_event_id, v_created);
    if v_sub.id is not null and v_sub.status <> 'refunded' then
      perform public._end_window(v_sub.id, 'refunded');
      update public.payments set status = 'refunded', refunded_at = now()
       where subscription_id = v_sub.id and kind = 'purchase';
      perform public._queue_access_change(v_user, v_had, 'event:' || v_event_id, 'refunded');
      v_result := jsonb_build_object('subscription_id', v_sub.id, 'subscription_status', 'refunded');
    else
      v_result := jsonb_build_object('note', 'purchase not seen yet; it will be refunded on arrival');
    end if;
  end if;

  return jsonb_build_object('status', 'processed', 'event_id', v_event_id, 'telegram_user_id', v_user,
                            'access_until', public.access_until(v_user), 'has_access', public.has_access(v_user))
         || v_result;
end $$;

-- A delivery that could not be applied (bad payload): journaled as failed, nothing else changes.
create or replace function public.record_failed_event(p_source text, p_name text, p_envelope jsonb, p_error text,
                                                      p_raw text default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_key text := 'failed:' || encode(sha256(convert_to(coalesce(p_raw, p_envelope::text), 'UTF8')), 'hex');
  v_id bigint;
begin
  insert into public.webhook_events (source, name, dedupe_key, status, payload, error)
  values (p_source, coalesce(nullif(p_name, ''), 'unknown'), v_key, 'failed', coalesce(p_envelope, 'null'::jsonb), p_error)
  on conflict (dedupe_key) do nothing
  returning id into v_id;
  return jsonb_build_object('status', 'failed', 'event_id',
                            coalesce(v_id, (select id from public.webhook_events where dedupe_key = v_key)));
end $$;

-- ------------------------------------------------------------------ Telegram Stars

create or replace function public.list_plans()
returns jsonb language sql stable set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object('code', p.code, 'title', p.title, 'duration_days', p.duration_days,
                                               'stars_price', p.stars_price, 'tribute_link', p.tribute_link,
                                               'tribute_product_id', p.tribute_product_id)
                            order by p.duration_days, p.code), '[]'::jsonb)
  from public.plans p where p.active
$$;

-- pre_checkout_query: is this invoice still something we sell, at this price?
create or replace function public.stars_checkout_verdict(p_plan_code text, p_amount bigint, p_currency text)
returns jsonb language sql stable set search_path = '' as $$
  select case
    when p.code is null then jsonb_build_object('ok', false, 'reason', 'unknown_plan')
    when not p.active or p.stars_price is null then jsonb_build_object('ok', false, 'reason', 'inactive_plan')
    when p_currency is distinct from 'XTR' or p_amount is distinct from p.stars_price::bigint
      then jsonb_build_object('ok', false, 'reason', 'amount_mismatch')
    else jsonb_build_object('ok', true, 'plan_code', p.code, 'duration_days', p.duration_days)
  end
  from (select 1) one left join public.plans p on p.code = p_plan_code
$$;

-- successful_payment: the charge id is unique, so a repeated update never grants twice.
create or replace function public.apply_star_payment(
  p_telegram_user_id bigint, p_plan_code text, p_amount bigint, p_currency text,
  p_telegram_payment_charge_id text, p_provider_payment_charge_id text default null, p_raw jsonb default '{}'::jsonb)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_plan public.plans;
  v_pay_id bigint;
  v_had boolean;
  v_sub public.subscriptions;
begin
  perform public._lock_user(p_telegram_user_id);
  insert into public.users (telegram_user_id) values (p_telegram_user_id) on conflict do nothing;
  select * into v_plan from public.plans where code = p_plan_code;
  insert into public.payments (provider, external_id, kind, telegram_user_id, plan_code, amount, currency, status,
                               telegram_payment_charge_id, provider_payment_charge_id)
  values ('telegram_stars', p_telegram_payment_charge_id, 'purchase', p_telegram_user_id, v_plan.code, p_amount,
          p_currency, case when v_plan.code is null then 'unmatched' else 'paid' end,
          p_telegram_payment_charge_id, p_provider_payment_charge_id)
  on conflict do nothing
  returning id into v_pay_id;
  if v_pay_id is null then
    return jsonb_build_object('status', 'duplicate', 'access_until', public.access_until(p_telegram_user_id));
  end if;
  if v_plan.code is null then
    return jsonb_build_object('status', 'unmatched', 'payment_id', v_pay_id);
  end if;
  v_had := public.has_access(p_telegram_user_id);
  v_sub := public._grant_stacked(p_telegram_user_id, 'telegram_stars', 'purchase', p_telegram_payment_charge_id,
                                 v_plan.code, v_plan.duration_days, jsonb_build_object('payment_id', v_pay_id));
  update public.payments set subscription_id = v_sub.id where id = v_pay_id;
  perform public._queue_access_change(p_telegram_user_id, v_had, 'stars:' || p_telegram_payment_charge_id);
  return jsonb_build_object('status', 'processed', 'payment_id', v_pay_id, 'subscription_id', v_sub.id,
                            'expires_at', v_sub.expires_at, 'access_until', public.access_until(p_telegram_user_id));
end $$;

create or replace function public.find_star_payment(p_telegram_payment_charge_id text)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object('telegram_user_id', p.telegram_user_id, 'status', p.status, 'amount', p.amount,
                            'currency', p.currency, 'subscription_id', p.subscription_id)
  from public.payments p where p.telegram_payment_charge_id = p_telegram_payment_charge_id
$$;

-- After Telegram confirmed refundStarPayment: the payment is refunded and its window taken back.
create or replace function public.refund_star_payment(p_telegram_payment_charge_id text)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_pay public.payments;
  v_had boolean;
begin
  select * into v_pay from public.payments where telegram_payment_charge_id = p_telegram_payment_charge_id;
  if v_pay.id is null then
    return jsonb_build_object('status', 'not_found');
  end if;
  perform public._lock_user(v_pay.telegram_user_id);
  select * into v_pay from public.payments where id = v_pay.id for update;
  if v_pay.status = 'refunded' then
    return jsonb_build_object('status', 'already_refunded', 'telegram_user_id', v_pay.telegram_user_id);
  end if;
  v_had := public.has_access(v_pay.telegram_user_id);
  update public.payments set status = 'refunded', refunded_at = now() where id = v_pay.id;
  insert into public.payments (provider, external_id, kind, telegram_user_id, subscription_id, plan_code, amount, currency)
  values ('telegram_stars', 'refund:' || p_telegram_payment_charge_id, 'refund', v_pay.telegram_user_id,
          v_pay.subscription_id, v_pay.plan_code, v_pay.amount, v_pay.currency)
  on conflict do nothing;
  if v_pay.subscription_id is not null then
    perform public._end_window(v_pay.subscription_id, 'refunded');
  end if;
  perform public._queue_access_change(v_pay.telegram_user_id, v_had, 'refund:' || p_telegram_payment_charge_id, 'refunded');
  return jsonb_build_object('status', 'refunded', 'telegram_user_id', v_pay.telegram_user_id,
                            'has_access', public.has_access(v_pay.telegram_user_id));
end $$;

-- ------------------------------------------------------------------ admin

-- p_request_id (the Telegram update id) makes a redelivered admin command a no-op.
create or replace function public.grant_access(p_telegram_user_id bigint, p_days int, p_admin_id bigint,
                                               p_request_id text)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_had boolean;
  v_sub public.subscriptions;
begin
  if p_days is null or p_days <= 0 or p_days > 3650 then
    raise exception 'days must be between 1 and 3650' using errcode = '22023';
  end if;
  perform public._lock_user(p_telegram_user_id);
  insert into public.users (telegram_user_id) values (p_telegram_user_id) on conflict do nothing;
  v_had := public.has_access(p_telegram_user_id);
  v_sub := public._grant_stacked(p_telegram_user_id, 'manual', 'grant', 'grant:' || p_request_id, null, p_days,
                                 jsonb_build_object('admin_id', p_admin_id));
  perform public._queue_access_change(p_telegram_user_id, v_had, 'grant:' || p_request_id);
  return jsonb_build_object('status', 'granted', 'subscription_id', v_sub.id,
                            'access_until', public.access_until(p_telegram_user_id));
end $$;

create or replace function public.revoke_access(p_telegram_user_id bigint, p_admin_id bigint, p_request_id text)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_had boolean;
  r record;
  v_n int := 0;
begin
  perform public._lock_user(p_telegram_user_id);
  v_had := public.has_access(p_telegram_user_id);
  for r in select id from public.subscriptions
           where telegram_user_id = p_telegram_user_id and status in ('active', 'cancelled') and expires_at > now()
  loop
    perform public._end_window(r.id, 'expired');
    v_n := v_n + 1;
  end loop;
  perform public._queue_access_change(p_telegram_user_id, v_had, 'revoke:' || p_request_id, 'revoked');
  return jsonb_build_object('status', 'revoked', 'ended', v_n, 'has_access', public.has_access(p_telegram_user_id));
end $$;

create or replace function public.record_admin_action(p_admin_id bigint, p_command text, p_args jsonb,
                                                      p_result text, p_allowed boolean default true)
returns void language sql set search_path = '' as $$
  insert into public.admin_actions (admin_id, command, args, result, allowed)
  values (p_admin_id, p_command, coalesce(p_args, '{}'::jsonb), p_result, p_allowed)
$$;

create or replace function public.subscription_stats()
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'active_by_provider', coalesce((
      select jsonb_object_agg(provider, n) from (
        select s.provider, count(distinct s.telegram_user_id) as n from public.subscriptions s
        where s.status in ('active', 'cancelled') and (s.kind = 'subscription' or s.starts_at <= now())
                            and s.expires_at > now()
        group by s.provider) a), '{}'::jsonb),
    'users_with_access', (select count(distinct s.telegram_user_id) from public.subscriptions s
                          where s.status in ('active', 'cancelled') and (s.kind = 'subscription' or s.starts_at <= now())
                            and s.expires_at > now()),
    'revenue_30d', coalesce((
      select jsonb_agg(jsonb_build_object('currency', currency, 'amount', amount) order by currency) from (
        select p.currency, sum(p.amount)::bigint as amount from public.payments p
        where p.kind in ('subscription', 'renewal', 'purchase') and p.status = 'paid'
          and p.paid_at > now() - interval '30 days'
        group by p.currency) r), '[]'::jsonb),
    'outbox_pending', (select count(*) from public.outbox o where o.status in ('pending', 'sending')),
    'webhooks_failed_24h', (select count(*) from public.webhook_events w
                            where w.status = 'failed' and w.received_at > now() - interval '24 hours'))
$$;

create or replace function public.note_chat_member(p_telegram_user_id bigint, p_in_chat boolean)
returns jsonb language plpgsql set search_path = '' as $$
begin
  insert into public.users (telegram_user_id, in_chat) values (p_telegram_user_id, p_in_chat)
  on conflict (telegram_user_id) do update set in_chat = excluded.in_chat, updated_at = now();
  return jsonb_build_object('has_access', public.has_access(p_telegram_user_id));
end $$;
