-- Tribute webhooks: journal every distinct delivery, write its ledger rows, recompute the user's
-- timeline (20261126000002_access_timeline.sql). One call = one transaction.

create or replace function public._tribute_dedupe_key(p_name text, p_created_at text, p_payload jsonb)
returns text language plpgsql immutable set search_path = '' as $$
begin
  -- jsonb's text form is canonical (key order, whitespace), so equal payloads give equal keys;
  -- sent_at is deliberately not part of it: a retry may change it.
  return encode(sha256(convert_to(p_name || '|' || p_created_at || '|' || p_payload::text, 'UTF8')), 'hex');
end $$;

-- Applies one verified, validated Tribute webhook: journal row (unique dedupe key), ledger rows
-- (subscription, purchase item, refund adjustment, payment), the recomputed timeline and the outbox
-- rows it implies, or nothing at all.
-- Returns {status: processed|duplicate|ignored, event_id, telegram_user_id, access_until, has_access, ...}.
-- An event accepted earlier (the inbox, 20261126000015_tribute_inbox.sql) keeps the id and receipt time
-- its acknowledgement gave it: p_event_id, p_received_at.
create or replace function public.apply_tribute_event(
  p_name text, p_created_at text, p_payload jsonb, p_envelope jsonb, p_received_name text default null,
  p_event_id bigint default null, p_received_at timestamptz default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_key text := public._tribute_dedupe_key(coalesce(p_received_name, p_name), p_created_at, p_payload);
  v_created timestamptz := p_created_at::timestamptz;
  v_user bigint := nullif(p_payload ->> 'telegram_user_id', '')::bigint;
  v_product bigint := nullif(p_payload ->> 'product_id', '')::bigint;
  v_purchase text := nullif(p_payload ->> 'purchase_id', '');
  v_event_id bigint;
  v_subject text;
  v_kind text;
  v_plan public.plans;
  v_sub public.subscriptions;
  v_item text;
  v_pay_id bigint;
  v_change jsonb;
  v_result jsonb := '{}'::jsonb;
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
    -- a purchase is its purchase_id; without one, the delivery itself (two deliveries with different
    -- created_at are two purchases)
    v_item := 'purchase:' || coalesce(v_purchase, 'delivery:' || v_key);
    v_subject := 'tribute:' || v_kind || ':' || coalesce(v_purchase, v_key);
  end if;

  if v_user is not null then
    perform public._lock_user(v_user);
  end if;
  perform set_config('app.queued', 'off', true);

  insert into public.webhook_events (id, source, name, dedupe_key, status, subject, telegram_user_id,
                                     event_created_at, payload, received_at)
  overriding system value
  values (coalesce(p_event_id, nextval('public.webhook_events_id_seq')), 'tribute', p_name, v_key,
          case when v_kind = 'ignored' then 'ignored' else 'processed' end,
          v_subject, v_user, v_created, p_envelope, coalesce(p_received_at, now()))
  on conflict (dedupe_key) do nothing
  returning id into v_event_id;
  if v_event_id is null then
    perform set_config('app.recompute', 'off', true);
    return jsonb_build_object('status', 'duplicate', 'dedupe_key', v_key, 'telegram_user_id', v_user,
      'event_id', (select id from public.webhook_events where dedupe_key = v_key));
  end if;
  if v_kind = 'ignored' then
    perform set_config('app.recompute', 'off', true);
    return jsonb_build_object('status', 'ignored', 'event_id', v_event_id, 'telegram_user_id', v_user);
  end if;

  insert into public.users (telegram_user_id) values (v_user) on conflict do nothing;

  if v_kind = 'subscription' then
    -- A new row starts with what _tribute_fold reads off its first event (type, provider expiry, last
    -- event, plan), so that the recompute below finds them right and writes the row once, not twice
    -- (the fold's update is skipped when nothing differs; it still corrects whatever does).
    insert into public.subscriptions as s (telegram_user_id, provider, external_id, kind, type, status, starts_at,
                                           expires_at, event_at, provider_expires_at, last_event_at, plan_code,
                                           details)
    values (v_user, 'tribute', p_payload ->> 'subscription_id', 'subscription',
            coalesce(nullif(p_payload ->> 'type', ''), 'regular'), 'active', v_created, v_created, v_created,
            coalesce(nullif(p_payload ->> 'expires_at', '')::timestamptz, v_created + interval '30 days'), v_created,
            (select p.code from public.plans p where p.tribute_subscription_id::text = p_payload ->> 'subscription_id'),
            jsonb_strip_nulls(jsonb_build_object('subscription_name', p_payload -> 'subscription_name',
              'period', p_payload -> 'period', 'period_id', p_payload -> 'period_id',
              'channel_id', p_payload -> 'channel_id')))
    on conflict (provider, external_id) do update set updated_at = now()
    returning * into v_sub;
    if p_name in ('new_subscription', 'renewed_subscription') and p_payload ? 'amount' then
      insert into public.payments (provider, external_id, kind, telegram_user_id, subscription_id, amount, currency,
                                   webhook_event_id, paid_at)
      values ('tribute', 'event:' || v_key, case p_name when 'new_subscription' then 'subscription' else 'renewal' end,
              v_user, v_sub.id, (p_payload ->> 'amount')::bigint, coalesce(p_payload ->> 'currency', ''),
              v_event_id, v_created)
      on conflict do nothing;
    end if;
    v_change := public._recompute_access(v_user, 'event:' || v_event_id);
    select * into v_sub from public.subscriptions where id = v_sub.id;
    -- the cancellation notice, only for the newest news of this subscription while access lasts
    if p_name = 'cancelled_subscription' and v_sub.last_event_at = v_created and (v_change ->> 'has')::boolean then
      perform public._queue(v_user, 'message', 'cancelled', jsonb_build_object('until', v_change -> 'access_until'),
                            'event:' || v_event_id || ':cancelled');
    end if;
    v_result := jsonb_build_object('subscription_id', v_sub.id, 'subscription_status', v_sub.status,
                                   'expires_at', v_sub.expires_at);

  elsif v_kind = 'purchase' then
    select * into v_plan from public.plans where tribute_product_id = v_product;
    insert into public.payments (provider, external_id, kind, telegram_user_id, plan_code, amount, currency,
                                 status, webhook_event_id, paid_at)
    values ('tribute', v_item || ':' || v_key, 'purchase', v_user, v_plan.code,
            coalesce((p_payload ->> 'amount')::bigint, 0), coalesce(p_payload ->> 'currency', ''),
            case when v_plan.code is null then 'unmatched' else 'paid' end, v_event_id, v_created)
    returning id into v_pay_id;
    if v_plan.code is not null then
      -- the same purchase_id delivered twice is one purchase: its earliest delivery says what and when
      insert into public.subscriptions as s (telegram_user_id, provider, external_id, kind, plan_code, status,
                                             event_at, duration, starts_at, expires_at, details)
      values (v_user, 'tribute', v_item, 'purchase', v_plan.code, 'active', v_created,
              make_interval(days => v_plan.duration_days), v_created, v_created,
              jsonb_build_object('product_id', v_product, 'purchase_id', p_payload -> 'purchase_id',
                                 'payment_id', v_pay_id))
      on conflict (provider, external_id) do update
        set event_at = excluded.event_at, duration = excluded.duration, plan_code = excluded.plan_code,
            details = excluded.details
        where excluded.event_at < s.event_at
      returning * into v_sub;
      if v_sub.id is null then
        select * into v_sub from public.subscriptions where provider = 'tribute' and external_id = v_item;
      end if;
      update public.payments set subscription_id = v_sub.id where id = v_pay_id;
      v_change := public._recompute_access(v_user, 'event:' || v_event_id);
      select * into v_sub from public.subscriptions where id = v_sub.id;
      v_result := jsonb_build_object('subscription_id', v_sub.id, 'subscription_status', v_sub.status,
                                     'expires_at', v_sub.expires_at, 'plan_code', v_plan.code);
    else
      perform set_config('app.recompute', 'off', true);
      v_result := jsonb_build_object('note', 'no plan maps this product');
    end if;

  else -- refund
    insert into public.payments (provider, external_id, kind, telegram_user_id, plan_code, amount, currency,
                                 webhook_event_id, paid_at)
    values ('tribute', 'refund:' || v_key, 'refund', v_user, null,
            coalesce((p_payload ->> 'amount')::bigint, 0), coalesce(p_payload ->> 'currency', ''), v_event_id, v_created);
    insert into public.access_adjustments (telegram_user_id, kind, event_at, provider, target_external_id, product_id,
                                           source_key, details)
    values (v_user, 'refund', v_created, 'tribute', case when v_purchase is not null then v_item end, v_product,
            'tribute:' || v_key, jsonb_build_object('event_id', v_event_id))
    on conflict (source_key) do nothing;
    v_change := public._recompute_access(v_user, 'event:' || v_event_id, 'refunded');
    v_result := jsonb_build_object('note', 'refund recorded; a purchase not seen yet is refunded on arrival');
  end if;

  -- (read once here rather than through access_until()/has_access(): sql functions with a SET clause are
  -- never inlined, so each call would be planned again)
  return jsonb_build_object('status', 'processed', 'event_id', v_event_id, 'telegram_user_id', v_user,
                            'access_until', (select a.access_until from public.user_access a where a.telegram_user_id = v_user),
                            'has_access', coalesce((select a.coverage @> now() from public.user_access a
                                                    where a.telegram_user_id = v_user), false),
                            -- the event queued outbox rows: worth starting a delivery
                            'queued', coalesce(current_setting('app.queued', true), '') = 'on')
         || v_result;
end $$;

-- The door's entry: one verified, validated delivery as the raw body text, applied now. The payload is
-- read from the body here, exactly as accept_tribute_event (the inbox) reads it, so the dedupe key of a
-- delivery is the same whichever way it came in. p_name is the canonical event name (refund spellings
-- collapse to digital_product_refund); the received one is the body's.
create or replace function public.apply_tribute_delivery(p_name text, p_body text)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_envelope jsonb := p_body::jsonb;
begin
  return public.apply_tribute_event(p_name => p_name, p_created_at => v_envelope ->> 'created_at',
                                    p_payload => v_envelope -> 'payload', p_envelope => v_envelope,
                                    p_received_name => v_envelope ->> 'name');
end $$;

-- A delivery that could not be applied (bad payload, or a Telegram update that fails the same way every
-- time): journaled as failed, nothing else changes.
create or replace function public.record_failed_event(p_source text, p_name text, p_envelope jsonb, p_error text,
                                                      p_raw text default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_key text := 'failed:' || encode(sha256(convert_to(coalesce(p_raw, p_envelope::text), 'UTF8')), 'hex');
  v_id bigint;
begin
  insert into public.webhook_events (source, name, dedupe_key, status, payload, error)
  values (p_source, left(coalesce(nullif(p_name, ''), 'unknown'), 100), v_key, 'failed', coalesce(p_envelope, 'null'::jsonb),
          left(p_error, 2000))
  on conflict (dedupe_key) do nothing
  returning id into v_id;
  return jsonb_build_object('status', 'failed', 'event_id',
                            coalesce(v_id, (select id from public.webhook_events where dedupe_key = v_key)));
end $$;
