-- The last migration: whatever the migrations before it created, anon and authenticated can neither
-- touch a table nor execute a function (Supabase grants both to them by default, and PostgreSQL grants
-- EXECUTE to PUBLIC). Only service_role (the edge function) may. Runs last so it covers every object.
revoke all on all tables in schema public from anon, authenticated, public;
revoke all on all sequences in schema public from anon, authenticated, public;
grant all on all tables in schema public to service_role;
grant all on all sequences in schema public to service_role;
revoke all on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;
-- except what only the owner runs: the production schedule's pg_net call and its Vault secrets
revoke all on function public.call_scheduled_route() from service_role;
revoke all on function public.set_scheduled_route_secrets(text, text) from service_role;

-- and the same for what later migrations add. EXECUTE for PUBLIC is a global default, which a
-- per-schema default cannot take away: it is revoked globally for the role that runs migrations.
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke all on functions from anon, authenticated;
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated;
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated;
