/**
 * The Mini App's data door: `POST .../bot/app` with `X-Telegram-Init-Data` (CONTRACT section 4).
 *
 * The only identity is the user of validated init data: the body can choose what to do (view, invoice)
 * but never for whom. Order: init data (401, before anything is parsed or read) → admin path (403) →
 * JSON body (400) → one read (member_app_view) or one Bot API call (createInvoiceLink).
 */
import { GrammyError, HttpError } from "grammy";
import type { AppDeps } from "../app.ts";
import { json, parseJsonBody } from "../http.ts";
import { createBotApi } from "../telegram/api.ts";
import { invoiceOf, STARS_CURRENCY, starsPlan } from "../telegram/payments.ts";
import { langOf, texts } from "../telegram/texts.ts";
import { handleAdminApp, isAdmin } from "./admin.ts";
import { validateInitData } from "./initdata.ts";

export { INIT_DATA_HEADER } from "./initdata.ts";

/** `member_app_view(...)` as JSON (shape documented in migrations/20261126000030_mini_app.sql). */
export interface MemberAppView {
  telegram_user_id: number;
  access: { has_access: boolean; until: string | null; source: string | null; renewing: boolean };
  timeline: Array<{
    source: string;
    kind: string;
    plan_code: string | null;
    from: string;
    to: string;
    status: string;
    refunded: boolean;
  }>;
  plans: Array<{
    code: string;
    title: string;
    duration_days: number;
    stars_price: number | null;
    tribute_link: string | null;
  }>;
}

const PLAN_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * `kind` is what the path asked for: the member's data, or the admin view (admin.ts: 403 for everyone
 * not in ADMIN_TELEGRAM_IDS, decided before the body is even parsed).
 */
export async function handleMiniApp(
  deps: AppDeps,
  kind: "data" | "admin",
  initData: string | null,
  body: Uint8Array,
  requestId: string,
): Promise<Response> {
  const verdict = await validateInitData(initData, deps.config.telegramBotToken);
  if (!verdict.ok) {
    deps.log.info("mini app init data refused", { request_id: requestId, reason: verdict.reason });
    return json(401, { error: "unauthorized" });
  }
  const user = verdict.user;
  const lang = langOf(user.language_code);
  if (kind === "admin") return handleAdminApp(deps, user, lang, () => readObject(body), requestId);

  const parsed = readObject(body);
  if (!parsed.ok) return parsed.response;
  const input = parsed.value;
  const action = input.action ?? "view";

  if (action === "view") {
    const view = await deps.db.call<MemberAppView>("member_app_view", { p_telegram_user_id: user.id });
    // The support text comes from the same strings as /paysupport, in the member's language. Only an
    // admin's answer says `admin: true` (the page then offers the admin view); nobody else's mentions it.
    const admin = isAdmin(deps, user.id) ? { admin: true } : {};
    return json(200, { lang, ...view, support: texts[lang].paySupport, ...admin }, {
      "cache-control": "no-store",
    });
  }

  if (action === "invoice") {
    const code = input.plan;
    if (typeof code !== "string" || !PLAN_CODE.test(code)) {
      return json(400, { error: "plan: expected a plan code" });
    }
    const found = await starsPlan(deps, code);
    if (!found.ok) return json(400, { error: found.reason });
    const plan = found.plan;
    const inv = invoiceOf(texts[lang], plan);
    try {
      // The same invoice /buy sends (payments.ts), as a link the page opens with openInvoice; a
      // recurring plan's link is a Stars subscription (subscription_period: 30 days).
      const link = await createBotApi(deps.config).createInvoiceLink(
        inv.title,
        inv.description,
        inv.payload,
        "", // Stars need no payment provider
        STARS_CURRENCY,
        inv.prices,
        inv.subscriptionPeriod ? { subscription_period: inv.subscriptionPeriod } : undefined,
      );
      deps.log.info("mini app invoice", {
        request_id: requestId,
        user_id: user.id,
        plan: plan.code,
        recurring: inv.subscriptionPeriod !== undefined,
      });
      return json(200, { invoice_link: link }, { "cache-control": "no-store" });
    } catch (err) {
      return botApiFailure(deps, err, requestId);
    }
  }

  return json(400, { error: 'action: expected "view" or "invoice"' });
}

/** The body as a JSON object: empty or `null` is `{}`; bad JSON or another shape is a 400. */
function readObject(
  body: Uint8Array,
): { ok: true; value: Record<string, unknown> } | { ok: false; response: Response } {
  if (body.byteLength === 0) return { ok: true, value: {} };
  const parsed = parseJsonBody(body);
  if (!parsed.ok) return { ok: false, response: json(400, { error: "body is not valid JSON" }) };
  if (parsed.value === null) return { ok: true, value: {} };
  if (typeof parsed.value !== "object" || Array.isArray(parsed.value)) {
    return { ok: false, response: json(400, { error: "body must be a JSON object" }) };
  }
  return { ok: true, value: parsed.value as Record<string, unknown> };
}

/** A Bot API outage (network, 5xx, 429) is worth a retry: 503; a refusal is not: 422. */
function botApiFailure(deps: AppDeps, err: unknown, requestId: string): Response {
  if (
    err instanceof HttpError ||
    (err instanceof GrammyError && (err.error_code >= 500 || err.error_code === 429))
  ) {
    const retry = err instanceof GrammyError ? err.parameters.retry_after : undefined;
    deps.log.warn("mini app invoice: Bot API unavailable", { request_id: requestId, error: err.message });
    return json(503, { error: "Telegram is unavailable, retry later" }, {
      "retry-after": String(retry ?? 5),
    });
  }
  if (err instanceof GrammyError) {
    deps.log.error("mini app invoice refused by the Bot API", {
      request_id: requestId,
      error: err.description,
    });
    return json(422, { error: "the invoice could not be created" });
  }
  throw err;
}
