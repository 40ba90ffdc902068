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
