// Admin commands (private chats, ADMIN_TELEGRAM_IDS only). Everyone else gets a refusal, nothing
// changes, and the attempt is recorded; every admin action is recorded too (public.admin_actions).
import { GrammyError, InlineKeyboard } from "grammy";
import { Composer } from "./composer.ts";
import type { AppDeps } from "../app.ts";
import { tributeTestReport } from "../jobs/checks.ts";
import { drainOutbox } from "../outbox/drain.ts";
import { broadcastMinutes } from "../outbox/paced.ts";
import { errorMessage } from "../log.ts";
import { codeNewCommand, codeOffCommand, codesCommand } from "./codes.ts";
import type { BotContext, UserSummary } from "./context.ts";
import { DRAIN_AFTER_REQUEST } from "./payments.ts";
import { type StarsSubscription, stopStarsRenewals } from "./stars_subscription.ts";
import { textCommand, textsCommand } from "./text_admin.ts";

export const ADMIN_COMMANDS = [
  "sync_subscriptions",
  "tribute_test",
  "stats",
  "user",
  "grant",
  "revoke",
  "refund",
  "text",
  "texts",
  "broadcast",
  "broadcast_status",
  "broadcast_cancel",
  "code_new",
  "codes",
  "code_off",
] as const;
export type AdminCommand = typeof ADMIN_COMMANDS[number];
/** The broadcast prompt's buttons, recorded like commands. */
type AdminButton = "broadcast_confirm" | "broadcast_abort";

export const ADMIN_USAGE: Record<AdminCommand, string> = {
  sync_subscriptions: "",
  tribute_test: "",
  stats: "",
  user: "<telegram_user_id>",
  grant: "<telegram_user_id> <days>",
  revoke: "<telegram_user_id>",
  refund: "<telegram_payment_charge_id>",
  text: "<key> [en|ru] (as a reply to the new wording) · /text <key> reset [en|ru]",
  texts: "",
  broadcast: "active|expired|all",
  broadcast_status: "[broadcast_id]",
  broadcast_cancel: "[broadcast_id]",
  code_new: "<days> [max_uses (default 1)] [valid_days (default: no end)]",
  codes: "",
  code_off: "<CODE>",
};

export const BROADCAST_AUDIENCES = ["active", "expired", "all"] as const;
type Audience = typeof BROADCAST_AUDIENCES[number];

/** Callback data of the broadcast prompt's buttons: `bc:ok:<id>` (send) and `bc:no:<id>` (cancel). */
export const BROADCAST_BUTTON = /^bc:(ok|no):(\d{1,18})$/;

interface BroadcastDraft {
  id: number;
  audience: Audience;
  audience_size: number;
  status: "draft" | "sending" | "cancelled";
}

type BroadcastCancel =
  | { status: "cancelled"; id: number; skipped: number }
  | { status: "not_found" | "already_cancelled" | "finished"; id: number | null };

interface BroadcastStatus {
  status: string;
  id: number;
  audience: string;
  total: number;
  sent: number;
  failed: number;
  blocked: number;
  cancelled: number;
  left: number;
  created_at: string;
}

const MAX_GRANT_DAYS = 3650;

function parseUserId(s: string | undefined): number | null {
  if (!s || !/^\d{1,16}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

function parseDays(s: string | undefined): number | null {
  if (!s || !/^\d{1,4}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= MAX_GRANT_DAYS ? n : null;
}

/** One row of `public.user_timeline(...)`. */
interface TimelineItem {
  provider: string;
  kind: string;
  status: string;
  auto_renew: boolean;
  event_at: string;
  days: number | null;
  segments: Array<[string, string]>;
}

interface StarPayment {
  telegram_user_id: number;
  status: "paid" | "refunded" | "unmatched";
  amount: number;
  currency: string;
  subscription_id: number | null;
}

export function createAdminComposer(deps: AppDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const pm = composer.chatType("private");
  const admins = new Set(deps.config.adminIds);

  const record = (
    ctx: BotContext,
    command: AdminCommand | AdminButton,
    args: Record<string, unknown>,
    result: string,
    allowed = true,
  ) =>
    deps.db.call("record_admin_action", {
      p_admin_id: ctx.from!.id,
      p_command: command,
      p_args: args,
      p_result: result.slice(0, 1000),
      p_allowed: allowed,
    });

  const argsOf = (ctx: BotContext): string[] => String(ctx.match ?? "").trim().split(/\s+/).filter(Boolean);

  /** Records and answers one admin command: the action returns [result for the log, reply text]. */
  const run = (
    command: AdminCommand,
    action: (
      ctx: BotContext,
      args: string[],
    ) => Promise<{
      result: string;
      reply: string;
      args?: Record<string, unknown>;
      /** buttons under the reply */
      keyboard?: InlineKeyboard;
    }>,
  ) =>
  async (ctx: BotContext) => {
    const args = argsOf(ctx);
    let outcome;
    try {
      outcome = await action(ctx, args);
    } catch (err) {
      // Best effort: the database may be the thing that failed. The update is then retried by Telegram.
      await record(ctx, command, { args }, `error: ${errorMessage(err)}`).catch(() => {});
      throw err;
    }
    await record(ctx, command, outcome.args ?? { args }, outcome.result);
    deps.log.info("admin command", {
      request_id: ctx.requestId,
      admin_id: ctx.from!.id,
      command,
      result: outcome.result,
    });
    await ctx.reply(outcome.reply, outcome.keyboard ? { reply_markup: outcome.keyboard } : undefined);
  };

  const usage = (ctx: BotContext, command: AdminCommand) => ({
    result: "usage",
    reply: ctx.texts.adminUsage(command, ADMIN_USAGE[command]),
  });

  // The gate: a non-admin never reaches the handlers below. They are registered behind it, so any other
  // private message (every user command) passes all the admin commands with this one check.
  const admin = pm.command([...ADMIN_COMMANDS], async (ctx, next) => {
    if (admins.has(ctx.from.id)) return await next();
    const command = ctx.msg.text.slice(1).split(/[\s@]/)[0] as AdminCommand;
    await record(ctx, command, { args: argsOf(ctx) }, "refused: not an admin", false);
    deps.log.warn("admin command refused", { request_id: ctx.requestId, user_id: ctx.from.id, command });
    await ctx.reply(ctx.texts.notAdmin);
  });

  admin.command(
    "sync_subscriptions",
    run("sync_subscriptions", async (ctx) => {
      const r = await deps.db.call<
        { checked: number; expired: number; restored: number; removals_queued: number }
      >(
        "sync_subscriptions",
      );
      deps.background(drainOutbox(deps, DRAIN_AFTER_REQUEST));
      return {
        result:
          `checked ${r.checked}, expired ${r.expired}, restored ${r.restored}, removals ${r.removals_queued}`,
        reply: ctx.texts.adminSync({ checked: r.checked, expired: r.expired, restored: r.restored }),
      };
    }),
  );

  admin.command(
    "tribute_test",
    run("tribute_test", async (ctx) => {
      // the same checks npm run doctor prints (jobs/checks.ts), shown to the admin
      const report = await tributeTestReport(deps.config, deps.fetch, { api: ctx.api });
      return {
        result: `tribute api: ${report.apiReachable}; telegram webhook: ${report.webhookInfo}`,
        reply: ctx.texts.tributeTest(report),
      };
    }),
  );

  admin.command(
    "stats",
    run("stats", async (ctx) => {
      const s = await deps.db.call<{
        active_by_provider: Record<string, number>;
        revenue_30d: Array<{ currency: string; amount: number }>;
        users_with_access?: number;
        webhooks_failed_24h?: number;
      }>("subscription_stats");
      return {
        result: `users with access: ${s.users_with_access ?? "?"}`,
        reply: ctx.texts.adminStats({
          activeByProvider: s.active_by_provider ?? {},
          revenue30d: s.revenue_30d ?? [],
          failed24h: Number(s.webhooks_failed_24h ?? 0),
        }),
      };
    }),
  );

  admin.command(
    "user",
    run("user", async (ctx, args) => {
      const userId = parseUserId(args[0]);
      if (userId === null || args.length !== 1) return usage(ctx, "user");
      const [s, timeline] = await Promise.all([
        deps.db.call<UserSummary>("user_summary", { p_telegram_user_id: userId }),
        deps.db.call<TimelineItem[]>("user_timeline", { p_telegram_user_id: userId }),
      ]);
      const t = ctx.texts;
      if (!s.known && timeline.length === 0) {
        return { result: "not found", reply: t.adminUserNotFound(userId), args: { user_id: userId } };
      }
      return {
        result: `has_access ${s.has_access}`,
        args: { user_id: userId },
        reply: t.adminUser({
          userId,
          username: s.username,
          hasAccess: s.has_access,
          accessUntil: s.has_access ? (s.live_until ?? s.access_until) : s.access_until,
          subscriptions: timeline.map((x) => ({
            provider: x.provider,
            kind: x.kind,
            status: x.status,
            eventAt: x.event_at,
            days: x.days,
            segments: x.segments,
            autoRenew: x.auto_renew,
          })),
        }),
      };
    }),
  );

  admin.command(
    "grant",
    run("grant", async (ctx, args) => {
      const userId = parseUserId(args[0]);
      const days = parseDays(args[1]);
      if (userId === null || days === null || args.length !== 2) return usage(ctx, "grant");
      const r = await deps.db.call<{ access_until: string }>("grant_access", {
        p_telegram_user_id: userId,
        p_days: days,
        p_admin_id: ctx.from!.id,
        p_request_id: String(ctx.update.update_id),
      });
      deps.background(drainOutbox(deps, DRAIN_AFTER_REQUEST));
      return {
        result: `granted ${days} days, access until ${r.access_until}`,
        args: { user_id: userId, days },
        reply: ctx.texts.adminGranted({ userId, days, until: r.access_until }),
      };
    }),
  );

  admin.command(
    "revoke",
    run("revoke", async (ctx, args) => {
      const userId = parseUserId(args[0]);
      if (userId === null || args.length !== 1) return usage(ctx, "revoke");
      // recurring Stars subscriptions would go on charging a member without access: read them before
      // the revocation ends their periods, stop their renewal after it
      const stars = (await deps.db.call<StarsSubscription[] | null>("stars_subscriptions", {
        p_telegram_user_id: userId,
      })) ?? [];
      const r = await deps.db.call<{ ended: number }>("revoke_access", {
        p_telegram_user_id: userId,
        p_admin_id: ctx.from!.id,
        p_request_id: String(ctx.update.update_id),
      });
      deps.background(drainOutbox(deps, DRAIN_AFTER_REQUEST));
      const renewals = await stopStarsRenewals(deps, ctx, userId, stars);
      return {
        result: `revoked, ${r.ended} ended` +
          (renewals.stopped || renewals.failed
            ? `; stars renewals stopped ${renewals.stopped}, failed ${renewals.failed}`
            : ""),
        args: { user_id: userId },
        reply: ctx.texts.adminRevoked({
          userId,
          ended: r.ended,
          starsStopped: renewals.stopped,
          starsFailed: renewals.failed,
        }),
      };
    }),
  );

  admin.command(
    "refund",
    run("refund", async (ctx, args) => {
      const chargeId = args[0];
      if (!chargeId || args.length !== 1 || chargeId.length > 256) return usage(ctx, "refund");
      const t = ctx.texts;
      const fail = (reason: string) => ({
        result: `refund failed: ${reason}`,
        args: { charge_id: chargeId },
        reply: t.adminRefundFailed({ chargeId, reason }),
      });
      const payment = await deps.db.call<StarPayment | null>("find_star_payment", {
        p_telegram_payment_charge_id: chargeId,
      });
      if (!payment) return fail(t.refundReasonNotFound);
      if (payment.status === "refunded") return fail(t.refundReasonAlreadyRefunded);

      // Telegram first: only money actually returned ends the access it bought.
      try {
        await ctx.api.refundStarPayment(payment.telegram_user_id, chargeId);
      } catch (err) {
        const reason = err instanceof GrammyError ? err.description : errorMessage(err);
        // Refunded earlier (e.g. our bookkeeping failed after Telegram's answer): record it now.
        if (!(err instanceof GrammyError && /CHARGE_ALREADY_REFUNDED/i.test(err.description))) {
          return fail(reason);
        }
      }
      const r = await deps.db.call<{ status: string; telegram_user_id?: number }>("refund_star_payment", {
        p_telegram_payment_charge_id: chargeId,
      });
      deps.background(drainOutbox(deps, DRAIN_AFTER_REQUEST));
      if (r.status === "already_refunded") return fail(t.refundReasonAlreadyRefunded);
      if (r.status !== "refunded") return fail(t.refundReasonNotFound);
      return {
        result: `refunded, user ${payment.telegram_user_id}`,
        args: { charge_id: chargeId, user_id: payment.telegram_user_id },
        reply: t.adminRefunded({ chargeId, userId: payment.telegram_user_id }),
      };
    }),
  );

  // Editable texts (text_admin.ts): a refused text is answered with the allowed placeholders.
  admin.command("text", run("text", (ctx, args) => textCommand(deps, ctx, args, () => usage(ctx, "text"))));
  admin.command("texts", run("texts", (ctx) => textsCommand(deps, ctx)));
  // ------------------------------------------------------------------------------------- broadcasts

  admin.command(
    "broadcast",
    run("broadcast", async (ctx, args) => {
      const audience = args[0]?.toLowerCase() as Audience | undefined;
      if (args.length !== 1 || !audience || !BROADCAST_AUDIENCES.includes(audience)) {
        return usage(ctx, "broadcast");
      }
      const t = ctx.texts;
      // the message to copy is the one the admin replied to, in this chat
      const source = ctx.msg?.reply_to_message;
      if (!source) return { result: "no message replied to", reply: t.broadcastNeedsReply };
      const b = await deps.db.call<BroadcastDraft>("create_broadcast", {
        p_admin_id: ctx.from!.id,
        p_from_chat_id: ctx.chat!.id,
        p_message_id: source.message_id,
        p_audience: audience,
        // a redelivered /broadcast finds the same draft instead of making a second one
        p_command_message_id: ctx.msg!.message_id,
      });
      const recorded = { broadcast_id: b.id, audience, message_id: source.message_id };
      if (b.status === "sending") {
        return { result: "already confirmed", args: recorded, reply: t.broadcastAlreadyConfirmed(b.id) };
      }
      if (b.status === "cancelled") {
        return { result: "already cancelled", args: recorded, reply: t.broadcastAlreadyCancelled(b.id) };
      }
      if (b.audience_size === 0) {
        return { result: "empty audience", args: recorded, reply: t.broadcastEmpty(b) };
      }
      return {
        result: `draft #${b.id}: ${audience}, ${b.audience_size} recipients`,
        args: recorded,
        reply: t.broadcastConfirm({ id: b.id, audience, size: b.audience_size }),
        keyboard: new InlineKeyboard()
          .text(t.buttonBroadcastSend(b.audience_size), `bc:ok:${b.id}`)
          .text(t.buttonBroadcastCancel, `bc:no:${b.id}`),
      };
    }),
  );

  admin.command(
    "broadcast_status",
    run("broadcast_status", async (ctx, args) => {
      const id = args.length === 0 ? null : parseUserId(args[0]);
      if (args.length > 1 || (args.length === 1 && id === null)) return usage(ctx, "broadcast_status");
      const s = await deps.db.call<BroadcastStatus>("broadcast_status", { p_id: id });
      if (s.status === "not_found") return { result: "not found", reply: ctx.texts.broadcastNotFound(id) };
      return {
        result:
          `#${s.id} ${s.status}: sent ${s.sent}, failed ${s.failed}, blocked ${s.blocked}, left ${s.left}`,
        args: { broadcast_id: s.id },
        reply: ctx.texts.broadcastStatus({ ...s, createdAt: s.created_at }),
      };
    }),
  );

  admin.command(
    "broadcast_cancel",
    run("broadcast_cancel", async (ctx, args) => {
      const id = args.length === 0 ? null : parseUserId(args[0]);
      if (args.length > 1 || (args.length === 1 && id === null)) return usage(ctx, "broadcast_cancel");
      const r = await deps.db.call<BroadcastCancel>("cancel_broadcast", {
        p_id: id,
        p_admin_id: ctx.from!.id,
      });
      return { result: r.status, args: { broadcast_id: r.id }, reply: cancelReply(ctx, r, id) };
    }),
  );

  const cancelReply = (ctx: BotContext, r: BroadcastCancel, asked: number | null): string => {
    const t = ctx.texts;
    if (r.status === "cancelled") return t.broadcastCancelled(r);
    if (r.status === "already_cancelled") return t.broadcastAlreadyCancelled(r.id!);
    if (r.status === "finished") return t.broadcastFinished(r.id!);
    return t.broadcastNotFound(asked);
  };

  // The prompt's buttons. Confirming twice (a double tap, a redelivered update, two admins) queues the
  // copies once: confirm_broadcast locks the broadcast and the outbox is unique per (broadcast, user).
  composer.callbackQuery(BROADCAST_BUTTON, async (ctx) => {
    const [, action, idText] = ctx.match as RegExpMatchArray;
    const id = Number(idText);
    const button: AdminButton = action === "ok" ? "broadcast_confirm" : "broadcast_abort";
    const t = ctx.texts;
    if (!admins.has(ctx.from.id)) {
      await record(ctx, button, { broadcast_id: id }, "refused: not an admin", false);
      deps.log.warn("admin button refused", { request_id: ctx.requestId, user_id: ctx.from.id, button });
      await ctx.answerCallbackQuery({ text: t.notAdmin, show_alert: true });
      return;
    }
    let text: string;
    let result: string;
    let final = true; // the prompt is replaced by the outcome (its buttons go away)
    if (action === "ok") {
      const r = await deps.db.call<
        { status: string; id: number; recipients: number | null; per_second?: number }
      >("confirm_broadcast", { p_id: id, p_admin_id: ctx.from.id });
      result = r.status === "confirmed" ? `confirmed: ${r.recipients} queued` : r.status;
      if (r.status === "confirmed") {
        const perSecond = r.per_second ?? 25;
        const recipients = r.recipients ?? 0;
        text = t.broadcastQueued({
          id,
          recipients,
          perSecond,
          minutes: broadcastMinutes(recipients, perSecond),
        });
      } else if (r.status === "already_confirmed") {
        text = t.broadcastAlreadyConfirmed(id);
        final = false;
      } else if (r.status === "cancelled") text = t.broadcastAlreadyCancelled(id);
      else text = t.broadcastNotFound(id);
    } else {
      const r = await deps.db.call<BroadcastCancel>("cancel_broadcast", {
        p_id: id,
        p_admin_id: ctx.from.id,
      });
      result = r.status;
      text = cancelReply(ctx, r, id);
    }
    await record(ctx, button, { broadcast_id: id }, result);
    deps.log.info("admin button", { request_id: ctx.requestId, admin_id: ctx.from.id, button, result });
    await ctx.answerCallbackQuery({ text: text.slice(0, 200) });
    if (final) {
      // best effort: the prompt may be too old to edit; the answer above already told the admin
      await ctx.editMessageText(text).catch((err) =>
        deps.log.warn("broadcast prompt not edited", { request_id: ctx.requestId, error: errorMessage(err) })
      );
    }
  });

  // Access codes and promo links (codes.ts).
  admin.command(
    "code_new",
    run("code_new", (ctx, args) => codeNewCommand(deps, ctx, args, () => usage(ctx, "code_new"))),
  );
  admin.command("codes", run("codes", (ctx) => codesCommand(deps, ctx)));
  admin.command(
    "code_off",
    run("code_off", (ctx, args) => codeOffCommand(deps, ctx, args, () => usage(ctx, "code_off"))),
  );

  return composer;
}
