-- Scheduled work: expiry, reminders and the outbox queue. All safe to run concurrently: rows are
-- claimed with `for update skip locked`, and every queued message has a dedupe key.

-- Ends every subscription past its expires_at (active or cancelled), queues one notice + removal per
-- user whose access is now over, returns how many subscriptions it ended. The partial index
-- subscriptions_live_expiry_idx makes the scan proportional to what is due.
create or replace function public.expire_subscriptions()
returns integer language plpgsql set search_path = '' as $$
declare
  r record;
  v_n int := 0;
  v_users bigint[] := '{}';
  v_user bigint;
  v_until timestamptz;
begin
  for r in select s.id, s.telegram_user_id from public.subscriptions s
           where s.status in ('active', 'cancelled') and s.expires_at <= now()
           order by s.expires_at
           for update skip locked
  loop
    update public.subscriptions
       set status = 'expired', auto_renew = false, ended_at = coalesce(ended_at, now()), updated_at = now()
     where id = r.id;
    v_n := v_n + 1;
    if not (r.telegram_user_id = any (v_users)) then
      v_users := v_users || r.telegram_user_id;
    end if;
  end loop;
  foreach v_user in array v_users loop
    if not public.has_access(v_user) then
      v_until := public.access_until(v_user);
      -- keyed by the moment access ended: two concurrent runs, or a rerun, queue it once
      perform public._queue(v_user, 'remove', 'expired', jsonb_build_object('until', v_until),
                            'expired:' || v_user || ':' || extract(epoch from v_until)::bigint);
    end if;
  end loop;
  return v_n;
end $$;

-- Reminders 3 days and 1 day before a user's access ends, once per access period (the key contains
-- the end moment; a renewal moves it and opens a new period). Users whose access ends with an
-- auto-renewing Tribute subscription are not reminded unless p_include_auto_renew.
create or replace function public.queue_reminders(p_include_auto_renew boolean default false)
returns integer language plpgsql set search_path = '' as $$
declare
  r record;
  v_end timestamptz;
  v_kind text;
  v_n int := 0;
  v_id bigint;
begin
  for r in select distinct s.telegram_user_id from public.subscriptions s
           where s.status in ('active', 'cancelled') and s.expires_at > now()
             and s.expires_at <= now() + interval '3 days'
  loop
    v_end := public._live_access_end(r.telegram_user_id);
    continue when v_end is null or v_end > now() + interval '3 days';
    continue when not public.has_access(r.telegram_user_id);
    if not p_include_auto_renew and exists (
         select 1 from public.subscriptions s
         where s.telegram_user_id = r.telegram_user_id and s.provider = 'tribute' and s.status = 'active'
           and s.auto_renew and s.expires_at = v_end) then
      continue;
    end if;
    v_kind := case when v_end - now() <= interval '1 day' then '1d' else '3d' end;
    -- days_left is what is really left (rounded up): a 3-day reminder first seen 2.2 days before the
    -- end (cron was down, or the access was shorter than 3 days) says 3, not a flat 3.
    insert into public.outbox (telegram_user_id, kind, template, params, dedupe_key)
    values (r.telegram_user_id, 'message', 'reminder',
            jsonb_build_object('until', v_end,
                               'days_left', greatest(1, ceil(extract(epoch from v_end - now()) / 86400))::int),
            'reminder:' || r.telegram_user_id || ':' || v_kind || ':' || extract(epoch from v_end)::bigint)
    on conflict (dedupe_key) do nothing
    returning id into v_id;
    if v_id is not null then
      v_n := v_n + 1;
    end if;
  end loop;
  return v_n;
end $$;

-- Claims up to p_limit due outbox rows for delivery (a lease: a worker that dies lets them come back
-- after p_lease_seconds). Concurrent drains never get the same row. Broadcast copies (kind 'copy') are
-- not claimed here but by claim_broadcast, at the shared pace: a notice never waits behind a broadcast.
create or replace function public.claim_outbox(p_limit int default 50, p_lease_seconds int default 120)
returns jsonb language sql set search_path = '' as $$
  with due as (
    select o.id from public.outbox o
    where o.status in ('pending', 'sending') and o.kind <> 'copy'
      and ((o.status = 'pending' and o.next_attempt_at <= now())
           or (o.status = 'sending' and o.locked_until < now()))
    order by o.next_attempt_at, o.id
    limit greatest(p_limit, 0)
    for update skip locked
  ), claimed as (
    update public.outbox o
       set status = 'sending', attempts = o.attempts + 1,
           locked_until = now() + make_interval(secs => p_lease_seconds)
      from due where o.id = due.id
    returning o.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', c.id, 'telegram_user_id', c.telegram_user_id, 'kind', c.kind, 'template', c.template,
           'params', c.params, 'attempts', c.attempts, 'language_code', u.language_code,
           'blocked', u.blocked_at is not null, 'has_access', public.has_access(c.telegram_user_id))
           order by c.id), '[]'::jsonb)
  from claimed c left join public.users u on u.telegram_user_id = c.telegram_user_id
$$;

create or replace function public.complete_outbox(p_id bigint, p_status text default 'sent', p_note text default null)
returns void language plpgsql set search_path = '' as $$
begin
  if p_status not in ('sent', 'skipped') then
    raise exception 'complete_outbox: status must be sent or skipped' using errcode = '22023';
  end if;
  update public.outbox set status = p_status, sent_at = now(), locked_until = null, last_error = p_note
   where id = p_id;
end $$;

-- A failed delivery: retried with exponential backoff (30 s doubling, at most 1 h) or after Telegram's
-- retry_after; a user who blocked the bot is marked and their pending messages (broadcast copies too)
-- skipped, and later broadcasts leave them out; after
-- p_max_attempts the row is given up as failed. Only a row still being delivered ('sending') changes
-- state: a worker whose lease ran out (and whose row another worker already sent) cannot put it back.
create or replace function public.fail_outbox(p_id bigint, p_error text, p_retry_after_seconds int default null,
                                              p_blocked boolean default false, p_permanent boolean default false,
                                              p_max_attempts int default 8)
returns text language plpgsql set search_path = '' as $$
declare
  v_row public.outbox;
  v_status text;
begin
  select * into v_row from public.outbox where id = p_id for update;
  if v_row.id is null then
    return 'not_found';
  end if;
  if p_blocked then
    -- the user may never have written to the bot (no users row yet): the mark must stick anyway
    insert into public.users (telegram_user_id, blocked_at) values (v_row.telegram_user_id, now())
    on conflict (telegram_user_id) do update set blocked_at = coalesce(users.blocked_at, now()), updated_at = now();
    update public.outbox set status = 'skipped', locked_until = null, last_error = 'user blocked the bot'
     where telegram_user_id = v_row.telegram_user_id and kind in ('message', 'invite', 'copy')
       and (status = 'pending' or (status = 'sending' and id = p_id));
  end if;
  if v_row.status <> 'sending' then
    return v_row.status;
  end if;
  if p_blocked then
    if v_row.kind = 'remove' then
      -- the removal itself does not need the user to read us: it was done, only the notice failed
      update public.outbox set status = 'sent', sent_at = now(), locked_until = null,
                               last_error = 'notice skipped: user blocked the bot' where id = p_id;
      return 'sent';
    end if;
    return 'skipped';
  end if;
  if p_permanent or v_row.attempts >= p_max_attempts then
    v_status := 'failed';
    update public.outbox set status = 'failed', locked_until = null, last_error = left(p_error, 500) where id = p_id;
  else
    v_status := 'pending';
    update public.outbox
       set status = 'pending', locked_until = null, last_error = left(p_error, 500),
           -- (greatest() ignores nulls, so the null test comes first)
           next_attempt_at = now() + make_interval(secs => case
                               when p_retry_after_seconds is not null then greatest(p_retry_after_seconds, 0)
                               else least(30 * power(2, greatest(v_row.attempts - 1, 0)), 3600) end)
     where id = p_id;
  end if;
  return v_status;
end $$;

-- /sync_subscriptions: ends what is past due, restores Tribute subscriptions whose events say they
-- are still valid, and queues removal of chat members without access.
create or replace function public.sync_subscriptions()
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_checked int;
  v_expired int;
  v_restored int := 0;
  v_removed int := 0;
  r record;
  v_had boolean;
  v_until timestamptz;
begin
  select count(*) into v_checked from public.subscriptions
   where status in ('active', 'cancelled') or (status = 'expired' and expires_at > now());
  v_expired := public.expire_subscriptions();
  for r in select distinct s.telegram_user_id from public.subscriptions s
           where s.provider = 'tribute' and s.kind = 'subscription' and s.status = 'expired'
             and s.bonus_to is null and s.revoked_at is null
             and s.provider_expires_at + make_interval(days => s.bonus_days) > now()
  loop
    perform public._lock_user(r.telegram_user_id);
    v_had := public.has_access(r.telegram_user_id);
    perform public._recompute_tribute_user(r.telegram_user_id);
    if public.has_access(r.telegram_user_id) and not v_had then
      v_restored := v_restored + 1;
      perform public._queue_access_change(r.telegram_user_id, v_had,
                                          'sync:' || extract(epoch from now())::bigint || ':' || r.telegram_user_id);
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
