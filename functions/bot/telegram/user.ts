// User commands. Private chats: /start (also `/start buy_<code>`: a Stars invoice; `/start <CODE>`: redeem
// an access code, codes.ts), /status, /plans
// (Tribute links + Stars buttons), /buy, /paysupport (opens the support relay, support.ts), /terms,
// and the `buy:<code>` button that sends a Stars invoice.
// Groups: /status and /plans (plain or `@bot`). A user's status is personal, so it goes to their
// private chat with a short pointer in the group; Stars buttons there open the private chat
// (`?start=buy_<code>`), because an invoice sent in a group would be payable by anyone.
import { GrammyError, InlineKeyboard } from "grammy";
import { Composer } from "./composer.ts";
import type { AppDeps } from "../app.ts";
import { codeFromStart, redeemCode } from "./codes.ts";
import type { AccessSummary, BotContext, UserSummary } from "./context.ts";
import { listPlans, type Plan, sendStarsInvoice, starsPlan } from "./payments.ts";
import { openSupportThread } from "./support.ts";
import type { Texts } from "./texts.ts";

export const BUY_CALLBACK_PREFIX = "buy:";
/** `/start buy_<code>`: the deep link of a Stars button shown in a group. */
export const BUY_START_PREFIX = "buy_";
/** What a deep-link start parameter may carry (Telegram: A-Z a-z 0-9 _ -, up to 64). */
const START_SAFE = /^[A-Za-z0-9_-]{1,60}$/;

/** `https://t.me/<bot>?start=buy_<code>`, or null when the code cannot travel in a start parameter. */
export function buyDeepLink(botUsername: string, planCode: string): string | null {
  return START_SAFE.test(BUY_START_PREFIX + planCode)
    ? `https://t.me/${botUsername}?start=${BUY_START_PREFIX}${planCode}`
    : null;
}

/** /status text from a user summary. */
export function statusText(t: Texts, s: AccessSummary | null): string {
  if (s?.has_access) {
    const until = s.live_until ?? s.current?.expires_at ?? s.access_until;
    if (until) {
      // a recurring Stars subscription says whether it renews (/cancel, /resume)
      if (s.current?.provider === "telegram_stars" && s.current.kind === "subscription") {
        return s.current.auto_renew ? t.statusStarsRenewing({ until }) : t.statusStarsCancelled({ until });
      }
      // an access code's item is stored as provider manual, kind code: shown as "Access code"
      const provider = s.current?.kind === "code" ? "code" : s.current?.provider ?? "manual";
      return t.statusActive({ until, provider, autoRenew: s.auto_renew });
    }
  }
  if (s?.access_until && new Date(s.access_until).getTime() <= Date.now()) {
    return t.statusExpired({ until: s.access_until });
  }
  return t.statusNone;
}

/**
 * The /plans message: one line per plan, a Tribute url button and/or a Stars button per plan. With
 * `starsLink` (groups) the Stars button is a link to the private chat instead of a callback.
 */
export function plansMessage(
  t: Texts,
  plans: Plan[],
  starsLink?: (planCode: string) => string | null,
): { text: string; keyboard?: InlineKeyboard } {
  if (plans.length === 0) return { text: t.plansNone };
  const lines = [
    t.plansHeader,
    ...plans.map((p) =>
      t.planLine({
        title: p.title,
        days: p.duration_days,
        starsPrice: p.stars_price,
        recurring: p.stars_recurring === true,
      })
    ),
  ];
  const keyboard = new InlineKeyboard();
  let buttons = 0;
  for (const p of plans) {
    if (p.tribute_link) {
      keyboard.url(t.buttonTribute(p.title), p.tribute_link).row();
      buttons++;
    }
    if (p.stars_price != null && p.stars_price > 0) {
      const label = t.buttonStars({ title: p.title, stars: p.stars_price });
      if (starsLink) {
        const link = starsLink(p.code);
        if (link) {
          keyboard.url(label, link).row();
          buttons++;
        }
      } else {
        // callback_data is limited to 64 bytes; plan codes are short identifiers
        keyboard.text(label, `${BUY_CALLBACK_PREFIX}${p.code}`).row();
        buttons++;
      }
    }
  }
  return { text: lines.join("\n"), keyboard: buttons > 0 ? keyboard : undefined };
}

async function currentSummary(deps: AppDeps, ctx: BotContext): Promise<AccessSummary | null> {
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

  /** The Stars invoice of one plan, or why not (the same answers as pre-checkout gives). */
  const buy = async (ctx: BotContext, code: string) => {
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
  };

  pm.command("start", async (ctx) => {
    const payload = ctx.match.trim();
    if (payload.startsWith(BUY_START_PREFIX) && START_SAFE.test(payload)) {
      return await buy(ctx, payload.slice(BUY_START_PREFIX.length));
    }
    const code = codeFromStart(payload);
    if (code) return await redeemCode(deps, ctx, code);
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
    await buy(ctx, code);
  });

  pm.command("paysupport", async (ctx) => {
    await openSupportThread(deps, ctx.from.id);
    await ctx.reply(ctx.texts.paySupport);
  });
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

  // Groups: `/status@bot` and `/plans@bot` (grammY ignores commands addressed to another bot), and
  // plain `/status` / `/plans` where the bot sees them.
  const group = composer.chatType(["group", "supergroup"]);
  const inThread = (ctx: BotContext) => ({
    reply_parameters: { message_id: ctx.msg!.message_id, allow_sending_without_reply: true },
  });

  group.command("status", async (ctx) => {
    const from = ctx.from;
    // an anonymous admin or a channel posting in the group has no status of its own
    if (from.is_bot || ctx.msg.sender_chat) return;
    const summary = await deps.db.call<UserSummary>("user_summary", { p_telegram_user_id: from.id });
    const t = await ctx.textsIn(from.language_code ?? summary.language_code);
    const name = from.first_name;
    try {
      await ctx.api.sendMessage(from.id, statusText(t, summary));
    } catch (err) {
      // 403: never started the bot (or blocked it); 400 chat not found: never wrote to it
      const unreachable = err instanceof GrammyError &&
        (err.error_code === 403 || (err.error_code === 400 && /chat not found/i.test(err.description)));
      if (!unreachable) throw err;
      const bot = ctx.me.username;
      await ctx.reply(t.groupOpenBot({ name, bot }), {
        ...inThread(ctx),
        reply_markup: new InlineKeyboard().url(t.buttonOpenBot, `https://t.me/${bot}`),
      });
      return;
    }
    await ctx.reply(t.groupStatusSent({ name }), inThread(ctx));
  });

  group.command("plans", async (ctx) => {
    const bot = ctx.me.username;
    const { text, keyboard } = plansMessage(
      ctx.texts,
      await listPlans(deps),
      (code) => buyDeepLink(bot, code),
    );
    await ctx.reply(text, { ...inThread(ctx), ...(keyboard ? { reply_markup: keyboard } : {}) });
  });

  // Buttons of old messages we no longer understand: stop the spinner, do nothing else.
  composer.on("callback_query", (ctx) => ctx.answerCallbackQuery());

  return composer;
}
