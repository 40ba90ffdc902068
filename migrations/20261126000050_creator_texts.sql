-- Creator tools (issue #12, parts 4 and 5): editable bot texts and the payment-support relay.
-- Same rules as every other table: RLS on, no policy, nothing for anon/authenticated; the functions
-- are executable by service_role only.

-- ------------------------------------------------------------------ editable texts

-- An override of one user-facing text in one language. The defaults live in code
-- (functions/bot/telegram/texts.ts); the key set and the placeholders are checked there, before a row
-- is written, so the table only guards the shape.
create table public.bot_texts (
  key        text not null check (key ~ '^[a-z][a-z0-9_]{0,63}$'),
  lang       text not null check (lang in ('en', 'ru')),
  text       text not null check (length(text) between 1 and 4096),
  updated_at timestamptz not null default now(),
  updated_by bigint null,
  primary key (key, lang)
);
comment on table public.bot_texts is 'Per-language overrides of the bot''s user-facing texts (/text, /texts).';

-- All overrides of one language as {key: text}: one call per update (and cached in the function).
create or replace function public.bot_text_overrides(p_lang text)
returns jsonb language sql stable set search_path = '' as $$
  select coalesce(jsonb_object_agg(t.key, t.text), '{}'::jsonb) from public.bot_texts t where t.lang = p_lang
$$;

-- Which languages override which key, for /texts: {key: ["en", "ru"]}.
create or replace function public.bot_text_index()
returns jsonb language sql stable set search_path = '' as $$
  select coalesce(jsonb_object_agg(k.key, k.langs), '{}'::jsonb)
  from (select t.key, jsonb_agg(t.lang order by t.lang) as langs from public.bot_texts t group by t.key) k
$$;

-- Stores (or replaces) an override; returns the text it replaced, if any.
create or replace function public.set_bot_text(p_key text, p_lang text, p_text text, p_admin_id bigint)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v_previous text;
begin
  select t.text into v_previous from public.bot_texts t where t.key = p_key and t.lang = p_lang for update;
  insert into public.bot_texts (key, lang, text, updated_at, updated_by)
  values (p_key, p_lang, p_text, now(), p_admin_id)
  on conflict (key, lang) do update
    set text = excluded.text, updated_at = excluded.updated_at, updated_by = excluded.updated_by;
  return jsonb_build_object('previous', v_previous);
end $$;

-- Removes an override (the default from code applies again); true when there was one.
create or replace function public.reset_bot_text(p_key text, p_lang text)
returns boolean language sql set search_path = '' as $$
  with gone as (delete from public.bot_texts t where t.key = p_key and t.lang = p_lang returning 1)
  select exists (select 1 from gone)
$$;

-- ------------------------------------------------------------------ support relay

-- A user who sent /paysupport: their next message (until waiting_until) goes to the admins.
create table public.support_threads (
  telegram_user_id bigint primary key,
  waiting_until    timestamptz null,      -- null: not waiting (message taken, or never opened)
  opened_at        timestamptz not null default now(),
  last_message_at  timestamptz null
);

-- Which user a message in an admin's chat stands for (the header and the forwarded copy), so an
-- admin's reply to either goes back to that user.
create table public.support_messages (
  admin_chat_id    bigint not null,
  admin_message_id bigint not null,
  telegram_user_id bigint not null,
  user_message_id  bigint null,
  created_at       timestamptz not null default now(),
  primary key (admin_chat_id, admin_message_id)
);
create index support_messages_created_idx on public.support_messages (created_at);

-- Opens (or extends) the user's waiting window; returns when it ends.
create or replace function public.open_support_thread(p_telegram_user_id bigint, p_minutes int default 60)
returns timestamptz language sql set search_path = '' as $$
  insert into public.support_threads (telegram_user_id, waiting_until, opened_at)
  values (p_telegram_user_id, now() + make_interval(mins => greatest(1, least(p_minutes, 1440))), now())
  on conflict (telegram_user_id) do update
    set waiting_until = excluded.waiting_until, opened_at = excluded.opened_at
  returning waiting_until
$$;

-- Takes the user's one waiting message: null when they are not waiting (or the window ran out);
-- else their summary (for the admins' header) and the admins' stored languages. Atomic: of two
-- concurrent messages only one is taken.
create or replace function public.take_support_message(p_telegram_user_id bigint, p_admin_ids bigint[])
returns jsonb language plpgsql set search_path = '' as $$
begin
  update public.support_threads t set waiting_until = null, last_message_at = now()
  where t.telegram_user_id = p_telegram_user_id and t.waiting_until > now();
  if not found then
    return null;
  end if;
  return jsonb_build_object(
    'summary', public.user_summary(p_telegram_user_id),
    'admins', coalesce((
      select jsonb_agg(jsonb_build_object('id', a.id, 'language_code', u.language_code) order by a.ord)
      from unnest(coalesce(p_admin_ids, '{}'::bigint[])) with ordinality a(id, ord)
      left join public.users u on u.telegram_user_id = a.id), '[]'::jsonb));
end $$;

-- Remembers the messages the admins received for a user ([{chat_id, message_id}]); forgets
-- mappings older than 30 days on the way (a reply to those is no longer routed).
create or replace function public.record_support_messages(p_telegram_user_id bigint, p_user_message_id bigint,
                                                          p_messages jsonb)
returns integer language plpgsql set search_path = '' as $$
declare
  v_n integer;
begin
  delete from public.support_messages m where m.created_at < now() - interval '30 days';
  insert into public.support_messages (admin_chat_id, admin_message_id, telegram_user_id, user_message_id)
  select (e ->> 'chat_id')::bigint, (e ->> 'message_id')::bigint, p_telegram_user_id, p_user_message_id
  from jsonb_array_elements(coalesce(p_messages, '[]'::jsonb)) e
  on conflict (admin_chat_id, admin_message_id) do update
    set telegram_user_id = excluded.telegram_user_id, user_message_id = excluded.user_message_id,
        created_at = now();
  get diagnostics v_n = row_count;
  return v_n;
end $$;

-- The user an admin's reply is meant for (null: the replied-to message is not a relayed one).
create or replace function public.support_reply_target(p_admin_chat_id bigint, p_admin_message_id bigint)
returns bigint language sql stable set search_path = '' as $$
  select m.telegram_user_id from public.support_messages m
  where m.admin_chat_id = p_admin_chat_id and m.admin_message_id = p_admin_message_id
$$;

-- ------------------------------------------------------------------ lockdown

alter table public.bot_texts        enable row level security;
alter table public.support_threads  enable row level security;
alter table public.support_messages enable row level security;

revoke all on public.bot_texts, public.support_threads, public.support_messages from anon, authenticated, public;
grant all on public.bot_texts, public.support_threads, public.support_messages to service_role;

revoke all on function public.bot_text_overrides(text), public.bot_text_index(),
  public.set_bot_text(text, text, text, bigint), public.reset_bot_text(text, text),
  public.open_support_thread(bigint, int), public.take_support_message(bigint, bigint[]),
  public.record_support_messages(bigint, bigint, jsonb), public.support_reply_target(bigint, bigint)
  from public, anon, authenticated;
grant execute on function public.bot_text_overrides(text), public.bot_text_index(),
  public.set_bot_text(text, text, text, bigint), public.reset_bot_text(text, text),
  public.open_support_thread(bigint, int), public.take_support_message(bigint, bigint[]),
  public.record_support_messages(bigint, bigint, jsonb), public.support_reply_target(bigint, bigint)
  to service_role;
