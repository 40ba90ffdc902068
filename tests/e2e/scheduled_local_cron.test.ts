// The local stand-ins for production: scripts/serve.ts (the function on 127.0.0.1, placeholders for
// missing config) and scripts/local_cron.ts (calls the scheduled route with X-Cron-Secret).
import assert from "node:assert/strict";
import { startFakeTelegram } from "../support/fake_telegram.ts";
import { adminSql, DATABASE_URL, resetDb } from "../support/harness.ts";
import { awayFromMinuteBoundary, insertSubscription } from "../support/jobs_fixtures.ts";
import { freePort, runScript, spawnServe } from "../support/scripts.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "serve + local_cron: placeholders announced, /functions/v1/bot and what lies under it only, the cron call reports counts",
  opts,
  async () => {
    const sql = adminSql();
    const telegram = startFakeTelegram();
    const port = freePort();
    const url = `http://127.0.0.1:${port}/functions/v1/bot`;
    const server = spawnServe(port, { DATABASE_URL, TELEGRAM_API_ROOT: telegram.apiRoot });
    const output: string[] = [];
    const reader = server.stdout.pipeThrough(
      new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>,
    ).getReader();
    const collecting = (async () => {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        output.push(value);
      }
    })();
    try {
      await resetDb(sql);
      await awayFromMinuteBoundary(15); // pg_cron's own expiry must not take the row first
      await insertSubscription(sql, { user: 5001, expiresIn: "-1 minute" });

      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await fetch(url).then(async (r) => (await r.body?.cancel(), r.ok)).catch(() => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(up, `server did not come up:\n${output.join("")}`);
      // one JSON log line per placeholder (tests/e2e/json_logs.test.ts checks every line is JSON)
      const announced = output.join("").split("\n").filter((l) => l.includes('"local_default"'))
        .map((l) => JSON.parse(l) as { msg: string; local_default: string });
      for (
        const name of ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TRIBUTE_API_KEY", "CRON_SECRET"]
      ) {
        const line = announced.find((l) => l.local_default === name);
        assert.match(line?.msg ?? "", new RegExp(`^${name}: placeholder`), name);
      }
      assert.ok(!announced.some((l) => l.local_default === "DATABASE_URL"), "DATABASE_URL was given");

      const other = await fetch(`http://127.0.0.1:${port}/somewhere/else`);
      await other.body?.cancel();
      assert.equal(other.status, 404);
      // what lies under the function is the function's: the Mini App page
      const page = await fetch(`http://127.0.0.1:${port}/functions/v1/bot/app`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      await page.body?.cancel();

      // wrong secret: the route refuses, and local_cron says so with a non-zero exit
      const refused = await runScript("scripts/local_cron.ts", [
        "--once",
        "--url",
        url,
        "--env-file",
        "/nonexistent/.env",
      ], {
        CRON_SECRET: "not-the-one",
      });
      assert.equal(refused.code, 1);
      assert.equal(JSON.parse(refused.stdout.trim()).status, 401);

      // same default secret as serve.ts: accepted, one JSON line with the counts
      const r = await runScript("scripts/local_cron.ts", [
        "--once",
        "--url",
        url,
        "--env-file",
        "/nonexistent/.env",
      ], {});
      assert.equal(r.code, 0, r.output);
      const line = JSON.parse(r.stdout.trim());
      assert.equal(line.status, 200);
      assert.equal(line.body.ok, true);
      assert.equal(line.body.expired, 1);
      assert.equal(typeof line.body.outbox.claimed, "number");
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await collecting.catch(() => {});
      await server.stderr.cancel().catch(() => {});
      await telegram.close();
      await sql.end();
    }
  },
);
