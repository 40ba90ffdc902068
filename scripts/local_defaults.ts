/**
 * Safe local defaults for the scripts that run the function on this machine (serve, local_cron,
 * trigger): `npm start` works with no configuration at all, and says which values are placeholders.
 * None of these is ever used by deploy.
 */
import { LOCAL_DATABASE_URL } from "../functions/bot/config.ts";

export const LOCAL_FUNCTION_PORT = 54321;
export const LOCAL_FUNCTION_PATH = "/functions/v1/bot";
export const LOCAL_FUNCTION_URL = `http://127.0.0.1:${LOCAL_FUNCTION_PORT}${LOCAL_FUNCTION_PATH}`;
export { LOCAL_DATABASE_URL };

/** Placeholder values for the required variables (they only work against local fakes). */
export const LOCAL_DEFAULTS = {
  TELEGRAM_BOT_TOKEN: "123456:local-placeholder-token",
  TELEGRAM_WEBHOOK_SECRET: "local-webhook-secret",
  TRIBUTE_API_KEY: "local-tribute-key",
  CRON_SECRET: "local-cron-secret",
  DATABASE_URL: LOCAL_DATABASE_URL,
} as const;

export type LocalDefaultName = keyof typeof LOCAL_DEFAULTS;

/** Why each default is harmless / what to set instead, for the one line printed per default used. */
const NOTES: Record<LocalDefaultName, string> = {
  TELEGRAM_BOT_TOKEN: "placeholder: Telegram calls will fail; set your bot token from @BotFather in .env",
  TELEGRAM_WEBHOOK_SECRET: "placeholder: fine locally; deploy needs your own random value",
  TRIBUTE_API_KEY: "placeholder: signs local test events (npm run trigger); set your Tribute API key in .env",
  CRON_SECRET: "placeholder: fine locally; deploy needs your own random value",
  DATABASE_URL: "local default: the Postgres of npm start (127.0.0.1:54322)",
};

/**
 * Fills the variables the environment/.env leave empty. DATABASE_URL is only defaulted when no other
 * database target (SUPABASE_DB_URL, or SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY) is configured.
 */
export function withLocalDefaults(
  env: Record<string, string | undefined>,
): { env: Record<string, string>; used: Array<{ name: LocalDefaultName; note: string }> } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  const used: Array<{ name: LocalDefaultName; note: string }> = [];
  const has = (k: string) => (out[k] ?? "").trim() !== "";
  for (const name of Object.keys(LOCAL_DEFAULTS) as LocalDefaultName[]) {
    if (has(name)) continue;
    if (
      name === "DATABASE_URL" &&
      (has("SUPABASE_DB_URL") || (has("SUPABASE_URL") && has("SUPABASE_SERVICE_ROLE_KEY")))
    ) continue;
    out[name] = LOCAL_DEFAULTS[name];
    used.push({ name, note: NOTES[name] });
  }
  return { env: out, used };
}

/** The required values that are npm start's placeholders, whether filled in by default or set to them. */
export function placeholderNames(env: Record<string, string | undefined>): LocalDefaultName[] {
  return (Object.keys(LOCAL_DEFAULTS) as LocalDefaultName[])
    .filter((name) => name !== "DATABASE_URL" && env[name] === LOCAL_DEFAULTS[name]);
}

/** A Postgres URL whose host is this machine (127.0.0.1, ::1, localhost). */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    return host === "127.0.0.1" || host === "localhost" || host === "::1";
  } catch {
    return false;
  }
}

/**
 * The URL to give the Supabase CLI's `--db-url`: the local Postgres has no TLS, and the CLI assumes TLS
 * for any database but the one on its own default port (54322) unless the URL says `sslmode=disable`
 * (scripts/stack.sh's cli_db_url is the same rule in shell).
 */
export function cliDatabaseUrl(url: string): string {
  if (url.includes("sslmode=") || !isLoopbackUrl(url)) return url;
  return `${url}${url.includes("?") ? "&" : "?"}sslmode=disable`;
}

/**
 * Whether a configuration targets the local stack: its database URL (DATABASE_URL, else SUPABASE_DB_URL)
 * is on this machine, or no database or Supabase project is configured at all (npm start's defaults).
 */
export function isLocalSetup(env: Record<string, string | undefined>): boolean {
  const has = (k: string) => (env[k] ?? "").trim() !== "";
  const db = has("DATABASE_URL") ? env.DATABASE_URL! : has("SUPABASE_DB_URL") ? env.SUPABASE_DB_URL! : "";
  if (db) return isLoopbackUrl(db);
  return !has("SUPABASE_URL") && !has("SUPABASE_SERVICE_ROLE_KEY") && !has("SUPABASE_PROJECT_REF");
}
