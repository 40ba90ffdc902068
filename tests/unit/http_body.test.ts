// The body helpers of the door: the depth read off the JSON text is the depth of the parsed value, and
// the size limit holds whether the body is read in one go (Content-Length) or streamed (no length).
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BodyTooLargeError,
  jsonDepth,
  jsonTextDepth,
  parseJsonBody,
  readBodyLimited,
} from "../../functions/bot/http.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("jsonTextDepth: the depth of the parsed value, for any JSON text", () => {
  // strings full of brackets, quotes and backslashes must not count
  const tricky = fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", "é", "😀", " ") });
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: "small" },
      tricky,
      fc.integer(),
      fc.constant(null),
      fc.array(tie("v"), { maxLength: 4 }),
      fc.dictionary(tricky, tie("v"), { maxKeys: 4 }),
    ),
  })).v;
  fc.assert(
    fc.property(value, fc.boolean(), (v, pretty) => {
      const text = encode(JSON.stringify(v, null, pretty ? 2 : undefined));
      return jsonTextDepth(text) === jsonDepth(v);
    }),
    { numRuns: 5_000, seed: 20261126 },
  );
  assert.equal(jsonTextDepth(encode('{"a":"]]]\\"[[[","b":[[{}]]}')), 4);
  assert.equal(jsonTextDepth(encode("[".repeat(100) + "]".repeat(100)), 64), 65, "stops past the limit");
});

Deno.test("parseJsonBody: invalid JSON is named before depth; depth over 64 refused", () => {
  assert.deepEqual(parseJsonBody(encode("[".repeat(100))), { ok: false, error: "body is not valid JSON" });
  assert.deepEqual(parseJsonBody(encode("[".repeat(65) + "]".repeat(65))), {
    ok: false,
    error: "body is nested deeper than 64 levels",
  });
  assert.deepEqual(parseJsonBody(encode("[".repeat(64) + "]".repeat(64))).ok, true);
});

Deno.test("readBodyLimited: read whole with Content-Length, streamed without; the limit holds for both", async () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    new Request("http://127.0.0.1/", { method: "POST", body, headers });
  const text = '{"update_id":1}';
  assert.equal(new TextDecoder().decode(await readBodyLimited(post(text, { "content-length": "15" }))), text);
  // no Content-Length: a stream of chunks
  const chunks = (n: number, size: number) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < n; i++) c.enqueue(new Uint8Array(size).fill(0x20));
        c.close();
      },
    });
  assert.equal((await readBodyLimited(post(chunks(3, 10)), 30)).byteLength, 30);
  await assert.rejects(readBodyLimited(post(chunks(4, 10)), 30), BodyTooLargeError);
  // a declared length over the limit is refused before reading; one that lies (only possible for a
  // Request built in-process) is caught after
  await assert.rejects(readBodyLimited(post("x", { "content-length": "31" }), 30), BodyTooLargeError);
  await assert.rejects(
    readBodyLimited(post("x".repeat(40), { "content-length": "5" }), 30),
    BodyTooLargeError,
  );
  assert.equal((await readBodyLimited(new Request("http://127.0.0.1/"))).byteLength, 0);
});
