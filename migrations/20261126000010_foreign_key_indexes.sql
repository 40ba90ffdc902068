-- Indexes behind the foreign keys (Supabase's `unindexed_foreign_keys` lint): joins from a refund or an
-- admin lookup to the ledger and the journal stay index scans as the tables grow.
create index if not exists payments_subscription_idx on public.payments (subscription_id);
create index if not exists payments_webhook_event_idx on public.payments (webhook_event_id);
create index if not exists subscriptions_bonus_to_idx on public.subscriptions (bonus_to) where bonus_to is not null;
create index if not exists subscriptions_plan_code_idx on public.subscriptions (plan_code) where plan_code is not null;
