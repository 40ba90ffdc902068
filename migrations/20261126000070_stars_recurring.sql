-- Recurring Telegram Star subscriptions (createInvoiceLink with subscription_period): what /cancel and
-- /resume need to find, and a new subscription that starts renewing even if an earlier one to the same
-- plan was cancelled. The windows themselves are apply_star_payment's (20261126000012_stars_payments.sql).

-- The member's recurring Stars subscriptions whose paid period still runs, one per plan: the latest
-- charge (what editUserStarSubscription names), the paid end, and whether the member stopped renewal.
create or replace function public.stars_subscriptions(p_telegram_user_id bigint)
returns jsonb language sql stable set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'plan_code', x.plan_code, 'title', coalesce(x.title, x.plan_code), 'charge_id', x.external_id,
           'until', x.expires_at, 'canceled', public._stars_subscription_canceled(p_telegram_user_id, x.plan_code))
         order by x.plan_code), '[]'::jsonb)
  from (select distinct on (s.plan_code) s.plan_code, p.title, s.external_id, s.expires_at
        from public.subscriptions s left join public.plans p on p.code = s.plan_code
        where s.telegram_user_id = p_telegram_user_id and s.provider = 'telegram_stars'
          and s.kind = 'subscription' and s.status <> 'refunded' and s.plan_code is not null
          and s.expires_at > now()
        order by s.plan_code, s.expires_at desc, s.id desc) x
$$;

-- successful_payment of a recurring Stars subscription. The first charge of a subscription
-- (is_first_recurring) starts a new one: a /cancel of an earlier subscription to the same plan no
-- longer applies. A redelivered charge is a duplicate and changes nothing (apply_star_payment).
create or replace function public.apply_star_subscription_payment(
  p_telegram_user_id bigint, p_plan_code text, p_amount bigint, p_currency text,
  p_telegram_payment_charge_id text, p_provider_payment_charge_id text, p_paid_at timestamptz,
  p_subscription_expires_at timestamptz, p_first boolean default false)
returns jsonb language plpgsql set search_path = '' as $$
begin
  perform public._lock_user(p_telegram_user_id);
  if p_first and p_plan_code is not null and not exists (
       select 1 from public.payments p where p.telegram_payment_charge_id = p_telegram_payment_charge_id) then
    update public.users u
       set details = u.details #- array['stars_canceled', p_plan_code], updated_at = now()
     where u.telegram_user_id = p_telegram_user_id and coalesce(u.details -> 'stars_canceled' ? p_plan_code, false);
  end if;
  return public.apply_star_payment(p_telegram_user_id, p_plan_code, p_amount, p_currency,
                                   p_telegram_payment_charge_id, p_provider_payment_charge_id, p_paid_at,
                                   coalesce(p_subscription_expires_at, coalesce(p_paid_at, now()) + interval '30 days'));
end $$;

