// User commands (private chats only): /start, /status, /plans (Tribute links + Stars buttons), /buy,
// /paysupport, /terms, and the `buy:<code>` button that sends a Stars invoice.
import { Composer, InlineKeyboard } from "grammy";
import type { AppDeps } from "../app.ts";
import type { BotContext, UserSummary } from "./context.ts";
import { listPlans, type Plan, sendStarsInvoice, starsPlan } from "./payments.ts";
import type { Texts } from "./texts.ts";

export const BUY_CALLBACK_PREFIX = "buy:";

/** /status text from a user summary. */
export function statusText(t: Texts, s: UserSummary | null): string {
  if (s?.has_access) {
    const until = s.live_until ?? s.current?.expires_at ?? s.access_until;
    if (until) {
      return t.statusActive({ until, provider: s.current?.provider ?? "manual", autoRenew: s.auto_renew });
    }
  }
  if (s?.access_until && new Date(s.access_until).getTime() <= Date.now()) {
    return t.statusExpired({ until: s.access_until });
  }
  return t.statusNone;
}

/** The /plans message: one line per plan, a Tribute url button and/or a Stars button per plan. */
export function plansMessage(t: Texts, plans: Plan[]): { text: string; keyboard?: InlineKeyboard } {
  if (plans.length === 0) return { text: t.plansNone };
  const lines = [
    t.plansHeader,
    ...plans.map((p) => t.planLine({ title: p.title, days: p.duration_days, starsPrice: p.stars_price })),
  ];
  const keyboard = new InlineKeyboard();
  let buttons = 0;
  for (const p of plans) {
    if (p.tribute_link) {
      keyboard.url(t.buttonTribute(p.title), p.tribute_link).row();
      buttons++;
    }
    if (p.stars_price != null && p.stars_price > 0) {
      // callback_data is limited to 64 bytes; plan codes are short identifiers
      keyboard.text(
        t.buttonStars({ title: p.title, stars: p.stars_price }),
        `${BUY_CALLBACK_PREFIX}${p.code}`,
      ).row();
      buttons++;
    }
  }
  return { text: lines.join("\n"), keyboard: buttons > 0 ? keyboard : undefined };
}

async function currentSummary(deps: AppDeps, ctx: BotContext): Promise<UserSummary | null> {
  if (ctx.summary) return ctx.summary;
  if (!ctx.from) return null;
  return await deps.db.call<UserSummary>("user_summary", { p_telegram_user_id: ctx.from.id });
}

export function createUserComposer(deps: AppDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const pm = composer.chatType("private");

  const replyPlans = async (ctx: BotContext) => {
    const { text, keyboard } = plansMessage(ctx.texts, await listPlans(deps));
    await ctx.reply(text, keyboard ? { reply_markup: keyboard } : {});
  };

  pm.command("start", async (ctx) => {
    const t = ctx.texts;
    const summary = await currentSummary(deps, ctx);
    await ctx.reply([t.welcome(ctx.from.first_name), statusText(t, summary), t.howToPay].join("\n\n"));
  });

  pm.command("status", async (ctx) => {
    await ctx.reply(statusText(ctx.texts, await currentSummary(deps, ctx)));
  });

  pm.command("plans", replyPlans);

  pm.command("buy", async (ctx) => {
    const code = ctx.match.trim().split(/\s+/)[0] ?? "";
    if (!code) return await replyPlans(ctx);
    const found = await starsPlan(deps, code);
    if (!found.ok) {
      await ctx.reply(
        found.reason === "unknown_plan"
          ? ctx.texts.precheckoutUnknownPlan
          : ctx.texts.precheckoutInactivePlan,
      );
      return;
    }
    await sendStarsInvoice(ctx, found.plan);
  });

  pm.command("paysupport", (ctx) => ctx.reply(ctx.texts.paySupport));
  pm.command("terms", (ctx) => ctx.reply(ctx.texts.terms));

  composer.callbackQuery(/^buy:(.{1,60})$/, async (ctx) => {
    const found = await starsPlan(deps, ctx.match[1]);
    if (!found.ok) {
      const text = found.reason === "unknown_plan"
        ? ctx.texts.precheckoutUnknownPlan
        : ctx.texts.precheckoutInactivePlan;
      await ctx.answerCallbackQuery({ text, show_alert: true });
      return;
    }
    // Stop the button's spinner first; an answer after the invoice would arrive late on slow links.
    await ctx.answerCallbackQuery();
    await sendStarsInvoice(ctx, found.plan);
  });

  // Buttons of old messages we no longer understand: stop the spinner, do nothing else.
  composer.on("callback_query", (ctx) => ctx.answerCallbackQuery());

  return composer;
}
