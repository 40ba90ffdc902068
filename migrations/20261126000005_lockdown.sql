-- Functions: nothing is executable by anon/authenticated (Supabase grants EXECUTE on new functions in
-- `public` to them by default, and to PUBLIC implicitly). Only service_role may call them.
revoke all on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;
-- and the same for functions later migrations add
alter default privileges in schema public revoke execute on functions from public, anon, authenticated;
alter default privileges for role postgres in schema public revoke all on functions from anon, authenticated;
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated;
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated;
