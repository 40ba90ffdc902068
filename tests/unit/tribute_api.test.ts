import assert from "node:assert/strict";
import {
  createTributeApi,
  DEFAULT_TRIBUTE_API_URL,
  TributeApiError,
  TributeUnreachableError,
} from "../../functions/bot/tribute/api.ts";
import { fakeProduct, startFakeTribute } from "../support/fake_tribute.ts";

const KEY = "trb_secret_api_key_42";

function products() {
  return [
    fakeProduct(456, { name: "1 month", amount: 99900, currency: "RUB" }),
    fakeProduct(457, { name: "3 months", amount: 249900, currency: "RUB", type: "custom" }),
    fakeProduct(458, { name: "1 year", amount: 799900, currency: "RUB" }),
  ];
}

/** Runs `fn` against a fresh fake and always closes it, so Deno's resource sanitizer stays quiet. */
async function withFake(
  fn: (fake: Awaited<ReturnType<typeof startFakeTribute>>) => Promise<void>,
  apiKey = KEY,
): Promise<void> {
  const fake = await startFakeTribute({ apiKey, products: products() });
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

async function rejectsWith<E extends Error>(
  p: Promise<unknown>,
  cls: new (...args: never[]) => E,
): Promise<E> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    return err;
  }
  return assert.fail(`expected ${cls.name}, but the call succeeded`);
}

Deno.test("api: listProducts returns rows and meta, sending the Api-Key header", async () => {
  await withFake(async (fake) => {
    const api = createTributeApi({ baseUrl: fake.url, apiKey: KEY });
    const list = await api.listProducts();
    assert.deepEqual(list.rows.map((p) => p.id), [456, 457, 458]);
    assert.equal(list.rows[0].name, "1 month");
    assert.equal(list.rows[0].webLink, "https://web.tribute.tg/p/456");
    assert.deepEqual(list.meta, { total: 3, offset: 1, limit: 20 });
    assert.equal(fake.calls.length, 1);
    assert.equal(fake.calls[0].method, "GET");
    assert.equal(fake.calls[0].path, "/products");
    assert.equal(fake.calls[0].apiKey, KEY);
  });
});

Deno.test("api: listProducts passes page, size, type and desc as query parameters", async () => {
  await withFake(async (fake) => {
    const api = createTributeApi({ baseUrl: fake.url + "/", apiKey: KEY }); // trailing slash tolerated
    const page = await api.listProducts({ page: 2, size: 1, desc: true });
    assert.deepEqual(page.rows.map((p) => p.id), [457]);
    assert.deepEqual(page.meta, { total: 3, offset: 2, limit: 1 });
    const custom = await api.listProducts({ type: "custom" });
    assert.deepEqual(custom.rows.map((p) => p.id), [457]);
    assert.equal(fake.calls[0].path, "/products");
    assert.equal(fake.calls[0].query, "page=2&size=1&desc=true");
    assert.equal(fake.calls[1].query, "type=custom");
  });
});

Deno.test("api: getProduct returns the product, extra fields kept", async () => {
  await withFake(async (fake) => {
    fake.products.push({ ...fakeProduct(999), newTributeField: "x" });
    const api = createTributeApi({ baseUrl: fake.url, apiKey: KEY });
    const p = await api.getProduct(458);
    assert.equal(p.id, 458);
    assert.equal(p.name, "1 year");
    assert.equal(p.amount, 799900);
    assert.equal(p.currency, "RUB");
    assert.equal(p.link, "https://t.me/tribute/app?startapp=p458");
    assert.equal((await api.getProduct(999)).newTributeField, "x");
    assert.deepEqual(fake.calls.map((c) => c.path), ["/products/458", "/products/999"]);
  });
});

Deno.test("api: unknown product → TributeApiError error_not_found (404)", async () => {
  await withFake(async (fake) => {
    const api = createTributeApi({ baseUrl: fake.url, apiKey: KEY });
    const err = await rejectsWith(api.getProduct(12345), TributeApiError);
    assert.equal(err.status, 404);
    assert.equal(err.code, "error_not_found");
    assert.equal(err.message, "product not found");
  });
});

Deno.test("api: wrong API key → 401 TributeApiError no_access, key not in the message", async () => {
  await withFake(async (fake) => {
    const api = createTributeApi({ baseUrl: fake.url, apiKey: "wrong_key" });
    const err = await rejectsWith(api.listProducts(), TributeApiError);
    assert.equal(err.status, 401);
    assert.equal(err.code, "no_access");
    assert.equal(fake.calls[0].apiKey, "wrong_key");
    assert.ok(!err.message.includes("wrong_key"));
  });
});

Deno.test("api: an error body echoing the key is redacted", async () => {
  await withFake(async (fake) => {
    fake.failNext(403, { error: "error_not_permitted", message: `key ${KEY} may not do this` });
    const api = createTributeApi({ baseUrl: fake.url, apiKey: KEY });
    const err = await rejectsWith(api.cancelPurchase(1), TributeApiError);
    assert.equal(err.code, "error_not_permitted");
    assert.equal(err.status, 403);
    assert.ok(!err.message.includes(KEY), err.message);
    assert.ok(!String(err.stack).includes(KEY));
    assert.match(err.message, /may not do this/);
  });
});

Deno.test("api: cancelPurchase POSTs to the cancel endpoint with the Api-Key header", async () => {
  await withFake(async (fake) => {
    const api = createTributeApi({ baseUrl: fake.url, apiKey: KEY });
    const r = await api.cancelPurchase(12345);
    assert.equal(r.success, true);
    assert.equal(r.purchaseId, 12345);
    assert.equal(typeof r.message, "string");
    assert.deepEqual(fake.cancelledPurchases, [12345]);
    assert.equal(fake.calls.length, 1);
    assert.deepEqual(
      { method: fake.calls[0].method, path: fake.calls[0].path, apiKey: fake.calls[0].apiKey },
      { method: "POST", path: "/products/purchases/12345/cancel", apiKey: KEY },
    );
  });
});

Deno.test("api: an error body that is not {error, message} → code http_<status>", async () => {
  await withFake(async (fake) => {
    const api = createTributeApi({ baseUrl: fake.url, apiKey: KEY });
    fake.failNext(502, "<html>Bad Gateway</html>");
    const html = await rejectsWith(api.getProduct(456), TributeApiError);
    assert.equal(html.status, 502);
    assert.equal(html.code, "http_502");
    fake.failNext(500, { oops: true });
    const odd = await rejectsWith(api.getProduct(456), TributeApiError);
    assert.equal(odd.code, "http_500");
    // The injected failures are one-shot: the next call succeeds.
    assert.equal((await api.getProduct(456)).id, 456);
  });
});

Deno.test("api: a 2xx body that fails the schema → bad_response", async () => {
  await withFake(async (fake) => {
    const api = createTributeApi({ baseUrl: fake.url, apiKey: KEY });
    fake.failNext(200, { id: 456, name: "no amount", currency: "RUB" });
    const missing = await rejectsWith(api.getProduct(456), TributeApiError);
    assert.equal(missing.code, "bad_response");
    assert.equal(missing.status, 200);
    assert.match(missing.message, /amount/);

    fake.failNext(200, { rows: "nope" });
    assert.equal((await rejectsWith(api.listProducts(), TributeApiError)).code, "bad_response");

    fake.failNext(200, "not json at all");
    assert.equal((await rejectsWith(api.cancelPurchase(5), TributeApiError)).code, "bad_response");
  });
});

Deno.test("api: closed port → TributeUnreachableError", async () => {
  const fake = await startFakeTribute({ apiKey: KEY });
  const url = fake.url;
  await fake.close();
  const api = createTributeApi({ baseUrl: url, apiKey: KEY });
  const err = await rejectsWith(api.listProducts(), TributeUnreachableError);
  assert.ok(!(err instanceof TributeApiError));
  assert.ok(!err.message.includes(KEY));
});

Deno.test("api: no answer within timeoutMs → TributeUnreachableError", async () => {
  let sawAbort = false;
  // A fetch that only ever settles by being aborted, like a server that accepted and went silent.
  const hangingFetch: typeof fetch = (_input, init) =>
    new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => {
        sawAbort = true;
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  const api = createTributeApi({ apiKey: KEY, fetch: hangingFetch, timeoutMs: 20 });
  const err = await rejectsWith(api.getProduct(1), TributeUnreachableError);
  assert.ok(sawAbort);
  assert.match(err.message, /20 ms/);
});

Deno.test("api: default base URL and injected fetch", async () => {
  const seen: Array<{ url: string; method: string; key: string | null }> = [];
  const stubFetch: typeof fetch = (input, init) => {
    seen.push({
      url: String(input),
      method: init?.method ?? "GET",
      key: new Headers(init?.headers).get("Api-Key"),
    });
    return Promise.resolve(Response.json(fakeProduct(7)));
  };
  const api = createTributeApi({ apiKey: KEY, fetch: stubFetch });
  assert.equal((await api.getProduct(7)).id, 7);
  assert.deepEqual(seen, [{ url: `${DEFAULT_TRIBUTE_API_URL}/products/7`, method: "GET", key: KEY }]);
  assert.equal(DEFAULT_TRIBUTE_API_URL, "https://tribute.tg/api/v1");
});

Deno.test("api: invalid ids are refused before any request", async () => {
  let called = false;
  const api = createTributeApi({
    apiKey: KEY,
    fetch: () => {
      called = true;
      return Promise.resolve(Response.json({}));
    },
  });
  await assert.rejects(api.getProduct(0), RangeError);
  await assert.rejects(api.cancelPurchase(1.5), RangeError);
  assert.equal(called, false);
});
