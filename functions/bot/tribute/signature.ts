// Tribute signs every webhook with `trbt-signature`: lowercase hex HMAC-SHA256 of the raw request body,
// keyed with the creator's API key (CONTRACT §5). We verify against the exact bytes received — never a
// re-serialised JSON object, whose key order or whitespace could differ from what Tribute signed.

import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

/** SHA-256 output is 32 bytes, so a well-formed header is exactly 64 hex characters. */
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

// node:crypto's HMAC is synchronous and cheap for a webhook-sized body; WebCrypto's sign is an async
// op with a thread hop per call, a visible share of a webhook's CPU in the bench profile.
function hmacSha256(data: Uint8Array, key: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(data).digest());
}

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
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
  // both 32 bytes (HEX_SIGNATURE): a constant-time comparison of equal lengths
  const expected = createHmac("sha256", apiKey).update(rawBody).digest();
  return Promise.resolve(timingSafeEqual(expected, Buffer.from(given, "hex")));
}
