import type { AppDeps } from "./app.ts";
import { DbUnavailableError, isLostRace } from "./db/port.ts";
import { BodyTooLargeError, json, logFieldsOf, parseJsonBody, readBodyLimited, safeEqual } from "./http.ts";
import { errorMessage } from "./log.ts";
import { handleTributeWebhook } from "./tribute/webhook.ts";
import { INIT_DATA_HEADER } from "./miniapp/initdata.ts";
import { miniAppPage } from "./miniapp/page.ts";

export const TRIBUTE_SIGNATURE_HEADER = "trbt-signature";
export const TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token";
export const CRON_SECRET_HEADER = "x-cron-secret";

type Route = "tribute" | "telegram" | "cron" | "app" | "app_admin" | "app_page" | "health" | "none";

/** `.../bot/app` or `.../bot/app/admin` (a trailing slash tolerated); null for any other path. */
function miniAppPath(url: string): "app" | "admin" | null {
  const path = new URL(url).pathname.replace(/\/+$/, "");
  if (path.endsWith("/bot/app")) return "app";
  if (path.endsWith("/bot/app/admin")) return "admin";
  return null;
}

/**
 * CONTRACT section 4: the door is chosen by header, in this order; the Mini App paths come after the
 * three secret doors. On `.../bot/app` a GET without init data is the page; anything else there must
 * carry init data (checked by the route, so a missing header is a 401 like a wrong one). The admin
 * path is never the page nor health: it always asks for init data.
 */
export function pickRoute(request: Request): Route {
  const h = request.headers;
  if (h.has(TRIBUTE_SIGNATURE_HEADER)) return "tribute";
  if (h.has(TELEGRAM_SECRET_HEADER)) return "telegram";
  if (h.has(CRON_SECRET_HEADER)) return "cron";
  const isGet = request.method === "GET" || request.method === "HEAD";
  const app = miniAppPath(request.url);
  if (app === "admin") return "app_admin";
  if (app === "app") return h.has(INIT_DATA_HEADER) || !isGet ? "app" : "app_page";
  if (isGet) return "health";
  return "none";
}

const unauthorized = () => json(401, { error: "unauthorized" });

/**
 * The whole edge function as a plain `(Request) => Promise<Response>`: a test can call it without a
 * server, index.ts hands it to Deno.serve. Order per request: pick the door, read the body (≤ 1 MiB),
 * authenticate, parse JSON, handle. Unauthenticated callers learn nothing beyond 401.
 */
export function createHandler(deps: AppDeps): (request: Request) => Promise<Response> {
  // The doors that need grammY (Telegram updates, the scheduled drain, Mini App invoices) are loaded on
  // their first request: grammY is most of a cold start, and a Tribute webhook or health check needs none.
  let telegramHandler:
    | Promise<{ handleUpdate(update: unknown, requestId: string): Promise<void> }>
    | undefined;
  const telegram = () =>
    telegramHandler ??= import("./telegram/bot.ts").then((m) => m.createTelegramUpdateHandler(deps))
      .catch((err) => {
        telegramHandler = undefined;
        throw err;
      });

  return async (request) => {
    const requestId = request.headers.get("x-request-id") ?? crypto.randomUUID();
    const route = pickRoute(request);
    const started = performance.now();
    let response: Response;
    try {
      response = await dispatch(route, request, requestId);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        response = json(413, { error: "payload too large", limit_bytes: 1048576 });
      } else if (err instanceof DbUnavailableError) {
        deps.log.error("database unavailable", { request_id: requestId, route, error: err.message });
        response = json(503, { error: "database unavailable, retry later" }, { "retry-after": "30" });
      } else if (isLostRace(err)) {
        // the transaction lost a race and rolled back whole: the same request succeeds when sent again
        deps.log.warn("database call lost a race", {
          request_id: requestId,
          route,
          code: err.code,
          error: err.message,
        });
        response = json(503, { error: "database busy, retry", code: err.code }, { "retry-after": "1" });
      } else {
        deps.log.error("request failed", { request_id: requestId, route, error: errorMessage(err) });
        response = json(500, { error: "internal error", request_id: requestId });
      }
    }
    deps.log.info("request", {
      request_id: requestId,
      route,
      method: request.method,
      status: response.status,
      ms: Math.round(performance.now() - started),
      ...logFieldsOf(response),
    });
    return response;
  };

  async function dispatch(route: Route, request: Request, requestId: string): Promise<Response> {
    if (route === "health") return json(200, { ok: true });
    if (route === "app_page") return miniAppPage(request.method);
    // The size limit holds for every door, the unauthenticated one included; then authentication.
    const body = await readBodyLimited(request);
    if (route === "none") return unauthorized();

    if (route === "tribute") {
      return handleTributeWebhook(deps, body, request.headers.get(TRIBUTE_SIGNATURE_HEADER), requestId);
    }
    if (route === "telegram") {
      if (!safeEqual(request.headers.get(TELEGRAM_SECRET_HEADER) ?? "", deps.config.telegramWebhookSecret)) {
        return unauthorized();
      }
      const parsed = parseJsonBody(body);
      if (!parsed.ok) return json(400, { error: parsed.error });
      // Throws only for what a redelivery can fix; anything else was journaled as failed.
      await (await telegram()).handleUpdate(parsed.value, requestId);
      return json(200, { ok: true });
    }
    if (route === "app" || route === "app_admin") {
      const initData = request.headers.get(INIT_DATA_HEADER);
      const { handleMiniApp } = await import("./miniapp/route.ts");
      return handleMiniApp(deps, route === "app" ? "data" : "admin", initData, body, requestId);
    }
    // cron
    if (!safeEqual(request.headers.get(CRON_SECRET_HEADER) ?? "", deps.config.cronSecret)) {
      return unauthorized();
    }
    if (body.byteLength > 0) {
      const parsed = parseJsonBody(body);
      if (!parsed.ok) return json(400, { error: parsed.error });
    }
    const { runScheduled } = await import("./jobs/scheduled.ts");
    const report = await runScheduled(deps);
    return json(200, { ok: true, ...report });
  }
}
