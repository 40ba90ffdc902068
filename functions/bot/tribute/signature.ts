// Tribute signs every webhook with `trbt-signature`: lowercase hex HMAC-SHA256 of the raw request body,
// keyed with the creator's API key (CONTRACT §5). We verify against the exact bytes received — never a
// re-serialised JSON object, whose key order or whitespace could differ from what Tribute signed.

import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";

const encoder = new TextEncoder();

/** SHA-256 output is 32 bytes, so a well-formed header is exactly 64 hex characters. */
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * HMAC-SHA256 keyed once per API key: the key's inner and outer hash states are computed when the key
 * is first seen, and each body only clones them. node:crypto's createHmac set the key up again for every
 * body (and allocated buffers doing it), which made the check about a tenth of an acknowledgement's
 * JavaScript in the bench profile; WebCrypto's sign is an async op with a thread hop per call.
 */
let keyed: { key: string; mac: ReturnType<typeof hmac.create> } | undefined;
function hmacSha256(data: Uint8Array, key: string): Uint8Array {
  if (keyed?.key !== key) keyed = { key, mac: hmac.create(sha256, encoder.encode(key)) };
  return keyed.mac.clone().update(data).digest();
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/** Lowercase hex HMAC-SHA256 of the body, exactly as Tribute computes `trbt-signature`. */
export function signTributeBody(rawBody: Uint8Array | string, apiKey: string): Promise<string> {
  const bytes = typeof rawBody === "string" ? encoder.encode(rawBody) : rawBody;
  return Promise.resolve(toHex(hmacSha256(bytes, apiKey)));
}

/**
 * True only when `signatureHeader` is the HMAC of `rawBody` under `apiKey`. Uppercase hex and
 * surrounding whitespace are tolerated (proxies and hand-made test requests vary); anything else
 * malformed — missing, truncated, non-hex — is simply false, never an exception.
 */
export function verifyTributeSignature(
  rawBody: Uint8Array,
  signatureHeader: string | null,
  apiKey: string,
): Promise<boolean> {
  // An unset key must not become a well-known key that anyone can sign with.
  if (!apiKey || signatureHeader === null) return Promise.resolve(false);
  const given = signatureHeader.trim().toLowerCase();
  if (!HEX_SIGNATURE.test(given)) return Promise.resolve(false);
  // both 64 characters (HEX_SIGNATURE): compared in full whatever differs, so the time taken says
  // nothing about how much of a forged signature was right
  const expected = toHex(hmacSha256(rawBody, apiKey));
  let diff = 0;
  for (let i = 0; i < 64; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return Promise.resolve(diff === 0);
}
