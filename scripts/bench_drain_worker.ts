/**
 * One broadcast drain in its own Worker (own thread and event loop), for `npm run bench`: three of them
 * stand for three edge function instances, and the fake Bot API in the main thread timestamps arrivals
 * without waiting behind the drains' work.
 */
import { parseConfig } from "../functions/bot/config.ts";
import { createPostgresDb } from "../functions/bot/db/postgres.ts";
import { memoryLogger } from "../functions/bot/log.ts";
import { drainBroadcasts } from "../functions/bot/outbox/paced.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ url: string; apiRoot: string }>) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event) => {
  const { url, apiRoot } = event.data;
  const config = parseConfig({
    TELEGRAM_BOT_TOKEN: "1:bench",
    TELEGRAM_WEBHOOK_SECRET: "bench",
    TELEGRAM_API_ROOT: apiRoot,
    TRIBUTE_API_KEY: "bench-key",
    CRON_SECRET: "bench",
    DATABASE_URL: url,
  });
  const db = createPostgresDb(url);
  try {
    const counts = await drainBroadcasts({ config, db, log: memoryLogger() }, { budgetMs: 3_600_000 });
    scope.postMessage({ ok: true, counts });
  } catch (err) {
    scope.postMessage({ ok: false, error: String(err) });
  } finally {
    await db.close();
    scope.close();
  }
};
