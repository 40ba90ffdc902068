// PLACEHOLDER until the bot lands (helper is writing it).
import type { AppDeps } from "../app.ts";
export function createTelegramUpdateHandler(_deps: AppDeps) {
  return { async handleUpdate(_update: unknown, _requestId: string): Promise<void> {} };
}
