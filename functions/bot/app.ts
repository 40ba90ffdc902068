import type { Config } from "./config.ts";
import type { Db } from "./db/port.ts";
import { createPostgresDb } from "./db/postgres.ts";
import { jsonLogger, type Logger } from "./log.ts";

/** Everything a request handler needs, built once per process and passed down explicitly. */
export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** fetch used for outside HTTP (Tribute API); tests may wrap it. grammY gets config.telegramApiRoot. */
  fetch: typeof fetch;
  /**
   * Work that may finish after the response (delivering the outbox rows a request just queued).
   * On Supabase it is handed to EdgeRuntime.waitUntil; tests await `settle()`.
   */
  background(task: Promise<unknown>): void;
}

/** Connections of the pool the short per-update reads share (db/postgres.ts SHORT_CALLS), as many as cores. */
const SHORT_POOL_MAX = 2;

export function createDb(config: Config): Db {
  return config.db.kind === "postgres"
    ? createPostgresDb(config.db.url, { max: config.dbPoolMax, shortMax: SHORT_POOL_MAX })
    : lazyRpcDb(config.db.url, config.db.serviceRoleKey);
}

/**
 * The PostgREST transport, loaded on its first call: supabase-js is a large module graph that an
 * instance on DATABASE_URL never needs, so it stays out of every cold start that does not use it.
 */
function lazyRpcDb(url: string, serviceRoleKey: string): Db {
  let db: Promise<Db> | undefined;
  const get = () => db ??= import("./db/rpc.ts").then((m) => m.createRpcDb(url, serviceRoleKey));
  return {
    call: async (fn, args) => await (await get()).call(fn, args),
    close: async () => {
      if (db) await (await db).close();
    },
  };
}

type EdgeRuntimeGlobal = { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } };

/** Background runner: EdgeRuntime.waitUntil where present; errors are logged, never thrown. */
export function createBackground(log: Logger) {
  const pending = new Set<Promise<unknown>>();
  const background = (task: Promise<unknown>) => {
    const guarded = task.catch((err) => log.error("background task failed", { error: String(err) }))
      .finally(() => pending.delete(guarded));
    pending.add(guarded);
    (globalThis as EdgeRuntimeGlobal).EdgeRuntime?.waitUntil(guarded);
  };
  /** Resolves when every background task started so far (and those they started) has finished. */
  const settle = async () => {
    while (pending.size) await Promise.all([...pending]);
  };
  return { background, settle };
}

export function createAppDeps(
  config: Config,
  overrides: Partial<AppDeps> = {},
): AppDeps & { settle(): Promise<void> } {
  const log = overrides.log ?? jsonLogger;
  const { background, settle } = createBackground(log);
  return {
    config,
    db: overrides.db ?? createDb(config),
    log,
    fetch: overrides.fetch ?? globalThis.fetch.bind(globalThis),
    background: overrides.background ?? background,
    settle,
  };
}
