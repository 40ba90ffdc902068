// Text overrides from public.bot_texts, cached in-process per language for a short time: a normal
// update costs no extra query while the cache is warm, and at most one (`bot_text_overrides`) when it
// is cold. Another instance sees an edit after at most `ttlMs`; this instance at once (`invalidate`).
// Texts are cosmetic: when the overrides cannot be read, the built-in texts are used (not cached).
//
// The outbox (outbox/deliver.ts) can adopt it as it is: one store per drain (or per process), then
//   const t = textsFor(row.language_code, await store.overrides(langOf(row.language_code)));
// instead of `textsFor(row.language_code)`; its template names are the text keys already.
import type { Db } from "../db/port.ts";
import type { Logger } from "../log.ts";
import { errorMessage } from "../log.ts";
import { type Lang, type TextOverrides } from "./texts.ts";

export const TEXT_CACHE_TTL_MS = 30_000;

export interface TextStore {
  /** The overrides of one language ({} when none or unreadable). */
  overrides(lang: Lang): Promise<TextOverrides>;
  /** Forget the cached overrides (after /text changed them). */
  invalidate(): void;
}

export function createTextStore(
  deps: { db: Db; log: Logger },
  opts: { ttlMs?: number; now?: () => number } = {},
): TextStore {
  const ttl = opts.ttlMs ?? TEXT_CACHE_TTL_MS;
  const now = opts.now ?? Date.now;
  const cache = new Map<Lang, { at: number; value: Promise<TextOverrides> }>();

  return {
    overrides(lang) {
      const hit = cache.get(lang);
      if (hit && now() - hit.at < ttl) return hit.value;
      const value = deps.db.call<TextOverrides | null>("bot_text_overrides", { p_lang: lang })
        .then((v) => (v && typeof v === "object" ? v : {}))
        .catch((err) => {
          cache.delete(lang);
          deps.log.warn("text overrides unavailable; built-in texts used", {
            lang,
            error: errorMessage(err),
          });
          return {};
        });
      cache.set(lang, { at: now(), value });
      return value;
    },
    invalidate() {
      cache.clear();
    },
  };
}
