-- Users (who talks to the bot, what they hold now) and the admin commands that change the ledger:
-- /grant banks time, /revoke ends access at its moment; both are items of the access timeline.

-- The access part of a user's summary: who they are and what they hold now, without the list of their
-- items. It is what the bot reads on every private message (upsert_user); the list (a sorted aggregate
-- of up to 10 rows, about a third of upsert_user's cost) only user_summary builds.
-- (plpgsql, so its plan is kept for the session: it runs on every private message, through upsert_user)
create or replace function public._access_summary(p_telegram_user_id bigint)
returns jsonb language plpgsql stable set search_path = '' as $$
declare
  v_summary jsonb;
  v_items boolean;
begin
  select jsonb_build_object(
    'telegram_user_id', p_telegram_user_id,
    'known', u.telegram_user_id is not null,
    'username', u.username,
    'first_name', u.first_name,
    'language_code', u.language_code,
    'blocked', u.blocked_at is not null,
    'has_access', coalesce(a.coverage @> now(), false),
    'access_until', a.access_until,
    -- the end of the access held now, including what is banked right after it
    'live_until', (select upper(p) from unnest(a.coverage) p where p @> now())),
    exists (select 1 from public.subscriptions s where s.telegram_user_id = p_telegram_user_id)
    into v_summary, v_items
  from (select 1) one
  left join public.users u on u.telegram_user_id = p_telegram_user_id
  left join public.user_access a on a.telegram_user_id = p_telegram_user_id;
  -- Most who write to the bot never held anything: without an item nothing covers now nor renews, and
  -- the two queries over their items (a sort among them) are not worth running.
  if not v_items then
    return v_summary || '{"current": null, "auto_renew": false}'::jsonb;
  end if;
  return v_summary || jsonb_build_object(
    'current', (
      select jsonb_build_object('provider', s.provider, 'kind', s.kind, 'status', s.status,
                                'auto_renew', s.auto_renew, 'expires_at', s.expires_at, 'plan_code', s.plan_code)
      from public.subscriptions s
      where s.telegram_user_id = p_telegram_user_id and s.segments @> now()
      order by s.duration is not null, s.id limit 1),
    'auto_renew', exists (select 1 from public.subscriptions s
                          where s.telegram_user_id = p_telegram_user_id and s.status = 'active' and s.auto_renew
                            and s.expires_at > now()));
end $$;

-- The access summary and the user's latest items (admin /user, the Mini App, group /status).
create or replace function public.user_summary(p_telegram_user_id bigint)
returns jsonb language plpgsql stable set search_path = '' as $$
begin
  return public._access_summary(p_telegram_user_id) || jsonb_build_object('subscriptions', coalesce((
      select jsonb_agg(jsonb_build_object('id', s.id, 'provider', s.provider, 'kind', s.kind, 'type', s.type,
                                          'status', s.status, 'auto_renew', s.auto_renew, 'starts_at', s.starts_at,
                                          'expires_at', s.expires_at, 'plan_code', s.plan_code,
                                          'event_at', coalesce(s.event_at, s.starts_at),
                                          'external_id', s.external_id) order by s.expires_at desc)
      from (select * from public.subscriptions s0 where s0.telegram_user_id = p_telegram_user_id
            order by s0.expires_at desc limit 10) s), '[]'::jsonb));
end $$;

-- Registers or refreshes the sender of a private message; returns their access summary (no item list).
create or replace function public.upsert_user(
  p_telegram_user_id bigint, p_username text default null, p_first_name text default null,
  p_language_code text default null)
returns jsonb language plpgsql set search_path = '' as $$
begin
  -- Nothing to change (the usual case: a known user writes again): no write at all, so the transaction
  -- stays read-only and its commit waits for no WAL flush. (ON CONFLICT with a false WHERE would still
  -- lock the row, which is a write.) The same test as the WHERE below.
  if exists (select 1 from public.users u
             where u.telegram_user_id = p_telegram_user_id
               and u.username is not distinct from p_username and u.first_name is not distinct from p_first_name
               and u.language_code is not distinct from p_language_code and u.blocked_at is null) then
    return public._access_summary(p_telegram_user_id);
  end if;
  -- A new or renamed user: the commit need not wait for the WAL flush (a crash loses at most the last
  -- fraction of a second of these upserts, which the user's next message redoes). Waiting for it would
  -- also hold up the short calls pipelined behind this one on its connection (db/postgres.ts).
  perform set_config('synchronous_commit', 'off', true);
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
  return public._access_summary(p_telegram_user_id);
end $$;

-- /grant: p_days banked at p_at (the command's date). p_request_id (the Telegram update id) makes a
-- redelivered command a no-op.
create or replace function public.grant_access(p_telegram_user_id bigint, p_days int, p_admin_id bigint,
                                               p_request_id text, p_at timestamptz default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_at timestamptz := coalesce(p_at, now());
  v_id bigint;
begin
  if p_days is null or p_days <= 0 or p_days > 3650 then
    raise exception 'days must be between 1 and 3650' using errcode = '22023';
  end if;
  perform public._lock_user(p_telegram_user_id);
  insert into public.users (telegram_user_id) values (p_telegram_user_id) on conflict do nothing;
  insert into public.subscriptions (telegram_user_id, provider, external_id, kind, status, event_at, duration,
                                    starts_at, expires_at, details)
  values (p_telegram_user_id, 'manual', 'grant:' || p_request_id, 'grant', 'active', v_at,
          make_interval(days => p_days), v_at, v_at, jsonb_build_object('admin_id', p_admin_id))
  on conflict (provider, external_id) do nothing
  returning id into v_id;
  if v_id is not null then
    perform public._recompute_access(p_telegram_user_id, 'grant:' || p_request_id);
  end if;
  perform set_config('app.recompute', 'off', true);
  return jsonb_build_object('status', case when v_id is null then 'duplicate' else 'granted' end,
                            'subscription_id', coalesce(v_id, (select id from public.subscriptions
                                                               where provider = 'manual'
                                                                 and external_id = 'grant:' || p_request_id)),
                            'access_until', public.access_until(p_telegram_user_id));
end $$;

-- /revoke: access ends at p_at; what was banked before it is forfeited; a subscription reopens only with
-- a new payment event after it. `ended` counts the items that still had time after p_at.
create or replace function public.revoke_access(p_telegram_user_id bigint, p_admin_id bigint, p_request_id text,
                                                p_at timestamptz default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_at timestamptz := coalesce(p_at, now());
  v_live int;
  v_id bigint;
begin
  perform public._lock_user(p_telegram_user_id);
  select count(*) into v_live from public.subscriptions s
   where s.telegram_user_id = p_telegram_user_id and upper(s.segments) > v_at;
  insert into public.access_adjustments (telegram_user_id, kind, event_at, source_key, details)
  values (p_telegram_user_id, 'revoke', v_at, 'revoke:' || p_request_id, jsonb_build_object('admin_id', p_admin_id))
  on conflict (source_key) do nothing
  returning id into v_id;
  if v_id is null then
    perform set_config('app.recompute', 'off', true);
    return jsonb_build_object('status', 'duplicate', 'ended', 0,
                              'has_access', public.has_access(p_telegram_user_id));
  end if;
  perform public._recompute_access(p_telegram_user_id, 'revoke:' || p_request_id, 'revoked');
  return jsonb_build_object('status', 'revoked', 'ended', v_live, 'has_access', public.has_access(p_telegram_user_id));
end $$;

create or replace function public.record_admin_action(p_admin_id bigint, p_command text, p_args jsonb,
                                                      p_result text, p_allowed boolean default true)
returns void language sql set search_path = '' as $$
  insert into public.admin_actions (admin_id, command, args, result, allowed)
  values (p_admin_id, p_command, coalesce(p_args, '{}'::jsonb), p_result, p_allowed)
$$;

create or replace function public.subscription_stats()
returns jsonb language sql stable set search_path = '' as $$
  with live as (
    select a.telegram_user_id, a.covering_item from public.user_access a
    where a.access_until > now() and a.coverage @> now()
  )
  select jsonb_build_object(
    'active_by_provider', coalesce((
      select jsonb_object_agg(provider, n) from (
        select coalesce(s.provider, 'manual') as provider, count(*) as n
        from live l left join public.subscriptions s on s.id = l.covering_item
        group by 1) x), '{}'::jsonb),
    'users_with_access', (select count(*) from live),
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

-- A member joined or left a paid chat. has_access answers for that chat (p_chat_id): with plans that
-- open different chats, access to one chat does not open another.
create or replace function public.note_chat_member(p_telegram_user_id bigint, p_in_chat boolean,
                                                   p_chat_id bigint default null)
returns jsonb language plpgsql set search_path = '' as $$
begin
  insert into public.users (telegram_user_id, in_chat) values (p_telegram_user_id, p_in_chat)
  on conflict (telegram_user_id) do update set in_chat = excluded.in_chat, updated_at = now();
  return jsonb_build_object('has_access', case
    when p_chat_id is null then public.has_access(p_telegram_user_id)
    else cardinality(public.open_chats(p_telegram_user_id, array[p_chat_id])) > 0 end);
end $$;
