#!/usr/bin/env bash
# npm run bench: scripts/bench.ts against the local Postgres, started for the run if it was not up (and
# stopped again afterwards, as npm test does). Extra args go to bench.ts; sizes come from BENCH_* (see there).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
state="$(bash scripts/stack.sh db-up | tail -n 1)"
cleanup() { if [ "$state" = "started" ]; then bash scripts/stack.sh db-down >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres:postgres@127.0.0.1:${PG_PORT:-54322}/postgres}"
node_modules/.bin/deno run -A scripts/bench.ts "$@"
# Then the broadcast pace (3 concurrent drains, fake Bot API) and the expiry/HMAC micro-benchmarks
# (scripts/bench_pace.ts; `-- --full` sends 10,000 copies at the real 25/s, about 7 minutes).
case ",${BENCH_ONLY:-pace}," in *,pace,*) node_modules/.bin/deno run -A scripts/bench_pace.ts "$@" ;; esac
