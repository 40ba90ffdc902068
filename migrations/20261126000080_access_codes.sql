-- Creator tools (issue #12, part 1): access codes and promo links.
--
-- An admin creates a code (/code_new <days> [max_uses] [valid_days]); its deep link
-- https://t.me/<bot>?start=<CODE> redeems it (/start <CODE>, case-insensitive). A redemption is a banked
-- item of the access timeline, exactly like /grant: a subscriptions row (provider 'manual', kind 'code',
-- external_id 'code:<CODE>:<user>', duration = the code's days, event_at = the moment of redemption),
-- then the user's timeline is recomputed, which queues the invite when access begins.
--
--   * once per user per code (code_redemptions primary key), whatever arrives twice;
--   * uses are counted under the code's row lock: of concurrent redemptions of the last use only one wins;
--   * expired (valid_until), exhausted (used = max_uses), switched off (/code_off) and unknown codes change
--     nothing but their own answer;
--   * a user with 5 unknown codes in the last hour is told to wait, and while limited the code is not even
--     looked up (code_attempts), so guessing the ~59-bit codes is hopeless.
-- Same rules as every other table: RLS on, no policy; 99_lockdown grants service_role only.

-- The code alphabet: Crockford base32 without the look-alikes 0 1 I L O U (30 symbols), upper case.
create table public.access_codes (
  code            text primary key check (code ~ '^[2-9A-HJKMNP-TV-Z]{10,32}$'),
  days            int not null check (days between 1 and 3650),
  max_uses        int not null default 1 check (max_uses between 1 and 1000000),
  used            int not null default 0 check (used >= 0),
  valid_until     timestamptz null,               -- null: no end date
  created_by      bigint not null,
  created_request text null unique,               -- the admin command's update id: a redelivery creates nothing
  created_at      timestamptz not null default now(),
  disabled_at     timestamptz null,               -- /code_off
  disabled_by     bigint null,
  check (used <= max_uses)
);
comment on table public.access_codes is 'Access codes and promo links (/code_new, /codes, /code_off): days of access, uses, validity.';
create index access_codes_created_idx on public.access_codes (created_at desc);

-- Who redeemed which code: once per user per code.
create table public.code_redemptions (
  code             text not null references public.access_codes (code) on delete cascade,
  telegram_user_id bigint not null,
  redeemed_at      timestamptz not null default now(),
  request_id       text null,                     -- the /start update id: a redelivery answers as before
  subscription_id  bigint null references public.subscriptions (id) on delete set null,
  primary key (code, telegram_user_id)
);
create index code_redemptions_user_idx on public.code_redemptions (telegram_user_id);
create index code_redemptions_subscription_idx on public.code_redemptions (subscription_id);

-- Unknown codes a user tried (the rate limit counts the last hour; rows older than a day are pruned).
create table public.code_attempts (
  id               bigint generated always as identity primary key,
  telegram_user_id bigint not null,
  code             text not null,
  attempted_at     timestamptz not null default now()
);
create index code_attempts_user_idx on public.code_attempts (telegram_user_id, attempted_at);

alter table public.access_codes     enable row level security;
alter table public.code_redemptions enable row level security;
alter table public.code_attempts    enable row level security;

-- What an admin sees of a code (and what the functions below answer with).
create or replace function public._access_code_json(p_code public.access_codes)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'code', p_code.code, 'days', p_code.days, 'max_uses', p_code.max_uses, 'used', p_code.used,
    'uses_left', p_code.max_uses - p_code.used, 'valid_until', p_code.valid_until,
    'created_at', p_code.created_at, 'disabled_at', p_code.disabled_at,
    'state', case when p_code.disabled_at is not null then 'off'
                  when p_code.valid_until is not null and p_code.valid_until <= now() then 'expired'
                  when p_code.used >= p_code.max_uses then 'exhausted'
                  else 'active' end)
$$;

-- /code_new: stores a code made by the function (crypto random, the alphabet above). p_request_id (the
-- Telegram update id) makes a redelivered command answer with the code it made the first time.
-- status: 'created' | 'duplicate' (this request made it before) | 'taken' (the code exists: draw another).
create or replace function public.create_access_code(p_code text, p_days int, p_max_uses int, p_valid_days int,
                                                     p_admin_id bigint, p_request_id text)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_row public.access_codes;
begin
  if p_days is null or p_days < 1 or p_days > 3650 then
    raise exception 'days must be between 1 and 3650' using errcode = '22023';
  end if;
  if p_max_uses is not null and (p_max_uses < 1 or p_max_uses > 1000000) then
    raise exception 'max_uses must be between 1 and 1000000' using errcode = '22023';
  end if;
  if p_valid_days is not null and (p_valid_days < 1 or p_valid_days > 3650) then
    raise exception 'valid_days must be between 1 and 3650' using errcode = '22023';
  end if;
  select * into v_row from public.access_codes c where c.created_request = p_request_id;
  if found then
    return jsonb_build_object('status', 'duplicate') || public._access_code_json(v_row);
  end if;
  insert into public.access_codes as c (code, days, max_uses, valid_until, created_by, created_request)
  values (upper(p_code), p_days, coalesce(p_max_uses, 1),
          case when p_valid_days is not null then now() + make_interval(days => p_valid_days) end,
          p_admin_id, p_request_id)
  on conflict do nothing
  returning * into v_row;
  if v_row.code is null then
    -- a concurrent delivery of the same command, or (astronomically rare) the code already exists
    select * into v_row from public.access_codes c where c.created_request = p_request_id;
    if found then
      return jsonb_build_object('status', 'duplicate') || public._access_code_json(v_row);
    end if;
    return jsonb_build_object('status', 'taken', 'code', upper(p_code));
  end if;
  return jsonb_build_object('status', 'created') || public._access_code_json(v_row);
end $$;

-- /start <CODE>. Returns {status, ...}:
--   redeemed         {code, days, access_until, until (end of the access held now), uses_left}
--   already_redeemed this user redeemed this code before (nothing changes)
--   off | expired | exhausted | unknown   nothing changes (unknown counts towards the rate limit)
--   rate_limited     {retry_at}: 5 unknown codes within an hour; the code was not looked up
-- p_at (default now()) is the moment of redemption: the item's event time and the validity check.
create or replace function public.redeem_access_code(p_telegram_user_id bigint, p_code text,
                                                     p_request_id text default null, p_at timestamptz default null)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_at timestamptz := coalesce(p_at, now());
  v_code text := upper(regexp_replace(coalesce(p_code, ''), '[\s-]', '', 'g'));
  v_row public.access_codes;
  v_prev public.code_redemptions;
  v_wrong int;
  v_retry timestamptz;
  v_sub bigint;
begin
  -- serialises this user's attempts (the rate limit counts exactly) and their ledger changes
  perform public._lock_user(p_telegram_user_id);
  perform set_config('app.recompute', 'off', true);

  select count(*)::int into v_wrong from public.code_attempts a
   where a.telegram_user_id = p_telegram_user_id and a.attempted_at > now() - interval '1 hour';
  if v_wrong >= 5 then
    -- the moment the fifth most recent attempt leaves the hour
    select a.attempted_at + interval '1 hour' into v_retry from public.code_attempts a
     where a.telegram_user_id = p_telegram_user_id and a.attempted_at > now() - interval '1 hour'
     order by a.attempted_at desc offset 4 limit 1;
    return jsonb_build_object('status', 'rate_limited', 'retry_at', v_retry);
  end if;

  select * into v_row from public.access_codes c where c.code = v_code for update;
  if not found then
    insert into public.code_attempts (telegram_user_id, code) values (p_telegram_user_id, left(v_code, 64));
    delete from public.code_attempts a
     where a.telegram_user_id = p_telegram_user_id and a.attempted_at < now() - interval '1 day';
    return jsonb_build_object('status', 'unknown', 'attempts_left', greatest(0, 4 - v_wrong));
  end if;

  select * into v_prev from public.code_redemptions r
   where r.code = v_code and r.telegram_user_id = p_telegram_user_id;
  if found then
    -- a redelivered /start (same update) answers as the first time; another attempt is refused
    return jsonb_build_object(
      'status', case when v_prev.request_id = p_request_id then 'redeemed' else 'already_redeemed' end,
      'code', v_code, 'days', v_row.days, 'redeemed_at', v_prev.redeemed_at,
      'access_until', public.access_until(p_telegram_user_id),
      'until', coalesce((select upper(p) from public.user_access ua, unnest(ua.coverage) p
                         where ua.telegram_user_id = p_telegram_user_id and p @> now()),
                        public.access_until(p_telegram_user_id)),
      'uses_left', v_row.max_uses - v_row.used);
  end if;
  if v_row.disabled_at is not null then
    return jsonb_build_object('status', 'off', 'code', v_code);
  end if;
  if v_row.valid_until is not null and v_row.valid_until <= v_at then
    return jsonb_build_object('status', 'expired', 'code', v_code, 'valid_until', v_row.valid_until);
  end if;
  if v_row.used >= v_row.max_uses then
    return jsonb_build_object('status', 'exhausted', 'code', v_code);
  end if;

  update public.access_codes c set used = c.used + 1 where c.code = v_code;
  -- (the user is locked since the top) the trigger on subscriptions leaves the recompute to us
  perform set_config('app.recompute', 'on', true);
  insert into public.users (telegram_user_id) values (p_telegram_user_id) on conflict do nothing;
  insert into public.subscriptions (telegram_user_id, provider, external_id, kind, status, event_at, duration,
                                    starts_at, expires_at, details)
  values (p_telegram_user_id, 'manual', 'code:' || v_code || ':' || p_telegram_user_id, 'code', 'active', v_at,
          make_interval(days => v_row.days), v_at, v_at, jsonb_build_object('code', v_code))
  returning id into v_sub;
  insert into public.code_redemptions (code, telegram_user_id, redeemed_at, request_id, subscription_id)
  values (v_code, p_telegram_user_id, v_at, p_request_id, v_sub);
  -- the /start reply states the new date: no second message about a moved end (an invite still goes out)
  perform public._recompute_access(p_telegram_user_id, 'code:' || v_code || ':' || p_telegram_user_id,
                                   'expired', false);
  return jsonb_build_object(
    'status', 'redeemed', 'code', v_code, 'days', v_row.days,
    'access_until', public.access_until(p_telegram_user_id),
    'until', coalesce((select upper(p) from public.user_access ua, unnest(ua.coverage) p
                       where ua.telegram_user_id = p_telegram_user_id and p @> now()),
                      public.access_until(p_telegram_user_id)),
    'uses_left', v_row.max_uses - v_row.used - 1);
end $$;

-- /codes: the newest codes first (at most p_limit) and how many there are.
create or replace function public.list_access_codes(p_limit int default 25)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'total', (select count(*) from public.access_codes),
    'codes', coalesce((select jsonb_agg(public._access_code_json(c) order by c.created_at desc, c.code)
                       from (select * from public.access_codes c0
                             order by c0.created_at desc, c0.code
                             limit greatest(1, least(coalesce(p_limit, 25), 100))) c), '[]'::jsonb))
$$;

-- /code_off: switches a code off for good; what it granted stays. status: 'off' | 'already_off' | 'unknown'.
create or replace function public.disable_access_code(p_code text, p_admin_id bigint)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_row public.access_codes;
begin
  update public.access_codes c set disabled_at = now(), disabled_by = p_admin_id
   where c.code = upper(btrim(p_code)) and c.disabled_at is null
  returning * into v_row;
  if v_row.code is not null then
    return jsonb_build_object('status', 'off') || public._access_code_json(v_row);
  end if;
  select * into v_row from public.access_codes c where c.code = upper(btrim(p_code));
  if found then
    return jsonb_build_object('status', 'already_off') || public._access_code_json(v_row);
  end if;
  return jsonb_build_object('status', 'unknown', 'code', upper(btrim(p_code)));
end $$;
