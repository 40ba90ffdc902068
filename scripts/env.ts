/**
 * A tiny `.env` reader (no dependency). CONTRACT section 3: the process environment wins, `.env` only
 * fills what the environment lacks (an empty environment variable counts as lacking).
 *
 * Format: `KEY=VALUE` lines; `#` comments and blank lines ignored; an optional `export ` prefix;
 * values may be 'single-quoted' (literal), "double-quoted" (\n, \t, \", \\ escapes; may span lines)
 * or bare (trimmed; ` #...` after whitespace is a comment).
 */

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses `.env` text into a record. Malformed lines are reported through `onWarning` and skipped. */
export function parseDotEnv(
  text: string,
  onWarning: (message: string) => void = () => {},
): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trimStart();
    const eq = line.indexOf("=");
    if (eq <= 0) {
      onWarning(`.env line ${lineNo}: expected KEY=VALUE`);
      continue;
    }
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) {
      onWarning(`.env line ${lineNo}: invalid variable name`);
      continue;
    }
    let rest = line.slice(eq + 1).trimStart();
    let value: string;
    if (rest.startsWith('"')) {
      // double-quoted: may continue on the following lines until the closing quote
      let body = rest.slice(1);
      let end = findClosingQuote(body);
      while (end < 0 && i + 1 < lines.length) {
        i++;
        body += "\n" + lines[i];
        end = findClosingQuote(body);
      }
      if (end < 0) {
        onWarning(`.env line ${lineNo}: unterminated double quote`);
        continue;
      }
      value = body.slice(0, end).replace(
        /\\([nrt"\\$])/g,
        (_, c: string) => c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c,
      );
    } else if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) {
        onWarning(`.env line ${lineNo}: unterminated single quote`);
        continue;
      }
      value = rest.slice(1, end);
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      value = rest.trim();
    }
    out[key] = value;
  }
  return out;
}

function findClosingQuote(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** Reads a .env file; a missing file is an empty record (other read errors are thrown). */
export function readDotEnv(path: string, onWarning?: (message: string) => void): Record<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    throw err;
  }
  return parseDotEnv(text, onWarning);
}

/** `.env` values under the environment: the environment wins wherever it has a non-empty value. */
export function mergeEnv(
  environment: Record<string, string | undefined>,
  dotenv: Record<string, string>,
): Record<string, string> {
  const merged: Record<string, string> = { ...dotenv };
  for (const [k, v] of Object.entries(environment)) {
    if (v !== undefined && (v !== "" || !(k in dotenv))) merged[k] = v;
  }
  return merged;
}

/** The configuration a script runs with: the process environment, with `.env` (at `path`) filling gaps. */
export function loadEnv(
  path = ".env",
  environment: Record<string, string | undefined> = Deno.env.toObject(),
): Record<string, string> {
  return mergeEnv(environment, readDotEnv(path, (m) => console.error(`warning: ${m} (${path})`)));
}

/** `--name value` or `--name=value` from a script's arguments. */
export function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}
