// The edge function entry point: configuration in, Deno.serve out. Everything else lives in handler.ts.
import "./node_warnings.ts"; // first: before anything imports grammY (see the file)
import { createAppDeps } from "./app.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { createHandler } from "./handler.ts";

let config;
try {
  config = parseConfig(Deno.env.toObject());
} catch (err) {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) {
      console.error(JSON.stringify({ level: "error", msg: `config: ${problem}` }));
    }
    Deno.exit(1);
  }
  throw err;
}

Deno.serve(createHandler(createAppDeps(config)));
