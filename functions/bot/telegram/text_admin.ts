// /text and /texts: the admin side of editable texts. Each returns what admin.ts's `run` records and
// replies; the checks (known key, placeholders allowed and complete, length) happen here, before any
// row is written, so a refused text changes nothing.
import type { AppDeps } from "../app.ts";
import type { BotContext } from "./context.ts";
import {
  checkOverride,
  describePlaceholders,
  exampleValues,
  type Lang,
  langOf,
  renderTemplate,
  TEXT_LANGS,
  TEXT_SPECS,
} from "./texts.ts";

export interface AdminOutcome {
  result: string;
  reply: string;
  args?: Record<string, unknown>;
}

const isLang = (s: string | undefined): s is Lang => TEXT_LANGS.includes(s as Lang);

/** `/text <key> [lang]` (reply to the wording) · `/text <key> reset [lang]`; null: not that shape. */
export function parseTextArgs(
  args: string[],
  defaultLang: Lang,
): { key: string; lang: Lang; reset: boolean } | null {
  const [key, ...rest] = args;
  if (!key) return null;
  const reset = rest[0]?.toLowerCase() === "reset";
  const tail = reset ? rest.slice(1) : rest;
  if (tail.length > 1) return null;
  const lang = tail[0]?.toLowerCase() ?? defaultLang;
  if (!isLang(lang)) return null;
  return { key: key.toLowerCase(), lang, reset };
}

/** The wording an admin replied to: its text or caption (plain, as the bot sends texts). */
function repliedWording(ctx: BotContext): string | null {
  const m = ctx.msg?.reply_to_message;
  const text = m?.text ?? m?.caption;
  return text && text.trim() ? text : null;
}

export async function textCommand(
  deps: AppDeps,
  ctx: BotContext,
  args: string[],
  usage: () => AdminOutcome,
): Promise<AdminOutcome> {
  const t = ctx.texts;
  const adminLang = langOf(ctx.from?.language_code ?? ctx.summary?.language_code);
  const parsed = parseTextArgs(args, adminLang);
  if (!parsed) return usage();
  const { key, lang, reset } = parsed;
  if (!TEXT_SPECS[key]) return { result: "unknown key", reply: t.textUnknownKey(key), args: { key } };

  if (reset) {
    const removed = await deps.db.call<boolean>("reset_bot_text", { p_key: key, p_lang: lang });
    ctx.textStore.invalidate();
    return {
      result: removed ? `reset ${lang}` : `reset ${lang}: no override`,
      reply: t.textReset({ key, lang, removed }),
      args: { key, lang, reset: true },
    };
  }

  const wording = repliedWording(ctx);
  if (wording === null) {
    const current =
      (await deps.db.call<Record<string, string> | null>("bot_text_overrides", { p_lang: lang }))
        ?.[key] ?? null;
    return {
      result: "shown",
      reply: t.textHowTo({ key, lang, placeholders: describePlaceholders(key), current }),
      args: { key, lang },
    };
  }

  const check = checkOverride(key, wording);
  if (!check.ok) {
    const refused = { key, lang, text: wording };
    if (check.reason === "too_long") {
      return { result: "refused: too long", reply: t.textTooLong({ key, max: check.max }), args: refused };
    }
    if (check.reason === "placeholders") {
      return {
        result: `refused: unknown [${check.unknown.join(",")}] missing [${check.missing.join(",")}]`,
        reply: t.textRefused({
          key,
          unknown: check.unknown,
          missing: check.missing,
          allowed: describePlaceholders(key),
        }),
        args: refused,
      };
    }
    return { result: "unknown key", reply: t.textUnknownKey(key), args: { key } };
  }

  await deps.db.call("set_bot_text", { p_key: key, p_lang: lang, p_text: wording, p_admin_id: ctx.from!.id });
  ctx.textStore.invalidate();
  return {
    result: `saved ${lang}`,
    reply: t.textSaved({ key, lang, preview: renderTemplate(wording, exampleValues(lang)) }),
    args: { key, lang, text: wording },
  };
}

export async function textsCommand(deps: AppDeps, ctx: BotContext): Promise<AdminOutcome> {
  const index = (await deps.db.call<Record<string, string[]> | null>("bot_text_index")) ?? {};
  const lines = Object.keys(TEXT_SPECS).map((key) => ({
    key,
    placeholders: describePlaceholders(key),
    overridden: index[key] ?? [],
  }));
  const overridden = lines.filter((l) => l.overridden.length > 0).length;
  return { result: `${lines.length} keys, ${overridden} overridden`, reply: ctx.texts.textsList(lines) };
}
