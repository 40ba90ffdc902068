// A fake Tribute REST API on a real local port, so the client is exercised over HTTP (headers, status
// codes, bodies) exactly as in production. Behaviour follows the OpenAPI in shared/seeds/001: Api-Key
// header auth, `{error, message}` error bodies, the three product endpoints the bot uses.
import type { Product } from "../../functions/bot/tribute/api.ts";

export interface FakeTributeCall {
  method: string;
  /** Path below the API base, e.g. "/products/12" (query string is in `query`). */
  path: string;
  /** Raw query string without "?", "" when none. */
  query: string;
  apiKey: string | null;
  /** Parsed JSON body, the raw text when not JSON, null when empty. */
  body: unknown;
}

export interface FakeTribute {
  /** Base URL to hand to createTributeApi, e.g. http://127.0.0.1:PORT/api/v1 */
  url: string;
  calls: FakeTributeCall[];
  /** Live list: tests may push or edit products after start. */
  products: Product[];
  /** Purchase ids successfully cancelled, in order. */
  cancelledPurchases: number[];
  /** Answer the next request (whatever it is) with this status and body, once. String bodies are sent raw. */
  failNext(status: number, body?: unknown): void;
  close(): Promise<void>;
}

const BASE_PATH = "/api/v1";

/** A product shaped like Tribute's, with every field the OpenAPI lists as required. */
export function fakeProduct(id: number, overrides: Partial<Product> = {}): Product {
  return {
    id,
    type: "digital",
    name: `Product ${id}`,
    description: "Channel access",
    amount: 99900,
    currency: "RUB",
    starsAmount: 500,
    starsAmountEnabled: true,
    status: "approved",
    isCustom: false,
    acceptCards: true,
    acceptWalletPay: false,
    protectContent: false,
    created: "2025-03-20T01:15:58Z",
    updated: "2025-03-20T01:15:58Z",
    link: `https://t.me/tribute/app?startapp=p${id}`,
    webLink: `https://web.tribute.tg/p/${id}`,
    ...overrides,
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function apiError(status: number, error: string, message: string): Response {
  return json(status, { error, message });
}

function positiveInt(text: string | null, fallback: number): number | null {
  if (text === null) return fallback;
  return /^[1-9]\d*$/.test(text) ? Number(text) : null;
}

export async function startFakeTribute(
  opts: { apiKey: string; products?: Product[] },
): Promise<FakeTribute> {
  const calls: FakeTributeCall[] = [];
  const products: Product[] = opts.products ?? [];
  const cancelledPurchases: number[] = [];
  const failures: Array<{ status: number; body: unknown }> = [];

  function listProducts(params: URLSearchParams): Response {
    const page = positiveInt(params.get("page"), 1);
    const size = positiveInt(params.get("size"), 20);
    if (page === null || size === null || size > 100) {
      return apiError(400, "error_bad_request", "page and size must be positive integers, size <= 100");
    }
    const type = params.get("type");
    const desc = params.get("desc") === "true";
    const matching = products
      .filter((p) => type === null || p.type === type)
      .sort((a, b) => desc ? b.id - a.id : a.id - b.id);
    const rows = matching.slice((page - 1) * size, page * size);
    return json(200, { rows, meta: { total: matching.length, offset: page, limit: size } });
  }

  function route(method: string, path: string, params: URLSearchParams): Response {
    if (method === "GET" && path === "/products") return listProducts(params);

    const product = /^\/products\/([^/]+)$/.exec(path);
    if (method === "GET" && product) {
      const id = positiveInt(product[1], 0);
      if (id === null) return apiError(400, "error_bad_request", "invalid product ID format");
      const found = products.find((p) => p.id === id);
      return found ? json(200, found) : apiError(404, "error_not_found", "product not found");
    }

    const cancel = /^\/products\/purchases\/([^/]+)\/cancel$/.exec(path);
    if (method === "POST" && cancel) {
      const purchaseId = positiveInt(cancel[1], 0);
      if (purchaseId === null) return apiError(400, "error_bad_request", "invalid purchase ID format");
      cancelledPurchases.push(purchaseId);
      return json(200, { success: true, purchaseId, message: "Purchase cancelled and payment refunded" });
    }

    return apiError(404, "error_not_found", `no route for ${method} ${path}`);
  }

  // onListen replaces Deno's default "Listening on ..." log line and tells us the socket is bound.
  const listening = Promise.withResolvers<void>();
  const onListen = () => listening.resolve();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen }, async (req) => {
    const url = new URL(req.url);
    const path = url.pathname.startsWith(BASE_PATH) ? url.pathname.slice(BASE_PATH.length) : url.pathname;
    const text = await req.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const apiKey = req.headers.get("api-key");
    calls.push({ method: req.method, path, query: url.search.replace(/^\?/, ""), apiKey, body });

    const failure = failures.shift();
    if (failure) {
      return typeof failure.body === "string"
        ? new Response(failure.body, { status: failure.status, headers: { "content-type": "text/html" } })
        : json(failure.status, failure.body);
    }
    if (!url.pathname.startsWith(BASE_PATH + "/")) {
      return apiError(404, "error_not_found", "unknown API prefix");
    }
    if (apiKey !== opts.apiKey) return apiError(401, "no_access", "invalid or missing API key");
    return route(req.method, path, url.searchParams);
  });

  await listening.promise;
  return {
    url: `http://127.0.0.1:${server.addr.port}${BASE_PATH}`,
    calls,
    products,
    cancelledPurchases,
    failNext(status, body) {
      failures.push({
        status,
        body: body === undefined ? { error: "fake_failure", message: `injected HTTP ${status}` } : body,
      });
    },
    close: () => server.shutdown(),
  };
}
