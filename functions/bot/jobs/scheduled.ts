// PLACEHOLDER until the scheduled job lands (helper is writing it).
import type { AppDeps } from "../app.ts";
export async function runScheduled(_deps: AppDeps): Promise<Record<string, unknown>> {
  return {};
}
export async function drainOutbox(_deps: AppDeps, _limit: number): Promise<Record<string, number>> {
  return {};
}
