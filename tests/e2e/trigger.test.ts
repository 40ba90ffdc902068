// npm run trigger sends a correctly signed sample of every event kind; the handler accepts each.
import assert from "node:assert/strict";
import { startHarness, TRIBUTE_KEY } from "../support/harness.ts";
import { TRIGGER_EVENTS } from "../../scripts/trigger.ts";

async function trigger(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/trigger.ts", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  };
}

Deno.test("trigger: every event kind is signed correctly and applied", async () => {
  const h = await startHarness();
  try {
    await h.sql`update public.plans set tribute_product_id = 456 where code = 'month'`;
    for (const event of TRIGGER_EVENTS) {
      const r = await trigger([event, "--user", "777001", "--url", h.url, "--secret", TRIBUTE_KEY]);
      assert.equal(r.code, 0, r.text);
      assert.match(r.text, /\n200 /, `${event}: ${r.text}`);
    }
    const names = await h.sql`select name, status from public.webhook_events order by id`;
    assert.deepEqual(names.map((n) => [n.name, n.status]), TRIGGER_EVENTS.map((e) => [e, "processed"]));
    const [sub] = await h
      .sql`select status, auto_renew from public.subscriptions where provider = 'tribute' and kind = 'subscription'`;
    assert.deepEqual([sub.status, sub.auto_renew], ["cancelled", false]);
    const [purchase] = await h.sql`select status from public.subscriptions where kind = 'purchase'`;
    assert.equal(purchase.status, "refunded");

    // the wrong key is refused by the handler (and the script exits non-zero)
    const bad = await trigger([
      "new_subscription",
      "--user",
      "777002",
      "--url",
      h.url,
      "--secret",
      "wrong-key",
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.text, /\n401 /);
  } finally {
    await h.close();
  }
});
