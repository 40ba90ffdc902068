// Logs are one JSON object per line (CONTRACT section 4), from the first line on: the function served as
// `npm start` serves it (scripts/serve.ts, local placeholders for what is missing), through health, an
// unauthenticated request and a Telegram update grammY handles. grammY's Node build loads node-fetch,
// whose dependencies require Node's deprecated `punycode`: functions/bot/node_warnings.ts keeps that
// non-JSON DeprecationWarning out of stderr.
import assert from "node:assert/strict";
import { messageUpdate, startFakeTelegram } from "../support/fake_telegram.ts";
import { adminSql, DATABASE_URL, resetDb } from "../support/harness.ts";
import { freePort, spawnServe } from "../support/scripts.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (
    const chunk of stream.pipeThrough(
      new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
    )
  ) text += chunk;
  return text;
}

Deno.test("logs: every stdout and stderr line of the served function is one JSON object", opts, async () => {
  const sql = adminSql();
  const telegram = startFakeTelegram({ token: "123456:local-placeholder-token" });
  const port = freePort();
  const url = `http://127.0.0.1:${port}/functions/v1/bot`;
  await resetDb(sql);
  const server = spawnServe(port, { DATABASE_URL, TELEGRAM_API_ROOT: telegram.apiRoot });
  const stdout = readAll(server.stdout);
  const stderr = readAll(server.stderr);
  try {
    let up = false;
    for (let i = 0; i < 150 && !up; i++) {
      up = await fetch(url).then(async (r) => (await r.body?.cancel(), r.ok)).catch(() => false);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(up, "the function did not answer health");

    const refused = await fetch(url, { method: "POST", body: "{}" });
    await refused.body?.cancel();
    assert.equal(refused.status, 401);

    // a Telegram update (placeholder webhook secret): grammY runs and calls the (fake) Bot API
    const update = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": "local-webhook-secret",
      },
      body: JSON.stringify(messageUpdate({ from: { id: 7001, first_name: "Ann" }, text: "/start" })),
    });
    await update.body?.cancel();
    assert.equal(update.status, 200);
    assert.ok(telegram.callsOf("sendMessage").length >= 1, "grammY answered /start");
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await telegram.close();
    await sql.end();
  }

  const out = await stdout;
  const err = await stderr;
  const lines = [...out.split("\n"), ...err.split("\n")].filter((l) => l.trim() !== "");
  const notJson = lines.filter((l) => {
    try {
      const v = JSON.parse(l);
      return typeof v !== "object" || v === null || Array.isArray(v);
    } catch {
      return true;
    }
  });
  assert.deepEqual(notJson, [], `non-JSON log lines:\n${notJson.join("\n")}`);
  assert.doesNotMatch(out + err, /punycode|DEP0040/);
  const logged = lines.map((l) => JSON.parse(l) as { msg: string; route?: string; local_default?: string });
  assert.ok(logged.some((l) => l.local_default === "TELEGRAM_BOT_TOKEN"), "placeholders announced");
  assert.ok(logged.some((l) => l.msg === "request" && l.route === "health"), "the health request was logged");
});
