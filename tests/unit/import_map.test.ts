// The deployed function resolves packages through supabase/import_map.json; locally Deno uses
// deno.json. Both must map every runtime package to the same npm: specifier.
import assert from "node:assert/strict";

Deno.test("supabase/import_map.json maps the same runtime packages as deno.json", async () => {
  const deno = JSON.parse(await Deno.readTextFile("deno.json"));
  const map = JSON.parse(await Deno.readTextFile("supabase/import_map.json"));
  const runtime = Object.fromEntries(Object.entries(deno.imports).filter(([name]) => name !== "fast-check"));
  assert.deepEqual(map.imports, runtime);
  const config = await Deno.readTextFile("supabase/config.toml");
  assert.match(config, /\[functions\.bot\][^[]*verify_jwt = false/);
  assert.match(config, /entrypoint = "\.\.\/functions\/bot\/index\.ts"/);
  assert.match(config, /import_map = "\.\/import_map\.json"/);
});
