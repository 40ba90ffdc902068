import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { signTributeBody, verifyTributeSignature } from "../../functions/bot/tribute/signature.ts";

const KEY = "trb_test_key_0123456789";
const BODY_TEXT =
  '{"name":"new_digital_product","created_at":"2025-03-20T01:15:58.332Z","payload":{"product_id":456,"telegram_user_id":12321321}}';
const BODY = new TextEncoder().encode(BODY_TEXT);

Deno.test("signature: a body signed with the key verifies", async () => {
  const sig = await signTributeBody(BODY, KEY);
  assert.match(sig, /^[0-9a-f]{64}$/);
  assert.equal(await verifyTributeSignature(BODY, sig, KEY), true);
});

Deno.test("signature: matches node:crypto HMAC-SHA256 (known vector)", async () => {
  const expected = createHmac("sha256", KEY).update(BODY_TEXT).digest("hex");
  assert.equal(await signTributeBody(BODY_TEXT, KEY), expected);
  assert.equal(await signTributeBody(BODY, KEY), expected);
  assert.equal(await verifyTributeSignature(BODY, expected, KEY), true);
  // RFC 4231 test case 2, independent of node:crypto.
  assert.equal(
    await signTributeBody("what do ya want for nothing?", "Jefe"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("signature: one flipped byte in the body fails", async () => {
  const sig = await signTributeBody(BODY, KEY);
  for (const i of [0, 17, BODY.length - 1]) {
    const tampered = BODY.slice();
    tampered[i] ^= 0x01;
    assert.equal(await verifyTributeSignature(tampered, sig, KEY), false, `byte ${i}`);
  }
});

Deno.test("signature: a different key fails", async () => {
  const sig = await signTributeBody(BODY, "another_key");
  assert.equal(await verifyTributeSignature(BODY, sig, KEY), false);
});

Deno.test("signature: truncated, extended, non-hex and missing headers fail", async () => {
  const sig = await signTributeBody(BODY, KEY);
  assert.equal(await verifyTributeSignature(BODY, sig.slice(0, 63), KEY), false);
  assert.equal(await verifyTributeSignature(BODY, sig.slice(0, 32), KEY), false);
  assert.equal(await verifyTributeSignature(BODY, sig + "00", KEY), false);
  assert.equal(await verifyTributeSignature(BODY, sig.slice(0, 63) + "g", KEY), false);
  assert.equal(await verifyTributeSignature(BODY, "", KEY), false);
  assert.equal(await verifyTributeSignature(BODY, null, KEY), false);
  assert.equal(await verifyTributeSignature(BODY, `sha256=${sig}`, KEY), false);
});

Deno.test("signature: one changed hex digit in the header fails", async () => {
  const sig = await signTributeBody(BODY, KEY);
  for (const i of [0, 31, 63]) {
    const wrongDigit = sig[i] === "0" ? "1" : "0";
    const bad = sig.slice(0, i) + wrongDigit + sig.slice(i + 1);
    assert.equal(await verifyTributeSignature(BODY, bad, KEY), false, `digit ${i}`);
  }
});

Deno.test("signature: uppercase hex and surrounding whitespace are accepted", async () => {
  const sig = await signTributeBody(BODY, KEY);
  assert.equal(await verifyTributeSignature(BODY, sig.toUpperCase(), KEY), true);
  assert.equal(await verifyTributeSignature(BODY, `  ${sig}\n`, KEY), true);
});

Deno.test("signature: an empty API key never verifies, even a body signed with the empty key", async () => {
  const sig = createHmac("sha256", "").update(BODY_TEXT).digest("hex");
  assert.equal(await verifyTributeSignature(BODY, sig, ""), false);
});

Deno.test("signature: property — sign/verify round-trips; any single-byte change is rejected", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 256 }),
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      async (body, key, pos, delta) => {
        const sig = await signTributeBody(body, key);
        assert.equal(sig, createHmac("sha256", key).update(body).digest("hex"));
        assert.equal(await verifyTributeSignature(body, sig, key), true);
        const tampered = body.slice();
        const i = pos % body.length;
        tampered[i] = (tampered[i] + delta) % 256;
        assert.equal(await verifyTributeSignature(tampered, sig, key), false);
      },
    ),
    { numRuns: 100 },
  );
});
