/** Mini App test helpers: init data signed the way Telegram signs it, for the test bot (or another). */
import { signInitData } from "../../functions/bot/miniapp/initdata.ts";
import puppeteer, { type Browser } from "puppeteer-core";
import { BOT_TOKEN } from "./harness.ts";

export interface TestWebAppUser {
  id: number;
  first_name?: string;
  username?: string;
  language_code?: string;
}

/** `Telegram.WebApp.initData` for a user: auth_date now (or `ageSeconds` ago), signed with `token`. */
export function initDataFor(
  user: TestWebAppUser,
  opts: { ageSeconds?: number; token?: string; extra?: Record<string, string> } = {},
): Promise<string> {
  const authDate = Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0);
  return signInitData({
    query_id: "AAHdF6IQAAAAAN0XohDhrOrc",
    user: JSON.stringify({ first_name: "Test", ...user }),
    auth_date: String(authDate),
    ...opts.extra,
  }, opts.token ?? BOT_TOKEN);
}

// ---- shared by the two browser tests (member page, admin view)

/** Debian's chromium, which scripts/test.sh installs as root when it is missing. */
export const CHROMIUM = "/usr/bin/chromium";

export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Telegram's default light theme (as a desktop client sends it). */
export const LIGHT = {
  bg_color: "#ffffff",
  secondary_bg_color: "#f0f0f0",
  section_bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#999999",
  link_color: "#2481cc",
  button_color: "#2481cc",
  button_text_color: "#ffffff",
  accent_text_color: "#2481cc",
  destructive_text_color: "#e53935",
};
export const DARK = {
  ...LIGHT,
  bg_color: "#212121",
  secondary_bg_color: "#0f0f0f",
  section_bg_color: "#212121",
  text_color: "#ffffff",
  hint_color: "#aaaaaa",
  link_color: "#8774e1",
  button_color: "#8774e1",
  accent_text_color: "#8774e1",
};

/**
 * Headless Chromium as the machine's probe runs it (no sandbox as root, no background networking: the
 * closed network refuses those connections) with a fresh profile; `close` also removes the profile.
 */
export async function launchChromium(prefix: string): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = await Deno.makeTempDir({ prefix });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
