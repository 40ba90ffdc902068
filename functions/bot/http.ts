/** Small Web-platform helpers shared by the routes. */
import type { LogFields } from "./log.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
}

/** Reads the body as bytes, refusing (without buffering it all) anything over `limit`. */
export async function readBodyLimited(request: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError();
  if (!request.body) return new Uint8Array();
  if (Number.isFinite(declared)) {
    // The usual case (Telegram and Tribute send Content-Length): HTTP framing stops the body at the
    // declared length, so it is read in one go, without a stream reader and a promise per chunk. The
    // check after it only matters for a Request built in-process with a header that lies.
    const body = await request.bytes();
    if (body.byteLength > limit) throw new BodyTooLargeError();
    return body;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * No sender we serve nests JSON deeply (Tribute envelopes ~3 levels, Telegram updates ~10). A deeper
 * body is refused like unparsable JSON: serialising it again (logs, jsonb) would recurse that deep.
 */
export const MAX_JSON_DEPTH = 64;

// stateless between calls (no `stream` option), so one instance serves every request
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function parseJsonBody(body: Uint8Array): JsonParse {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    return { ok: false, error: "body is not valid JSON" };
  }
  if (jsonTextDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return { ok: false, error: `body is nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  return { ok: true, value };
}

/** Nesting depth of a parsed JSON value (a scalar is 0), counted without recursion, stopping past `limit`. */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth]);
    }
  }
  return max;
}

/**
 * The same depth as jsonDepth, read off the bytes of a JSON text that parsed: the deepest nesting of
 * brackets and braces outside strings. No allocation (jsonDepth builds a stack entry and a list of
 * children per object), and a UTF-8 byte of a multi-byte character is never one of these ASCII bytes.
 */
export function jsonTextDepth(text: Uint8Array, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const b = text[i];
    if (inString) {
      if (b === 0x5c) i++; // backslash: the next byte is escaped
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return max;
}

/**
 * What a route wants said in its request's log line (an event id, an outcome): each request is logged
 * once, by the handler, with these fields added. One line per request rather than one per step keeps
 * the log readable and its cost per request low (a line is a synchronous write).
 */
const logFields = new WeakMap<Response, LogFields>();
export function withLogFields(response: Response, fields: LogFields): Response {
  logFields.set(response, fields);
  return response;
}
export function logFieldsOf(response: Response): LogFields | undefined {
  return logFields.get(response);
}

export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * Compares every byte and accumulates differences, so the time taken does not reveal how long a
 * matching prefix an attacker has guessed (a length difference is not secret and answers at once).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Constant-time string comparison (length leaks, content does not). */
const encoder = new TextEncoder();

export function safeEqual(a: string, b: string): boolean {
  return constantTimeEqual(encoder.encode(a), encoder.encode(b));
}
