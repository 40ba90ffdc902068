#!/usr/bin/env bash
# npm run lint:sql: plpgsql_check over every SQL function (`supabase db lint --level warning`) against the
# local Postgres, which it starts (install + migrations, like npm test) when it is not running, and stops
# again afterwards in that case. Fails with the list of findings when there is any.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
state="$(bash scripts/stack.sh db-up | tail -n 1)"
cleanup() { if [ "$state" = "started" ]; then bash scripts/stack.sh db-down >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

if ! ls /usr/share/postgresql/*/extension/plpgsql_check.control >/dev/null 2>&1; then
  echo "lint:sql needs plpgsql_check: install postgresql-15-plpgsql-check (sudo apt-get install -y postgresql-15-plpgsql-check)" >&2
  exit 1
fi

echo "==> supabase db lint --level warning (plpgsql_check)" >&2
out="$(mktemp)"
trap 'rm -f "$out"; cleanup' EXIT
node_modules/.bin/supabase db lint --db-url "$(bash scripts/stack.sh db-url)" --level warning >"$out" ||
  { echo "supabase db lint failed" >&2; exit 1; }
# The CLI exits 0 whatever it finds (`--fail-on` would fail without the list): read its JSON instead.
node -e '
const text = require("fs").readFileSync(process.argv[1], "utf8").trim();
const start = text.indexOf("[");
const found = start < 0 ? [] : JSON.parse(text.slice(start));
let n = 0;
for (const f of found) {
  for (const i of f.issues ?? []) {
    n++;
    const where = i.statement?.lineNumber ? ` (line ${i.statement.lineNumber})` : "";
    const more = [i.detail, i.context].filter(Boolean).join("; ");
    console.error(`${f.function}${where}: ${i.level}: ${i.message}${more ? ` [${more}]` : ""}`);
  }
}
if (n) { console.error(`\nlint:sql: ${n} finding(s) in ${found.length} function(s)`); process.exit(1); }
console.error("lint:sql: no findings");
' "$out"
