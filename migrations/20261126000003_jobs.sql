-- The outbox queue: claim, complete, fail. Safe to run concurrently: rows are claimed with
-- `for update skip locked`, and every queued message has a dedupe key. (Expiry and reminders:
-- 20261126000014_access_jobs.sql.)

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
