#!/usr/bin/env bash
# npm test: every test against the real local Postgres. Starts Postgres for the run if it was not up
# and stops it again afterwards (leaves the machine as it found it). Extra args go to `deno test`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
state="$(bash scripts/stack.sh db-up | tail -n 1)"
cleanup() { if [ "$state" = "started" ]; then bash scripts/stack.sh db-down >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres:postgres@127.0.0.1:${PG_PORT:-54322}/postgres}"
# Tests run the Supabase CLI against DATABASE_URL too; the local Postgres has no TLS, which the CLI does not
# assume here (PGSSLMODE is read by the CLI's driver, not by postgres.js). See stack.sh cli_db_url.
case "$DATABASE_URL" in
  *://*@127.0.0.1[:/]* | *://*@localhost[:/]*) export PGSSLMODE="${PGSSLMODE:-disable}" ;;
esac
if [ -f .local/cron.pid ] && kill -0 "$(cat .local/cron.pid)" 2>/dev/null; then
  echo "note: npm start is running; its once-a-minute scheduled call may deliver rows the tests create (npm stop avoids that)" >&2
fi
# The Mini App page is tested in a real headless Chromium (tests/e2e/miniapp_page.test.ts): Debian's
# chromium (+ an emoji font, so the screenshot shows ⭐ as Telegram does). Installed once, as root;
# without root the browser test is skipped and says why.
if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> apt-get install chromium fonts-noto-color-emoji (for the Mini App browser test, about 40 s once)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji; } \
      >"${TMPDIR:-/tmp}/miniapp-chromium-install.log" 2>&1 \
      || echo "note: installing chromium failed (see ${TMPDIR:-/tmp}/miniapp-chromium-install.log); the browser test will be skipped" >&2
  elif [ ! -x /usr/bin/chromium ]; then
    echo "note: /usr/bin/chromium is missing and this is not root: the Mini App browser test is skipped (apt-get install chromium)" >&2
  fi
fi
echo "==> Running tests (deno test; the tests empty the local database's tables)" >&2
# --quiet also hides what the tests print (the fault suite's figures): TEST_OUTPUT=1 shows it
quiet="--quiet"; [ "${TEST_OUTPUT:-0}" = "1" ] && quiet=""
node_modules/.bin/deno test --allow-all $quiet "${@:-tests/}"
