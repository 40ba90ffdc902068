import { Api, HttpError, InputFile, type Transformer } from "grammy";
import type { Config } from "../config.ts";

/**
 * A grammY Bot API client pointed at TELEGRAM_API_ROOT. No auto-retry here: the outbox owns retries
 * (it honours 429 retry_after by rescheduling the row instead of sleeping inside a request).
 */
export function createBotApi(config: Config): Api {
  const api = new Api(config.telegramBotToken, { apiRoot: config.telegramApiRoot, fetch: botApiFetch });
  api.config.use(directJsonCalls(config.telegramApiRoot, config.telegramBotToken));
  return api;
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

const JSON_HEADERS = { "content-type": "application/json" };

/** grammY's JSON encoding of a payload: null fields are left out, as undefined ones are. */
const dropNulls = (_key: string, value: unknown) => value ?? undefined;

/** Does the payload carry a file (somewhere inside), so that it must go as multipart form data? */
function hasUpload(value: unknown): boolean {
  if (value instanceof InputFile) return true;
  if (value === null || typeof value !== "object") return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (hasUpload(v)) return true;
  return false;
}

/**
 * The innermost transformer of a Bot API client (install it before any other): sends a JSON call
 * with one `fetch` and returns Telegram's answer as grammY's own client would. That client spends, per
 * call, more than the request itself on this loopback path: a polyfilled AbortController, a Node timer
 * for its 500 s timeout, a stream-error promise and a race of three promises (bench CPU and allocation
 * profiles of `/status`). The request is the same (POST, JSON, nulls left out), and so are the errors: a
 * Telegram error answer is returned for grammY to turn into a GrammyError, a network failure or a body
 * that is not JSON becomes an HttpError whose message has no URL (the URL holds the token). Payloads
 * with a file go through grammY unchanged.
 */
export function directJsonCalls(apiRoot: string, token: string): Transformer {
  const base = `${apiRoot}/bot${token}/`;
  return async (prev, method, payload, signal) => {
    if (hasUpload(payload)) return await prev(method, payload, signal);
    try {
      const res = await botApiFetch(base + method, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify(payload ?? {}, dropNulls),
        // grammY types the signal with its Node shim; botApiFetch takes either kind
        signal: signal as unknown as AbortSignal | undefined,
      });
      return await res.json();
    } catch (err) {
      throw new HttpError(`Network request for '${method}' failed!`, err);
    }
  };
}
