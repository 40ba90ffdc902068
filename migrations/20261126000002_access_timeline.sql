-- The access timeline (CONTRACT section 5): a user's access is a pure function of their ledger,
-- recomputed on every change and stored per user (public.user_access).
--
--   1. Subscription windows give coverage: a Tribute subscription replayed from its journaled events in
--      created_at order (public._tribute_fold), or a fixed window written directly (starts_at, expires_at).
--   2. The unused time of a cancelled subscription that a newer one overlaps becomes a banked item
--      (kind 'bonus') at the moment the newer one begins; the older window ends there.
--   3. A revocation at R cuts every window from R until that subscription's next new/renewed event
--      (forever when there is none; a window that begins after R, such as a Stars charge made after it,
--      is not cut) and forfeits what was banked before R.
--   4. Banked items (products, Stars payments, grants, codes, bonuses), in (event_at, external_id) order,
--      each take uncovered time from their own event_at on until their duration is used, split around
--      windows and earlier items; an item banked before a revocation takes nothing after it.
--   5. A refunded item takes nothing; later items move up.
-- The clock plays no part in the coverage: only has_access (coverage @> now()) depends on it.
-- tests/support/timeline_model.ts states the same rules in TypeScript; property tests hold them equal.

-- ------------------------------------------------------------------ reading access (O(1) per user)

-- The moment a user's access ends (or ended). Null: the user never had access.
create or replace function public.access_until(telegram_user_id bigint)
returns timestamptz language sql stable set search_path = '' as $$
  select a.access_until from public.user_access a where a.telegram_user_id = access_until.telegram_user_id
$$;

create or replace function public.has_access(telegram_user_id bigint)
returns boolean language sql stable set search_path = '' as $$
  select coalesce((select a.coverage @> now() from public.user_access a
                   where a.telegram_user_id = has_access.telegram_user_id), false)
$$;

-- Begins a change of one user's ledger: serialises it with every other change of that user
-- (transaction-scoped lock, so recomputes never interleave) and tells the trigger on subscriptions that
-- the caller recomputes itself (public._recompute_access, which clears the flag when done).
-- (plpgsql, not sql: a plpgsql function keeps its plans for the session, a non-inlinable sql function
-- is parsed and planned again on every call; these helpers run several times per event.)
create or replace function public._lock_user(p_user bigint)
returns void language plpgsql set search_path = '' as $$
begin
  perform pg_advisory_xact_lock(7001, hashtext(p_user::text));
  perform set_config('app.recompute', 'on', true);
end $$;

-- ------------------------------------------------------------------ outbox helper

-- Queues one outbox row (once per dedupe key). A row really queued sets `app.queued` for the rest of the
-- transaction, so a caller can tell whether delivering the outbox is worth starting.
create or replace function public._queue(p_user bigint, p_kind text, p_template text, p_params jsonb, p_dedupe text)
returns void language plpgsql set search_path = '' as $$
begin
  insert into public.outbox (telegram_user_id, kind, template, params, dedupe_key)
  values (p_user, p_kind, p_template, coalesce(p_params, '{}'::jsonb), p_dedupe)
  on conflict (dedupe_key) do nothing;
  if found then
    perform set_config('app.queued', 'on', true);
  end if;
end $$;

-- ------------------------------------------------------------------ Tribute subscription windows

-- State of one Tribute subscription as its events give it, replayed in created_at order. Replaying
-- instead of patching is what makes the result independent of the order deliveries arrive in.
-- window_start is the first event's created_at. (A sender whose clock runs ahead opens the window a
-- little later than it arrives: expire_subscriptions sends the invite when it begins.)
create or replace function public._tribute_fold(p_subject text)
returns table (status text, auto_renew boolean, provider_expires_at timestamptz, sub_type text,
               window_start timestamptz, last_event_at timestamptz, events int)
language plpgsql stable set search_path = '' as $$
declare
  e record;
  v_exp timestamptz;
begin
  events := 0;
  auto_renew := false;
  for e in select w.name, w.event_created_at, w.payload -> 'payload' as p
           from public.webhook_events w
           where w.subject = p_subject and w.status = 'processed'
           order by w.event_created_at,
                    case w.name when 'new_subscription' then 0 when 'renewed_subscription' then 1 else 2 end,
                    w.payload -> 'payload' ->> 'expires_at', w.dedupe_key
  loop
    events := events + 1;
    window_start := coalesce(window_start, e.event_created_at);
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

-- The first new/renewed event of a Tribute subscription at or after p_at: where a revocation's cut ends.
create or replace function public._tribute_reopened_at(p_subject text, p_at timestamptz)
returns timestamptz language sql stable set search_path = '' as $$
  select min(w.event_created_at) from public.webhook_events w
  where w.subject = p_subject and w.status = 'processed' and w.event_created_at >= p_at
    and w.name in ('new_subscription', 'renewed_subscription')
$$;

-- ------------------------------------------------------------------ paid chats (tiers)

-- Does an item whose plan opens p_chats (text of a bigint[]; null: every paid chat) count in the
-- timeline of chat key p_key (null: every paid chat no plan names)?
create or replace function public._opens_chat(p_chats text, p_key bigint, p_keys bigint[])
returns boolean language sql immutable set search_path = '' as $$
  select p_chats is null or (p_key is not null and p_key = any (p_chats::bigint[]))
$$;

-- The timeline whose result an item's own segments show: its plan's first chat, or the '*' timeline.
create or replace function public._primary_chat(p_chats text, p_keys bigint[])
returns bigint language sql immutable set search_path = '' as $$
  select case when p_chats is null then null
              else (select min(c) from unnest(p_chats::bigint[]) c where c = any (p_keys)) end
$$;

-- Which chat keys are open at p_at: '*' (every paid chat no plan names; also the only key when no plan
-- names chats) and the chat ids whose timeline covers p_at.
create or replace function public._open_chat_keys(p_cov tstzmultirange, p_chat jsonb, p_at timestamptz)
returns text[] language sql immutable set search_path = '' as $$
  select case
    when p_cov is null then null
    when p_chat is null then case when p_cov @> p_at then array['*'] else '{}'::text[] end
    else coalesce((select array_agg(e.key order by e.key) from jsonb_each_text(p_chat) e
                   where e.value::tstzmultirange @> p_at), '{}'::text[])
  end
$$;

-- The next moment after p_at at which any chat opens or closes (null: never again).
create or replace function public._next_access_change(p_cov tstzmultirange, p_chat jsonb, p_at timestamptz)
returns timestamptz language sql immutable set search_path = '' as $$
  select min(b) from (
    select unnest(array[lower(r), upper(r)]) as b
    from unnest(coalesce((select array_agg(e.value::tstzmultirange) from jsonb_each_text(p_chat) e),
                         array[p_cov])) m, unnest(m) r
  ) x where b > p_at
$$;

-- Of the paid chats the function knows (PAID_CHAT_ID), those the user may be in now.
create or replace function public.open_chats(p_telegram_user_id bigint, p_chats bigint[])
returns bigint[] language sql stable set search_path = '' as $$
  select coalesce(array_agg(c order by c), '{}'::bigint[])
  from public.user_access a, unnest(p_chats) c
  where a.telegram_user_id = p_telegram_user_id
    and coalesce(a.chat_coverage ->> c::text, a.chat_coverage ->> '*', a.coverage::text)::tstzmultirange @> now()
$$;

-- ------------------------------------------------------------------ the recompute

-- Recomputes one user's timeline from their whole ledger and stores it: each item's segments, bounds
-- and status, and the user's coverage in public.user_access. With p_cause, queues what the change
-- means for the user, once per cause: an invite when access begins, a removal (p_end_template) when
-- it ends, the new end date when it moves (unless the caller tells the user itself:
-- p_announce_moves false). A change that moves nothing says nothing.
-- Callers hold _lock_user(p_user). Returns {had, has, access_until, previous_until}.
create or replace function public._recompute_access(p_user bigint, p_cause text default null,
                                                    p_end_template text default 'expired',
                                                    p_announce_moves boolean default true)
returns jsonb language plpgsql set search_path = '' set "TimeZone" = 'UTC' as $$
declare
  v_prev public.user_access;
  v_had boolean;
  v_revokes timestamptz[];
  v_refunded bigint[] := '{}'::bigint[];
  v_match bigint;
  r record;
  f record;
  -- windows, in (start, external_id) order
  w_id bigint[] := '{}'::bigint[];
  w_ext text[] := '{}'::text[];
  w_provider text[] := '{}'::text[];
  w_subject text[] := '{}'::text[];
  w_start timestamptz[] := '{}'::timestamptz[];
  w_end timestamptz[] := '{}'::timestamptz[];
  w_last timestamptz[] := '{}'::timestamptz[];
  w_status text[] := '{}'::text[];
  w_auto boolean[] := '{}'::boolean[];
  w_donated boolean[] := '{}'::boolean[];
  n int;
  v_bonus_keys text[] := '{}'::text[];
  v_rev timestamptz;
  v_reopen timestamptz;
  v_segs tstzmultirange;
  v_cov tstzmultirange := '{}'::tstzmultirange;
  v_bound timestamptz;
  v_left interval;
  v_piece tstzrange;
  v_has boolean;
  v_until timestamptz;
  v_next timestamptz;
  v_covering bigint;
  v_status text;
  -- paid chats (CONTRACT section 5, tiers): each item opens the chats of its plan (plans.chat_ids; null:
  -- every paid chat). With no plan naming chats there is one timeline; otherwise one per named chat plus
  -- one ('*') for every other paid chat, each built only from the items that open that chat.
  w_chats text[] := '{}'::text[];
  v_keys bigint[];
  v_key bigint;
  v_kcov tstzmultirange;
  v_chat_cov jsonb := '{}'::jsonb;
  v_open text[];
  v_prev_open text[];
begin
  -- rows written here are outputs: the trigger on subscriptions must not recompute them again
  perform set_config('app.recompute', 'on', true);
  select * into v_prev from public.user_access where telegram_user_id = p_user;
  v_had := coalesce(v_prev.coverage @> now(), false);
  select coalesce(array_agg(a.event_at order by a.event_at), '{}') into v_revokes
    from public.access_adjustments a where a.telegram_user_id = p_user and a.kind = 'revoke';

  -- A refund that names its item (a Stars charge, a Tribute purchase_id) takes it back.
  select coalesce(array_agg(s.id), '{}') into v_refunded
    from public.access_adjustments a
    join public.subscriptions s on s.provider = a.provider and s.external_id = a.target_external_id
   where a.telegram_user_id = p_user and a.kind = 'refund' and a.target_external_id is not null
     and s.telegram_user_id = p_user;

  -- 1. Windows. Tribute subscriptions with journaled events are replayed; other windows (a recurring
  -- Stars charge's period, a window written by hand) are as written.
  for r in select s.id, s.external_id, s.provider, s.kind, s.status, s.starts_at, s.expires_at,
                  coalesce(pl.chat_ids, (select p.chat_ids from public.plans p
                                         where s.provider = 'tribute' and s.kind = 'subscription'
                                           and p.tribute_subscription_id::text = s.external_id))::text as chats
           from public.subscriptions s left join public.plans pl on pl.code = s.plan_code
           where s.telegram_user_id = p_user and s.duration is null
  loop
    if r.provider = 'tribute' and r.kind = 'subscription' then
      select * into f from public._tribute_fold('tribute:subscription:' || r.external_id);
      if f.events > 0 then
        update public.subscriptions x
           set type = f.sub_type, provider_expires_at = f.provider_expires_at, last_event_at = f.last_event_at,
               event_at = f.window_start,
               plan_code = (select p.code from public.plans p where p.tribute_subscription_id::text = r.external_id)
         where x.id = r.id
           and (x.type, x.provider_expires_at, x.last_event_at, x.event_at, x.plan_code)
               is distinct from (f.sub_type, f.provider_expires_at, f.last_event_at, f.window_start,
                                 (select p.code from public.plans p where p.tribute_subscription_id::text = r.external_id));
        w_id := w_id || r.id; w_ext := w_ext || r.external_id; w_provider := w_provider || r.provider;
        w_subject := w_subject || ('tribute:subscription:' || r.external_id);
        w_start := w_start || f.window_start; w_end := w_end || f.provider_expires_at;
        w_last := w_last || f.last_event_at; w_status := w_status || f.status; w_auto := w_auto || f.auto_renew;
        w_chats := w_chats || r.chats;
        continue;
      end if;
    end if;
    if r.status = 'refunded' or r.id = any (v_refunded) then
      update public.subscriptions x
         set segments = '{}', status = 'refunded', auto_renew = false, refunded_at = coalesce(x.refunded_at, now())
       where x.id = r.id and (x.segments <> '{}' or x.status <> 'refunded');
      continue;
    end if;
    -- a fixed window: never a donor, never reopened by an event
    w_id := w_id || r.id; w_ext := w_ext || r.external_id; w_provider := w_provider || r.provider;
    w_subject := w_subject || null::text;
    w_start := w_start || r.starts_at; w_end := w_end || r.expires_at;
    w_last := w_last || r.starts_at; w_status := w_status || null::text; w_auto := w_auto || false;
    w_chats := w_chats || r.chats;
  end loop;
  n := coalesce(array_length(w_id, 1), 0);

  -- sort the windows by (start, external_id) once, so everything below reads them in that order
  if n > 1 then
    select array_agg(w_id[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_ext[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_provider[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_subject[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_end[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_last[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_status[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_auto[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_chats[k] order by w_start[k], w_ext[k] collate "C"),
           array_agg(w_start[k] order by w_start[k], w_ext[k] collate "C")
      into w_id, w_ext, w_provider, w_subject, w_end, w_last, w_status, w_auto, w_chats, w_start
      from generate_subscripts(w_id, 1) k;
  end if;
  w_donated := array_fill(false, array[greatest(n, 1)]);

  -- 2. Bonus: a cancelled subscription (by its events, none after the newer one began) that a newer
  -- one overlaps ends where the newer one begins; the rest of its time is banked there, once.
  for i in 1 .. n loop
    continue when w_subject[i] is null;
    for j in 1 .. i - 1 loop
      if w_subject[j] is not null and not w_donated[j] and w_status[j] = 'cancelled'
         and w_start[j] < w_start[i] and w_last[j] < w_start[i] and w_end[j] > w_start[i] then
        w_donated[j] := true;
        insert into public.subscriptions as x (telegram_user_id, provider, external_id, kind, plan_code, status, event_at,
                                               duration, starts_at, expires_at, details)
        values (p_user, w_provider[j], 'bonus:' || w_ext[j], 'bonus',
                (select d.plan_code from public.subscriptions d where d.id = w_id[j]), 'active', w_start[i],
                w_end[j] - w_start[i], w_start[i], w_start[i],
                jsonb_build_object('from_subscription', w_id[j], 'to_subscription', w_id[i]))
        on conflict (provider, external_id) do update
          set event_at = excluded.event_at, duration = excluded.duration, details = excluded.details,
              plan_code = excluded.plan_code, telegram_user_id = excluded.telegram_user_id
          where (x.event_at, x.duration, x.details, x.plan_code)
                is distinct from (excluded.event_at, excluded.duration, excluded.details, excluded.plan_code);
        v_bonus_keys := v_bonus_keys || ('bonus:' || w_ext[j]);
        update public.subscriptions x set bonus_to = w_id[i] where x.id = w_id[j] and x.bonus_to is distinct from w_id[i];
        w_end[j] := w_start[i];
      end if;
    end loop;
  end loop;
  -- bonuses that the ledger no longer implies (a window moved) go away
  delete from public.subscriptions x
   where x.telegram_user_id = p_user and x.kind = 'bonus' and not (x.external_id = any (v_bonus_keys));
  update public.subscriptions x set bonus_to = null
   where x.telegram_user_id = p_user and x.duration is null and x.bonus_to is not null
     and not ('bonus:' || x.external_id = any (v_bonus_keys));

  -- 3. Refunds of banked items: a Tribute refund without purchase_id takes back the latest purchase of
  -- its product made before it that no other refund took. (Refunds that name their item: above.)
  for r in select a.product_id, a.event_at from public.access_adjustments a
           where a.telegram_user_id = p_user and a.kind = 'refund' and a.target_external_id is null
             and a.product_id is not null
           order by a.event_at, a.source_key collate "C"
  loop
    select s.id into v_match from public.subscriptions s
     where s.telegram_user_id = p_user and s.provider = 'tribute' and s.kind = 'purchase'
       and (s.details ->> 'product_id')::bigint = r.product_id and s.event_at <= r.event_at
       and not (s.id = any (v_refunded))
     order by s.event_at desc, s.external_id collate "C" desc limit 1;
    -- (a null in the array would make every later `= any` unknown: append only a match)
    if found then v_refunded := v_refunded || v_match; end if;
  end loop;

  -- 4. One timeline per paid chat key: windows minus revocations give its coverage, then banked
  -- items, in event order, take uncovered time from their own event_at on. The user's coverage is the
  -- union (has_access: some chat is open).
  select coalesce(array_agg(distinct c order by c), '{}'::bigint[]) into v_keys
    from public.subscriptions s
    join public.plans pl on pl.code = s.plan_code
    cross join lateral unnest(pl.chat_ids) c
   where s.telegram_user_id = p_user;
  for v_ki in 0 .. cardinality(v_keys) loop
    v_key := case when v_ki = 0 then null else v_keys[v_ki] end;
    v_kcov := '{}'::tstzmultirange;
    for i in 1 .. n loop
      continue when not public._opens_chat(w_chats[i], v_key, v_keys);
      v_segs := case when w_end[i] > w_start[i] then tstzmultirange(tstzrange(w_start[i], w_end[i])) else '{}' end;
      foreach v_rev in array v_revokes loop
        continue when v_rev >= w_end[i];
        -- a Tribute subscription reopens with its next new/renewed event; another window (a recurring
        -- Stars charge) that runs at the revocation is cut for good, one that begins after it is new money
        v_reopen := case when w_subject[i] is null then (case when w_start[i] >= v_rev then w_start[i] end)
                         else public._tribute_reopened_at(w_subject[i], v_rev) end;
        v_segs := v_segs - tstzmultirange(tstzrange(v_rev, v_reopen));
      end loop;
      v_kcov := v_kcov + v_segs;
      if v_segs @> now() then v_covering := coalesce(v_covering, w_id[i]); end if;
      -- an item's own segments are those of its first chat's timeline
      continue when v_key is distinct from public._primary_chat(w_chats[i], v_keys);
      if w_subject[i] is not null then
        v_until := coalesce(upper(v_segs), least(w_start[i], w_end[i]));
        v_status := case when v_until <= now() then 'expired' else w_status[i] end;
        update public.subscriptions x
           set segments = v_segs, starts_at = w_start[i], expires_at = v_until, status = v_status,
               auto_renew = w_auto[i] and v_status = 'active',
               ended_at = case when v_status = 'expired' then coalesce(x.ended_at, now()) end, updated_at = now()
         where x.id = w_id[i]
           and (x.segments, x.starts_at, x.expires_at, x.status, x.auto_renew)
               is distinct from (v_segs, w_start[i], v_until, v_status, w_auto[i] and v_status = 'active');
      elsif upper(v_segs) is distinct from greatest(w_start[i], w_end[i]) and w_end[i] > w_start[i] then
        -- a fixed window cut by a revocation ends where the cut begins
        update public.subscriptions x
           set segments = v_segs, expires_at = coalesce(upper(v_segs), x.starts_at), auto_renew = false,
               status = case when coalesce(upper(v_segs), x.starts_at) <= now() then 'expired' else x.status end,
               ended_at = coalesce(x.ended_at, now()), updated_at = now()
         where x.id = w_id[i] and x.segments is distinct from v_segs;
      else
        update public.subscriptions x set segments = v_segs where x.id = w_id[i] and x.segments is distinct from v_segs;
      end if;
    end loop;

      -- banked items, in event order, take uncovered time from their own event_at on
    for r in select s.id, s.event_at, s.duration, s.status, s.refunded_at, pl.chat_ids::text as chats
             from public.subscriptions s left join public.plans pl on pl.code = s.plan_code
             where s.telegram_user_id = p_user and s.duration is not null
             order by s.event_at, s.external_id collate "C"
    loop
      continue when not public._opens_chat(r.chats, v_key, v_keys);
      v_segs := '{}';
      if not (r.id = any (v_refunded)) then
        select min(x) into v_bound from unnest(v_revokes) x where x > r.event_at;
        v_left := r.duration;
        for v_piece in select p from unnest(tstzmultirange(tstzrange(r.event_at, v_bound)) - v_kcov) p loop
          exit when v_left <= interval '0';
          if upper_inf(v_piece) or upper(v_piece) - lower(v_piece) >= v_left then
            v_segs := v_segs + tstzmultirange(tstzrange(lower(v_piece), lower(v_piece) + v_left));
            v_left := interval '0';
          else
            v_segs := v_segs + tstzmultirange(v_piece);
            v_left := v_left - (upper(v_piece) - lower(v_piece));
          end if;
        end loop;
        v_kcov := v_kcov + v_segs;
        if v_segs @> now() then v_covering := coalesce(v_covering, r.id); end if;
      end if;
      continue when v_key is distinct from public._primary_chat(r.chats, v_keys);
      v_until := coalesce(upper(v_segs), r.event_at);
      v_status := case when r.id = any (v_refunded) then 'refunded' when v_until <= now() then 'expired' else 'active' end;
      update public.subscriptions x
         set segments = v_segs, starts_at = coalesce(lower(v_segs), r.event_at), expires_at = v_until,
             status = v_status,
             refunded_at = case when v_status = 'refunded' then coalesce(x.refunded_at, now()) end,
             ended_at = case when v_status in ('expired', 'refunded') then coalesce(x.ended_at, now()) end,
             updated_at = now()
       where x.id = r.id
         and (x.segments, x.starts_at, x.expires_at, x.status)
             is distinct from (v_segs, coalesce(lower(v_segs), r.event_at), v_until, v_status);
    end loop;
    v_cov := v_cov + v_kcov;
    if cardinality(v_keys) > 0 then
      v_chat_cov := v_chat_cov || jsonb_build_object(coalesce(v_key::text, '*'), v_kcov::text);
    end if;
  end loop;
  if cardinality(v_refunded) > 0 then
    update public.payments p set status = 'refunded', refunded_at = coalesce(p.refunded_at, now())
     where p.subscription_id = any (v_refunded) and p.kind = 'purchase' and p.status = 'paid';
  end if;

  -- 6. The user's result.
  v_has := v_cov @> now();
  v_until := upper(v_cov);
  if cardinality(v_keys) = 0 then v_chat_cov := null; end if;
  v_next := public._next_access_change(v_cov, v_chat_cov, now());
  v_open := public._open_chat_keys(v_cov, v_chat_cov, now());
  v_prev_open := coalesce(public._open_chat_keys(v_prev.coverage, v_prev.chat_coverage, now()), '{}'::text[]);
  -- updated_at: when this user's access was computed (clock_timestamp: an inbox batch applies many users
  -- in one transaction, whose now() is its start)
  insert into public.user_access as a (telegram_user_id, coverage, chat_coverage, access_until, has_access,
                                       open_chats, next_change_at, covering_item, updated_at)
  values (p_user, v_cov, v_chat_cov, v_until, v_has, v_open, v_next, v_covering, clock_timestamp())
  on conflict (telegram_user_id) do update
    set coverage = excluded.coverage, chat_coverage = excluded.chat_coverage, access_until = excluded.access_until,
        has_access = excluded.has_access, open_chats = excluded.open_chats, next_change_at = excluded.next_change_at,
        covering_item = excluded.covering_item, updated_at = excluded.updated_at;

  if p_cause is not null then
    if v_has and not v_had then
      perform public._queue(p_user, 'invite', 'activated', jsonb_build_object('until', v_until), p_cause || ':invite');
    elsif v_had and not v_has then
      perform public._queue(p_user, 'remove', p_end_template, jsonb_build_object('until', v_until),
                            p_cause || ':remove');
    elsif v_has and not (v_open <@ v_prev_open) then
      -- a paid chat opened while another stays open: an invite to the chats now open
      perform public._queue(p_user, 'invite', 'activated', jsonb_build_object('until', v_until), p_cause || ':invite');
    elsif v_has and not (v_prev_open <@ v_open) then
      -- a paid chat closed while another stays open: removed from that one, no notice
      perform public._queue(p_user, 'remove', p_end_template, jsonb_build_object('until', v_until),
                            p_cause || ':remove');
    elsif v_has and p_announce_moves and v_until > v_prev.access_until then
      perform public._queue(p_user, 'message', 'renewed', jsonb_build_object('until', v_until), p_cause || ':moved');
    elsif v_has and p_announce_moves and v_until < v_prev.access_until then
      perform public._queue(p_user, 'message', 'shortened', jsonb_build_object('until', v_until), p_cause || ':moved');
    end if;
  end if;
  perform set_config('app.recompute', 'off', true);
  return jsonb_build_object('had', v_had, 'has', v_has, 'access_until', v_until,
                            'previous_until', v_prev.access_until);
end $$;

-- Rows written straight into public.subscriptions (an operator's SQL, a test) count at once: the
-- trigger recomputes their user. Rows the recompute writes itself are skipped (app.recompute).
create or replace function public._subscriptions_changed()
returns trigger language plpgsql set search_path = '' as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    perform public._recompute_access(old.telegram_user_id);
  end if;
  if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.telegram_user_id <> old.telegram_user_id) then
    perform public._recompute_access(new.telegram_user_id);
  end if;
  return null;
end $$;

create trigger subscriptions_recompute_access
  after insert or update or delete on public.subscriptions
  for each row when (coalesce(current_setting('app.recompute', true), '') <> 'on')
  execute function public._subscriptions_changed();

-- Every window and banked item of a user with what it covers, oldest first: the timeline that /user
-- and the Mini App show, so anyone can explain a date.
create or replace function public.user_timeline(p_telegram_user_id bigint)
returns jsonb language sql stable set search_path = '' as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', s.id, 'provider', s.provider, 'kind', s.kind, 'plan_code', s.plan_code, 'status', s.status,
           'refunded', s.status = 'refunded', 'auto_renew', s.auto_renew,
           'event_at', coalesce(s.event_at, s.starts_at), 'starts_at', s.starts_at, 'expires_at', s.expires_at,
           'days', case when s.duration is not null then round(extract(epoch from s.duration) / 86400, 2) end,
           'external_id', s.external_id,
           'segments', (select coalesce(jsonb_agg(jsonb_build_array(lower(p), upper(p)) order by lower(p)), '[]'::jsonb)
                        from unnest(s.segments) p))
         order by coalesce(s.event_at, s.starts_at), s.id), '[]'::jsonb)
  from public.subscriptions s where s.telegram_user_id = p_telegram_user_id
$$;
