-- The production schedule: every minute pg_cron calls the function's X-Cron-Secret route (expire,
-- reminders, outbox drain) through pg_net. The function URL and the cron secret live in Supabase Vault
-- (secrets `bot_function_url` and `bot_cron_secret`, stored by `npm run deploy` through
-- public.set_scheduled_route_secrets), never in a migration or in cron.job.
--
-- Locally there is no pg_net: both functions are still created (call_scheduled_route says so with a notice
-- and does nothing, set_scheduled_route_secrets refuses), the job is not scheduled, and scripts/local_cron.ts
-- calls the route instead. The local stack has a stand-in `vault` schema (scripts/sql/vault_stand_in.sql,
-- so that plpgsql_check can check these functions), which is why pg_net is what both functions test first.
-- (expire_subscriptions itself runs inside the database everywhere: job `expire-subscriptions`.)

-- Calls the scheduled route once; returns the pg_net request id, or null (with a notice) when pg_net,
-- Vault or the two secrets are missing. Object references below are resolved only when reached, so the
-- function compiles where the `net` and `vault` schemas do not exist.
create or replace function public.call_scheduled_route()
returns bigint language plpgsql set search_path = '' as $$
declare
  v_url text;
  v_secret text;
  v_request_id bigint;
begin
  if to_regnamespace('net') is null then
    raise notice 'call_scheduled_route: pg_net is not installed here; nothing called';
    return null;
  end if;
  if to_regclass('vault.decrypted_secrets') is null then
    raise notice 'call_scheduled_route: Supabase Vault is not installed here; nothing called';
    return null;
  end if;
  select s.decrypted_secret into v_url from vault.decrypted_secrets s where s.name = 'bot_function_url';
  select s.decrypted_secret into v_secret from vault.decrypted_secrets s where s.name = 'bot_cron_secret';
  if coalesce(v_url, '') = '' or coalesce(v_secret, '') = '' then
    raise notice 'call_scheduled_route: vault secrets bot_function_url and bot_cron_secret are not both set '
                 '(npm run deploy stores them); nothing called';
    return null;
  end if;
  -- pg_net's default timeout is 5 s; a drain of a full outbox batch may take longer than that.
  -- pg_net is never installed locally (no stand-in, unlike Vault: its absence is what keeps the schedule off
  -- there), so plpgsql_check (npm run lint:sql) cannot resolve this one call: a plpgsql_check pragma (at run
  -- time just a constant selected) turns its static check off for it.
  perform 'PRAGMA:DISABLE:CHECK';
  select net.http_post(
           url := v_url,
           body := '{}'::jsonb,
           headers := jsonb_build_object('Content-Type', 'application/json', 'X-Cron-Secret', v_secret),
           timeout_milliseconds := 55000)
    into v_request_id;
  perform 'PRAGMA:ENABLE:CHECK';
  return v_request_id;
end $$;

-- Stores (or replaces) the two Vault secrets the schedule reads. One statement, so it can be run with
-- `supabase db query` or pasted into the SQL editor. Refuses where pg_net is missing: nothing could use
-- the secrets there (and the local stack's Vault stand-in does not encrypt).
create or replace function public.set_scheduled_route_secrets(p_function_url text, p_cron_secret text)
returns text language plpgsql set search_path = '' as $$
declare
  v_id uuid;
begin
  if to_regnamespace('net') is null then
    raise exception 'pg_net is not installed in this database: the scheduled route cannot be called from here, '
                    'so its Vault secrets are not stored (locally, npm start calls the route)' using errcode = '55000';
  end if;
  if to_regclass('vault.secrets') is null then
    raise exception 'Supabase Vault (schema vault) is not installed in this database' using errcode = '55000';
  end if;
  if coalesce(p_function_url, '') !~ '^https?://' then
    raise exception 'p_function_url must be an http(s) URL' using errcode = '22023';
  end if;
  if coalesce(p_cron_secret, '') = '' then
    raise exception 'p_cron_secret must not be empty' using errcode = '22023';
  end if;

  select s.id into v_id from vault.secrets s where s.name = 'bot_function_url';
  if v_id is null then
    perform vault.create_secret(p_function_url, 'bot_function_url', 'bot: URL pg_cron calls every minute');
  else
    perform vault.update_secret(v_id, p_function_url);
  end if;

  v_id := null;
  select s.id into v_id from vault.secrets s where s.name = 'bot_cron_secret';
  if v_id is null then
    perform vault.create_secret(p_cron_secret, 'bot_cron_secret', 'bot: X-Cron-Secret of the scheduled route');
  else
    perform vault.update_secret(v_id, p_cron_secret);
  end if;
  return 'stored bot_function_url and bot_cron_secret';
end $$;

-- Only the owner (postgres, pg_cron's jobs) may run these: not the API roles.
revoke all on function public.call_scheduled_route() from public, anon, authenticated, service_role;
revoke all on function public.set_scheduled_route_secrets(text, text) from public, anon, authenticated, service_role;

do $$
begin
  if not exists (select 1 from pg_available_extensions where name = 'pg_net') then
    raise notice 'pg_net is not available in this database: the scheduled route is not scheduled here '
                 '(locally, npm start calls it every minute)';
    return;
  end if;
  if exists (select 1 from pg_namespace where nspname = 'extensions') then
    create extension if not exists pg_net with schema extensions;
  else
    create extension if not exists pg_net;
  end if;
  if not exists (select 1 from pg_namespace where nspname = 'vault') then
    raise notice 'Supabase Vault (schema vault) is missing: the scheduled route is not scheduled';
    return;
  end if;
  if not exists (select 1 from pg_extension where extname = 'pg_cron') then
    raise notice 'pg_cron is not installed in database %: the scheduled route is not scheduled', current_database();
    return;
  end if;
  -- same name again replaces the job (pg_cron >= 1.3), so re-applying is harmless
  perform cron.schedule('bot-scheduled', '* * * * *', 'select public.call_scheduled_route()');
end $$;
