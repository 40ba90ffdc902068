/**
 * Keeps the one known non-JSON line out of the logs (which are one JSON object per line).
 *
 * Deno (locally and in Supabase's Edge Runtime) resolves npm packages with the "node" condition, so
 * `npm:grammy` is grammY's Node build, which polyfills fetch with node-fetch@2; its whatwg-url@5 and
 * tr46@0.0.3 `require("punycode")`, and Node's compat layer then prints, once per process, to stderr:
 *   (node:1234) [DEP0040] DeprecationWarning: The `punycode` module is deprecated. ...
 * Nothing of ours uses punycode and the dependency chain is not ours to change, so exactly that warning
 * (code DEP0040) is dropped here; every other warning still goes through. Entry points import this module
 * first, before anything that imports grammY (ES modules run in import order).
 */
import process from "node:process";

type EmitWarning = (warning: string | Error, ...rest: unknown[]) => void;
const proc = process as unknown as { emitWarning: EmitWarning };
const emitWarning = proc.emitWarning;

/** The warning code, from either call form: (warning, type, code) or (warning, { type, code }). */
function warningCode(warning: string | Error, rest: unknown[]): unknown {
  const [typeOrOptions, code] = rest;
  if (typeOrOptions && typeof typeOrOptions === "object") return (typeOrOptions as { code?: unknown }).code;
  if (code !== undefined) return code;
  return warning instanceof Error ? (warning as Error & { code?: unknown }).code : undefined;
}

proc.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
  if (warningCode(warning, rest) === "DEP0040") return;
  return emitWarning.call(process, warning, ...rest);
};
