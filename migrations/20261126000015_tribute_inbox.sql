-- The Tribute inbox: under a burst the webhook door acknowledges a delivery once it is durably written
-- here (one narrow INSERT, the least a receiver can do) and applies it right after, in batches
-- (apply_tribute_inbox). Nothing can be lost between the two: a row leaves the inbox only in the
-- transaction that applies it (or journals it as failed), so a crash, a restart or a killed background
-- task leaves it here for the next applier: the next request's, the scheduled route's, or pg_cron's.
--
-- Alone (no other delivery in flight), the door still applies before answering (apply_tribute_event):
-- the inbox only exists to keep a burst's acknowledgements fast.

create table public.tribute_inbox (
  -- drawn from the journal's sequence: the id the acknowledgement names becomes the webhook_events id
  id              bigint primary key default nextval('public.webhook_events_id_seq'),
  dedupe_key      text not null unique,  -- public._tribute_dedupe_key: a retry while pending is a no-op
  name            text not null,         -- the event name applied (a *refund* variant is digital_product_refund)
  envelope        jsonb not null,        -- as received (parsed): name, created_at, payload
  telegram_user_id bigint null,          -- batches take users in id order (the locks' order)
  received_at     timestamptz not null default now(),
  attempts        int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error      text null
);
alter table public.tribute_inbox enable row level security;
comment on table public.tribute_inbox is
  'Tribute deliveries acknowledged and not applied yet (normally empty within a second); see apply_tribute_inbox.';

-- Acknowledges verified, validated deliveries (each the envelope as text, read as apply_tribute_delivery
-- reads it), many per call: the door gathers the deliveries that arrive while a write is under way into
-- the next one (group commit: one round trip and one commit for all of them, each answered only after
-- it). A copy already applied or already waiting is a duplicate (nothing written); otherwise one inbox
-- row. Rows are written in dedupe-key order, so two concurrent calls holding copies of the same
-- deliveries wait for each other in one order and never deadlock.
-- Returns, in input order, [{status: accepted|duplicate, event_id}, ...].
create or replace function public.accept_tribute_events(p_names text[], p_bodies text[])
returns jsonb language plpgsql set search_path = '' as $$
declare
  n int := coalesce(cardinality(p_bodies), 0);
  v_envelopes jsonb[] := '{}'::jsonb[];
  v_keys text[] := '{}'::text[];
  v_out jsonb[];
  v_envelope jsonb;
  v_id bigint;
  i int;
begin
  if coalesce(cardinality(p_names), 0) <> n then
    raise exception 'accept_tribute_events: % names for % bodies', cardinality(p_names), n using errcode = '22023';
  end if;
  for i in 1 .. n loop
    v_envelope := p_bodies[i]::jsonb;
    v_envelopes := array_append(v_envelopes, v_envelope);
    v_keys := array_append(v_keys, public._tribute_dedupe_key(v_envelope ->> 'name', v_envelope ->> 'created_at',
                                                               v_envelope -> 'payload'));
  end loop;
  v_out := array_fill(null::jsonb, array[greatest(n, 1)]);
  for i in select k.i from unnest(v_keys) with ordinality k(key, i) order by k.key collate "C" loop
    v_envelope := v_envelopes[i];
    select w.id into v_id from public.webhook_events w where w.dedupe_key = v_keys[i];
    if v_id is not null then
      v_out[i] := jsonb_build_object('status', 'duplicate', 'event_id', v_id);
      continue;
    end if;
    insert into public.tribute_inbox (dedupe_key, name, envelope, telegram_user_id)
    values (v_keys[i], p_names[i], v_envelope, (v_envelope #>> '{payload,telegram_user_id}')::bigint)
    on conflict (dedupe_key) do nothing
    returning id into v_id;
    v_out[i] := case when v_id is null
                     then jsonb_build_object('status', 'duplicate', 'event_id',
                                             (select x.id from public.tribute_inbox x where x.dedupe_key = v_keys[i]))
                     else jsonb_build_object('status', 'accepted', 'event_id', v_id) end;
  end loop;
  return to_jsonb(v_out[1:n]);
end $$;

-- Applies up to p_limit waiting deliveries in one transaction. Rows are claimed with SKIP LOCKED
-- (appliers never wait for each other) and applied in user order, the order every batch takes the
-- users' locks in.
-- p_isolate false (the fast path): one transaction, no subtransactions; any error rolls the whole batch
-- back (nothing of it was applied, every row stays) and the caller calls again with p_isolate true.
-- p_isolate true: each event in its own subtransaction, so one event's failure cannot undo the others.
-- An event that fails the same way every time (SQLSTATE 22, 23, 54: the bad-payload classes) is then
-- journaled as failed at once; any other failure is retried with backoff and journaled as failed after
-- 10 attempts, so no row can stay in the inbox forever.
-- Either way each event's effects are all or nothing, as on the direct path (apply_tribute_delivery).
-- Returns {claimed, applied, duplicates, failed, deferred, queued}.
create or replace function public.apply_tribute_inbox(p_limit int default 64, p_isolate boolean default true)
returns jsonb language plpgsql set search_path = '' as $$
declare
  r record;
  v jsonb;
  v_claimed int := 0;
  v_applied int := 0;
  v_duplicates int := 0;
  v_failed int := 0;
  v_deferred int := 0;
  v_queued boolean := false;
begin
  for r in select c.* from (select i.* from public.tribute_inbox i
                            where i.next_attempt_at <= now()
                            order by i.id
                            limit greatest(p_limit, 1)
                            for update skip locked) c
           order by c.telegram_user_id nulls first, c.id
  loop
    v_claimed := v_claimed + 1;
    if not p_isolate then
      v := public._apply_inbox_row(r.id, r.name, r.envelope, r.received_at);
    else
      begin
        v := public._apply_inbox_row(r.id, r.name, r.envelope, r.received_at);
      exception when others then
        if sqlstate ~ '^(22|23|54)' or r.attempts >= 9 then
          perform public.record_failed_event('tribute', coalesce(r.envelope ->> 'name', r.name), r.envelope,
            'the database refused the payload: ' || sqlerrm || ' (SQLSTATE ' || sqlstate || ')'
            || case when r.attempts >= 9 then ' after ' || (r.attempts + 1) || ' attempts' else '' end);
          delete from public.tribute_inbox i where i.id = r.id;
          v_failed := v_failed + 1;
        else
          update public.tribute_inbox i
             set attempts = i.attempts + 1, last_error = left(sqlerrm || ' (SQLSTATE ' || sqlstate || ')', 2000),
                 next_attempt_at = now() + least(interval '1 second' * power(2, i.attempts), interval '10 minutes')
           where i.id = r.id;
          v_deferred := v_deferred + 1;
        end if;
        continue;
      end;
    end if;
    if v ->> 'status' = 'duplicate' then v_duplicates := v_duplicates + 1; else v_applied := v_applied + 1; end if;
    v_queued := v_queued or coalesce((v ->> 'queued')::boolean, false);
  end loop;
  return jsonb_build_object('claimed', v_claimed, 'applied', v_applied, 'duplicates', v_duplicates,
                            'failed', v_failed, 'deferred', v_deferred, 'queued', v_queued);
end $$;

-- One inbox row applied with the id and receipt time its acknowledgement gave it, and gone from the inbox.
create or replace function public._apply_inbox_row(p_id bigint, p_name text, p_envelope jsonb, p_received_at timestamptz)
returns jsonb language plpgsql set search_path = '' as $$
declare
  v jsonb;
begin
  v := public.apply_tribute_event(p_name => p_name, p_created_at => p_envelope ->> 'created_at',
                                  p_payload => p_envelope -> 'payload', p_envelope => p_envelope,
                                  p_received_name => p_envelope ->> 'name',
                                  p_event_id => p_id, p_received_at => p_received_at);
  delete from public.tribute_inbox i where i.id = p_id;
  return v;
end $$;

-- What is waiting, for the health checks: how many and since when.
create or replace function public.tribute_inbox_backlog()
returns jsonb language sql stable set search_path = '' as $$
  select jsonb_build_object('pending', count(*), 'oldest_received_at', min(i.received_at),
                            'retrying', count(*) filter (where i.attempts > 0),
                            'last_error', (select i2.last_error from public.tribute_inbox i2
                                           where i2.last_error is not null order by i2.id desc limit 1))
  from public.tribute_inbox i
$$;

-- Even with no request arriving and the function down, pg_cron applies what is left every minute (the
-- notices it queues go out with the next outbox drain).
do $$
begin
  if to_regnamespace('cron') is not null then
    perform cron.schedule('apply-tribute-inbox', '* * * * *', 'select public.apply_tribute_inbox(1000, true)');
  end if;
end $$;
