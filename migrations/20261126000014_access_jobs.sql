-- Scheduled work on the access timeline: expiry (pg_cron every minute), reminders, /sync_subscriptions.
-- The timeline's coverage does not depend on the clock, so none of these recompute a ledger: they
-- look at what time has reached since the last change (public.user_access.next_change_at).

-- Marks items whose time is over as expired (returns how many), refreshes users whose access began or
-- ended since their last change, and queues one removal per user whose access is over (or one invite
-- when banked time that starts later has begun). Safe to run concurrently and repeatedly: rows are
-- taken with `for update skip locked`, and queued rows are keyed by the moment access ended or began.
create or replace function public.expire_subscriptions()
returns integer language plpgsql set search_path = '' as $$
declare
  v_n int;
  v_users bigint[];
  r record;
  v_has boolean;
  v_open text[];
  v_from timestamptz;
begin
  -- status is an output of the timeline: changing it needs no recompute
  perform set_config('app.recompute', 'on', true);
  with due as (
    select s.id from public.subscriptions s
    where s.status in ('active', 'cancelled') and s.expires_at <= now()
    order by s.expires_at
    for update skip locked
  ), ended as (
    update public.subscriptions s
       set status = 'expired', auto_renew = false, ended_at = coalesce(s.ended_at, now()), updated_at = now()
      from due where s.id = due.id
    returning s.telegram_user_id
  )
  select count(*), coalesce(array_agg(distinct e.telegram_user_id), '{}') into v_n, v_users from ended e;
  perform set_config('app.recompute', 'off', true);

  for r in select a.* from public.user_access a
           where (a.next_change_at <= now() or a.telegram_user_id = any (v_users))
           for update skip locked
  loop
    v_has := r.coverage @> now();
    v_open := public._open_chat_keys(r.coverage, r.chat_coverage, now());
    update public.user_access a
       set has_access = v_has, open_chats = v_open, updated_at = now(),
           next_change_at = public._next_access_change(r.coverage, r.chat_coverage, now()),
           covering_item = (select s.id from public.subscriptions s
                            where s.telegram_user_id = r.telegram_user_id and s.segments @> now()
                            order by s.duration is not null, s.id limit 1)
     where a.telegram_user_id = r.telegram_user_id;
    -- keyed by the moment reached: two concurrent runs, or a rerun, queue each once
    if not v_has and (r.has_access or r.telegram_user_id = any (v_users)) then
      perform public._queue(r.telegram_user_id, 'remove', 'expired', jsonb_build_object('until', r.access_until),
                            'expired:' || r.telegram_user_id || ':' || coalesce(extract(epoch from r.access_until)::bigint, 0));
    elsif v_has and not r.has_access then
      v_from := (select lower(p) from unnest(r.coverage) p where p @> now());
      perform public._queue(r.telegram_user_id, 'invite', 'activated', jsonb_build_object('until', r.access_until),
                            'began:' || r.telegram_user_id || ':' || extract(epoch from v_from)::bigint);
    elsif v_has and not (v_open <@ r.open_chats) then
      -- another paid chat opened (a tier's time began)
      perform public._queue(r.telegram_user_id, 'invite', 'activated', jsonb_build_object('until', r.access_until),
                            'chats-opened:' || r.telegram_user_id || ':' || extract(epoch from r.next_change_at)::bigint);
    elsif v_has and not (r.open_chats <@ v_open) then
      -- a paid chat closed while another stays open: removed from that one
      perform public._queue(r.telegram_user_id, 'remove', 'expired', jsonb_build_object('until', r.access_until),
                            'chats-closed:' || r.telegram_user_id || ':' || extract(epoch from r.next_change_at)::bigint);
    end if;
  end loop;
  return v_n;
end $$;

-- Reminders 3 days and 1 day before a user's access ends, once per access period (the key contains
-- the end moment; a renewal moves it and opens a new period). Users whose access ends with an
-- auto-renewing subscription are not reminded unless p_include_auto_renew.
create or replace function public.queue_reminders(p_include_auto_renew boolean default false)
returns integer language plpgsql set search_path = '' as $$
declare
  r record;
  v_kind text;
  v_n int := 0;
  v_id bigint;
begin
  -- candidates: something changes within 3 days (with several paid chats that may be one chat closing,
  -- so the end of all access is taken from the coverage itself)
  for r in select a.telegram_user_id, (select upper(p) from unnest(a.coverage) p where p @> now()) as ends_at
           from public.user_access a
           where a.has_access and a.next_change_at > now() and a.next_change_at <= now() + interval '3 days'
  loop
    continue when r.ends_at is null or r.ends_at > now() + interval '3 days';
    if not p_include_auto_renew and exists (
         select 1 from public.subscriptions s
         where s.telegram_user_id = r.telegram_user_id and s.status = 'active' and s.auto_renew
           and upper(s.segments) = r.ends_at) then
      continue;
    end if;
    v_kind := case when r.ends_at - now() <= interval '1 day' then '1d' else '3d' end;
    insert into public.outbox (telegram_user_id, kind, template, params, dedupe_key)
    values (r.telegram_user_id, 'message', 'reminder',
            jsonb_build_object('until', r.ends_at,
                               'days_left', greatest(1, ceil(extract(epoch from r.ends_at - now()) / 86400))::int),
            'reminder:' || r.telegram_user_id || ':' || v_kind || ':' || extract(epoch from r.ends_at)::bigint)
    on conflict (dedupe_key) do nothing
    returning id into v_id;
    if v_id is not null then
      v_n := v_n + 1;
    end if;
  end loop;
  return v_n;
end $$;

-- /sync_subscriptions: ends what is past due, recomputes every user who holds or held access in the
-- last 30 days from their ledger (restoring what is valid, with an invite), and queues the removal of
-- chat members without access.
create or replace function public.sync_subscriptions()
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_checked int := 0;
  v_expired int;
  v_restored int := 0;
  v_removed int := 0;
  r record;
  v_change jsonb;
  v_until timestamptz;
  v_stamp text := extract(epoch from now())::bigint::text;
begin
  v_expired := public.expire_subscriptions();
  for r in select distinct s.telegram_user_id from public.subscriptions s
           where s.status in ('active', 'cancelled') or s.expires_at > now() - interval '30 days'
  loop
    perform public._lock_user(r.telegram_user_id);
    v_change := public._recompute_access(r.telegram_user_id, 'sync:' || v_stamp || ':' || r.telegram_user_id);
    v_checked := v_checked + 1;
    if (v_change ->> 'has')::boolean and not (v_change ->> 'had')::boolean then
      v_restored := v_restored + 1;
    end if;
  end loop;
  for r in select u.telegram_user_id from public.users u
           where u.in_chat and not public.has_access(u.telegram_user_id)
  loop
    v_until := public.access_until(r.telegram_user_id);
    perform public._queue(r.telegram_user_id, 'remove', 'expired', jsonb_build_object('until', v_until),
                          'expired:' || r.telegram_user_id || ':' || coalesce(extract(epoch from v_until)::bigint, 0));
    v_removed := v_removed + 1;
  end loop;
  return jsonb_build_object('checked', v_checked, 'expired', v_expired, 'restored', v_restored,
                            'removals_queued', v_removed);
end $$;
