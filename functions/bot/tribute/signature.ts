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
 * is first seen, and each body only copies them into one reused instance and writes the MAC into one
 * reused buffer, compared as bytes (a fresh clone and a hex string per body made a check 5.9–6.7 µs in
 * a loop; this, 3.4–4.1). node:crypto's createHmac set the key up again for every body (and allocated
 * buffers doing it), which made the check about a tenth of an acknowledgement's JavaScript in the bench
 * profile; WebCrypto's sign is an async op with a thread hop per call.
 */
type Mac = ReturnType<typeof hmac.create>;
let keyed: { key: string; mac: Mac; scratch?: Mac; out: Uint8Array } | undefined;
/** The MAC of `data`, in a buffer the next call overwrites: read it before calling again. */
function hmacSha256(data: Uint8Array, key: string): Uint8Array {
  if (keyed?.key !== key) {
    keyed = { key, mac: hmac.create(sha256, encoder.encode(key)), out: new Uint8Array(32) };
  }
  const k = keyed;
  k.scratch = k.mac._cloneInto(k.scratch);
  k.scratch.update(data).digestInto(k.out);
  return k.out;
}

/** The value of a lowercase hex digit's character code (0-9: 48-57, a-f: 97-102). */
const hexDigit = (code: number) => code < 58 ? code - 48 : code - 87;

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
  // 64 lowercase hex digits (HEX_SIGNATURE) read as 32 bytes and compared in full whatever differs, so
  // the time taken says nothing about how much of a forged signature was right
  const expected = hmacSha256(rawBody, apiKey);
  let diff = 0;
  for (let i = 0; i < 32; i++) {
    diff |= expected[i] ^ ((hexDigit(given.charCodeAt(2 * i)) << 4) | hexDigit(given.charCodeAt(2 * i + 1)));
  }
  return Promise.resolve(diff === 0);
}
