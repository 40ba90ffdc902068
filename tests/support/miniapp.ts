/** Mini App test helpers: init data signed the way Telegram signs it, for the test bot (or another). */
import { signInitData } from "../../functions/bot/miniapp/initdata.ts";
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
