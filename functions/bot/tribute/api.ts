// Tribute REST client (OpenAPI "Tribute API 1.0.0"): product lookup/list for /plans and /tribute_test,
// purchase cancellation for /refund. Errors come back as `{error, message}` and are shown to admins, so
// every failure is turned into one of two typed errors and the API key never appears in a message.
import { z } from "zod";
import { redactSecrets } from "../log.ts";

export const DEFAULT_TRIBUTE_API_URL = "https://tribute.tg/api/v1";
const DEFAULT_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------------
// Response schemas. Only what the bot relies on is required; the rest is optional and extra fields pass
// through, so a Tribute-side addition does not break /plans.

const optString = z.string().nullish();
const optBool = z.boolean().nullish();

export const productSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  type: optString,
  description: optString,
  starsAmount: z.number().int().nullish(),
  starsAmountEnabled: optBool,
  status: optString,
  isCustom: optBool,
  acceptCards: optBool,
  acceptWalletPay: optBool,
  protectContent: optBool,
  created: optString,
  updated: optString,
  pendingOrders: z.number().int().nullish(),
  imageUrl: optString,
  link: optString,
  webLink: optString,
});
export type Product = z.output<typeof productSchema>;

const optInt = z.number().int().nullish();

/** `offset` is the page number, despite the name (per the OpenAPI description). */
export interface ProductListMeta {
  total?: number;
  offset?: number;
  limit?: number;
}

export const productListSchema = z.looseObject({
  rows: z.array(productSchema),
  meta: z.looseObject({ total: optInt, offset: optInt, limit: optInt }).nullish()
    .transform((m): ProductListMeta => ({
      total: m?.total ?? undefined,
      offset: m?.offset ?? undefined,
      limit: m?.limit ?? undefined,
    })),
});
export type ProductList = z.output<typeof productListSchema>;

export const cancelPurchaseSchema = z.looseObject({
  success: z.boolean(),
  purchaseId: z.number().int(),
  message: z.string().nullish().transform((m) => m ?? ""),
});
export type CancelPurchaseResult = { success: boolean; purchaseId: number; message: string };

const errorBodySchema = z.looseObject({ error: z.string().min(1), message: z.string().nullish() });

// ---------------------------------------------------------------------------------------------------
// Errors

/** Tribute answered, but not with what we asked for: an `{error, message}` body, a bad status or body. */
export class TributeApiError extends Error {
  override name = "TributeApiError";
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** No answer at all: DNS, connection refused, TLS, timeout. Worth retrying later, unlike an API error. */
export class TributeUnreachableError extends Error {
  override name = "TributeUnreachableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------------
// Client

export interface TributeApiOptions {
  /** Defaults to https://tribute.tg/api/v1; a trailing slash is tolerated. */
  baseUrl?: string;
  apiKey: string;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface ListProductsQuery {
  page?: number;
  size?: number;
  type?: "digital" | "custom" | "physical";
  desc?: boolean;
}

export interface TributeApi {
  listProducts(q?: ListProductsQuery): Promise<ProductList>;
  getProduct(id: number): Promise<Product>;
  cancelPurchase(purchaseId: number): Promise<CancelPurchaseResult>;
}

function assertId(what: string, id: number): void {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`${what} must be a positive integer`);
}

export function createTributeApi(opts: TributeApiOptions): TributeApi {
  const baseUrl = (opts.baseUrl || DEFAULT_TRIBUTE_API_URL).replace(/\/+$/, "");
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const apiKey = opts.apiKey;

  // Error bodies or transport messages could echo the key back (e.g. "invalid key abc..."); messages
  // end up in admin chats and logs, so scrub it wherever it appears.
  const redact = (text: string): string => redactSecrets(text, [apiKey]);

  async function request<S extends z.ZodType>(method: string, path: string, schema: S): Promise<z.output<S>> {
    const controller = new AbortController();
    // A plain timer rather than AbortSignal.timeout so it is cleared as soon as the body is read.
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await doFetch(`${baseUrl}${path}`, {
        method,
        headers: { "Api-Key": apiKey, Accept: "application/json" },
        signal: controller.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const reason = controller.signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : err instanceof Error
        ? err.message
        : String(err);
      throw new TributeUnreachableError(redact(`Tribute API unreachable (${method} ${path}): ${reason}`), {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }

    let body: unknown;
    let isJson = true;
    try {
      body = JSON.parse(text);
    } catch {
      isJson = false;
    }

    if (status < 200 || status > 299) {
      const parsed = isJson ? errorBodySchema.safeParse(body) : undefined;
      if (parsed?.success) {
        const { error, message } = parsed.data;
        throw new TributeApiError(
          status,
          error,
          redact(message || `Tribute API error ${error} (HTTP ${status})`),
        );
      }
      throw new TributeApiError(
        status,
        `http_${status}`,
        `Tribute API answered HTTP ${status} to ${method} ${path}`,
      );
    }

    if (!isJson) {
      throw new TributeApiError(status, "bad_response", `Tribute API returned non-JSON to ${method} ${path}`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.length ? issue.path.map(String).join(".") : "(root)";
      throw new TributeApiError(
        status,
        "bad_response",
        `Tribute API returned an unexpected body for ${method} ${path}: ${field}: ${issue.message}`,
      );
    }
    return parsed.data;
  }

  // Methods are async so that a bad argument rejects like every other failure instead of throwing.
  return {
    async listProducts(q = {}) {
      const params = new URLSearchParams();
      if (q.page !== undefined) params.set("page", String(q.page));
      if (q.size !== undefined) params.set("size", String(q.size));
      if (q.type !== undefined) params.set("type", q.type);
      if (q.desc !== undefined) params.set("desc", String(q.desc));
      const qs = params.toString();
      return await request("GET", qs ? `/products?${qs}` : "/products", productListSchema);
    },
    async getProduct(id) {
      assertId("product id", id);
      return await request("GET", `/products/${id}`, productSchema);
    },
    async cancelPurchase(purchaseId) {
      assertId("purchase id", purchaseId);
      return await request("POST", `/products/purchases/${purchaseId}/cancel`, cancelPurchaseSchema);
    },
  };
}
