#!/usr/bin/env bash
# Local Supabase-shaped stack without Docker: Postgres 15 + pg_cron on 127.0.0.1:54322 with the Supabase
# roles, migrations applied by the real Supabase CLI, example plans seeded, and the edge function served
# by Deno at http://127.0.0.1:54321/functions/v1/bot.
#
#   scripts/stack.sh start      everything (idempotent: a second start only reports what already runs)
#   scripts/stack.sh stop       stops what start started
#   scripts/stack.sh db-up      Postgres + roles + migrations + seed only (used by npm test); prints
#                               "started" when it had to start Postgres, "running" when it was up
#   scripts/stack.sh db-down    stops Postgres only
#   scripts/stack.sh db-url     DATABASE_URL as the Supabase CLI needs it (sslmode=disable for 127.0.0.1)
#   scripts/stack.sh status
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOCAL="$ROOT/.local"
LOGS="$LOCAL/logs"
mkdir -p "$LOGS"

PG_PORT="${PG_PORT:-54322}"
FN_PORT="${FN_PORT:-54321}"
PG_VERSION_WANTED=15
# plpgsql_check is what `supabase db lint` (npm run lint:sql) checks the SQL functions with
APT_PACKAGES="postgresql-15 postgresql-15-cron postgresql-15-plpgsql-check"
DB_URL_DEFAULT="postgresql://postgres:postgres@127.0.0.1:${PG_PORT}/postgres"
export DATABASE_URL="${DATABASE_URL:-$DB_URL_DEFAULT}"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
ok() { printf '    %s\n' "$*" >&2; }
fail() { # fail <step> <log file>
  printf '\033[31mFAILED: %s\033[0m (log: %s)\n' "$1" "$2" >&2
  [ -f "$2" ] && tail -n 20 "$2" >&2
  exit 1
}

# ---------------------------------------------------------------- dependencies
ensure_node_modules() {
  if [ -x node_modules/.bin/deno ] && [ -x node_modules/.bin/supabase ] && [ -d node_modules/grammy ]; then return; fi
  step "Installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >"$LOGS/npm.log" 2>&1 || fail "npm ci" "$LOGS/npm.log"
  ok "node_modules ready"
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] || continue
    local v; v="$(basename "$(dirname "$d")")"
    if [ "${v%%.*}" -ge "$PG_VERSION_WANTED" ] 2>/dev/null && [ -f "/usr/share/postgresql/$v/extension/pg_cron.control" ]; then
      echo "$d"; return 0
    fi
  done
  return 1
}

ensure_postgres_installed() {
  if PG_BIN="$(pg_bindir)"; then return; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    step "Installing $APT_PACKAGES with apt (one time)"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $APT_PACKAGES; } \
      >"$LOGS/apt.log" 2>&1 || fail "apt-get install $APT_PACKAGES" "$LOGS/apt.log"
    PG_BIN="$(pg_bindir)" || fail "locating Postgres after install" "$LOGS/apt.log"
    ok "installed $(basename "$(dirname "$PG_BIN")")"
  else
    echo "Postgres 15+ with pg_cron is required: install the packages $APT_PACKAGES (Debian/Ubuntu: sudo apt-get install -y $APT_PACKAGES), then run this again." >&2
    exit 1
  fi
}

# plpgsql_check only matters to npm run lint:sql: a machine set up before it was added gets it here (as
# root); without root, lint:sql says what to install and everything else still works.
PLPGSQL_CHECK_PKG="postgresql-15-plpgsql-check"
plpgsql_check_installed() { [ -f "/usr/share/postgresql/$(basename "$(dirname "$PG_BIN")")/extension/plpgsql_check.control" ]; }
ensure_plpgsql_check() {
  if plpgsql_check_installed; then return; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    step "Installing $PLPGSQL_CHECK_PKG with apt (one time)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y "$PLPGSQL_CHECK_PKG" ||
      { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "$PLPGSQL_CHECK_PKG"; }; } \
      >"$LOGS/apt.log" 2>&1 || fail "apt-get install $PLPGSQL_CHECK_PKG" "$LOGS/apt.log"
    ok "installed $PLPGSQL_CHECK_PKG"
  fi
}

# Postgres refuses to run as root: as root we run it as the `postgres` user, which must be able to reach
# the data directory. A project under a private directory (mktemp -d is 0700) is not reachable, so then
# the data lives in a per-project folder under /tmp instead.
as_pg() {
  if [ "$(id -u)" = "0" ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi
}
pick_data_dir() {
  PG_HOME="$LOCAL/postgres"
  if [ "$(id -u)" = "0" ]; then
    mkdir -p "$PG_HOME"; chown postgres:postgres "$PG_HOME"
    if ! su postgres -s /bin/bash -c "test -w '$PG_HOME' && test -x '$PG_HOME'" 2>/dev/null; then
      PG_HOME="/tmp/tribute-bot-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-10)"
      mkdir -p "$PG_HOME"; chown postgres:postgres "$PG_HOME"; chmod 700 "$PG_HOME"
    fi
  else
    mkdir -p "$PG_HOME"
  fi
  PG_DATA="$PG_HOME/data"
  PG_LOG="$PG_HOME/postgres.log"
}

pg_running() { [ -n "${PG_BIN:-}" ] && as_pg "'$PG_BIN/pg_ctl' -D '$PG_DATA' status" >/dev/null 2>&1; }
pg_ready() { pg_isready -h 127.0.0.1 -p "$PG_PORT" -q 2>/dev/null || "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q; }

# The local Postgres has no TLS, and the Supabase CLI insists on TLS for this --db-url (seen with PG_PORT=54442:
# "tls error (The server does not support SSL connections)") unless the URL says sslmode=disable.
cli_db_url() {
  case "$DATABASE_URL" in
    *sslmode=*) echo "$DATABASE_URL" ;;
    *://*@127.0.0.1[:/]* | *://*@localhost[:/]*)
      case "$DATABASE_URL" in *\?*) echo "$DATABASE_URL&sslmode=disable" ;; *) echo "$DATABASE_URL?sslmode=disable" ;; esac ;;
    *) echo "$DATABASE_URL" ;;
  esac
}

psql_local() { PGPASSWORD=postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q "$@"; }

# ---------------------------------------------------------------- database
db_start() { # sets DB_STATE to "started" or "running"
  ensure_postgres_installed
  ensure_plpgsql_check
  pick_data_dir
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    step "Creating the database cluster in $PG_DATA"
    local pw="$PG_HOME/pwfile"
    echo postgres >"$pw"; [ "$(id -u)" = "0" ] && chown postgres:postgres "$pw"
    as_pg "'$PG_BIN/initdb' -D '$PG_DATA' -A scram-sha-256 -U postgres --pwfile='$pw' -E UTF8 --locale=C.UTF-8" \
      >"$LOGS/initdb.log" 2>&1 || fail "initdb" "$LOGS/initdb.log"
    ok "cluster created"
  fi
  if pg_running && pg_ready; then
    ok "Postgres already running on 127.0.0.1:$PG_PORT"
    DB_STATE=running; return
  fi
  step "Starting Postgres $(basename "$(dirname "$PG_BIN")") with pg_cron on 127.0.0.1:$PG_PORT"
  # cron.use_background_workers: pg_cron runs each job in a background worker of the server. Its default,
  # a libpq connection to localhost, fails here (every login needs a password), and the jobs only ever
  # logged "connection failed".
  as_pg "'$PG_BIN/pg_ctl' -D '$PG_DATA' -l '$PG_LOG' -w -t 60 start -o \"-p $PG_PORT -k '$PG_HOME' -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_cron,pg_stat_statements -c cron.database_name=postgres -c cron.use_background_workers=on -c max_worker_processes=16 -c cron.timezone=UTC -c timezone=UTC\"" \
    >"$LOGS/pg_ctl.log" 2>&1 || { cat "$PG_LOG" >>"$LOGS/pg_ctl.log" 2>/dev/null; fail "starting Postgres" "$LOGS/pg_ctl.log"; }
  ok "Postgres is up"
  DB_STATE=started
}

db_stop() {
  ensure_postgres_installed
  pick_data_dir
  if pg_running; then
    step "Stopping Postgres"
    as_pg "'$PG_BIN/pg_ctl' -D '$PG_DATA' -m fast -w stop" >"$LOGS/pg_ctl.log" 2>&1 || fail "stopping Postgres" "$LOGS/pg_ctl.log"
    ok "stopped"
  fi
}

db_roles() {
  step "Ensuring the Supabase roles (anon, authenticated, service_role, authenticator)"
  psql_local -f scripts/sql/supabase_roles.sql >"$LOGS/roles.log" 2>&1 || fail "creating Supabase roles" "$LOGS/roles.log"
  ok "roles ready"
}

# Supabase has Vault; the local stack gets a stand-in with the same objects (see the file) so that the
# production schedule functions compile and plpgsql_check can check them.
db_vault_stand_in() {
  psql_local -f scripts/sql/vault_stand_in.sql >"$LOGS/vault.log" 2>&1 || fail "creating the local Vault stand-in" "$LOGS/vault.log"
}

db_migrate() {
  step "Applying migrations with the Supabase CLI"
  node_modules/.bin/supabase migration up --db-url "$(cli_db_url)" >"$LOGS/migrate.log" 2>&1 || fail "supabase migration up" "$LOGS/migrate.log"
  ok "$(grep -Eo 'up to date|Applying migration [^ ]+' "$LOGS/migrate.log" | tr '\n' ' ' || true)"
}

db_seed() {
  step "Seeding example plans (supabase/seed.sql)"
  psql_local -f supabase/seed.sql >"$LOGS/seed.log" 2>&1 || fail "seeding plans" "$LOGS/seed.log"
  ok "$(psql_local -At -c 'select count(*) from public.plans') plans"
}

db_up() {
  ensure_node_modules
  db_start
  db_roles; db_vault_stand_in; db_migrate; db_seed
  echo "$DB_STATE"
}

# ---------------------------------------------------------------- function server + local cron
fn_pid_file="$LOCAL/function.pid"
cron_pid_file="$LOCAL/cron.pid"
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

fn_start() {
  if alive "$fn_pid_file"; then ok "function already served (pid $(cat "$fn_pid_file"))"; return; fi
  step "Serving the function at http://127.0.0.1:$FN_PORT/functions/v1/bot"
  # a small young generation and a bounded old one keep the server inside the 150 MB an Edge Function
  # isolate gets (npm run bench: peak ~115 MB under load instead of ~180 MB, and no drift towards 150 MB
  # under a long stream; live data is a few tens of MB, V8 then collects more often)
  DENO_V8_FLAGS="${DENO_V8_FLAGS:---max-semi-space-size=2,--max-old-space-size=96}" \
    nohup node_modules/.bin/deno run --allow-net --allow-env --allow-read scripts/serve.ts \
    >"$LOGS/function.log" 2>&1 &
  echo $! >"$fn_pid_file"
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$FN_PORT/functions/v1/bot" >/dev/null 2>&1; then
      ok "health: 200"
      # say which values are local placeholders (no .env / environment value for them)
      # (serve.ts logs one JSON line each, with "local_default": NAME; its "msg" is "NAME: note")
      grep '"local_default":' "$LOGS/function.log" | sed -E 's/^\{"level":"info","msg":"([^"]*)".*/    \1/' >&2 || true
      return
    fi
    alive "$fn_pid_file" || break
    sleep 0.2
  done
  fail "serving the function" "$LOGS/function.log"
}

# Locally there is no pg_net, so this loop plays the part of the production schedule: every minute it
# calls the X-Cron-Secret route (expire, reminders, outbox drain), like pg_cron + pg_net do on Supabase.
cron_start() {
  if alive "$cron_pid_file"; then return; fi
  nohup node_modules/.bin/deno run --allow-net --allow-env --allow-read scripts/local_cron.ts \
    >"$LOGS/cron.log" 2>&1 &
  echo $! >"$cron_pid_file"
  ok "scheduled route called every minute (log: .local/logs/cron.log)"
}

stop_pid() { if alive "$1"; then kill "$(cat "$1")" 2>/dev/null || true; fi; rm -f "$1"; }

case "${1:-}" in
  start)
    ensure_node_modules
    db_start; db_roles; db_vault_stand_in; db_migrate; db_seed
    fn_start; cron_start
    step "Ready"
    ok "function:  http://127.0.0.1:$FN_PORT/functions/v1/bot"
    ok "database:  $DB_URL_DEFAULT"
    ok "logs:      .local/logs/   stop with: npm stop"
    ;;
  stop)
    stop_pid "$cron_pid_file"; stop_pid "$fn_pid_file"
    db_stop
    ;;
  db-up) db_up ;;
  db-down) db_stop ;;
  db-url) cli_db_url ;;
  status)
    ensure_postgres_installed; pick_data_dir
    pg_running && echo "postgres: running ($PG_DATA)" || echo "postgres: stopped"
    alive "$fn_pid_file" && echo "function: running" || echo "function: stopped"
    alive "$cron_pid_file" && echo "cron: running" || echo "cron: stopped"
    ;;
  *) echo "usage: scripts/stack.sh start|stop|db-up|db-down|db-url|status" >&2; exit 2 ;;
esac
