#!/usr/bin/env bash
# npm test: every test against the real local Postgres. Starts Postgres for the run if it was not up
# and stops it again afterwards (leaves the machine as it found it). Extra args go to `deno test`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
state="$(bash scripts/stack.sh db-up | tail -n 1)"
cleanup() { if [ "$state" = "started" ]; then bash scripts/stack.sh db-down >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres:postgres@127.0.0.1:54322/postgres}"
echo "==> Running tests (deno test)" >&2
node_modules/.bin/deno test --allow-all --quiet "${@:-tests/}"
