// Tribute signs every webhook with `trbt-signature`: lowercase hex HMAC-SHA256 of the raw request body,
// keyed with the creator's API key (CONTRACT §5). We verify against the exact bytes received — never a
// re-serialised JSON object, whose key order or whitespace could differ from what Tribute signed.

import { constantTimeEqual } from "../http.ts";

const encoder = new TextEncoder();

/** SHA-256 output is 32 bytes, so a well-formed header is exactly 64 hex characters. */
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

async function hmacSha256(data: Uint8Array, key: string): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    encoder.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  // Copy into a fresh ArrayBuffer-backed view: WebCrypto rejects views over SharedArrayBuffer.
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, new Uint8Array(data)));
}

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Caller guarantees `hex` matched HEX_SIGNATURE (even length, hex digits only). */
function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Lowercase hex HMAC-SHA256 of the body, exactly as Tribute computes `trbt-signature`. */
export async function signTributeBody(rawBody: Uint8Array | string, apiKey: string): Promise<string> {
  const bytes = typeof rawBody === "string" ? encoder.encode(rawBody) : rawBody;
  return toHex(await hmacSha256(bytes, apiKey));
}

/**
 * True only when `signatureHeader` is the HMAC of `rawBody` under `apiKey`. Uppercase hex and
 * surrounding whitespace are tolerated (proxies and hand-made test requests vary); anything else
 * malformed — missing, truncated, non-hex — is simply false, never an exception.
 */
export async function verifyTributeSignature(
  rawBody: Uint8Array,
  signatureHeader: string | null,
  apiKey: string,
): Promise<boolean> {
  // An unset key must not become a well-known key that anyone can sign with.
  if (!apiKey || signatureHeader === null) return false;
  const given = signatureHeader.trim().toLowerCase();
  if (!HEX_SIGNATURE.test(given)) return false;
  const expected = await hmacSha256(rawBody, apiKey);
  return constantTimeEqual(expected, fromHex(given));
}
