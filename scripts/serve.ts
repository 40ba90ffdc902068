/**
 * Serves the edge function locally at http://127.0.0.1:54321/functions/v1/bot (what `supabase
 * functions serve` would do, without Docker). Used by `npm start` (scripts/stack.sh).
 *
 *   deno run --allow-net --allow-env --allow-read scripts/serve.ts [--env-file PATH]
 *
 * Configuration: environment first, then .env; whatever is still missing gets a safe local default,
 * one line each saying so. FN_PORT overrides the port.
 *
 * Output is the function's log: one JSON object per line, these lines included (stack.sh picks the
 * `local_default` ones out for the terminal).
 */
import "../functions/bot/node_warnings.ts"; // first: before anything imports grammY (see the file)
import { createAppDeps } from "../functions/bot/app.ts";
import { ConfigError, parseConfig } from "../functions/bot/config.ts";
import { createHandler } from "../functions/bot/handler.ts";
import { jsonLogger } from "../functions/bot/log.ts";
import { argValue, mergeEnv, readDotEnv } from "./env.ts";
import { LOCAL_FUNCTION_PATH, LOCAL_FUNCTION_PORT, withLocalDefaults } from "./local_defaults.ts";

const envFile = argValue(Deno.args, "--env-file") ?? ".env";
const dotenv = readDotEnv(envFile, (m) => jsonLogger.warn(`${m} (${envFile})`));
const { env, used } = withLocalDefaults(mergeEnv(Deno.env.toObject(), dotenv));
for (const { name, note } of used) jsonLogger.info(`${name}: ${note}`, { local_default: name });

let config;
try {
  config = parseConfig(env);
} catch (err) {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) jsonLogger.error(`config: ${problem}`);
    Deno.exit(1);
  }
  throw err;
}

const port = Number(env.FN_PORT ?? LOCAL_FUNCTION_PORT);
const handle = createHandler(createAppDeps(config));

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ hostname, port }) =>
    jsonLogger.info("serving the function", { url: `http://${hostname}:${port}${LOCAL_FUNCTION_PATH}` }),
}, (request) => {
  const pathname = pathOf(request.url);
  // the function and what lies under it (…/bot/app: the Mini App), as Supabase routes them
  if (pathname !== LOCAL_FUNCTION_PATH && !pathname.startsWith(`${LOCAL_FUNCTION_PATH}/`)) {
    return new Response(JSON.stringify({ error: "not found" }), {
      status: 404,
      headers: { "content-type": "application/json; charset=utf-8" },
    });
  }
  return handle(request);
});

/**
 * The path of an absolute request URL, without parsing it whole (`new URL` per request is a visible
 * cost at a few thousand requests a second; the handler parses it only for the Mini App paths).
 */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.search(/[?#]/);
  return url.slice(start, end < 0 ? undefined : end);
}

// npm stop / the bench end the server with SIGTERM: exit normally, so a --cpu-prof profile is written
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
