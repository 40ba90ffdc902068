/**
 * Health checks shared by `npm run doctor` (scripts/doctor.ts) and the admin command /tribute_test:
 * one implementation, two presentations. Every check resolves (never throws) to a CheckResult whose
 * detail is safe to show an admin: no token, key or secret ever appears in it.
 */
import type { Api } from "grammy";
import { GrammyError, HttpError } from "grammy";
import type { Config } from "../config.ts";
import { errorMessage, redactSecrets } from "../log.ts";
import { createBotApi } from "../telegram/api.ts";
import { createTributeApi, TributeApiError, TributeUnreachableError } from "../tribute/api.ts";

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** "✅ detail" / "❌ detail": one line for a chat message. */
export function formatCheck(result: CheckResult): string {
  return `${result.ok ? "✅" : "❌"} ${result.detail}`;
}

/** Where Tribute must send webhooks (PUBLIC_URL; deploy sets it to the function URL). */
export function tributeWebhookUrl(config: Pick<Config, "publicUrl">): string | null {
  return config.publicUrl ?? null;
}

function scrub(text: string, ...secrets: string[]): string {
  return redactSecrets(text, secrets, 4);
}

/** The Tribute API answers a request made with TRIBUTE_API_KEY (GET /products?size=1). */
export async function checkTributeApi(
  config: Pick<Config, "tributeApiKey" | "tributeApiUrl">,
  fetchFn: typeof fetch = fetch,
  opts: { timeoutMs?: number } = {},
): Promise<CheckResult> {
  const name = "tribute api";
  if (!config.tributeApiKey) return { name, ok: false, detail: "TRIBUTE_API_KEY is not set" };
  const api = createTributeApi({
    baseUrl: config.tributeApiUrl,
    apiKey: config.tributeApiKey,
    fetch: fetchFn,
    timeoutMs: opts.timeoutMs ?? 8000,
  });
  try {
    const list = await api.listProducts({ size: 1 });
    const total = list.meta.total ?? list.rows.length;
    return { name, ok: true, detail: `reachable, key accepted (${total} product${total === 1 ? "" : "s"})` };
  } catch (err) {
    let detail: string;
    if (err instanceof TributeApiError) {
      detail = err.status === 401 || err.status === 403
        ? `key rejected (HTTP ${err.status}: ${err.message})`
        : `error (HTTP ${err.status}: ${err.message})`;
    } else if (err instanceof TributeUnreachableError) detail = err.message;
    else detail = `check failed: ${errorMessage(err)}`;
    return { name, ok: false, detail: scrub(detail, config.tributeApiKey) };
  }
}

export interface WebhookInfoSummary {
  url: string;
  pendingUpdateCount: number;
  lastErrorMessage: string | null;
  lastErrorDate: Date | null;
  allowedUpdates: string[] | null;
}

/** How recent a delivery error must be to fail the check (older ones are history). */
const RECENT_ERROR_MS = 60 * 60 * 1000;

/**
 * Telegram `getWebhookInfo`: a webhook is set (to `expectedUrl` when given) and delivered updates
 * without an error in the last hour. The detail names the URL and the last error.
 */
export async function checkTelegramWebhook(
  config: Pick<Config, "telegramBotToken" | "telegramApiRoot" | "publicUrl">,
  opts: { api?: Api; expectedUrl?: string | null; now?: number } = {},
): Promise<CheckResult & { info?: WebhookInfoSummary }> {
  const name = "telegram webhook";
  const api = opts.api ?? createBotApi(config as Config);
  const expected = opts.expectedUrl === undefined ? config.publicUrl : opts.expectedUrl;
  let raw;
  try {
    raw = await api.getWebhookInfo();
  } catch (err) {
    const why = err instanceof GrammyError
      ? `${err.error_code} ${err.description}`
      : err instanceof HttpError
      ? "Bot API unreachable"
      : errorMessage(err);
    return { name, ok: false, detail: scrub(`getWebhookInfo failed: ${why}`, config.telegramBotToken) };
  }
  const info: WebhookInfoSummary = {
    url: raw.url ?? "",
    pendingUpdateCount: raw.pending_update_count ?? 0,
    lastErrorMessage: raw.last_error_message ?? null,
    lastErrorDate: raw.last_error_date ? new Date(raw.last_error_date * 1000) : null,
    allowedUpdates: raw.allowed_updates ?? null,
  };
  const parts: string[] = [];
  let ok = true;
  if (!info.url) {
    ok = false;
    parts.push("no webhook set (run npm run deploy)");
  } else {
    parts.push(`url ${info.url}`);
    if (expected && info.url !== expected) {
      ok = false;
      parts.push(`expected ${expected}`);
    }
  }
  parts.push(`pending ${info.pendingUpdateCount}`);
  if (info.lastErrorMessage) {
    const at = info.lastErrorDate;
    const recent = at !== null && (opts.now ?? Date.now()) - at.getTime() < RECENT_ERROR_MS;
    if (recent) ok = false;
    parts.push(`last error${at ? ` at ${at.toISOString()}` : ""}: ${info.lastErrorMessage}`);
  } else parts.push("no delivery errors");
  return { name, ok, detail: scrub(parts.join(", "), config.telegramBotToken), info };
}

/**
 * Everything /tribute_test shows, ready for `texts.tributeTest(...)`: the webhook URL to paste into
 * Tribute, whether the key is set, the Tribute API check and the Telegram webhook check.
 */
export async function tributeTestReport(
  config: Config,
  fetchFn: typeof fetch = fetch,
  opts: { api?: Api } = {},
): Promise<{ webhookUrl: string | null; apiKeyPresent: boolean; apiReachable: string; webhookInfo: string }> {
  const [tribute, telegram] = await Promise.all([
    checkTributeApi(config, fetchFn),
    checkTelegramWebhook(config, { api: opts.api }),
  ]);
  return {
    webhookUrl: tributeWebhookUrl(config),
    apiKeyPresent: Boolean(config.tributeApiKey),
    apiReachable: formatCheck(tribute),
    webhookInfo: formatCheck(telegram),
  };
}
