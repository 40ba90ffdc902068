// Mini App init data (functions/bot/miniapp/initdata.ts): Telegram's scheme, checked against an
// independent node:crypto computation, and every way a forged or stale string must fail.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { dataCheckString, signInitData, validateInitData } from "../../functions/bot/miniapp/initdata.ts";

const TOKEN = "123456:TEST-token_abc";
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const nowSec = Math.floor(NOW / 1000);
const user = { id: 4242, first_name: "Ann", username: "ann", language_code: "ru" };

function fields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
    user: JSON.stringify(user),
    auth_date: String(nowSec - 60),
    ...overrides,
  };
}

const check = (raw: string | null, token = TOKEN, nowMs = NOW) => validateInitData(raw, token, { nowMs });

/** Replaces one field's raw value in a signed query string, keeping the hash. */
function tamper(raw: string, key: string, value: string): string {
  const p = new URLSearchParams(raw);
  p.set(key, value);
  return p.toString();
}

Deno.test("init data: the hash is Telegram's (HMAC key = HMAC-SHA256('WebAppData', token))", async () => {
  const f = fields();
  const raw = await signInitData(f, TOKEN);
  const secret = createHmac("sha256", "WebAppData").update(TOKEN).digest();
  const expected = createHmac("sha256", secret).update(dataCheckString(f)).digest("hex");
  assert.equal(new URLSearchParams(raw).get("hash"), expected);
  assert.equal(dataCheckString({ b: "2", hash: "x", a: "1" }), "a=1\nb=2");
});

Deno.test("init data: valid → the user, from the signed fields only", async () => {
  const r = await check(await signInitData(fields(), TOKEN));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.user.id, 4242);
  assert.equal(r.user.language_code, "ru");
  assert.equal(r.authDate, nowSec - 60);
  // field order and a signature field (Ed25519, for third parties) do not matter to the HMAC check
  const withSig = await signInitData({ signature: "abc", ...fields() }, TOKEN);
  assert.ok((await check(withSig)).ok);
});

Deno.test("init data: a tampered field is refused (bad_hash)", async () => {
  const raw = await signInitData(fields(), TOKEN);
  for (
    const [key, value] of [
      ["user", JSON.stringify({ ...user, id: 1 })],
      ["auth_date", String(nowSec)],
      ["query_id", "other"],
      ["start_param", "added"],
    ]
  ) {
    const r = await check(tamper(raw, key, value));
    assert.deepEqual(r, { ok: false, reason: "bad_hash" }, key);
  }
  // a hash of the right length but wrong content, and a truncated one
  const hash = new URLSearchParams(raw).get("hash")!;
  const flipped = hash.slice(0, -1) + (hash.endsWith("0") ? "1" : "0");
  assert.deepEqual(await check(tamper(raw, "hash", flipped)), { ok: false, reason: "bad_hash" });
  assert.deepEqual(await check(tamper(raw, "hash", hash.slice(0, 32))), { ok: false, reason: "bad_hash" });
});

Deno.test("init data: signed with another bot's token is refused", async () => {
  const raw = await signInitData(fields(), "999999:OTHER-token");
  assert.deepEqual(await check(raw), { ok: false, reason: "bad_hash" });
  // and the right string checked against another token
  assert.deepEqual(await check(await signInitData(fields(), TOKEN), "999999:OTHER-token"), {
    ok: false,
    reason: "bad_hash",
  });
});

Deno.test("init data: auth_date older than 24 h (or far in the future) is stale", async () => {
  const day = 24 * 60 * 60;
  const fresh = await signInitData(fields({ auth_date: String(nowSec - day + 5) }), TOKEN);
  assert.ok((await check(fresh)).ok, "just under 24 h is accepted");
  const stale = await signInitData(fields({ auth_date: String(nowSec - day - 1) }), TOKEN);
  assert.deepEqual(await check(stale), { ok: false, reason: "stale" });
  const future = await signInitData(fields({ auth_date: String(nowSec + 3600) }), TOKEN);
  assert.deepEqual(await check(future), { ok: false, reason: "stale" });
  const noDate = await signInitData({ user: JSON.stringify(user) }, TOKEN);
  assert.deepEqual(await check(noDate), { ok: false, reason: "malformed" });
});

Deno.test("init data: missing or empty hash, missing header", async () => {
  const raw = await signInitData(fields(), TOKEN);
  const p = new URLSearchParams(raw);
  p.delete("hash");
  assert.deepEqual(await check(p.toString()), { ok: false, reason: "no_hash" });
  assert.deepEqual(await check(tamper(raw, "hash", "")), { ok: false, reason: "no_hash" });
  assert.deepEqual(await check(null), { ok: false, reason: "missing" });
  assert.deepEqual(await check(""), { ok: false, reason: "missing" });
});

Deno.test("init data: a key given twice is refused, whichever copy was signed", async () => {
  const raw = await signInitData(fields(), TOKEN);
  const evil = JSON.stringify({ ...user, id: 1 });
  assert.deepEqual(await check(`${raw}&user=${encodeURIComponent(evil)}`), {
    ok: false,
    reason: "duplicate_key",
  });
  assert.deepEqual(await check(`user=${encodeURIComponent(evil)}&${raw}`), {
    ok: false,
    reason: "duplicate_key",
  });
  const h = new URLSearchParams(raw).get("hash");
  assert.deepEqual(await check(`${raw}&hash=${h}`), { ok: false, reason: "duplicate_key" });
});

Deno.test("init data: signed but without a usable user", async () => {
  const noUser = await signInitData({ auth_date: String(nowSec), query_id: "q" }, TOKEN);
  assert.deepEqual(await check(noUser), { ok: false, reason: "no_user" });
  for (const u of ["not json", "[]", '{"id":"42"}', '{"id":-5}', '{"id":1.5}', "null"]) {
    const raw = await signInitData(fields({ user: u }), TOKEN);
    assert.deepEqual(await check(raw), { ok: false, reason: "malformed" }, u);
  }
  assert.deepEqual(await check("x".repeat(20_000)), { ok: false, reason: "malformed" });
});
