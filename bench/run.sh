#!/usr/bin/env bash
# Benchmarks mcpgate against the official TypeScript SDK (bench/peers/ts-sdk; its v2 in
# bench/peers/ts-sdk-v2 for the modern era) and against the ceiling of this stack: bare
# cpp-httplib answering the same bytes (calls workload) and bare cpp-httplib + libcurl
# forwarding the same call (forward workload):
#
#   bench/run.sh [quick|full] [--only LIST] [--build-dir DIR] [--out FILE.md]
#
# Workloads (bench/loadgen; see bench/README.md):
#   sessions  N legacy HTTP+SSE sessions open at once, each initialises and calls session_info
#   legacy    N legacy HTTP+SSE sessions the way a fleet of node clients holds them (each stream
#             on its own connection, keep-alive off), then each initialises and calls
#             health_check, 16 at a time over 24 keep-alive connections: RSS per session before
#             and after the calls, the calls phase's POSTs/s, p50/p99 and server CPU per POST
#   calls     one Streamable HTTP session, 1 and 16 connections calling session_info (and bare
#             cpp-httplib answering the same bytes)
#   baseline  bare cpp-httplib alone, answering the calls workload's bytes (calls runs it too)
#   modern    stateless MCP 2026-07-28 calls (no session) of health_check on 1 and 16
#             connections and of session_info on 16, against mcpgate and the TypeScript SDK v2
#             peer (createMcpHandler)
#   herd      N first clients while the server's start-up (a backend health probe) takes 2 s
#   forward   find_projects through the server vs. the same backend request made directly
#   crawl     `mcpgate ingest URL` over a generated site on loopback
#   store     the embedded store on SQLite vs. PostgreSQL (a throwaway PostgreSQL 15 from
#             scripts/pg-throwaway.sh): seeded with projects, tasks and a knowledge base, then
#             find_tasks (a status filter, a text query) and rag_search_knowledge_base on 1 and
#             16 connections, and manage_task create on 16
#
#   --only LIST  run only these workloads (comma-separated names from the list above, e.g.
#                --only store); the report then has only their tables
#   --reps N     N repetitions instead of the mode's (more of them steady a median on a noisy
#                machine)
# Each repetition runs every workload against every server, alternating, each on a freshly
# started server; the report gives the median of the repetitions.
#
#   quick  1 repetition, small sizes (200 sessions, 1,000 legacy, 100 herd clients, 2 s loops;
#          store: 200 tasks, 200 knowledge-base pages, 0.4 s loops): checks that the harness
#          works, in well under 2 minutes. scripts/test.sh runs it. It fails only when a workload
#          could not run or a client was not served; it never judges speed.
#   full   3 repetitions, 10,000 sessions and legacy sessions, 1,000 herd clients, 20 s of warm-up before each
#          calls measurement (the peer needs 15-20 s to reach full speed), 10 s loops; store:
#          2,000 tasks over 20 projects, 4,000 knowledge-base pages, 2 s of warm-up, 10 s loops.
#
# Writes a Markdown report: FILE.md (default: bench/results/<date>.md for full, a temporary file
# for quick) and the raw JSON lines beside it (.jsonl). Needs the release build (built here if
# missing), Node >= 20 and npm (the peers are installed with `npm ci` into
# bench/peers/ts-sdk/node_modules and bench/peers/ts-sdk-v2/node_modules; not for --only
# store, crawl or baseline), and for the store workload PostgreSQL 15 (Debian's `postgresql`;
# without it the PostgreSQL half is skipped with a note, never silently). Every server listens
# on 127.0.0.1 (PostgreSQL on a unix socket in its own folder) and is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
mode=quick
build_dir="$repo/build"
out=""

usage() {
  sed -n '2,48p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

all_workloads=(sessions legacy calls modern baseline herd forward crawl store)
declare -A wanted=()
for name in "${all_workloads[@]}"; do wanted[$name]=1; done
# wants NAME: whether this run includes workload NAME.
wants() { [[ -n ${wanted[$1]:-} ]]; }

while (($# > 0)); do
  case "$1" in
    quick | full) mode=$1; shift ;;
    --build-dir) build_dir=$(cd "$2" && pwd); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --reps)
      [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --reps needs a positive number (got '$2')" >&2; usage 2 >&2; }
      reps_given=$2
      shift 2
      ;;
    --only)
      wanted=()
      IFS=, read -ra only_names <<<"$2"
      for name in "${only_names[@]}"; do
        [[ " ${all_workloads[*]} " == *" $name "* ]] || { echo "run.sh: unknown workload: $name" >&2; usage 2 >&2; }
        wanted[$name]=1
      done
      shift 2
      ;;
    -h | --help) usage 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done

if [[ $mode == full ]]; then
  reps=3 sessions=10000 legacy_sessions=10000 herd_clients=1000 warmup=20 seconds=10 forward_seconds=5
  crawl_pages=10000
  store_projects=20 store_tasks=2000 store_kb_pages=4000 store_warmup=2 store_seconds=10
else
  reps=1 sessions=200 legacy_sessions=1000 herd_clients=100 warmup=1 seconds=2 forward_seconds=1
  crawl_pages=500
  store_projects=5 store_tasks=200 store_kb_pages=200 store_warmup=0.1 store_seconds=0.4
fi
[[ -n ${reps_given:-} ]] && reps=$reps_given
# The workloads that talk to the TypeScript peers (and so need node).
needs_node=""
for name in sessions legacy calls modern herd forward; do wants "$name" && needs_node=1; done
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
if [[ -n $needs_node ]]; then
  node_bin=$(node_at_least 20) || exit 1
  PATH="$(dirname "$node_bin"):$PATH"
  export PATH
fi

if [[ ! -f "$build_dir/build.ninja" ]]; then
  meson setup "$build_dir" -Dbuildtype=release >/dev/null || die "meson setup $build_dir failed"
fi
ninja -C "$build_dir" mcpgate bench/loadgen bench/stub_backend bench/bare_httplib bench/bare_proxy bench/crawl_bench \
  bench/search_bench >/dev/null ||
  die "building the benchmark binaries in $build_dir failed"
mcpgate="$build_dir/mcpgate"
loadgen="$build_dir/bench/loadgen"
stub_backend="$build_dir/bench/stub_backend"
bare_httplib="$build_dir/bench/bare_httplib"
bare_proxy="$build_dir/bench/bare_proxy"
crawl_bench="$build_dir/bench/crawl_bench"
search_bench="$build_dir/bench/search_bench"

peer_dir="$here/peers/ts-sdk"
peer_v2_dir="$here/peers/ts-sdk-v2"
if [[ -n $needs_node ]] && [[ ! -d "$peer_dir/node_modules/@modelcontextprotocol/sdk" ||
  "$peer_dir/package-lock.json" -nt "$peer_dir/node_modules/.package-lock.json" ]]; then
  say "installing the TypeScript SDK peer (npm ci)"
  npm_install "the TypeScript SDK peer's dependencies" "$peer_dir" ci || exit 1
fi
if [[ -n $needs_node ]] && [[ ! -d "$peer_v2_dir/node_modules/@modelcontextprotocol/server" ||
  "$peer_v2_dir/package-lock.json" -nt "$peer_v2_dir/node_modules/.package-lock.json" ]]; then
  say "installing the TypeScript SDK v2 peer (npm ci)"
  npm_install "the TypeScript SDK v2 peer's dependencies" "$peer_v2_dir" ci || exit 1
fi

# Thousands of sockets on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- servers ---------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-bench-run.XXXXXX")
pids=()
pg_dirs=()  # throwaway PostgreSQL clusters (the store workload), stopped on exit
cleanup() {
  local pid dir
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.2
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for dir in "${pg_dirs[@]}"; do "$repo/scripts/pg-throwaway.sh" stop "$dir" >/dev/null 2>&1 || true; done
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
measured=""  # the JSON line of the last measure that ran
# measure REP SERVER LOADGEN-ARGS...: one workload; its JSON line goes to the results (and to
# $measured). A loadgen that fails, or a run with errors, is a failure of the harness (not a
# slow result).
measure() {
  local rep=$1 server=$2 line
  shift 2
  measured=""
  if ! line=$("$loadgen" "$@" 2>>"$work/loadgen.log"); then
    say "FAILED: $server: loadgen $1: $(tail -n 1 "$work/loadgen.log")"
    failures=$((failures + 1))
    return 0
  fi
  measured=$line
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

# The store workload (issue 16): the same data and calls on each store. The knowledge base is one
# generated Markdown tree for the whole run (search_bench --generate-only), ingested into each
# store with `mcpgate ingest`; projects and tasks are created through the server's own tools.
pg_bin=/usr/lib/postgresql/15/bin
kb_query=""
prepare_knowledge_base() {
  local line
  line=$("$search_bench" --generate-only --dir "$work/kb" --pages "$store_kb_pages") ||
    die "generating the knowledge base's Markdown tree failed"
  kb_query=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["query"])' "$line")
}

# run_store REP STORE: STORE is sqlite (a file in the run's folder) or postgresql (a throwaway
# cluster started here and stopped at the end of the repetition).
run_store() {
  local rep=$1 store=$2 data pg_dir="" db_pid=0
  if [[ $store == postgresql ]]; then
    if [[ ! -x $pg_bin/initdb ]]; then
      say "store: PostgreSQL 15 is not installed ($pg_bin): its half of the store workload is skipped"
      record "$rep" postgresql '{"workload":"store_skipped","reason":"PostgreSQL 15 is not installed"}'
      return 0
    fi
    # Not under $work: as root, the cluster runs as the postgres user, who must reach the folder.
    pg_dir=$(mktemp -u "${TMPDIR:-/tmp}/mcpgate-bench-pg.XXXXXX")
    pg_dirs+=("$pg_dir")
    if ! data=$("$repo/scripts/pg-throwaway.sh" start "$pg_dir" 2>"$work/pg.log"); then
      say "FAILED: postgresql: the throwaway cluster did not start: $(tail -n 3 "$work/pg.log")"
      failures=$((failures + 1))
      return 0
    fi
    db_pid=$(head -n 1 "$pg_dir/data/postmaster.pid")
  else
    data="$work/store-$rep.db"
  fi

  local began ingested line
  began=$(date +%s.%N)
  if ! "$mcpgate" ingest --data "$data" --source bench --url-base https://bench.example/ \
    "$work/kb/docs" >"$work/ingest.log" 2>&1; then
    say "FAILED: $store: mcpgate ingest: $(tail -n 3 "$work/ingest.log")"
    failures=$((failures + 1))
  else
    ingested=$(date +%s.%N)
    line=$(python3 -c 'import json,sys; print(json.dumps({"workload": "store_ingest", "pages": int(sys.argv[1]),
      "seconds": float(sys.argv[3]) - float(sys.argv[2])}))' "$store_kb_pages" "$began" "$ingested")
    record "$rep" "$store" "$line"
  fi

  start "mcpgate-$store" "$mcpgate" --log-level warn --data "$data"
  local pid=$server_pid url="http://127.0.0.1:$server_port/mcp" project=""
  measure "$rep" "$store" seed --url "$url" --projects "$store_projects" --tasks "$store_tasks" --label seed
  [[ -n $measured ]] &&
    project=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["project_ids"][0])' "$measured")
  if [[ -n $project ]]; then
    local connections
    for connections in 1 16; do
      measure "$rep" "$store" calls --url "$url" --connections "$connections" --warmup "$store_warmup" \
        --seconds "$store_seconds" --pid "$pid" --database-pid "$db_pid" --require-success --label "find_tasks filter" \
        --tool find_tasks --arguments "{\"filter_by\":\"status\",\"filter_value\":\"todo\",\"project_id\":\"$project\",\"per_page\":50}"
      measure "$rep" "$store" calls --url "$url" --connections "$connections" --warmup "$store_warmup" \
        --seconds "$store_seconds" --pid "$pid" --database-pid "$db_pid" --require-success --label "find_tasks query" \
        --tool find_tasks --arguments '{"query":"webhook","per_page":50}'
      measure "$rep" "$store" calls --url "$url" --connections "$connections" --warmup "$store_warmup" \
        --seconds "$store_seconds" --pid "$pid" --database-pid "$db_pid" --require-success --label "rag_search" \
        --tool rag_search_knowledge_base --arguments "{\"query\":\"$kb_query\",\"match_count\":5}"
    done
    # Last: it grows the task table the reads above measured.
    measure "$rep" "$store" calls --url "$url" --connections 16 --warmup "$store_warmup" \
      --seconds "$store_seconds" --pid "$pid" --database-pid "$db_pid" --require-success --label "manage_task create" \
      --tool manage_task --arguments "{\"action\":\"create\",\"project_id\":\"$project\",\"title\":\"Created by the store benchmark\",\"description\":\"One of many.\",\"feature\":\"bench\"}"
  fi
  stop "$pid"
  if [[ -n $pg_dir ]]; then
    "$repo/scripts/pg-throwaway.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  fi
}

started=$SECONDS
load_before=$(uptime | sed 's/^ *//')
say "$mode run: $reps repetition(s)${only_names:+, only $(IFS=,; echo "${only_names[*]}")}; report: $out"
if wants store; then prepare_knowledge_base; fi
for ((rep = 1; rep <= reps; rep++)); do
  # Alternate which server goes first, so that neither always runs on a warmer machine.
  if ((rep % 2)); then order=(mcpgate ts-sdk); else order=(ts-sdk mcpgate); fi
  for kind in "${order[@]}"; do
    wants sessions || break
    say "rep $rep: $kind: sessions ($sessions)"
    run_sessions "$rep" "$kind"
  done
  for kind in "${order[@]}"; do
    wants legacy || break
    say "rep $rep: $kind: legacy sessions that each make a call ($legacy_sessions)"
    run_legacy "$rep" "$kind"
  done
  for kind in "${order[@]}"; do
    wants calls || break
    say "rep $rep: $kind: calls (1 and 16 connections)"
    run_calls "$rep" "$kind"
  done
  if ((rep % 2)); then modern_order=(mcpgate ts-sdk-v2); else modern_order=(ts-sdk-v2 mcpgate); fi
  for kind in "${modern_order[@]}"; do
    wants modern || break
    say "rep $rep: $kind: modern calls, MCP 2026-07-28 (health_check 1 and 16 connections, session_info 16)"
    run_modern_calls "$rep" "$kind"
  done
  if wants calls || wants baseline; then
    say "rep $rep: bare-httplib: calls (1, 8 and 16 connections)"
    run_baseline_calls "$rep"
  fi
  for kind in "${order[@]}"; do
    wants herd || break
    say "rep $rep: $kind: herd ($herd_clients clients, start-up ${herd_delay_ms} ms)"
    run_herd "$rep" "$kind"
  done
  for kind in "${order[@]}" bare-proxy; do
    wants forward || break
    say "rep $rep: $kind: forward (1 and 8 callers)"
    run_forward "$rep" "$kind"
  done
  if wants crawl; then
    say "rep $rep: mcpgate: crawl of a $crawl_pages-page site"
    run_crawl "$rep"
  fi
  if ((rep % 2)); then store_order=(sqlite postgresql); else store_order=(postgresql sqlite); fi
  for store in "${store_order[@]}"; do
    wants store || break
    say "rep $rep: $store: store ($store_tasks tasks over $store_projects projects, $store_kb_pages knowledge-base pages)"
    run_store "$rep" "$store"
  done
done

# --- report ----------------------------------------------------------------------------------
machine=$(sed -n 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n 1)
versions="mcpgate $("$mcpgate" --version 2>/dev/null | head -n 1 | awk '{print $NF}'), \
cpp-httplib $(dpkg-query -W -f='${Version}' libcpp-httplib-dev 2>/dev/null || echo '?'), "
if [[ -n $needs_node ]]; then
  versions+="@modelcontextprotocol/sdk $(node -p "require('$peer_dir/node_modules/@modelcontextprotocol/sdk/package.json').version"), \
@modelcontextprotocol/server $(node -p "require('$peer_v2_dir/node_modules/@modelcontextprotocol/server/package.json').version"), \
node $(node --version), "
fi
if wants store; then
  versions+="SQLite $(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null || echo '?'), \
PostgreSQL $("$pg_bin/postgres" --version 2>/dev/null | awk '{print $3}' || echo 'not installed'), "
fi
versions+="kernel $(uname -r)"
python3 "$here/report.py" --results "$results" --mode "$mode" --reps "$reps" \
  --machine "$machine, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" \
  --versions "$versions" --command "bench/run.sh $mode${only_names:+ --only $(IFS=,; echo "${only_names[*]}")}${reps_given:+ --reps $reps_given}" \
  --herd-delay-ms "$herd_delay_ms" --load "at the start: $load_before; at the end: $(uptime | sed 's/^ *//')" >"$out"
say "report written to $out ($((SECONDS - started)) s)"
cat "$out"
if ((failures > 0)); then
  say "$failures workload run(s) failed"
  exit 1
fi
