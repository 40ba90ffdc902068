/** Structured logs: one JSON object per line, never secrets (callers pass ids and outcomes, not payloads). */
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

function write(level: string, msg: string, fields?: LogFields) {
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}

export const jsonLogger: Logger = {
  info: (msg, fields) => write("info", msg, fields),
  warn: (msg, fields) => write("warn", msg, fields),
  error: (msg, fields) => write("error", msg, fields),
};

/** For tests: keeps lines in memory so a test can assert nothing secret was logged. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (msg: string, fields?: LogFields) =>
    lines.push(JSON.stringify({ level, msg, ...fields }));
  return { lines, info: push("info"), warn: push("warn"), error: push("error") };
}

/**
 * Replaces every occurrence of each secret with "***" (longest first, so a secret containing another
 * is hidden whole). Secrets shorter than `minLength` are skipped: hiding every "a" would garble text.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>, minLength = 1): string {
  const sorted = [...secrets].filter((s): s is string => !!s && s.length >= minLength)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of sorted) out = out.split(s).join("***");
  return out;
}

/** Hides the password of any `scheme://user:password@host` URL in the text. */
export function redactUrlPasswords(text: string): string {
  return text.replace(/(\/\/[^/:@\s]+:)[^@\s]+@/g, "$1***@");
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
