#!/usr/bin/env bash
# Benchmarks mcpgate against the official TypeScript SDK (bench/peers/ts-sdk; its v2 in
# bench/peers/ts-sdk-v2 for the modern era) and against the ceiling of this stack: bare
# cpp-httplib answering the same bytes (calls workload) and bare cpp-httplib + libcurl
# forwarding the same call (forward workload):
#
#   bench/run.sh [quick|full] [--only WORKLOAD] [--build-dir DIR] [--out FILE.md]
#
# Workloads (bench/loadgen; see bench/README.md):
#   sessions  N legacy HTTP+SSE sessions open at once, each initialises and calls session_info
#   legacy    N legacy HTTP+SSE sessions the way a fleet of node clients holds them (each stream
#             on its own connection, keep-alive off), then each initialises and calls
#             health_check, 16 at a time over 24 keep-alive connections: RSS per session before
#             and after the calls, the calls phase's POSTs/s and p50/p99
#   calls     one Streamable HTTP session, 1 and 16 connections calling session_info
#   modern    stateless MCP 2026-07-28 calls (no session) of health_check on 1 and 16
#             connections and of session_info on 16, against mcpgate and the TypeScript SDK v2
#             peer (createMcpHandler)
#   herd      N first clients while the server's start-up (a backend health probe) takes 2 s
#   forward   find_projects through the server vs. the same backend request made directly
# Each repetition runs every workload against every server, alternating, each on a freshly
# started server; the report gives the median of the repetitions.
#
#   quick  1 repetition, small sizes (200 sessions, 1,000 legacy, 100 herd clients, 2 s loops): checks that
#          the harness works, in well under 2 minutes. scripts/test.sh runs it. It fails only
#          when a workload could not run or a client was not served; it never judges speed.
#   full   3 repetitions, 10,000 sessions and legacy sessions, 1,000 herd clients, 20 s of warm-up before each
#          calls measurement (the peer needs 15-20 s to reach full speed), 10 s loops.
#   --only WORKLOAD  run that workload alone (sessions, legacy, calls, modern, baseline, herd,
#          forward or crawl), at the mode's sizes and repetitions: to measure one change in
#          minutes instead of the full run's hour.
#
# Writes a Markdown report: FILE.md (default: bench/results/<date>.md for full, a temporary file
# for quick) and the raw JSON lines beside it (.jsonl). Needs the release build (built here if
# missing), Node >= 20 and npm (the peers are installed with `npm ci` into
# bench/peers/ts-sdk/node_modules and bench/peers/ts-sdk-v2/node_modules). Every server listens
# on 127.0.0.1 and is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
mode=quick
build_dir="$repo/build"
out=""
only=""

usage() {
  sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while (($# > 0)); do
  case "$1" in
    quick | full) mode=$1; shift ;;
    --build-dir) build_dir=$(cd "$2" && pwd); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --only)
      case "$2" in
        sessions | legacy | calls | modern | baseline | herd | forward | crawl) only=$2 ;;
        *) echo "run.sh: --only takes sessions, legacy, calls, modern, baseline, herd, forward or crawl, not: $2" >&2; exit 2 ;;
      esac
      shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done

if [[ $mode == full ]]; then
  reps=3 sessions=10000 legacy_sessions=10000 herd_clients=1000 warmup=20 seconds=10 forward_seconds=5
  crawl_pages=10000
else
  reps=1 sessions=200 legacy_sessions=1000 herd_clients=100 warmup=1 seconds=2 forward_seconds=1
  crawl_pages=500
fi
herd_delay_ms=2000
stamp=$(date -u +%Y-%m-%d)
if [[ -z $out ]]; then
  if [[ $mode == full ]]; then
    out="$here/results/$stamp.md"
  else
    out="$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-bench.XXXXXX")/$stamp-quick.md"
  fi
fi
mkdir -p "$(dirname "$out")"
results="${out%.md}.jsonl"
: >"$results"

say() { echo "bench: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# --- what the run needs --------------------------------------------------------------------
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"
# The TypeScript SDK peer needs Node >= 20: the one on PATH, or node@22 from npm in the cache.
# A failure has said why (npm_install's one line).
node_bin=$(node_at_least 20) || exit 1
PATH="$(dirname "$node_bin"):$PATH"
export PATH

if [[ ! -f "$build_dir/build.ninja" ]]; then
  meson setup "$build_dir" -Dbuildtype=release >/dev/null || die "meson setup $build_dir failed"
fi
ninja -C "$build_dir" mcpgate bench/loadgen bench/stub_backend bench/bare_httplib bench/bare_proxy bench/crawl_bench >/dev/null ||
  die "building the benchmark binaries in $build_dir failed"
mcpgate="$build_dir/mcpgate"
loadgen="$build_dir/bench/loadgen"
stub_backend="$build_dir/bench/stub_backend"
bare_httplib="$build_dir/bench/bare_httplib"
bare_proxy="$build_dir/bench/bare_proxy"
crawl_bench="$build_dir/bench/crawl_bench"

peer_dir="$here/peers/ts-sdk"
if [[ ! -d "$peer_dir/node_modules/@modelcontextprotocol/sdk" ||
  "$peer_dir/package-lock.json" -nt "$peer_dir/node_modules/.package-lock.json" ]]; then
  say "installing the TypeScript SDK peer (npm ci)"
  npm_install "the TypeScript SDK peer's dependencies" "$peer_dir" ci || exit 1
fi
peer_v2_dir="$here/peers/ts-sdk-v2"
if [[ ! -d "$peer_v2_dir/node_modules/@modelcontextprotocol/server" ||
  "$peer_v2_dir/package-lock.json" -nt "$peer_v2_dir/node_modules/.package-lock.json" ]]; then
  say "installing the TypeScript SDK v2 peer (npm ci)"
  npm_install "the TypeScript SDK v2 peer's dependencies" "$peer_v2_dir" ci || exit 1
fi

# Thousands of sockets on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- servers ---------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-bench-run.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.2
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

server_pid="" server_port=""
# start NAME COMMAND... : runs COMMAND (which writes its port to $work/NAME.port) in the
# background; sets server_pid and server_port once it listens.
start() {
  local name=$1
  shift
  local port_file="$work/$name.port"
  rm -f "$port_file"
  "$@" --port 0 --port-file "$port_file" >"$work/$name.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  local waited=0
  while [[ ! -s $port_file ]]; do
    kill -0 "$server_pid" 2>/dev/null || die "$name exited at start: $(tail -n 5 "$work/$name.log")"
    ((waited++ < 200)) || die "$name did not start listening within 20 s"
    sleep 0.1
  done
  server_port=$(<"$port_file")
}

stop() {
  local pid=$1 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && ((waited++ < 50)); do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# start_server KIND NAME [--backend URL]: mcpgate (embedded store, caps raised for 10,000
# streams), the TypeScript peer, or the TypeScript SDK v2 peer (modern era only, no backend).
start_server() {
  local kind=$1 name=$2
  shift 2
  case "$kind" in
    mcpgate)
      start "$name" "$mcpgate" --log-level warn --data "$work/$name.db" \
        --max-connections 20000 --max-sessions 20000 "$@"
      ;;
    ts-sdk)
      start "$name" node "$peer_dir/server.mjs" "$@"
      ;;
    ts-sdk-v2)
      start "$name" node "$peer_v2_dir/server.mjs" "$@"
      ;;
  esac
}

# record REP SERVER JSON-LINE
record() {
  printf '{"rep":%s,"server":"%s","result":%s}\n' "$1" "$2" "$3" >>"$results"
}

failures=0
# measure REP SERVER LOADGEN-ARGS...: one workload; its JSON line goes to the results. A
# loadgen that fails, or a run with errors, is a failure of the harness (not a slow result).
measure() {
  local rep=$1 server=$2 line
  shift 2
  if ! line=$("$loadgen" "$@" 2>>"$work/loadgen.log"); then
    say "FAILED: $server: loadgen $1: $(tail -n 1 "$work/loadgen.log")"
    failures=$((failures + 1))
    return 0
  fi
  record "$rep" "$server" "$line"
  local errors
  errors=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("errors", 0))' "$line")
  if ((errors > 0)); then
    say "FAILED: $server: $1 had $errors errors: $line"
    failures=$((failures + 1))
  fi
}

# --- workloads -------------------------------------------------------------------------------
run_sessions() {
  local rep=$1 kind=$2
  start_server "$kind" "$kind-sessions"
  local pid=$server_pid
  measure "$rep" "$kind" sessions --url "http://127.0.0.1:$server_port/sse" \
    --sessions "$sessions" --pid "$pid" --label "$kind"
  stop "$pid"
}

# The client pattern of issue 17: each stream's GET on its own connection with keep-alive off, all
# POSTs over one pool of 24 keep-alive connections with 16 sessions (so at most 16 POSTs) in
# flight, health_check called once per session.
run_legacy() {
  local rep=$1 kind=$2
  start_server "$kind" "$kind-legacy"
  local pid=$server_pid
  measure "$rep" "$kind" sessions --url "http://127.0.0.1:$server_port/sse" \
    --sessions "$legacy_sessions" --tool health_check --call-window 16 --post-connections 24 \
    --streams-close --pid "$pid" --label "$kind"
  stop "$pid"
}

run_calls() {
  local rep=$1 kind=$2 connections
  start_server "$kind" "$kind-calls"
  local pid=$server_pid port=$server_port
  for connections in 1 16; do
    measure "$rep" "$kind" calls --url "http://127.0.0.1:$port/mcp" --connections "$connections" \
      --warmup "$warmup" --seconds "$seconds" --pid "$pid" --label "$kind"
  done
  stop "$pid"
}

# Stateless 2026-07-28 calls, no session, on mcpgate (KIND mcpgate) or the TypeScript SDK v2
# peer (ts-sdk-v2), with the session calls' warm-up: health_check on 1 and 16 connections (the
# comparison), then session_info on 16 (the session calls' tool: the eras side by side).
run_modern_calls() {
  local rep=$1 kind=$2 tool connections
  start_server "$kind" "$kind-modern"
  local pid=$server_pid port=$server_port
  for tool in health_check:1 health_check:16 session_info:16; do
    connections=${tool#*:}
    measure "$rep" "$kind" calls --url "http://127.0.0.1:$port/mcp" --modern --tool "${tool%:*}" \
      --connections "$connections" --warmup "$warmup" --seconds "$seconds" --pid "$pid" --label "$kind"
  done
  stop "$pid"
}

# The baseline answers every POST with the bytes mcpgate answers to the same tools/call.
run_baseline_calls() {
  local rep=$1 connections
  start_server mcpgate mcpgate-capture
  local pid=$server_pid port=$server_port sid
  sid=$(curl -s -D - -o /dev/null --max-time 10 "http://127.0.0.1:$port/mcp" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' |
    tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
  [[ -n $sid ]] || die "could not start a session on mcpgate to capture its answer"
  curl -s --max-time 10 -o "$work/answer.body" "http://127.0.0.1:$port/mcp" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-06-18' \
    -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"session_info","arguments":{}}}'
  stop "$pid"
  [[ -s $work/answer.body ]] || die "mcpgate's answer to tools/call was empty"
  start bare-httplib "$bare_httplib" --body-file "$work/answer.body"
  pid=$server_pid port=$server_port
  # 8 connections too: one hop at the forward workload's concurrency is that workload's floor.
  for connections in 1 8 16; do
    measure "$rep" bare-httplib calls --url "http://127.0.0.1:$port/mcp" --connections "$connections" \
      --warmup "$warmup" --seconds "$seconds" --without-session --pid "$pid" --label bare-httplib
  done
  stop "$pid"
}

run_herd() {
  local rep=$1 kind=$2
  start stub-herd "$stub_backend" --health-delay-ms "$herd_delay_ms"
  local stub=$server_pid stub_port=$server_port
  start_server "$kind" "$kind-herd" --backend "http://127.0.0.1:$stub_port"
  local pid=$server_pid
  measure "$rep" "$kind" herd --url "http://127.0.0.1:$server_port/mcp" --clients "$herd_clients" \
    --label "$kind"
  stop "$pid"
  stop "$stub"
}

# KIND is mcpgate, ts-sdk or bare-proxy (cpp-httplib and libcurl forwarding each call with
# nothing else: the floor of this stack for the workload).
run_forward() {
  local rep=$1 kind=$2 connections
  for connections in 1 8; do
    start stub-forward "$stub_backend"
    local stub=$server_pid stub_port=$server_port
    if [[ $kind == bare-proxy ]]; then
      start bare-proxy "$bare_proxy" --backend "http://127.0.0.1:$stub_port"
    else
      start_server "$kind" "$kind-forward" --backend "http://127.0.0.1:$stub_port"
    fi
    local pid=$server_pid
    measure "$rep" "$kind" forward --url "http://127.0.0.1:$server_port/mcp" \
      --backend "http://127.0.0.1:$stub_port" --connections "$connections" \
      --warmup 1 --seconds "$forward_seconds" --pid "$pid" --backend-pid "$stub" --label "$kind"
    stop "$pid"
    stop "$stub"
  done
}

# The web crawl (issue 19): `mcpgate ingest URL` over a generated site on loopback; pages/s and
# the crawler's peak RSS.
run_crawl() {
  local rep=$1 line
  if ! line=$("$crawl_bench" --mcpgate "$mcpgate" --pages "$crawl_pages" 2>>"$work/crawl.log"); then
    say "FAILED: crawl: $line"
    failures=$((failures + 1))
    return 0
  fi
  record "$rep" mcpgate "$line"
}

# wants WORKLOAD: whether this run measures it (all of them, unless --only names one).
wants() { [[ -z $only || $only == "$1" ]]; }

started=$SECONDS
say "$mode run: $reps repetition(s)${only:+, $only only}; report: $out"
for ((rep = 1; rep <= reps; rep++)); do
  # Alternate which server goes first, so that neither always runs on a warmer machine.
  if ((rep % 2)); then order=(mcpgate ts-sdk); else order=(ts-sdk mcpgate); fi
  if wants sessions; then
    for kind in "${order[@]}"; do
      say "rep $rep: $kind: sessions ($sessions)"
      run_sessions "$rep" "$kind"
    done
  fi
  if wants legacy; then
    for kind in "${order[@]}"; do
      say "rep $rep: $kind: legacy sessions that each make a call ($legacy_sessions)"
      run_legacy "$rep" "$kind"
    done
  fi
  if wants calls; then
    for kind in "${order[@]}"; do
      say "rep $rep: $kind: calls (1 and 16 connections)"
      run_calls "$rep" "$kind"
    done
  fi
  if wants modern; then
    if ((rep % 2)); then modern_order=(mcpgate ts-sdk-v2); else modern_order=(ts-sdk-v2 mcpgate); fi
    for kind in "${modern_order[@]}"; do
      say "rep $rep: $kind: modern calls, MCP 2026-07-28 (health_check 1 and 16 connections, session_info 16)"
      run_modern_calls "$rep" "$kind"
    done
  fi
  if wants baseline || wants calls; then
    say "rep $rep: bare-httplib: calls (1, 8 and 16 connections)"
    run_baseline_calls "$rep"
  fi
  if wants herd; then
    for kind in "${order[@]}"; do
      say "rep $rep: $kind: herd ($herd_clients clients, start-up ${herd_delay_ms} ms)"
      run_herd "$rep" "$kind"
    done
  fi
  if wants forward; then
    for kind in "${order[@]}" bare-proxy; do
      say "rep $rep: $kind: forward (1 and 8 callers)"
      run_forward "$rep" "$kind"
    done
  fi
  if wants crawl; then
    say "rep $rep: mcpgate: crawl of a $crawl_pages-page site"
    run_crawl "$rep"
  fi
done

# --- report ----------------------------------------------------------------------------------
machine=$(sed -n 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n 1)
versions="mcpgate $("$mcpgate" --version 2>/dev/null | head -n 1 | awk '{print $NF}'), \
cpp-httplib $(dpkg-query -W -f='${Version}' libcpp-httplib-dev 2>/dev/null || echo '?'), \
@modelcontextprotocol/sdk $(node -p "require('$peer_dir/node_modules/@modelcontextprotocol/sdk/package.json').version"), \
@modelcontextprotocol/server $(node -p "require('$peer_v2_dir/node_modules/@modelcontextprotocol/server/package.json').version"), \
node $(node --version), kernel $(uname -r)"
python3 "$here/report.py" --results "$results" --mode "$mode" --reps "$reps" \
  --machine "$machine, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" \
  --versions "$versions" --command "bench/run.sh $mode${only:+ --only $only}" --herd-delay-ms "$herd_delay_ms" >"$out"
say "report written to $out ($((SECONDS - started)) s)"
cat "$out"
if ((failures > 0)); then
  say "$failures workload run(s) failed"
  exit 1
fi
