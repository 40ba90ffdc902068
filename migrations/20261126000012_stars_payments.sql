-- Telegram Stars: the plans for sale, the pre-checkout verdict, successful_payment as a banked item of
-- the access timeline, and the admin refund that takes it back.

create or replace function public.list_plans()
returns jsonb language sql stable set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object('code', p.code, 'title', p.title, 'duration_days', p.duration_days,
                                               'stars_price', p.stars_price, 'tribute_link', p.tribute_link,
                                               'tribute_product_id', p.tribute_product_id,
                                               'stars_recurring', p.stars_recurring)
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

-- successful_payment: the charge id is unique, so a repeated update never grants twice. A one-off
-- payment is banked at p_paid_at (the message's date), whenever the update is processed. A recurring
-- Stars subscription charge (p_subscription_expires_at: Telegram's subscription_expiration_date) is a
-- window of its own, [paid_at, expiration]: the first charge opens the subscription, each renewal
-- (a new charge id) adds its period, a refund takes that period back.
create or replace function public.apply_star_payment(
  p_telegram_user_id bigint, p_plan_code text, p_amount bigint, p_currency text,
  p_telegram_payment_charge_id text, p_provider_payment_charge_id text default null,
  p_paid_at timestamptz default null, p_subscription_expires_at timestamptz default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_plan public.plans;
  v_at timestamptz := coalesce(p_paid_at, now());
  v_pay_id bigint;
  v_sub_id bigint;
begin
  perform public._lock_user(p_telegram_user_id);
  insert into public.users (telegram_user_id) values (p_telegram_user_id) on conflict do nothing;
  select * into v_plan from public.plans where code = p_plan_code;
  insert into public.payments (provider, external_id, kind, telegram_user_id, plan_code, amount, currency, status,
                               telegram_payment_charge_id, provider_payment_charge_id, paid_at)
  values ('telegram_stars', p_telegram_payment_charge_id, 'purchase', p_telegram_user_id, v_plan.code, p_amount,
          p_currency, case when v_plan.code is null then 'unmatched' else 'paid' end,
          p_telegram_payment_charge_id, p_provider_payment_charge_id, v_at)
  on conflict do nothing
  returning id into v_pay_id;
  if v_pay_id is null then
    perform set_config('app.recompute', 'off', true);
    return jsonb_build_object('status', 'duplicate', 'access_until', public.access_until(p_telegram_user_id));
  end if;
  if v_plan.code is null then
    perform set_config('app.recompute', 'off', true);
    return jsonb_build_object('status', 'unmatched', 'payment_id', v_pay_id);
  end if;
  if p_subscription_expires_at is not null then
    -- renewing unless the member cancelled it (/cancel) before this charge was processed
    insert into public.subscriptions (telegram_user_id, provider, external_id, kind, plan_code, status, auto_renew,
                                      event_at, starts_at, expires_at, details)
    values (p_telegram_user_id, 'telegram_stars', p_telegram_payment_charge_id, 'subscription', v_plan.code,
            'active', not public._stars_subscription_canceled(p_telegram_user_id, v_plan.code), v_at, v_at,
            greatest(v_at, p_subscription_expires_at),
            jsonb_build_object('payment_id', v_pay_id, 'recurring', true))
    returning id into v_sub_id;
  else
    insert into public.subscriptions (telegram_user_id, provider, external_id, kind, plan_code, status, event_at,
                                      duration, starts_at, expires_at, details)
    values (p_telegram_user_id, 'telegram_stars', p_telegram_payment_charge_id, 'purchase', v_plan.code, 'active', v_at,
            make_interval(days => v_plan.duration_days), v_at, v_at, jsonb_build_object('payment_id', v_pay_id))
    returning id into v_sub_id;
  end if;
  update public.payments set subscription_id = v_sub_id where id = v_pay_id;
  -- the payment's own reply states the new date: no second message about it
  perform public._recompute_access(p_telegram_user_id, 'stars:' || p_telegram_payment_charge_id, 'expired', false);
  return jsonb_build_object('status', 'processed', 'payment_id', v_pay_id, 'subscription_id', v_sub_id,
                            'expires_at', (select expires_at from public.subscriptions where id = v_sub_id),
                            'access_until', public.access_until(p_telegram_user_id));
end $$;

-- Whether the member stopped the renewal of their recurring Stars subscription to a plan (/cancel).
create or replace function public._stars_subscription_canceled(p_user bigint, p_plan_code text)
returns boolean language sql stable set search_path = '' as $$
  select coalesce((select (u.details -> 'stars_canceled' ->> p_plan_code)::boolean
                   from public.users u where u.telegram_user_id = p_user), false)
$$;

-- /cancel and /resume, after Telegram confirmed editUserStarSubscription: the member's recurring Stars
-- subscription to the plan stops (or resumes) renewing; access stays until the paid end either way.
-- (users.details.stars_canceled is merged, not jsonb_set: jsonb_set cannot create the missing key.)
-- Returns {status, plan_code, charge_id (the latest charge), until, auto_renew}, or {status: 'none'}.
create or replace function public.set_stars_subscription_canceled(p_telegram_user_id bigint, p_canceled boolean,
                                                                  p_plan_code text default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_latest public.subscriptions;
begin
  perform public._lock_user(p_telegram_user_id);
  select * into v_latest from public.subscriptions s
   where s.telegram_user_id = p_telegram_user_id and s.provider = 'telegram_stars' and s.kind = 'subscription'
     and s.status <> 'refunded' and (p_plan_code is null or s.plan_code = p_plan_code)
   order by s.expires_at desc, s.id desc limit 1;
  if v_latest.id is null then
    perform set_config('app.recompute', 'off', true);
    return jsonb_build_object('status', 'none');
  end if;
  update public.users u
     set details = u.details || jsonb_build_object('stars_canceled',
                     coalesce(u.details -> 'stars_canceled', '{}'::jsonb)
                       || jsonb_build_object(v_latest.plan_code, p_canceled)),
         updated_at = now()
   where u.telegram_user_id = p_telegram_user_id;
  update public.subscriptions s
     set auto_renew = not p_canceled and s.status in ('active', 'cancelled'),
         status = case when s.status in ('active', 'cancelled') then
                         case when p_canceled then 'cancelled' else 'active' end else s.status end,
         updated_at = now()
   where s.telegram_user_id = p_telegram_user_id and s.provider = 'telegram_stars' and s.kind = 'subscription'
     and s.plan_code is not distinct from v_latest.plan_code and s.expires_at > now();
  perform set_config('app.recompute', 'off', true);
  return jsonb_build_object('status', case when p_canceled then 'canceled' else 'resumed' end,
                            'plan_code', v_latest.plan_code, 'charge_id', v_latest.external_id,
                            'until', v_latest.expires_at, 'auto_renew', not p_canceled);
end $$;

create or replace function public.find_star_payment(p_telegram_payment_charge_id text)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object('telegram_user_id', p.telegram_user_id, 'status', p.status, 'amount', p.amount,
                            'currency', p.currency, 'subscription_id', p.subscription_id)
  from public.payments p where p.telegram_payment_charge_id = p_telegram_payment_charge_id
$$;

-- After Telegram confirmed refundStarPayment: the payment is refunded and its item leaves the timeline
-- (later items move up).
create or replace function public.refund_star_payment(p_telegram_payment_charge_id text)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_pay public.payments;
begin
  select * into v_pay from public.payments where telegram_payment_charge_id = p_telegram_payment_charge_id;
  if v_pay.id is null then
    return jsonb_build_object('status', 'not_found');
  end if;
  perform public._lock_user(v_pay.telegram_user_id);
  select * into v_pay from public.payments where id = v_pay.id for update;
  if v_pay.status = 'refunded' then
    perform set_config('app.recompute', 'off', true);
    return jsonb_build_object('status', 'already_refunded', 'telegram_user_id', v_pay.telegram_user_id);
  end if;
  update public.payments set status = 'refunded', refunded_at = now() where id = v_pay.id;
  insert into public.payments (provider, external_id, kind, telegram_user_id, subscription_id, plan_code, amount, currency)
  values ('telegram_stars', 'refund:' || p_telegram_payment_charge_id, 'refund', v_pay.telegram_user_id,
          v_pay.subscription_id, v_pay.plan_code, v_pay.amount, v_pay.currency)
  on conflict do nothing;
  insert into public.access_adjustments (telegram_user_id, kind, event_at, provider, target_external_id, source_key)
  values (v_pay.telegram_user_id, 'refund', now(), 'telegram_stars', p_telegram_payment_charge_id,
          'stars-refund:' || p_telegram_payment_charge_id)
  on conflict (source_key) do nothing;
  perform public._recompute_access(v_pay.telegram_user_id, 'refund:' || p_telegram_payment_charge_id, 'refunded');
  return jsonb_build_object('status', 'refunded', 'telegram_user_id', v_pay.telegram_user_id,
                            'has_access', public.has_access(v_pay.telegram_user_id));
end $$;
