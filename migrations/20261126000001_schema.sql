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
  -- sold as a recurring Telegram Star subscription (30 days, Telegram's only period)
  stars_recurring    boolean not null default false,
  -- which paid chats the plan opens (null: every paid chat)
  chat_ids           bigint[] null,
  -- the Tribute subscription (its subscription_id) that belongs to this plan
  tribute_subscription_id bigint unique null,
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
  details          jsonb not null default '{}'::jsonb,  -- e.g. stars_canceled: {plan_code: true}
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);

-- The ledger of access items, one row each: a subscription window (a Tribute subscription replayed from
-- the journal, a recurring Stars subscription, or a fixed window written directly) or a banked item (a
-- Tribute product, a one-off Stars payment, a manual grant, an access code, the unused days of a
-- cancelled subscription). `event_at` and `duration` are the inputs of the access timeline; `segments`,
-- `starts_at`, `expires_at` and `status` are its outputs, written by public._recompute_access.
create table public.subscriptions (
  id                  bigint generated always as identity primary key,
  telegram_user_id    bigint not null,
  provider            text not null check (provider in ('tribute', 'telegram_stars', 'manual')),
  external_id         text not null default gen_random_uuid()::text,
  kind                text not null default 'subscription'
                      check (kind in ('subscription', 'purchase', 'grant', 'code', 'bonus')),
  type                text null check (type in ('regular', 'gift', 'trial')),
  plan_code           text null references public.plans (code) on update cascade on delete set null,
  status              text not null default 'active' check (status in ('active', 'cancelled', 'expired', 'refunded')),
  auto_renew          boolean not null default false,
  -- banked items: when it was paid or granted, and how much time it buys (null: a window)
  event_at            timestamptz null,
  duration            interval null check (duration is null or duration > interval '0'),
  -- outputs of the timeline: the time this item really covers, and its bounds
  segments            tstzmultirange not null default '{}',
  starts_at           timestamptz not null default now(),
  expires_at          timestamptz not null,
  provider_expires_at timestamptz null,  -- expires_at as Tribute reported it
  bonus_to            bigint null references public.subscriptions (id) on delete set null,  -- its unused days went there
  refunded_at         timestamptz null,
  last_event_at       timestamptz null,  -- created_at of the newest provider event applied
  ended_at            timestamptz null,
  details             jsonb not null default '{}'::jsonb,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  unique (provider, external_id)
);
-- Every recompute reads one user's items: the index leads with the user.
create index subscriptions_user_idx on public.subscriptions (telegram_user_id, kind);
-- expire_subscriptions marks items whose time is over: a partial index keeps its cost proportional to
-- what is due, not to the table size.
create index subscriptions_live_expiry_idx on public.subscriptions (expires_at)
  where status in ('active', 'cancelled');

-- What changes the timeline without being an item: refunds (an item's time is removed) and admin
-- revocations (access ends at event_at; what was banked before is forfeited).
create table public.access_adjustments (
  id                 bigint generated always as identity primary key,
  telegram_user_id   bigint not null,
  kind               text not null check (kind in ('refund', 'revoke')),
  event_at           timestamptz not null,
  -- a refund names its item (provider + external_id), or, for a Tribute refund without purchase_id, the
  -- product: it then takes back the latest purchase of that product made before it
  provider           text null,
  target_external_id text null,
  product_id         bigint null,
  source_key         text not null unique,   -- the cause (journal key, charge id, admin request): once each
  details            jsonb not null default '{}'::jsonb,
  created_at         timestamptz not null default now()
);
create index access_adjustments_user_idx on public.access_adjustments (telegram_user_id, kind, event_at);

-- The timeline's result per user, read in O(1) by access_until() / has_access(). `coverage` is every
-- moment the user has access (it does not depend on the clock); `has_access` and `next_change_at` are
-- its state at the last refresh: expire_subscriptions refreshes users whose next_change_at has come.
create table public.user_access (
  telegram_user_id bigint primary key,
  coverage         tstzmultirange not null default '{}',
  -- with plans that open different chats: each paid chat's coverage ({"<chat id>": ..., "*": every other})
  chat_coverage    jsonb null,
  access_until     timestamptz null,
  has_access       boolean not null default false,
  open_chats       text[] not null default '{}',  -- chat keys open at the last refresh ('*': every paid chat)
  next_change_at   timestamptz null,
  covering_item    bigint null,
  updated_at       timestamptz not null default now()
);
create index user_access_next_change_idx on public.user_access (next_change_at) where next_change_at is not null;
create index user_access_until_idx on public.user_access (access_until) where access_until is not null;

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
alter table public.access_adjustments enable row level security;
alter table public.user_access    enable row level security;

revoke all on all tables in schema public from anon, authenticated, public;
revoke all on all sequences in schema public from anon, authenticated, public;
grant all on all tables in schema public to service_role;
grant all on all sequences in schema public to service_role;
