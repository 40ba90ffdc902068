/**
 * Data for the Mini App admin view tests (routes and the headless-Chromium page): a few members whose
 * histories land in every overview count, a year of payments in two currencies for the revenue chart,
 * a broadcast with sent / failed / blocked / left copies, a failed Tribute delivery and a Telegram
 * webhook error for the Health panel.
 */
import assert from "node:assert/strict";
import { ADMIN_ID, type Harness } from "./harness.ts";

export const DAY = 86400_000;
/** Tribute subscriber since 45 days, renewed 15 days ago; a refunded Stars purchase; a 7-day grant. */
export const ANN = 7301;
/** New: bought a month for Stars 2 days ago. */
export const BOB = 7302;
/** Lapsed 10 days ago (a 10-day grant 20 days ago). */
export const CAT = 7303;
/** Lapsed 3 days ago (a 5-day grant 8 days ago). */
export const DAN = 7304;

export const WEBHOOK_ERROR = "Wrong response from the webhook: 502 Bad Gateway";

const iso = (ms: number) => new Date(ms).toISOString();

export async function seedAdminData(h: Harness, now = Date.now()) {
  const tribute = (name: string, createdMs: number, expiresMs: number, amount = 700) =>
    h.postTribute({
      name,
      created_at: iso(createdMs),
      sent_at: iso(createdMs),
      payload: {
        subscription_id: 501,
        subscription_name: "Monthly",
        telegram_user_id: ANN,
        expires_at: iso(expiresMs),
        amount,
        currency: "eur",
        period: "monthly",
      },
    });
  for (
    const res of [
      await tribute("new_subscription", now - 45 * DAY, now - 15 * DAY),
      await tribute("renewed_subscription", now - 15 * DAY, now + 15 * DAY),
    ]
  ) assert.equal(res.status, 200, await res.text());
  await h.sql`select public.apply_star_payment(${ANN}, 'month', 250, 'XTR', 'charge-ann', null,
                                               ${new Date(now - 4 * DAY)})`;
  await h.sql`select public.refund_star_payment('charge-ann')`;
  await h.sql`select public.grant_access(${ANN}, 7, ${ADMIN_ID}, 'seed-ann', ${new Date(now - DAY)})`;
  await h.sql`select public.apply_star_payment(${BOB}, 'month', 250, 'XTR', 'charge-bob', null,
                                               ${new Date(now - 2 * DAY)})`;
  await h.sql`select public.grant_access(${CAT}, 10, ${ADMIN_ID}, 'seed-cat', ${new Date(now - 20 * DAY)})`;
  await h.sql`select public.grant_access(${DAN}, 5, ${ADMIN_ID}, 'seed-dan', ${new Date(now - 8 * DAY)})`;
  await h
    .sql`update public.users set username = 'ann_lee', first_name = 'Ann' where telegram_user_id = ${ANN}`;
  await h.sql`update public.users set username = 'bob_k', first_name = 'Bob' where telegram_user_id = ${BOB}`;
  await h
    .sql`update public.users set username = 'annabel', first_name = 'Annabel' where telegram_user_id = ${CAT}`;

  // A year of earlier payments (users without access items): the chart's history, in EUR and XTR.
  await h.sql`
    insert into public.payments (provider, external_id, kind, telegram_user_id, amount, currency, status, paid_at)
    select 'tribute', 'hist-eur-' || m || '-' || k, case when k = 0 then 'subscription' else 'renewal' end,
           7400 + k, 700, 'EUR', 'paid',
           date_trunc('month', now()) - make_interval(months => m) + interval '3 days' + k * interval '1 hour'
    from generate_series(1, 11) m, generate_series(0, 1 + (m * 7) % 9) k`;
  await h.sql`
    insert into public.payments (provider, external_id, kind, telegram_user_id, amount, currency, status, paid_at)
    select 'telegram_stars', 'hist-xtr-' || m || '-' || k, 'purchase', 7500 + k, 250, 'XTR', 'paid',
           date_trunc('month', now()) - make_interval(months => m) + interval '5 days' + k * interval '1 hour'
    from generate_series(1, 11) m, generate_series(0, (m * 5) % 7) k`;

  // A broadcast to everyone: one copy sent, one failed, one skipped (blocked), one left (due tomorrow, so
  // no drain during the tests touches it).
  const [{ b }] = await h.sql`select public.create_broadcast(${ADMIN_ID}, ${ADMIN_ID}, 555, 'all', 556) as b`;
  await h.sql`select public.confirm_broadcast(${b.id}, ${ADMIN_ID})`;
  await h.sql`
    with rows as (select id, row_number() over (order by id) as n from public.outbox where broadcast_id = ${b.id})
    update public.outbox o
       set status = case r.n when 1 then 'sent' when 2 then 'failed' when 3 then 'skipped' else 'pending' end,
           last_error = case r.n when 2 then 'Bad Request: chat not found' when 3 then 'user blocked the bot' end,
           next_attempt_at = now() + interval '1 day'
      from rows r where o.id = r.id`;
  const [{ n }] = await h.sql`select count(*)::int as n from public.outbox where broadcast_id = ${b.id}`;
  assert.equal(n, 4, "the broadcast reaches Ann, Bob, Cat and Dan");

  // A delivery Tribute sent that failed validation: journaled `failed` with its error.
  const bad = await h.postTribute({
    name: "new_subscription",
    created_at: iso(now - 60_000),
    sent_at: iso(now - 60_000),
    payload: { subscription_id: "not a number", telegram_user_id: ANN },
  });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  await h.settle();
  h.telegram.reset();
  h.telegram.setWebhookInfo({
    url: h.config.publicUrl ?? "",
    pending_update_count: 0,
    last_error_date: Math.floor((now - 10 * 60_000) / 1000),
    last_error_message: WEBHOOK_ERROR,
  });
}
