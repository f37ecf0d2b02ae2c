#!/usr/bin/env bash
# Interoperability test: the official MCP TypeScript SDK clients against mcpgate: the 1.x SDK
# (@modelcontextprotocol/sdk) over Streamable HTTP (/mcp) and legacy HTTP+SSE (/sse), and the v2
# SDK (@modelcontextprotocol/client) in the stateless 2026-07-28 era on /mcp.
#
#   tests/sdk/run.sh [--binary PATH]      (default binary: build/mcpgate in the repository)
#
# Installs the pinned npm dependencies into tests/sdk/node_modules (npm ci, only when they are
# missing or stale), starts mcpgate on a free loopback port with --conformance-fixtures, runs
# client_test.mjs against it (protocol features over both transports), then
# archon_tools_test.mjs (Archon's 16 tools one by one through both transports; it starts its own
# mcpgate with a fixture backend), then embedded_tools_test.mjs (the same tools on the embedded
# store, and a SIGKILL in the middle of writes), then durability_test.mjs on a throwaway
# PostgreSQL (two instances on one database; one frozen with SIGSTOP while it holds a row lock
# holds the other's write only until the idle-transaction timeout; then SIGKILLed in the middle
# of writes while its pooled connections are in transactions: the other keeps writing, and the
# restarted one finds every acknowledged write whole), then modern_era_test.mjs (the v2 client in the 2026-07-28 era
# takes the same tour while a 1.x client holds a 2025-11-25 session on the same server; a
# dual-era v2 client picks the modern era), then restart_test.mjs (1.x clients' next calls
# succeed by themselves after mcpgate is killed with SIGKILL and restarted on the same port and
# store), on a SQLite file and again on the throwaway PostgreSQL, then nginx_modern_test.mjs
# (two instances on one SQLite file behind nginx with the shipped config: modern clients
# round-robin, a 2025 session where the config routes it), then failover_test.mjs (three
# instances on one store behind nginx with no affinity, one killed under 20 clients, on one
# SQLite file and again on the throwaway PostgreSQL; nginx is installed with apt-get when
# missing, as scripts/smoke-nginx.sh does), then
# oauth_test.mjs (mcpgate as an OAuth resource server for a local authorization server signing
# with `jose`: the SDKs' client-credentials providers discover it from mcpgate's 401 and call
# tools on both transports and both eras), and always stops the servers. The last line is
#
#   sdk: N passed, M failed
#
# and the exit status is non-zero when anything failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

binary=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) [[ $# -ge 2 ]] || { echo "run.sh: --binary needs a path" >&2; exit 2; }
              binary="$2"; shift 2 ;;
    --binary=*) binary="${1#--binary=}"; shift ;;
    # The comment block at the top, however long it grows.
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (usage: run.sh [--binary PATH])" >&2; exit 2 ;;
  esac
done

# Bounds for every wait.
readonly NPM_TIMEOUT_S=600       # npm ci
readonly PORT_WAIT_S=20          # server start-up, until the port file appears
readonly CLIENT_TIMEOUT_S=240    # the whole client test
readonly STOP_WAIT_S=5           # SIGTERM, then SIGKILL

passed=0
failed=0
server_pid=""
server_log=""
work=""
show_log=0

summary() { echo "sdk: ${passed} passed, ${failed} failed"; }

# Stops the server this script started (SIGTERM, then SIGKILL after a bounded wait) and, when
# something failed, prints the tail of its log. Safe to call more than once.
stop_server() {
  if [[ -n "$server_pid" ]]; then
    # The server runs in its own process group (setsid), so a wrapper script passed as
    # --binary is stopped together with whatever it started.
    local target="$server_pid"
    [[ "$(ps -o pgid= -p "$server_pid" 2>/dev/null | tr -d ' ')" == "$server_pid" ]] && target="-$server_pid"
    if kill -0 "$server_pid" 2>/dev/null; then
      kill -TERM -- "$target" 2>/dev/null || true
      local deadline=$((SECONDS + STOP_WAIT_S))
      while ((SECONDS < deadline)); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$server_pid" 2>/dev/null; then
        echo "run.sh: mcpgate did not stop within ${STOP_WAIT_S} s of SIGTERM; killing it" >&2
        kill -KILL -- "$target" 2>/dev/null || true
      fi
    fi
    kill -KILL -- "$target" 2>/dev/null || true  # anything left in its process group
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  if [[ "$show_log" -eq 1 && -n "$server_log" && -s "$server_log" ]]; then
    echo "---- mcpgate log (last 60 of $(wc -l < "$server_log") lines) ----" >&2
    tail -n 60 "$server_log" >&2
    echo "---- end of mcpgate log ----" >&2
    show_log=0
  fi
}

pg_dir=""
cleanup() {
  stop_server
  [[ -n "$pg_dir" ]] && "$repo/scripts/pg-throwaway.sh" stop "$pg_dir" >/dev/null 2>&1
  [[ -n "$work" ]] && rm -rf "$work"
  return 0
}

# A failure that stops the run: count it, stop the server, print the summary last.
# Without a message: the failure has said why already (npm_install, node_at_least).
fail_setup() {
  if [[ $# -gt 0 ]]; then echo "run.sh: $*" >&2; fi
  failed=$((failed + 1))
  show_log=1
  stop_server
  summary
  exit 1
}

# --- the binary --------------------------------------------------------------------------
if [[ -z "$binary" ]]; then
  binary="$repo/build/mcpgate"
elif [[ "$binary" != /* ]]; then
  if [[ -e "$PWD/$binary" ]]; then binary="$PWD/$binary"; else binary="$repo/$binary"; fi
fi
[[ -x "$binary" ]] || fail_setup "mcpgate binary not found or not executable: $binary (build it, or pass --binary PATH)"

# --- node and the npm dependencies ------------------------------------------------------
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"
# Node >= 20: the one on PATH, or node@22 from npm in the cache. A failure has said why.
node_bin="$(node_at_least 20)" || fail_setup
PATH="$(dirname "$node_bin"):$PATH"
export PATH

# node_modules is stale when package.json, package-lock.json or the node version changed
# since the last npm ci (recorded in a stamp file inside node_modules).
stamp_file="$here/node_modules/.mcpgate-sdk-stamp"
want_stamp="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1) node-$(node --version)"
if [[ ! -f "$stamp_file" || "$(cat "$stamp_file")" != "$want_stamp" \
      || ! -f "$here/node_modules/@modelcontextprotocol/sdk/package.json" \
      || ! -f "$here/node_modules/@modelcontextprotocol/client/package.json" \
      || ! -f "$here/node_modules/jose/package.json" ]]; then
  echo "run.sh: installing npm dependencies (npm ci) into $here/node_modules"
  MCPGATE_NPM_TIMEOUT=$NPM_TIMEOUT_S npm_install "tests/sdk's dependencies" "$here" ci || fail_setup
  printf '%s\n' "$want_stamp" > "$stamp_file"
fi

# --- the server --------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-sdk.XXXXXX")"
port_file="$work/port"
server_log="$work/server.log"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A scratch store: never the user's own default data file.
setsid "$binary" --host 127.0.0.1 --port 0 --port-file "$port_file" --conformance-fixtures \
  --data "$work/data.db" \
  >"$server_log" 2>&1 &
server_pid=$!

port=""
deadline=$((SECONDS + PORT_WAIT_S))
while ((SECONDS < deadline)); do
  # The port file is complete once it holds digits and a newline.
  if [[ -s "$port_file" && "$(tail -c1 "$port_file" | od -An -c | tr -d ' ')" == '\n' ]]; then
    port="$(tr -d '[:space:]' < "$port_file")"
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    fail_setup "mcpgate exited during start-up"
  fi
  sleep 0.1
done
if [[ ! "$port" =~ ^[0-9]+$ ]]; then
  fail_setup "mcpgate wrote no usable port to $port_file within ${PORT_WAIT_S} s (got '${port}')"
fi
url="http://127.0.0.1:${port}"
echo "run.sh: mcpgate ($binary) listening at $url"

# --- the client tests --------------------------------------------------------------------
# run_node_test LABEL SCRIPT ARGS...: runs one node test with a deadline, tees its output and adds
# its RESULT line's counts to the totals (a test that dies without a RESULT line counts as one
# failure).
run_node_test() {
  local label=$1 script=$2 log="$work/$1.log" status=0 line p f
  shift 2
  NO_PROXY="127.0.0.1,localhost,::1" no_proxy="127.0.0.1,localhost,::1" \
    timeout --kill-after=5 "$CLIENT_TIMEOUT_S" node "$here/$script" "$@" 2>&1 \
    | tee "$log" || status=$?
  # With pipefail, status is node's status (124 on timeout), or tee's.
  line="$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+$' "$log" | tail -n1 || true)"
  p=0 f=0
  if [[ -n "$line" ]]; then
    p="$(sed -E 's/^RESULT passed=([0-9]+) failed=([0-9]+)$/\1/' <<<"$line")"
    f="$(sed -E 's/^RESULT passed=([0-9]+) failed=([0-9]+)$/\2/' <<<"$line")"
  fi
  if [[ "$status" -ne 0 && "$f" -eq 0 ]]; then
    # The client died (or timed out) before it could report its failures.
    f=1
    if [[ "$status" -eq 124 ]]; then
      echo "run.sh: $label did not finish within ${CLIENT_TIMEOUT_S} s" >&2
    else
      echo "run.sh: $label exited with status $status without a result" >&2
    fi
  fi
  passed=$((passed + p))
  failed=$((failed + f))
}

# The protocol features, against the server started above (with the conformance fixtures).
run_node_test client client_test.mjs "$url"
# Archon's 16 tools one by one; it starts its own mcpgate with a fixture backend.
run_node_test archon-tools archon_tools_test.mjs --binary "$binary"
# The 16 tools on the embedded store after `mcpgate ingest`, and SIGKILL durability; it starts
# its own mcpgate with a scratch --data file.
run_node_test embedded-tools embedded_tools_test.mjs --binary "$binary"

# One throwaway PostgreSQL for the tests that run on it, each on a database of its own
# (scripts/pg-throwaway.sh: a unix socket in its own folder, which the postgres user must reach,
# hence not inside $work). Started once: initdb is the slow part.
pg_dir=$(mktemp -u "${TMPDIR:-/tmp}/mcpgate-sdk-pg.XXXXXX")
pg_ready=0
if "$repo/scripts/pg-throwaway.sh" start "$pg_dir" >/dev/null; then
  pg_ready=1
else
  echo "run.sh: could not start a throwaway PostgreSQL; the PostgreSQL runs fail" >&2
fi
# run_pg_test LABEL SCRIPT ARGS...: run_node_test with --data on a new database named after the
# label; counts one failure when there is no cluster or no database.
run_pg_test() {
  local label=$1 uri
  if [[ "$pg_ready" -eq 1 ]] && uri=$("$repo/scripts/pg-throwaway.sh" database "$pg_dir" "${label//-/_}"); then
    run_node_test "$@" --data "$uri"
  else
    echo "run.sh: $label not run: no throwaway PostgreSQL database" >&2
    failed=$((failed + 1))
  fi
}

# Two instances on one PostgreSQL database, one frozen holding a lock, then SIGKILLed in the
# middle of writes: the other keeps writing, the restarted one finds every acknowledged write.
run_pg_test durability-postgresql durability_test.mjs --binary "$binary"
# Both eras at once: the v2 SDK client statelessly (2026-07-28) beside a 1.x client's 2025-11-25
# session on one server; it starts its own mcpgate with a scratch --data file.
run_node_test modern-era modern_era_test.mjs --binary "$binary"
# SIGKILL and a restart on the same port and --data file under 1.x clients: their next calls
# succeed by themselves; it starts its own mcpgate.
run_node_test restart restart_test.mjs --binary "$binary"
run_pg_test restart-postgresql restart_test.mjs --binary "$binary"
# Two instances on one SQLite file behind nginx (the shipped config, from a temporary prefix):
# modern clients round-robin over both, a 2025 session stays on its instance.
nginx_bin="$(command -v nginx || true)"
if [[ -z "$nginx_bin" ]]; then
  # shellcheck source=scripts/deps.sh
  source "$repo/scripts/deps.sh"
  ensure_packages --nginx || fail_setup "could not install nginx"
  nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
fi
run_node_test nginx-modern nginx_modern_test.mjs --binary "$binary" --nginx "$nginx_bin"
# Three instances on one store behind nginx with no affinity (scripts/nginx/mcpgate-hosts.conf):
# 20 clients keep calling while one instance is SIGKILLed; no session lost, no write lost.
run_node_test failover failover_test.mjs --binary "$binary" --nginx "$nginx_bin"
# The same on the throwaway PostgreSQL, the last test on it.
run_pg_test failover-postgresql failover_test.mjs --binary "$binary" --nginx "$nginx_bin"
if [[ "$pg_ready" -eq 1 ]]; then "$repo/scripts/pg-throwaway.sh" stop "$pg_dir" || true; fi
pg_dir=""
# OAuth: a local authorization server on loopback, the SDKs' OAuth clients end to end; it starts
# its own mcpgate with --oauth-issuer and a scratch --data file.
run_node_test oauth oauth_test.mjs --binary "$binary"

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "run.sh: mcpgate is no longer running (it exited during the test)" >&2
  failed=$((failed + 1))
fi

if [[ "$failed" -ne 0 ]]; then
  show_log=1
  stop_server
  summary
  exit 1
fi
stop_server
summary
