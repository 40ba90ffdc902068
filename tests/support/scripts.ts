/** Runs a project script (scripts/*.ts) as a subprocess with exactly the environment a test gives it. */

export const PROJECT_ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr */
  output: string;
}

/** What Deno itself needs from the environment (cache dirs, PATH for the CLI), nothing else. */
function baseEnv(): Record<string, string> {
  const keep: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR", "NO_COLOR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) keep[k] = v;
  }
  keep.NO_COLOR = "1";
  return keep;
}

export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<ScriptResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd: PROJECT_ROOT,
    env: { ...baseEnv(), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  return { code: out.code, stdout, stderr, output: stdout + stderr };
}

/** A TCP port nothing listens on right now (for a server a test starts as a subprocess). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * scripts/serve.ts as `npm start` runs it, as a subprocess on `port`, with only the environment given
 * (no .env: what is missing gets its local placeholder) and stdout/stderr piped or dropped.
 */
export function spawnServe(
  port: number,
  env: Record<string, string>,
  output: "piped" | "null" = "piped",
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "scripts/serve.ts",
      "--env-file",
      "/nonexistent/.env",
    ],
    cwd: PROJECT_ROOT,
    clearEnv: true,
    env: { ...baseEnv(), FN_PORT: String(port), ...env },
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
}

/**
 * A stand-in for the Supabase CLI: records each invocation (one line of arguments) in `log`, copies
 * files passed with --env-file/--file next to it, and exits 1 when its arguments contain `failOn`.
 */
export async function fakeSupabaseCli(dir: string, failOn?: string): Promise<{ path: string; log: string }> {
  const path = `${dir}/supabase`;
  const log = `${dir}/cli.log`;
  await Deno.writeTextFile(
    path,
    `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(log)}
prev=""
for a in "$@"; do
  if [ "$prev" = "--env-file" ] || [ "$prev" = "--file" ]; then cp "$a" ${
      JSON.stringify(dir)
    }/copied-$(basename "$a"); fi
  prev="$a"
done
${
      failOn
        ? `if [[ "$*" == *${JSON.stringify(failOn)}* ]]; then echo "fake supabase: $1 failed" >&2; exit 1; fi`
        : ""
    }
echo "fake supabase: ok"
`,
    { mode: 0o755 },
  );
  return { path, log };
}

/** A complete deploy configuration's project ref and secrets (each value distinct, to spot leaks). */
export const DEPLOY_REF = "abcdefghijklmnopqrst";
export const DEPLOY_SECRETS = {
  TELEGRAM_BOT_TOKEN: "987654:SecretBotToken_XYZ",
  TELEGRAM_WEBHOOK_SECRET: "webhook-secret-4711-abcdefghijklmnopqrstu",
  TRIBUTE_API_KEY: "tribute-key-0815",
  CRON_SECRET: "cron-secret-1234-abcdefghijklmnopqrstuvwx",
  SUPABASE_ACCESS_TOKEN: "sbp_accesstoken_5678",
  SUPABASE_DB_PASSWORD: "db-password-9999",
};
