-- Tables of the membership backend. Every table is behind row-level security with no policy: only
-- service_role (which bypasses RLS) and the owner can touch them. Supabase grants new objects in
-- `public` to anon/authenticated by default, so those grants are revoked explicitly at the end.

create table public.plans (
  code               text primary key,
  title              text not null,
  duration_days      int  not null check (duration_days > 0),
  stars_price        int  null check (stars_price is null or stars_price > 0),
  tribute_product_id bigint unique null,
  tribute_link       text null,
  active             boolean not null default true,
  created_at         timestamptz not null default now()
);
comment on table public.plans is 'What can be bought: duration, Stars price, the Tribute product that maps to it.';

create table public.users (
  telegram_user_id bigint primary key,
  username         text,
  first_name       text,
  language_code    text,
  blocked_at       timestamptz,          -- the user blocked the bot (Bot API 403): messages are skipped
  in_chat          boolean not null default false,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);

-- One row per source of access: a Tribute subscription, a Tribute digital product purchase, a Stars
-- payment or a manual grant. A user's access is the union of these windows (see access_until).
create table public.subscriptions (
  id                  bigint generated always as identity primary key,
  telegram_user_id    bigint not null,
  provider            text not null check (provider in ('tribute', 'telegram_stars', 'manual')),
  external_id         text not null default gen_random_uuid()::text,
  kind                text not null default 'subscription' check (kind in ('subscription', 'purchase', 'grant')),
  type                text null check (type in ('regular', 'gift', 'trial')),
  plan_code           text null references public.plans (code) on update cascade on delete set null,
  status              text not null default 'active' check (status in ('active', 'cancelled', 'expired', 'refunded')),
  auto_renew          boolean not null default false,
  starts_at           timestamptz not null default now(),
  expires_at          timestamptz not null,
  provider_expires_at timestamptz null,  -- expires_at as Tribute reported it, before bonus days
  bonus_days          int not null default 0 check (bonus_days >= 0),
  bonus_to            bigint null references public.subscriptions (id),  -- its unused days moved there
  revoked_at          timestamptz null,  -- an admin revoked it (a newer provider event may restore it)
  last_event_at       timestamptz null,  -- created_at of the newest provider event applied
  ended_at            timestamptz null,
  details             jsonb not null default '{}'::jsonb,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  unique (provider, external_id)
);
create index subscriptions_user_idx on public.subscriptions (telegram_user_id);
-- expire_subscriptions and reminders look only at rows that still grant access, ordered by expiry:
-- a partial index keeps their cost proportional to what is due, not to the table size.
create index subscriptions_live_expiry_idx on public.subscriptions (expires_at)
  where status in ('active', 'cancelled');

-- Journal of every distinct delivery (Tribute webhooks). dedupe_key makes a retry a no-op.
create table public.webhook_events (
  id               bigint generated always as identity primary key,
  source           text not null check (source in ('tribute', 'telegram')),
  name             text not null,
  dedupe_key       text not null unique,
  status           text not null check (status in ('processed', 'ignored', 'failed')),
  subject          text null,            -- what it is about, e.g. tribute:subscription:1644
  telegram_user_id bigint null,
  event_created_at timestamptz null,
  payload          jsonb not null,       -- the envelope exactly as received
  error            text null,
  received_at      timestamptz not null default now()
);
create index webhook_events_subject_idx on public.webhook_events (subject, event_created_at)
  where status = 'processed';

-- Money ledger: one row per payment or refund, amounts in minor units exactly as the provider sent them.
create table public.payments (
  id                          bigint generated always as identity primary key,
  provider                    text not null check (provider in ('tribute', 'telegram_stars', 'manual')),
  external_id                 text not null,
  kind                        text not null check (kind in ('subscription', 'renewal', 'purchase', 'refund')),
  telegram_user_id            bigint not null,
  subscription_id             bigint null references public.subscriptions (id),
  plan_code                   text null,
  amount                      bigint not null check (amount >= 0),
  currency                    text not null,
  status                      text not null default 'paid' check (status in ('paid', 'refunded', 'unmatched')),
  telegram_payment_charge_id  text null unique,
  provider_payment_charge_id  text null,
  webhook_event_id            bigint null references public.webhook_events (id),
  paid_at                     timestamptz not null default now(),
  refunded_at                 timestamptz null,
  created_at                  timestamptz not null default now(),
  unique (provider, external_id)
);
create index payments_paid_at_idx on public.payments (paid_at);
create index payments_user_idx on public.payments (telegram_user_id);

-- Everything the product sends on its own initiative is a row here first, then delivered.
create table public.outbox (
  id               bigint generated always as identity primary key,
  telegram_user_id bigint not null,
  kind             text not null check (kind in ('message', 'invite', 'remove')),
  template         text not null,        -- key in functions/bot/telegram/texts.ts
  params           jsonb not null default '{}'::jsonb,
  dedupe_key       text null unique,
  status           text not null default 'pending'
                   check (status in ('pending', 'sending', 'sent', 'failed', 'skipped')),
  attempts         int not null default 0,
  next_attempt_at  timestamptz not null default now(),
  locked_until     timestamptz null,
  last_error       text null,
  created_at       timestamptz not null default now(),
  sent_at          timestamptz null
);
create index outbox_due_idx on public.outbox (next_attempt_at) where status in ('pending', 'sending');

-- Audit trail of admin commands (including refused attempts).
create table public.admin_actions (
  id         bigint generated always as identity primary key,
  admin_id   bigint not null,
  command    text not null,
  args       jsonb not null default '{}'::jsonb,
  result     text not null,
  allowed    boolean not null default true,
  created_at timestamptz not null default now()
);

alter table public.plans          enable row level security;
alter table public.users          enable row level security;
alter table public.subscriptions  enable row level security;
alter table public.webhook_events enable row level security;
alter table public.payments       enable row level security;
alter table public.outbox         enable row level security;
alter table public.admin_actions  enable row level security;

revoke all on all tables in schema public from anon, authenticated, public;
revoke all on all sequences in schema public from anon, authenticated, public;
grant all on all tables in schema public to service_role;
grant all on all sequences in schema public to service_role;
