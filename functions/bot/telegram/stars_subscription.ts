// /cancel and /resume: a member stops (or restarts) the renewal of their recurring Telegram Stars
// subscription. Telegram first (editUserStarSubscription with the latest charge of that subscription),
// then the database (set_stars_subscription_canceled); access stays until the paid end either way.
// A repeated command changes nothing: what the database already says is answered without a Bot API call.
import { GrammyError } from "grammy";
import { Composer } from "./composer.ts";
import type { AppDeps } from "../app.ts";
import type { BotContext } from "./context.ts";

export const STARS_SUBSCRIPTION_COMMANDS = ["cancel", "resume"] as const;
type Command = typeof STARS_SUBSCRIPTION_COMMANDS[number];

/** One row of `public.stars_subscriptions(user)`: a subscription whose paid period still runs. */
export interface StarsSubscription {
  plan_code: string;
  title: string;
  /** the latest charge: what editUserStarSubscription names */
  charge_id: string;
  /** the end of the paid period */
  until: string;
  /** the member stopped the renewal (/cancel) */
  canceled: boolean;
}

interface CanceledResult {
  status: "canceled" | "resumed" | "none";
  plan_code?: string;
  charge_id?: string;
  until?: string;
  auto_renew?: boolean;
}

/** Which subscription a `/cancel [plan]` means: the only one, the one named, or a question. */
export function pickSubscription(
  subs: StarsSubscription[],
  arg: string,
): { sub: StarsSubscription } | { none: true } | { choose: string[] } {
  if (subs.length === 0) return { none: true };
  const code = arg.trim().split(/\s+/)[0] ?? "";
  if (code) {
    const named = subs.find((s) => s.plan_code === code) ??
      subs.find((s) => s.plan_code.toLowerCase() === code.toLowerCase());
    return named ? { sub: named } : { choose: subs.map((s) => s.plan_code) };
  }
  return subs.length === 1 ? { sub: subs[0] } : { choose: subs.map((s) => s.plan_code) };
}

/**
 * Stops the renewal of the member's recurring Stars subscriptions that still renew (an admin /revoke:
 * a member without access must not go on paying). Best effort per subscription: Telegram's refusal or
 * outage is logged and counted, the revocation itself stands.
 */
export async function stopStarsRenewals(
  deps: AppDeps,
  ctx: BotContext,
  userId: number,
  subs: StarsSubscription[],
): Promise<{ stopped: number; failed: number }> {
  let stopped = 0, failed = 0;
  for (const sub of subs.filter((s) => !s.canceled)) {
    try {
      await ctx.api.editUserStarSubscription(userId, sub.charge_id, true);
    } catch (err) {
      failed++;
      deps.log.warn("could not stop a stars subscription's renewal", {
        request_id: ctx.requestId,
        user_id: userId,
        plan: sub.plan_code,
        error: err instanceof GrammyError ? err.description : String(err),
      });
      continue;
    }
    await deps.db.call("set_stars_subscription_canceled", {
      p_telegram_user_id: userId,
      p_canceled: true,
      p_plan_code: sub.plan_code,
    });
    stopped++;
  }
  return { stopped, failed };
}

export function createStarsSubscriptionComposer(deps: AppDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const pm = composer.chatType("private");

  const handle = (command: Command) => async (ctx: BotContext) => {
    const t = ctx.texts;
    const userId = ctx.from!.id;
    const canceled = command === "cancel";
    const subs = (await deps.db.call<StarsSubscription[] | null>("stars_subscriptions", {
      p_telegram_user_id: userId,
    })) ?? [];
    const picked = pickSubscription(subs, String(ctx.match ?? ""));
    if ("none" in picked) return void await ctx.reply(t.starsSubscriptionNone);
    if ("choose" in picked) {
      return void await ctx.reply(t.starsSubscriptionChoose({ command, plans: picked.choose }));
    }
    const sub = picked.sub;
    // the end of the member's access as it is now (a later banked item may follow the subscription)
    const accessEnd = () => {
      const live = ctx.summary?.live_until;
      return live && new Date(live) > new Date(sub.until) ? live : sub.until;
    };

    if (sub.canceled === canceled) {
      // already so: a repeated command (or a redelivered update) answers the same, nothing else
      await ctx.reply(
        canceled ? t.starsSubscriptionCancelled({ until: accessEnd() }) : t.starsSubscriptionResumed({
          until: sub.until,
        }),
      );
      return;
    }

    try {
      await ctx.api.editUserStarSubscription(userId, sub.charge_id, canceled);
    } catch (err) {
      // A refusal (the subscription ended, an unknown charge) is not fixed by a retry: say so. An
      // outage (5xx, network) is thrown, so Telegram redelivers the command.
      if (!(err instanceof GrammyError && err.error_code === 400)) throw err;
      deps.log.warn("editUserStarSubscription refused", {
        request_id: ctx.requestId,
        user_id: userId,
        plan: sub.plan_code,
        command,
        error: err.description,
      });
      await ctx.reply(t.starsSubscriptionFailed);
      return;
    }
    const r = await deps.db.call<CanceledResult>("set_stars_subscription_canceled", {
      p_telegram_user_id: userId,
      p_canceled: canceled,
      p_plan_code: sub.plan_code,
    });
    deps.log.info("stars subscription", {
      request_id: ctx.requestId,
      user_id: userId,
      plan: sub.plan_code,
      command,
      status: r.status,
    });
    await ctx.reply(
      canceled
        ? t.starsSubscriptionCancelled({ until: accessEnd() })
        : t.starsSubscriptionResumed({ until: r.until ?? sub.until }),
    );
  };

  pm.command("cancel", handle("cancel"));
  pm.command("resume", handle("resume"));
  return composer;
}
