import { Api } from "grammy";
import type { Config } from "../config.ts";

/**
 * A grammY Bot API client pointed at TELEGRAM_API_ROOT. No auto-retry here: the outbox owns retries
 * (it honours 429 retry_after by rescheduling the row instead of sleeping inside a request).
 */
export function createBotApi(config: Config): Api {
  return new Api(config.telegramBotToken, { apiRoot: config.telegramApiRoot, fetch: botApiFetch });
}

/**
 * The fetch grammY uses for the Bot API: the runtime's own. grammY's npm build defaults to node-fetch
 * over Deno's node:http layer, which cost more CPU per Bot API call than the whole SQL transaction of
 * an event (bench CPU profile); it also hands over a polyfilled AbortSignal, mapped here to a native one.
 */
export const botApiFetch: typeof fetch = (input, init) => {
  if (!init) return fetch(input);
  const { signal, body, ...rest } = init as RequestInit & { body?: unknown };
  let nativeSignal: AbortSignal | undefined;
  if (signal instanceof AbortSignal) nativeSignal = signal;
  else if (signal) {
    const controller = new AbortController();
    const polyfill = signal as unknown as {
      aborted: boolean;
      addEventListener(t: string, f: () => void): void;
    };
    if (polyfill.aborted) controller.abort();
    else polyfill.addEventListener("abort", () => controller.abort());
    nativeSignal = controller.signal;
  }
  // JSON payloads are strings; a multipart upload arrives as an async iterable of chunks
  const nativeBody =
    body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array
      ? body as BodyInit | null | undefined
      : ReadableStream.from(body as AsyncIterable<Uint8Array>);
  return fetch(input, { ...rest, body: nativeBody, signal: nativeSignal });
};
