import { z } from "zod";

/**
 * The environment, parsed once (CONTRACT section 3). A missing or malformed variable fails at start
 * with one line per variable, naming it; values are never echoed (they may be secrets).
 */
/**
 * Postgres connections per instance for requests (DATABASE_URL transport; background work has 2 more).
 * Few on purpose: a call is a short transaction, a small machine runs a handful of backends at once
 * best, and postgres.js pipelines what arrives while all are busy instead of opening more.
 */
export const DEFAULT_DB_POOL_MAX = 4;

const idList = z.string().trim().transform((value, ctx) => {
  if (value === "") return [] as number[];
  const ids = value.split(",").map((part) => part.trim()).filter(Boolean).map(Number);
  if (ids.some((id) => !Number.isSafeInteger(id))) {
    ctx.addIssue({ code: "custom", message: "must be comma-separated numeric Telegram user ids" });
    return z.NEVER;
  }
  return ids;
});

const httpUrl = z.string().trim().url("must be an http(s) URL").refine((u) => /^https?:\/\//.test(u), {
  message: "must be an http(s) URL",
}).transform((u) => u.replace(/\/+$/, ""));

const secret = (what: string) =>
  z.string({ error: `is required (${what})` }).trim().min(1, `is required (${what})`);

const boolFlag = z.enum(["true", "false", "1", "0", "yes", "no", ""]).transform((v) =>
  ["true", "1", "yes"].includes(v)
);

export const configSchema = z.object({
  TELEGRAM_BOT_TOKEN: secret("the bot token from @BotFather").regex(
    /^\d+:[\w-]+$/,
    "does not look like a bot token",
  ),
  TELEGRAM_WEBHOOK_SECRET: secret("any random string; Telegram echoes it in X-Telegram-Bot-Api-Secret-Token")
    .regex(/^[A-Za-z0-9_-]{1,256}$/, "may contain only A-Z, a-z, 0-9, _ and - (Telegram's rule)"),
  TELEGRAM_API_ROOT: httpUrl.default("https://api.telegram.org"),
  TRIBUTE_API_KEY: secret("Tribute dashboard > Settings > API Keys"),
  TRIBUTE_API_URL: httpUrl.default("https://tribute.tg/api/v1"),
  ADMIN_TELEGRAM_IDS: idList.default([]),
  PAID_CHAT_ID: z.string().trim().regex(
    /^-?\d+(\s*,\s*-?\d+)*$/,
    "must be numeric chat ids like -1001234567890, comma-separated for several paid chats",
  ).optional()
    .or(z.literal("").transform(() => undefined)),
  CRON_SECRET: secret("any random string; pg_cron sends it as X-Cron-Secret"),
  DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL").optional(),
  SUPABASE_DB_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL").optional(),
  SUPABASE_URL: httpUrl.optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().trim().min(1).optional(),
  PUBLIC_URL: httpUrl.optional(),
  REMIND_AUTO_RENEW: boolFlag.default(false),
  OUTBOX_BATCH: z.coerce.number().int().min(1).max(500).default(50),
  // postgres.js connections per instance (DATABASE_URL transport): sized to the concurrency one
  // instance serves, so requests do not queue for a connection (bench: 16 and 64 concurrent)
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(DEFAULT_DB_POOL_MAX),
});

type Parsed = z.infer<typeof configSchema>;

export type DbTarget =
  | { kind: "postgres"; url: string }
  | { kind: "supabase"; url: string; serviceRoleKey: string };

export interface Config {
  telegramBotToken: string;
  telegramWebhookSecret: string;
  telegramApiRoot: string;
  tributeApiKey: string;
  tributeApiUrl: string;
  adminIds: number[];
  /** The paid chats (PAID_CHAT_ID, comma-separated); empty: access is only a status. */
  paidChatIds: number[];
  cronSecret: string;
  db: DbTarget;
  publicUrl: string | null;
  remindAutoRenew: boolean;
  outboxBatch: number;
  /** postgres.js pool size of the DATABASE_URL transport */
  dbPoolMax: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

export const LOCAL_DATABASE_URL = "postgresql://postgres:postgres@127.0.0.1:54322/postgres";

/** Reads a plain record (Deno.env.toObject(), a test's literal). Throws ConfigError listing every problem. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.keys(configSchema.shape).map((
      key,
    ) => [key, env[key] === "" && key !== "ADMIN_TELEGRAM_IDS" ? undefined : env[key]]),
  );
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      `${String(issue.path[0] ?? "config")}: ${issue.message}`
    );
    throw new ConfigError([...new Set(problems)]);
  }
  const c: Parsed = result.data;
  // Precedence: an explicit DATABASE_URL; else, on Supabase (which injects SUPABASE_URL, the service
  // key and SUPABASE_DB_URL into every function) PostgREST RPC, which needs no connection pool in a
  // short-lived isolate; else SUPABASE_DB_URL; else the local stack.
  let db: DbTarget;
  if (c.DATABASE_URL) db = { kind: "postgres", url: c.DATABASE_URL };
  else if (c.SUPABASE_URL && c.SUPABASE_SERVICE_ROLE_KEY) {
    db = { kind: "supabase", url: c.SUPABASE_URL, serviceRoleKey: c.SUPABASE_SERVICE_ROLE_KEY };
  } else if (c.SUPABASE_DB_URL) db = { kind: "postgres", url: c.SUPABASE_DB_URL };
  else if (c.SUPABASE_URL || c.SUPABASE_SERVICE_ROLE_KEY) {
    throw new ConfigError([
      c.SUPABASE_URL
        ? "SUPABASE_SERVICE_ROLE_KEY: is required with SUPABASE_URL"
        : "SUPABASE_URL: is required with SUPABASE_SERVICE_ROLE_KEY",
    ]);
  } else db = { kind: "postgres", url: LOCAL_DATABASE_URL };
  return {
    telegramBotToken: c.TELEGRAM_BOT_TOKEN,
    telegramWebhookSecret: c.TELEGRAM_WEBHOOK_SECRET,
    telegramApiRoot: c.TELEGRAM_API_ROOT,
    tributeApiKey: c.TRIBUTE_API_KEY,
    tributeApiUrl: c.TRIBUTE_API_URL,
    adminIds: c.ADMIN_TELEGRAM_IDS,
    paidChatIds: c.PAID_CHAT_ID ? [...new Set(c.PAID_CHAT_ID.split(",").map((id) => Number(id.trim())))] : [],
    cronSecret: c.CRON_SECRET,
    db,
    // on Supabase the function's public URL follows from the project URL
    publicUrl: c.PUBLIC_URL ?? (c.SUPABASE_URL ? `${c.SUPABASE_URL}/functions/v1/bot` : null),
    remindAutoRenew: c.REMIND_AUTO_RENEW,
    outboxBatch: c.OUTBOX_BATCH,
    dbPoolMax: c.DB_POOL_MAX,
  };
}
