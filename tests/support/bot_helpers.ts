// Shared helpers for the bot end-to-end tests (tests/e2e/bot_*.test.ts).
import assert from "node:assert/strict";
import type { Db, RpcName } from "../../functions/bot/db/port.ts";
import { DbUnavailableError } from "../../functions/bot/db/port.ts";
import { createPostgresDb } from "../../functions/bot/db/postgres.ts";
import { DATABASE_URL, type Harness, startHarness } from "./harness.ts";

export { ADMIN_ID, PAID_CHAT_ID } from "./harness.ts";
export type { Harness };

/** Runs a test body against a fresh harness (empty tables, example plans) and always closes it. */
export async function withHarness(
  fn: (h: Harness) => Promise<void>,
  env: Record<string, string> = {},
  opts: { db?: Db } = {},
): Promise<void> {
  const h = await startHarness(env, opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

/** Posts an update with the right secret, expects `status` (200), waits for background work. */
export async function send(h: Harness, update: unknown, status = 200): Promise<Response> {
  const res = await h.postUpdate(update);
  const body = await res.text();
  assert.equal(res.status, status, `update answered ${res.status}: ${body}`);
  await h.settle();
  return res;
}

/** Texts of sendMessage calls (to one chat when given), in order. */
export function sentTexts(h: Harness, chatId?: number): string[] {
  return h.telegram.callsOf("sendMessage")
    .filter((c) => chatId === undefined || Number(c.body.chat_id) === chatId)
    .map((c) => String(c.body.text));
}

export function lastText(h: Harness, chatId?: number): string {
  const all = sentTexts(h, chatId);
  assert.ok(all.length > 0, "expected a sendMessage call");
  return all[all.length - 1];
}

/** A Db whose chosen functions fail as if the database were down (the rest reach real Postgres). */
export function flakyDb(failing: Set<RpcName>): Db {
  const real = createPostgresDb(DATABASE_URL);
  return {
    call<T>(fn: RpcName, args?: Record<string, unknown>): Promise<T> {
      if (failing.has(fn)) return Promise.reject(new DbUnavailableError("database unavailable (test)"));
      return real.call<T>(fn, args);
    },
    close: () => real.close(),
  };
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** |a - b| < tolerance (default one minute), for timestamps computed by the database from now(). */
export function assertNear(
  actual: Date | string | null | undefined,
  expectedMs: number,
  toleranceMs = 60_000,
) {
  assert.ok(actual != null, "expected a timestamp");
  const ms = new Date(actual).getTime();
  assert.ok(
    Math.abs(ms - expectedMs) < toleranceMs,
    `${new Date(ms).toISOString()} is not near ${new Date(expectedMs).toISOString()}`,
  );
}
