// Order independence (CONTRACT section 5): any permutation of the deliveries, duplicates included,
// ends in the state their created_at order gives. fast-check generates the histories.
import assert from "node:assert/strict";
import fc from "fast-check";
import { signTributeBody } from "../../functions/bot/tribute/signature.ts";
import { type Harness, startHarness, TRIBUTE_KEY } from "../support/harness.ts";

const MIN = 60_000;
const DAY = 86_400_000;
const NAMES = ["new_subscription", "renewed_subscription", "cancelled_subscription"] as const;

interface Step {
  sub: 0 | 1; // which of the user's two subscriptions
  name: (typeof NAMES)[number];
  minute: number; // created_at offset, unique across the history
  expiresDays: number | null; // expires_at = created_at + days (negative: already past), null: absent
}

const stepArb = fc.record({
  sub: fc.constantFrom(0 as const, 1 as const),
  name: fc.constantFrom(...NAMES),
  expiresDays: fc.option(fc.integer({ min: -3, max: 45 }), { freq: 5 }),
});

// A history: up to 7 events over two subscriptions at distinct minutes, plus a delivery order that is a
// shuffle of the events with some delivered twice.
const historyArb = fc.uniqueArray(fc.integer({ min: 0, max: 40 * 24 * 60 }), { minLength: 1, maxLength: 7 })
  .chain((minutes) =>
    fc.tuple(
      fc.tuple(...minutes.map(() => stepArb)).map((steps) =>
        steps.map((s, i) => ({ ...s, minute: minutes[i] }) as Step)
      ),
      fc.array(fc.nat(), { minLength: minutes.length, maxLength: minutes.length }),
      fc.array(fc.nat({ max: minutes.length - 1 }), { maxLength: 3 }),
    )
  );

let seq = 0;
const base = Date.now() - 30 * DAY;

function envelope(step: Step, user: number, subIds: [number, number]) {
  const created = base + step.minute * MIN;
  const payload: Record<string, unknown> = {
    subscription_id: subIds[step.sub],
    telegram_user_id: user,
    amount: 100,
    currency: "usd",
  };
  if (step.expiresDays !== null) {
    payload.expires_at = new Date(created + step.expiresDays * DAY).toISOString();
  }
  return JSON.stringify({ name: step.name, created_at: new Date(created).toISOString(), payload });
}

async function deliver(h: Harness, body: string) {
  const res = await h.handle(
    new Request(h.url, {
      method: "POST",
      headers: { "trbt-signature": await signTributeBody(body, TRIBUTE_KEY) },
      body,
    }),
  );
  assert.equal(res.status, 200, await res.text());
}

async function state(h: Harness, user: number, subIds: [number, number]) {
  const rows = await h
    .sql`select s.external_id, s.status, s.auto_renew, s.expires_at, s.type, s.bonus_to is not null as donated,
                (select extract(epoch from b.duration)::float8 from public.subscriptions b
                 where b.provider = 'tribute' and b.external_id = 'bonus:' || s.external_id) as bonus_seconds
         from public.subscriptions s where s.telegram_user_id = ${user}`;
  const byId = new Map(rows.map((r) => [r.external_id, r]));
  const [acc] = await h.sql`select public.has_access(${user}) as has, public.access_until(${user}) as until`;
  return {
    subs: subIds.map((id) => {
      const r = byId.get(String(id));
      return r &&
        {
          status: r.status,
          auto_renew: r.auto_renew,
          expires_at: r.expires_at.toISOString(),
          bonus_seconds: r.bonus_seconds,
          type: r.type,
          donated: r.donated,
        };
    }),
    has: acc.has,
    until: acc.until?.toISOString() ?? null,
  };
}

Deno.test("tribute: any delivery order (with duplicates) gives the created_at-order state", async () => {
  const h = await startHarness();
  try {
    await fc.assert(
      fc.asyncProperty(historyArb, async ([steps, shuffleKeys, dupes]) => {
        const n = ++seq;
        const refUser = 1_000_000 + n * 2, testUser = refUser + 1;
        const refSubs: [number, number] = [n * 10 + 1, n * 10 + 2];
        const testSubs: [number, number] = [500_000 + n * 10 + 1, 500_000 + n * 10 + 2];

        const sorted = [...steps].sort((a, b) => a.minute - b.minute);
        for (const s of sorted) await deliver(h, envelope(s, refUser, refSubs));

        const order = steps.map((s, i) => ({ s, k: shuffleKeys[i] })).sort((a, b) => a.k - b.k).map((x) =>
          x.s
        );
        for (const d of dupes) order.splice(d % (order.length + 1), 0, steps[d]);
        for (const s of order) await deliver(h, envelope(s, testUser, testSubs));

        assert.deepEqual(await state(h, testUser, testSubs), await state(h, refUser, refSubs));
      }),
      { numRuns: Number(Deno.env.get("FC_RUNS") ?? 150) },
    );
  } finally {
    await h.close();
  }
});
