-- A local stand-in for Supabase Vault, applied by scripts/stack.sh before the migrations. NOT a migration:
-- Supabase projects have the real Vault (extension supabase_vault, secrets encrypted at rest).
--
-- It exists so that plpgsql_check (`npm run lint:sql`) can resolve the `vault.*` objects the production
-- schedule functions (migration 20261126000006) use, and so their SQL is checked like every other function.
-- It has exactly the columns and functions those functions use, with Vault's names and signatures.
-- Secrets stored here are NOT encrypted. Nothing stores any locally: without pg_net (never installed by the
-- local stack) public.set_scheduled_route_secrets refuses and public.call_scheduled_route does nothing.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'supabase_vault') then
    raise exception 'this database has the real Supabase Vault: the local stand-in must not be applied here';
  end if;
end $$;

create schema if not exists vault;
comment on schema vault is 'local stand-in for Supabase Vault (scripts/sql/vault_stand_in.sql): not encrypted';
revoke all on schema vault from public;

create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text unique,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
revoke all on vault.secrets from public;

create or replace view vault.decrypted_secrets as
  select s.id, s.name, s.description, s.secret, s.secret as decrypted_secret, s.key_id, s.nonce,
         s.created_at, s.updated_at
  from vault.secrets s;
revoke all on vault.decrypted_secrets from public;

create or replace function vault.create_secret(
  new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null)
returns uuid language sql set search_path = '' as $$
  insert into vault.secrets (name, description, secret, key_id)
  values (new_name, coalesce(new_description, ''), new_secret, new_key_id)
  returning id
$$;

create or replace function vault.update_secret(
  secret_id uuid, new_secret text default null, new_name text default null, new_description text default null,
  new_key_id uuid default null)
returns void language sql set search_path = '' as $$
  update vault.secrets
     set secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
         description = coalesce(new_description, description), key_id = coalesce(new_key_id, key_id),
         updated_at = now()
   where id = secret_id
$$;
revoke all on function vault.create_secret(text, text, text, uuid) from public;
revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;
