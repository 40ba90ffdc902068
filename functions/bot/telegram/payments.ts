// Telegram Stars: the invoice (currency XTR, no provider token), the pre-checkout verdict and the
// successful_payment that becomes access. The database decides everything (stars_checkout_verdict,
// apply_star_payment); the charge id is unique there, so a redelivered update never grants twice.
//
// Recurring plans (`plans.stars_recurring`) are sold as a Stars subscription: Telegram only allows
// those through an invoice link (createInvoiceLink with subscription_period), so the member gets a
// message with the link as a button. Each charge (the first and every renewal) arrives as its own
// successful_payment and becomes a window [paid_at, subscription_expiration_date] of the timeline.
import { type Api, InlineKeyboard } from "grammy";
import { Composer } from "./composer.ts";
import type { AppDeps } from "../app.ts";
import { drainOutbox } from "../outbox/drain.ts";
import { errorMessage } from "../log.ts";
import type { BotContext } from "./context.ts";
import type { Texts } from "./texts.ts";

/** One row of `public.list_plans()`. */
export interface Plan {
  code: string;
  title: string;
  duration_days: number;
  stars_price: number | null;
  tribute_link: string | null;
  tribute_product_id: number | null;
  /** sold as a Telegram Stars subscription renewing every 30 days (createInvoiceLink) */
  stars_recurring?: boolean;
}

export const STARS_CURRENCY = "XTR";

/** Telegram's only period for Stars subscriptions: 30 days, in seconds. */
export const STARS_SUBSCRIPTION_PERIOD = 2592000;

/** Outbox rows a request queued are delivered right away (best effort; the cron door retries). */
export const DRAIN_AFTER_REQUEST = 20;

/** The invoice payload names the plan: `plan:<code>` (Telegram allows 1-128 bytes). */
export function invoicePayload(planCode: string): string {
  return `plan:${planCode}`;
}

/** Plan code from an invoice payload: `plan:<code>` or JSON `{"plan": "<code>"}`; null if neither. */
export function planFromPayload(payload: string | undefined | null): string | null {
  if (!payload) return null;
  if (payload.startsWith("plan:")) return payload.slice(5).trim() || null;
  try {
    const parsed = JSON.parse(payload);
    if (parsed && typeof parsed === "object") {
      const code = (parsed as Record<string, unknown>).plan ?? (parsed as Record<string, unknown>).plan_code;
      if (typeof code === "string" && code.trim()) return code.trim();
    }
  } catch { /* not JSON */ }
  return null;
}

export async function listPlans(deps: AppDeps): Promise<Plan[]> {
  return (await deps.db.call<Plan[] | null>("list_plans")) ?? [];
}

/** Active plan sold for Stars, or why not: unknown (no such active plan) or not for Stars. */
export async function starsPlan(
  deps: AppDeps,
  code: string,
): Promise<{ ok: true; plan: Plan } | { ok: false; reason: "unknown_plan" | "inactive_plan" }> {
  const plan = (await listPlans(deps)).find((p) => p.code === code);
  if (!plan) return { ok: false, reason: "unknown_plan" };
  if (plan.stars_price == null || plan.stars_price <= 0) return { ok: false, reason: "inactive_plan" };
  return { ok: true, plan };
}

/**
 * The createInvoiceLink / sendInvoice arguments of a plan, in the member's language: a recurring plan
 * carries subscription_period and says that it renews.
 */
export function invoiceOf(t: Texts, plan: Plan) {
  const title = t.invoiceTitle(plan.title);
  return {
    title,
    description: plan.stars_recurring
      ? t.invoiceDescriptionRecurring({ title: plan.title })
      : t.invoiceDescription({ title: plan.title, days: plan.duration_days }),
    payload: invoicePayload(plan.code),
    prices: [{ label: title, amount: plan.stars_price! }],
    subscriptionPeriod: plan.stars_recurring ? STARS_SUBSCRIPTION_PERIOD : undefined,
  };
}

/** The invoice link of a recurring plan (a Stars subscription, 30 days). */
export function createSubscriptionLink(api: Api, t: Texts, plan: Plan): Promise<string> {
  const inv = invoiceOf(t, plan);
  return api.createInvoiceLink(
    inv.title,
    inv.description,
    inv.payload,
    "", // Stars need no payment provider
    STARS_CURRENCY,
    inv.prices,
    { subscription_period: STARS_SUBSCRIPTION_PERIOD },
  );
}

/**
 * Sends the Stars invoice for a plan to the chat of the update (always a private chat here). A
 * recurring plan is a subscription: Telegram sells those only through an invoice link, so the member
 * gets a message with the link as a button instead of an invoice.
 */
export async function sendStarsInvoice(ctx: BotContext, plan: Plan): Promise<void> {
  const t = ctx.texts;
  const chatId = ctx.chat?.id ?? ctx.from!.id;
  if (plan.stars_recurring) {
    const link = await createSubscriptionLink(ctx.api, t, plan);
    await ctx.api.sendMessage(chatId, t.subscriptionOffer({ title: plan.title, stars: plan.stars_price! }), {
      reply_markup: new InlineKeyboard().url(
        t.buttonSubscribe({ title: plan.title, stars: plan.stars_price! }),
        link,
      ),
    });
    return;
  }
  const inv = invoiceOf(t, plan);
  await ctx.api.sendInvoice(
    chatId,
    inv.title,
    inv.description,
    inv.payload,
    STARS_CURRENCY,
    inv.prices,
    // Stars need no payment provider; the contract (and Telegram's Stars guide) send an empty token.
    { provider_token: "" },
  );
}

interface Verdict {
  ok: boolean;
  reason?: "unknown_plan" | "inactive_plan" | "amount_mismatch";
}

interface StarPaymentResult {
  status: "processed" | "duplicate" | "unmatched";
  access_until?: string | null;
  payment_id?: number;
  subscription_id?: number;
}

export function createPaymentsComposer(deps: AppDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  // Telegram waits at most 10 s for this answer: one DB read, then answer.
  composer.on("pre_checkout_query", async (ctx) => {
    const q = ctx.preCheckoutQuery;
    const t = ctx.texts;
    const code = planFromPayload(q.invoice_payload);
    let verdict: Verdict;
    try {
      verdict = code === null ? { ok: false, reason: "unknown_plan" } : await deps.db.call<Verdict>(
        "stars_checkout_verdict",
        { p_plan_code: code, p_amount: q.total_amount, p_currency: q.currency },
      );
    } catch (err) {
      // Do not leave the user staring at a spinner: decline now, then fail the request (logged, 5xx).
      await ctx.answerPreCheckoutQuery(false, { error_message: t.precheckoutUnavailable }).catch(() => {});
      throw err;
    }
    if (verdict.ok) {
      await ctx.answerPreCheckoutQuery(true);
      return;
    }
    const message = verdict.reason === "inactive_plan"
      ? t.precheckoutInactivePlan
      : verdict.reason === "amount_mismatch"
      ? t.precheckoutAmountMismatch
      : t.precheckoutUnknownPlan;
    deps.log.info("pre-checkout declined", {
      request_id: ctx.requestId,
      user_id: q.from.id,
      plan: code,
      reason: verdict.reason ?? "unknown_plan",
    });
    await ctx.answerPreCheckoutQuery(false, { error_message: message });
  });

  composer.on("message:successful_payment", async (ctx) => {
    const p = ctx.message.successful_payment;
    const userId = ctx.from.id;
    const code = planFromPayload(p.invoice_payload);
    // banked (or, for a subscription, opened) at the moment Telegram says it was paid, however late
    // the update is processed
    const paidAt = new Date(ctx.message.date * 1000).toISOString();
    const recurring = p.is_recurring === true || p.subscription_expiration_date !== undefined;
    const args = {
      p_telegram_user_id: userId,
      p_plan_code: code,
      p_amount: p.total_amount,
      p_currency: p.currency,
      p_telegram_payment_charge_id: p.telegram_payment_charge_id,
      p_provider_payment_charge_id: p.provider_payment_charge_id || null,
      p_paid_at: paidAt,
    };
    const result = recurring
      // a charge of a Stars subscription: the window [paid_at, subscription_expiration_date]
      ? await deps.db.call<StarPaymentResult>("apply_star_subscription_payment", {
        ...args,
        p_subscription_expires_at: p.subscription_expiration_date
          ? new Date(p.subscription_expiration_date * 1000).toISOString()
          : null,
        p_first: p.is_first_recurring === true,
      })
      : await deps.db.call<StarPaymentResult>("apply_star_payment", args);
    deps.log.info("stars payment", {
      request_id: ctx.requestId,
      user_id: userId,
      plan: code,
      amount: p.total_amount,
      currency: p.currency,
      recurring,
      first: p.is_first_recurring === true,
      status: result.status,
    });
    if (result.status === "duplicate") return; // already thanked and granted on the first delivery

    // The payment is stored: from here on a failed reply must not fail the update (a redelivery would
    // be a duplicate and could not thank again), so replies are best effort.
    const t = ctx.texts;
    const until = result.access_until;
    const reply = result.status !== "processed" || !until
      ? t.paymentUnmatched
      : !recurring
      ? t.paymentThanks({ until })
      : p.is_first_recurring
      ? t.subscriptionThanks({ until })
      : t.subscriptionRenewedThanks({ until });
    if (result.status === "unmatched") {
      deps.log.warn("stars payment matches no plan", {
        request_id: ctx.requestId,
        user_id: userId,
        payment_id: result.payment_id,
      });
    }
    try {
      await ctx.reply(reply);
    } catch (err) {
      deps.log.warn("payment reply failed", {
        request_id: ctx.requestId,
        user_id: userId,
        error: errorMessage(err),
      });
    }
    deps.background(drainOutbox(deps, DRAIN_AFTER_REQUEST));
  });

  return composer;
}
