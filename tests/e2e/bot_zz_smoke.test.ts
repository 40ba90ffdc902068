import assert from "node:assert/strict";
import { messageUpdate } from "/work/main/tests/support/fake_telegram.ts";
import { send, sentTexts, withHarness } from "/work/main/tests/e2e/bot_helpers.ts";
Deno.test("smoke", async () => {
  await withHarness(async (h) => {
    await send(h, messageUpdate({ from: { id: 5001 }, text: "/start" }));
    console.log(h.telegram.calls.map((c) => c.method), sentTexts(h));
    console.log(h.logs);
  });
});
