/**
 * The local stand-in for the production schedule (pg_cron + pg_net): every 60 s it POSTs to the
 * function's scheduled route with X-Cron-Secret and logs the answer as one JSON line. Started by
 * `npm start` (scripts/stack.sh), stopped by `npm stop`.
 *
 *   deno run --allow-net --allow-env --allow-read scripts/local_cron.ts [--once] [--url URL] [--env-file PATH]
 *
 * CRON_SECRET comes from the environment, then .env, then the local default (the same one
 * scripts/serve.ts uses). `--once` calls the route one time and exits (non-zero unless it answered 200).
 */
import { argValue, loadEnv } from "./env.ts";
import { LOCAL_FUNCTION_URL, withLocalDefaults } from "./local_defaults.ts";

export const INTERVAL_MS = 60_000;

/** Calls the scheduled route once; resolves to the log record (never throws). */
export async function callScheduledRoute(
  url: string,
  secret: string,
  timeoutMs = 55_000,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Cron-Secret": secret },
      body: "{}",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* keep the text */ }
    return {
      level: res.ok ? "info" : "error",
      msg: "scheduled route",
      status: res.status,
      ms: Date.now() - started,
      body,
    };
  } catch (err) {
    return {
      level: "error",
      msg: "scheduled route unreachable",
      url,
      ms: Date.now() - started,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

function log(record: Record<string, unknown>) {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...record }));
}

if (import.meta.main) {
  const { env } = withLocalDefaults(loadEnv(argValue(Deno.args, "--env-file") ?? ".env"));
  const url = argValue(Deno.args, "--url") ?? env.LOCAL_FUNCTION_URL ?? LOCAL_FUNCTION_URL;
  const secret = env.CRON_SECRET;

  if (Deno.args.includes("--once")) {
    const record = await callScheduledRoute(url, secret);
    log(record);
    Deno.exit(record.status === 200 ? 0 : 1);
  }

  log({ level: "info", msg: "local cron started", url, every_seconds: INTERVAL_MS / 1000 });
  let running = false;
  const tick = async () => {
    if (running) return; // a slow run is not stacked on
    running = true;
    try {
      log(await callScheduledRoute(url, secret));
    } finally {
      running = false;
    }
  };
  await tick();
  setInterval(tick, INTERVAL_MS);
}
