-- pg_cron ends what is past due every minute, inside the database, even when no request arrives.
-- pg_cron can only live in the database named by cron.database_name (postgres on Supabase and in the
-- local stack); elsewhere (a scratch database) the migration says so and goes on.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron')
     and coalesce(current_setting('cron.database_name', true), 'postgres') = current_database() then
    create extension if not exists pg_cron with schema pg_catalog;
    perform cron.schedule('expire-subscriptions', '* * * * *', 'select public.expire_subscriptions()');
  else
    raise notice 'pg_cron is not available in database %: schedule expire_subscriptions elsewhere', current_database();
  end if;
end $$;
