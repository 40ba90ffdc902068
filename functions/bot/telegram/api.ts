import { Api } from "grammy";
import type { Config } from "../config.ts";

/**
 * A grammY Bot API client pointed at TELEGRAM_API_ROOT. No auto-retry here: the outbox owns retries
 * (it honours 429 retry_after by rescheduling the row instead of sleeping inside a request).
 */
export function createBotApi(config: Config): Api {
  return new Api(config.telegramBotToken, { apiRoot: config.telegramApiRoot });
}
