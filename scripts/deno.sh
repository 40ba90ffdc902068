#!/usr/bin/env bash
# Runs the project's Deno (from npm) after making sure node_modules exists, so `npm run <x>` works as
# the first command on a fresh clone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -x node_modules/.bin/deno ] || [ ! -d node_modules/grammy ]; then
  echo "==> Installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
exec node_modules/.bin/deno "$@"
