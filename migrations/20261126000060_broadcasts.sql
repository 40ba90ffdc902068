-- Broadcasts: an admin replies to a message with /broadcast <audience>; once confirmed, the message is
-- copied (copyMessage) to every recipient through the outbox, one row per (broadcast, user), at a pace
-- shared by every drain of the whole bot: broadcast_pace hands out send slots, at most `per_second`
-- of them in any one-second window, and a drain sends each row at its slot (claim_broadcast).
-- Transactional notices (invites, removals, reminders) never wait for it: claim_outbox skips 'copy' rows.

create table public.broadcasts (
  id                 bigint generated always as identity primary key,
  admin_id           bigint not null,
  from_chat_id       bigint not null,      -- the chat and message copied to every recipient
  message_id         bigint not null,
  command_message_id bigint null,          -- the /broadcast message itself: a redelivered update finds its draft
  audience           text not null check (audience in ('active', 'expired', 'all')),
  status             text not null default 'draft' check (status in ('draft', 'sending', 'cancelled')),
  audience_size      int not null default 0, -- counted when the draft was made (shown with the confirm button)
  recipients         int null,             -- rows queued by the confirmation
  confirmed_by       bigint null,
  created_at         timestamptz not null default now(),
  confirmed_at       timestamptz null,
  cancelled_at       timestamptz null,
  cancelled_by       bigint null,          -- the admin who stopped it (null: stopped by the drain)
  unique (from_chat_id, command_message_id)
);
comment on table public.broadcasts is 'Admin broadcasts: draft → sending (outbox rows of kind copy) → cancelled; "done" is derived.';

-- The shared budget: one row. Slots are handed out `step` apart, step = (1 s + margin) / per_second, so
-- even when sends arrive up to `margin_ms` later than their slot no one-second window holds more than
-- per_second of them (a drain sends at most 25 ms late; the rest is for the network and scheduling). The bench and tests raise per_second; production keeps 25 (Telegram allows ~30).
create table public.broadcast_pace (
  id         boolean primary key default true check (id),
  per_second int not null default 25 check (per_second between 1 and 10000),
  margin_ms  int not null default 100 check (margin_ms between 0 and 1000),
  next_slot  timestamptz not null default '-infinity'
);
insert into public.broadcast_pace (id) values (true) on conflict do nothing;

alter table public.outbox drop constraint if exists outbox_kind_check;
alter table public.outbox add constraint outbox_kind_check check (kind in ('message', 'invite', 'remove', 'copy'));
alter table public.outbox add column broadcast_id bigint null references public.broadcasts (id) on delete cascade;
alter table public.outbox add constraint outbox_copy_is_broadcast check ((kind = 'copy') = (broadcast_id is not null));
-- each recipient once per broadcast, whatever happens to the confirm button
create unique index outbox_broadcast_user_key on public.outbox (broadcast_id, telegram_user_id)
  where broadcast_id is not null;
-- two queues: claim_outbox scans only transactional rows, claim_broadcast only copies
drop index if exists public.outbox_due_idx;
create index outbox_due_idx on public.outbox (next_attempt_at)
  where status in ('pending', 'sending') and kind <> 'copy';
create index outbox_due_copy_idx on public.outbox (next_attempt_at, id)
  where status in ('pending', 'sending') and kind = 'copy';
create index broadcasts_status_idx on public.broadcasts (status, id);

alter table public.broadcasts     enable row level security;
alter table public.broadcast_pace enable row level security;
revoke all on public.broadcasts, public.broadcast_pace from anon, authenticated, public;
grant all on public.broadcasts, public.broadcast_pace to service_role;
grant usage, select on sequence public.broadcasts_id_seq to service_role;

-- ------------------------------------------------------------------ audience

-- Who an audience is right now: known users (those who wrote to the bot; a bot cannot start a chat)
-- who have not blocked it. active: access now; expired: had access (access_until not null), not now.
create or replace function public._broadcast_audience(p_audience text)
returns setof bigint language sql stable set search_path = '' as $$
  select u.telegram_user_id from public.users u
  where u.blocked_at is null
    and case p_audience
          when 'all' then true
          when 'active' then public.has_access(u.telegram_user_id)
          when 'expired' then public.access_until(u.telegram_user_id) is not null
                              and not public.has_access(u.telegram_user_id)
          else false
        end
$$;

-- ------------------------------------------------------------------ admin commands

-- /broadcast: a draft and its audience size. The same /broadcast message (a redelivered update) gets
-- the same draft back.
create or replace function public.create_broadcast(p_admin_id bigint, p_from_chat_id bigint, p_message_id bigint,
                                                   p_audience text, p_command_message_id bigint default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_b public.broadcasts;
begin
  if p_audience is null or p_audience not in ('active', 'expired', 'all') then
    raise exception 'create_broadcast: audience must be active, expired or all' using errcode = '22023';
  end if;
  insert into public.broadcasts (admin_id, from_chat_id, message_id, command_message_id, audience, audience_size)
  values (p_admin_id, p_from_chat_id, p_message_id, p_command_message_id, p_audience,
          (select count(*) from public._broadcast_audience(p_audience)))
  on conflict (from_chat_id, command_message_id) do nothing
  returning * into v_b;
  if v_b.id is null then
    select * into v_b from public.broadcasts
     where from_chat_id = p_from_chat_id and command_message_id = p_command_message_id;
  end if;
  return jsonb_build_object('id', v_b.id, 'audience', v_b.audience, 'audience_size', v_b.audience_size,
                            'status', v_b.status);
end $$;

-- The confirm button: queues one copy per recipient, once per broadcast. A second press, a redelivered
-- update or two admins pressing at once find the broadcast already confirmed (row lock + unique keys).
create or replace function public.confirm_broadcast(p_id bigint, p_admin_id bigint)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_b public.broadcasts;
  v_n int;
begin
  select * into v_b from public.broadcasts where id = p_id for update;
  if v_b.id is null then
    return jsonb_build_object('status', 'not_found', 'id', p_id);
  end if;
  if v_b.status <> 'draft' then
    return jsonb_build_object('status', case v_b.status when 'sending' then 'already_confirmed' else v_b.status end,
                              'id', v_b.id, 'recipients', v_b.recipients);
  end if;
  insert into public.outbox (telegram_user_id, kind, template, params, broadcast_id, dedupe_key)
  select a.id, 'copy', 'broadcast',
         jsonb_build_object('from_chat_id', v_b.from_chat_id, 'message_id', v_b.message_id),
         v_b.id, 'broadcast:' || v_b.id || ':' || a.id
  from public._broadcast_audience(v_b.audience) as a(id)
  on conflict do nothing;
  get diagnostics v_n = row_count;
  update public.broadcasts set status = 'sending', recipients = v_n, confirmed_by = p_admin_id,
                               confirmed_at = now()
   where id = v_b.id;
  return jsonb_build_object('status', 'confirmed', 'id', v_b.id, 'recipients', v_n,
                            'per_second', coalesce((select per_second from public.broadcast_pace where id), 25));
end $$;

-- The cancel button (a draft) or /broadcast_cancel (what is not sent yet is skipped). Without an id:
-- the latest draft or sending broadcast. Rows already claimed by a drain (at most ~1 s of slots) go out.
create or replace function public.cancel_broadcast(p_id bigint default null, p_admin_id bigint default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_b public.broadcasts;
  v_n int;
begin
  if p_id is null then
    select * into v_b from public.broadcasts where status in ('draft', 'sending') order by id desc limit 1 for update;
  else
    select * into v_b from public.broadcasts where id = p_id for update;
  end if;
  if v_b.id is null then
    return jsonb_build_object('status', 'not_found', 'id', p_id);
  end if;
  if v_b.status = 'cancelled' then
    return jsonb_build_object('status', 'already_cancelled', 'id', v_b.id);
  end if;
  if v_b.status = 'sending' and not exists (
       select 1 from public.outbox where broadcast_id = v_b.id and status in ('pending', 'sending')) then
    return jsonb_build_object('status', 'finished', 'id', v_b.id);
  end if;
  -- pending rows, and claimed ones whose drain died (lease over); live claims finish normally
  update public.outbox set status = 'skipped', locked_until = null, last_error = 'broadcast cancelled'
   where broadcast_id = v_b.id
     and (status = 'pending' or (status = 'sending' and locked_until < now()));
  get diagnostics v_n = row_count;
  update public.broadcasts set status = 'cancelled', cancelled_at = now(), cancelled_by = p_admin_id where id = v_b.id;
  return jsonb_build_object('status', 'cancelled', 'id', v_b.id, 'was', v_b.status, 'skipped', v_n);
end $$;

-- /broadcast_status: counts of the latest broadcast (or the given one). blocked: skipped because the
-- user blocked the bot (before or during this broadcast); left: not delivered yet.
create or replace function public.broadcast_status(p_id bigint default null)
returns jsonb language sql stable set search_path = '' as $$
  with b as (
    select * from public.broadcasts
    where (p_id is null or id = p_id)
    order by id desc limit 1
  ), c as (
    select count(*)::int as total,
           count(*) filter (where o.status = 'sent')::int as sent,
           count(*) filter (where o.status = 'failed')::int as failed,
           count(*) filter (where o.status = 'skipped' and o.last_error = 'user blocked the bot')::int as blocked,
           count(*) filter (where o.status = 'skipped' and o.last_error = 'broadcast cancelled')::int as cancelled,
           count(*) filter (where o.status in ('pending', 'sending'))::int as left_
    from public.outbox o join b on o.broadcast_id = b.id
  )
  select case when b.id is null then jsonb_build_object('status', 'not_found', 'id', p_id) else
    jsonb_build_object(
      'id', b.id, 'audience', b.audience, 'audience_size', b.audience_size, 'recipients', b.recipients,
      'status', case when b.status = 'sending' and c.left_ = 0 then 'done' else b.status end,
      'total', c.total, 'sent', c.sent, 'failed', c.failed, 'blocked', c.blocked, 'cancelled', c.cancelled,
      'skipped', c.total - c.sent - c.failed - c.blocked - c.cancelled - c.left_, 'left', c.left_,
      'created_at', b.created_at, 'confirmed_at', b.confirmed_at, 'cancelled_at', b.cancelled_at)
  end
  from (select 1) one left join b on true cross join c
$$;

-- ------------------------------------------------------------------ the paced queue

-- Claims up to p_limit due copies, each with its send slot: `send_in_ms` from now (the database's
-- clock, read after the pace row is locked). Only slots that begin within p_horizon_ms are handed out,
-- so a drain holds at most ~1 s of the budget; when other drains hold it all, `wait_ms` says when to
-- ask again (null: nothing due). Copies to users who blocked the bot are skipped here, without a slot.
-- `late_ms`: a drain that reaches a row later than this after its slot gives it back (release_outbox)
-- instead of sending it, so that late sends cannot pile into one window.
create or replace function public.claim_broadcast(p_limit int default 10, p_lease_seconds int default 120,
                                                  p_horizon_ms int default 1000)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_pace public.broadcast_pace;
  v_now timestamptz;
  v_step interval;
  v_base timestamptz;
  v_horizon timestamptz;
  v_room int;
  v_send bigint[];
  v_blocked bigint[];
  v_rows jsonb;
begin
  insert into public.broadcast_pace (id) values (true) on conflict do nothing;
  select * into v_pace from public.broadcast_pace where id for update;
  v_now := clock_timestamp();
  v_step := make_interval(secs => (1000 + v_pace.margin_ms) / 1000.0 / v_pace.per_second);
  v_base := greatest(v_pace.next_slot, v_now);
  v_horizon := v_now + make_interval(secs => greatest(p_horizon_ms, 1) / 1000.0);
  -- slots k = 0, 1, ... with v_base + k * step < v_horizon
  v_room := least(greatest(p_limit, 0),
                  greatest(0, ceil(extract(epoch from v_horizon - v_base) / extract(epoch from v_step)))::int);

  if v_room = 0 then
    return jsonb_build_object('rows', '[]'::jsonb, 'late_ms', least(25, v_pace.margin_ms / 2),
      'wait_ms', case when exists (
                   select 1 from public.outbox o
                   where o.kind = 'copy' and o.status in ('pending', 'sending')
                     and ((o.status = 'pending' and o.next_attempt_at <= v_now)
                          or (o.status = 'sending' and o.locked_until < v_now)))
                 -- until a whole chunk fits in the horizon again (fewer, fuller claims)
                 then greatest(1, ceil(extract(epoch from v_base + greatest(p_limit, 1) * v_step - v_horizon) * 1000))::int
                 end);
  end if;

  with cand as (
    select o.id, u.blocked_at is not null as blocked
    from public.outbox o
    join public.broadcasts b on b.id = o.broadcast_id and b.status = 'sending'
    left join public.users u on u.telegram_user_id = o.telegram_user_id
    where o.kind = 'copy' and o.status in ('pending', 'sending')
      and ((o.status = 'pending' and o.next_attempt_at <= v_now)
           or (o.status = 'sending' and o.locked_until < v_now))
    order by o.next_attempt_at, o.id
    limit v_room
    for update of o skip locked
  )
  select coalesce(array_agg(id order by id) filter (where not blocked), '{}'),
         coalesce(array_agg(id) filter (where blocked), '{}')
    into v_send, v_blocked
  from cand;

  if v_send = '{}' and v_blocked = '{}' then
    return jsonb_build_object('rows', '[]'::jsonb, 'wait_ms', null, 'late_ms', least(25, v_pace.margin_ms / 2));
  end if;

  update public.outbox set status = 'skipped', locked_until = null, last_error = 'user blocked the bot'
   where id = any (v_blocked);

  with claimed as (
    update public.outbox o
       set status = 'sending', attempts = o.attempts + 1,
           locked_until = v_now + make_interval(secs => p_lease_seconds)
     where o.id = any (v_send)
    returning o.*
  ), slotted as (
    select c.*, row_number() over (order by c.id) - 1 as k from claimed c
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', s.id, 'telegram_user_id', s.telegram_user_id, 'kind', s.kind, 'template', s.template,
           'params', s.params, 'attempts', s.attempts, 'language_code', u.language_code,
           'blocked', u.blocked_at is not null, 'has_access', false, 'broadcast_id', s.broadcast_id,
           'send_at', v_base + s.k * v_step,
           'send_in_ms', round((extract(epoch from v_base + s.k * v_step - v_now) * 1000)::numeric, 3))
           order by s.k), '[]'::jsonb)
    into v_rows
  from slotted s left join public.users u on u.telegram_user_id = s.telegram_user_id;

  update public.broadcast_pace set next_slot = v_base + cardinality(v_send) * v_step where id;
  return jsonb_build_object('rows', v_rows, 'wait_ms', case when v_send = '{}' then 0 end,
                            'late_ms', least(25, v_pace.margin_ms / 2));
end $$;

-- Claimed rows given back untouched (their slots were missed, or Telegram asked every drain to
-- wait): due again at once, and the attempt does not count. Returns how many were given back.
create or replace function public.release_outbox(p_ids bigint[])
returns int language sql set search_path = '' as $$
  with released as (
    update public.outbox
       set status = 'pending', attempts = greatest(attempts - 1, 0), locked_until = null, next_attempt_at = now()
     where id = any (p_ids) and status = 'sending'
    returning 1
  )
  select count(*)::int from released
$$;

-- Telegram answered 429 retry_after: no drain gets a broadcast slot before then.
create or replace function public.pause_broadcasts(p_seconds int)
returns void language plpgsql set search_path = '' as $$
begin
  insert into public.broadcast_pace (id) values (true) on conflict do nothing;
  update public.broadcast_pace
     set next_slot = greatest(next_slot, clock_timestamp() + make_interval(secs => greatest(p_seconds, 0)))
   where id;
end $$;

revoke all on function public._broadcast_audience(text), public.create_broadcast(bigint, bigint, bigint, text, bigint),
  public.confirm_broadcast(bigint, bigint), public.cancel_broadcast(bigint, bigint), public.broadcast_status(bigint),
  public.claim_broadcast(int, int, int), public.release_outbox(bigint[]), public.pause_broadcasts(int)
  from public, anon, authenticated;
grant execute on function public._broadcast_audience(text), public.create_broadcast(bigint, bigint, bigint, text, bigint),
  public.confirm_broadcast(bigint, bigint), public.cancel_broadcast(bigint, bigint), public.broadcast_status(bigint),
  public.claim_broadcast(int, int, int), public.release_outbox(bigint[]), public.pause_broadcasts(int)
  to service_role;
