/**
 * Test harness: the real handler served over real HTTP (Deno.serve on an ephemeral port), the real
 * local Postgres, and fakes only for the outside world (Bot API, Tribute API), which record calls.
 */
import postgres from "postgres";
import { createAppDeps } from "../../functions/bot/app.ts";
import { type Config, parseConfig } from "../../functions/bot/config.ts";
import type { Db } from "../../functions/bot/db/port.ts";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { createHandler } from "../../functions/bot/handler.ts";
import { memoryLogger } from "../../functions/bot/log.ts";
import { signTributeBody } from "../../functions/bot/tribute/signature.ts";
import { type FakeTelegram, startFakeTelegram } from "./fake_telegram.ts";
import { startFakeTribute } from "./fake_tribute.ts";

export const DATABASE_URL = Deno.env.get("DATABASE_URL") ??
  "postgresql://postgres:postgres@127.0.0.1:54322/postgres";
export const BOT_TOKEN = "123456:TEST-token_abc";
export const WEBHOOK_SECRET = "tg-secret_123";
export const TRIBUTE_KEY = "tribute-test-key";
export const CRON_SECRET = "cron-secret-xyz";
export const ADMIN_ID = 9001;
export const PAID_CHAT_ID = -1001234567890;

/** Direct SQL for arranging and asserting database state (as the postgres superuser). */
/**
 * A signed-to-be `new_subscription` (or another subscription event) for `user`, whose subscription id is
 * the user's: created a minute ago, 30 days paid, 7.00 EUR. What the inbox and burst tests send.
 */
export function subscriptionEnvelope(
  user: number,
  o: { name?: string; createdAt?: string; expiresAt?: string } = {},
) {
  return {
    name: o.name ?? "new_subscription",
    created_at: o.createdAt ?? new Date(Date.now() - 60_000).toISOString(),
    sent_at: new Date().toISOString(),
    payload: {
      subscription_id: user,
      telegram_user_id: user,
      amount: 700,
      currency: "eur",
      expires_at: o.expiresAt ?? new Date(Date.now() + 30 * 86_400_000).toISOString(),
    },
  };
}

export function adminSql() {
  return postgres(DATABASE_URL, { max: 2, onnotice: () => {}, types: { bigint: postgres.BigInt } });
}

/** Empties every data table (plans are re-seeded to the example set). */
export async function resetDb(sql: postgres.Sql) {
  await sql`truncate public.outbox, public.payments, public.webhook_events, public.tribute_inbox, public.subscriptions, public.users,
                     public.admin_actions, public.plans, public.access_adjustments, public.user_access,
                     public.bot_texts, public.support_threads, public.support_messages, public.broadcasts,
                     public.broadcast_pace,
                     public.access_codes, public.code_redemptions, public.code_attempts restart identity cascade`;
  await sql.file(new URL("../../supabase/seed.sql", import.meta.url).pathname);
}

export interface Harness {
  url: string;
  config: Config;
  db: Db;
  sql: postgres.Sql;
  telegram: FakeTelegram;
  tribute: Awaited<ReturnType<typeof startFakeTribute>>;
  logs: string[];
  /** the raw handler, for calls without HTTP */
  handle: (request: Request) => Promise<Response>;
  /** waits for background work (outbox delivery after a request) to finish */
  settle(): Promise<void>;
  postTribute(body: unknown, opts?: { signature?: string | null; raw?: string }): Promise<Response>;
  postUpdate(update: unknown, opts?: { secret?: string }): Promise<Response>;
  postCron(opts?: { secret?: string; body?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
  opts: { reset?: boolean; db?: Db } = {},
): Promise<Harness> {
  const sql = adminSql();
  if (opts.reset !== false) await resetDb(sql);
  const telegram = startFakeTelegram();
  const tribute = await startFakeTribute({ apiKey: TRIBUTE_KEY });
  const config = parseConfig({
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TRIBUTE_API_KEY: TRIBUTE_KEY,
    TRIBUTE_API_URL: tribute.url,
    ADMIN_TELEGRAM_IDS: String(ADMIN_ID),
    PAID_CHAT_ID: String(PAID_CHAT_ID),
    CRON_SECRET,
    DATABASE_URL,
    PUBLIC_URL: "https://example.supabase.co/functions/v1/bot",
    ...env,
  });
  const logger = memoryLogger();
  const db = opts.db ?? createPostgresDb(config.db.kind === "postgres" ? config.db.url : DATABASE_URL);
  const deps = createAppDeps(config, { db, log: logger });
  const handle = createHandler(deps);
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handle);
  const url = `http://127.0.0.1:${server.addr.port}/functions/v1/bot`;

  const post = (headers: Record<string, string>, body: string) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  return {
    url,
    config,
    db,
    sql,
    telegram,
    tribute,
    logs: logger.lines,
    handle,
    settle: deps.settle,
    async postTribute(body, o = {}) {
      const raw = o.raw ?? JSON.stringify(body);
      const signature = o.signature === undefined ? await signTributeBody(raw, TRIBUTE_KEY) : o.signature;
      return post(signature === null ? {} : { "trbt-signature": signature }, raw);
    },
    postUpdate(update, o = {}) {
      return post({ "X-Telegram-Bot-Api-Secret-Token": o.secret ?? WEBHOOK_SECRET }, JSON.stringify(update));
    },
    postCron(o = {}) {
      return post({ "X-Cron-Secret": o.secret ?? CRON_SECRET }, o.body ?? "{}");
    },
    async close() {
      await deps.settle();
      await server.shutdown();
      await telegram.close();
      await tribute.close();
      await db.close();
      await sql.end();
    },
  };
}
