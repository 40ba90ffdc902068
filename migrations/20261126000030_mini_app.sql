-- The member's Mini App (issue #13, part 2): everything the page shows, in one read-only call.
--
-- Built on public.user_summary() (access now) and public.user_timeline() (every window and banked item
-- of the access timeline with the dates it really covers): the JSON shape below is the contract with
-- functions/bot/miniapp/route.ts and the page (functions/bot/miniapp/page.ts).
--
-- member_app_view(user) returns
-- {
--   "telegram_user_id": 123,
--   "access": {
--     "has_access": true,                       -- access now
--     "until": "2026-12-26T10:00:00+00:00",     -- end of access held now incl. what is queued after it;
--                                               -- when there is none: the end of the last window (past) or null
--     "source": "tribute",                      -- provider of the window giving access now
--                                               -- (tribute | telegram_stars | manual), null without access
--     "renewing": true                          -- an active auto-renewing subscription exists
--   },
--   "timeline": [                               -- every item of the user's timeline, oldest first
--     {"source": "tribute", "kind": "subscription", "plan_code": null,
--      "from": "...", "to": "...", "status": "active", "refunded": false,
--      "segments": [["...", "..."]]}           -- the dates it really covers (banked time may be split)
--   ],
--   "plans": [ ...public.list_plans() rows: code, title, duration_days, stars_price, tribute_link,
--              tribute_product_id, stars_recurring ]
-- }
-- No external ids, payment ids or other users' rows: the page is shown to the member themselves.
create or replace function public.member_app_view(p_telegram_user_id bigint)
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'telegram_user_id', p_telegram_user_id,
    'access', jsonb_build_object(
      'has_access', coalesce((s.j ->> 'has_access')::boolean, false),
      'until', case when (s.j ->> 'has_access')::boolean
                    then coalesce(s.j -> 'live_until', s.j -> 'current' -> 'expires_at', s.j -> 'access_until')
                    else s.j -> 'access_until' end,
      'source', case when (s.j ->> 'has_access')::boolean
                     then coalesce(s.j -> 'current' -> 'provider', '"manual"'::jsonb) end,
      'renewing', coalesce((s.j ->> 'auto_renew')::boolean, false)),
    'timeline', coalesce((
      select jsonb_agg(jsonb_build_object(
               'source', w ->> 'provider',
               'kind', w ->> 'kind',
               'plan_code', w ->> 'plan_code',
               'from', w -> 'starts_at',
               'to', w -> 'expires_at',
               'status', w ->> 'status',
               'refunded', (w ->> 'refunded')::boolean,
               'segments', w -> 'segments') order by e.ord)
      from jsonb_array_elements(public.user_timeline(p_telegram_user_id)) with ordinality as e(w, ord)), '[]'::jsonb),
    'plans', public.list_plans())
  from (select public.user_summary(p_telegram_user_id) as j) s
$$;

comment on function public.member_app_view(bigint) is
  'Mini App data of one member: access, timeline of windows, plans (read-only; JSON shape in migration 20261126000030).';

-- Locked down like every other function: only the edge function (service_role) calls it.
revoke all on function public.member_app_view(bigint) from public, anon, authenticated;
grant execute on function public.member_app_view(bigint) to service_role;
