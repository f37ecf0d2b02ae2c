#!/usr/bin/env bash
# Smoke test through a real nginx running the shipped scripts/nginx/mcpgate.conf: two mcpgate
# instances (--instance-id a and b) behind one nginx, everything on 127.0.0.1, driven with curl
# over both transports under the /mcp-gate/ prefix.
#
#   scripts/smoke-nginx.sh [--binary PATH]      (default: build/mcpgate)
#
# Checks:
#   1. 50 concurrent sessions (25 Streamable HTTP, 25 legacy SSE) spread over both instances,
#      and every request of a session reaches the instance that issued it (session_info answers
#      with the session's own id; each instance's /health counts exactly its sessions; the
#      access log's $upstream_addr matches each session's stamp);
#   2. the first SSE event arrives through nginx within 1 s (the figures are printed);
#   3. streams idle for longer than nginx's proxy_read_timeout (3 s here, heartbeat 1 s) survive;
#   4. after instance a is killed, its Streamable HTTP sessions carry on through nginx on b (both
#      instances share one data file, as deployed, where sessions are recorded), its legacy
#      streams end and their POSTs get 404, and fresh sessions of both transports land on b.
# Prints one `ok - ...` / `not ok - ...` line per check and ends with
# `smoke-nginx: N passed, M failed`; exits 1 when anything failed. Installs nginx with apt-get
# when missing (as root; otherwise prints the command). nginx runs as the current user with
# its prefix, temp files and logs in a temporary directory; every process started here is
# stopped on exit.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary="$repo_root/build/mcpgate"
shipped_conf="$repo_root/scripts/nginx/mcpgate.conf"
# shellcheck source=lib.sh
source "$repo_root/scripts/lib.sh"
parse_suite_args smoke-nginx "$@"

if [[ ! -x "$binary" ]]; then
  echo "smoke-nginx: server binary not found or not executable: $binary" >&2
  echo "smoke-nginx: build it first (ninja -C build) or pass --binary PATH" >&2
  exit 1
fi

# shellcheck source=deps.sh
source "$repo_root/scripts/deps.sh"
ensure_packages --test --nginx
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

sessions_per_transport=25
read_timeout_s=3      # nginx proxy_read_timeout during the test
heartbeat_s=1         # mcpgate --heartbeat: must stay below it
idle_s=5              # how long the idle streams stay silent (> read_timeout_s)
latency_limit_ms=1000
max_time=10           # seconds any single plain HTTP exchange may take

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-smoke-nginx.XXXXXX")
declare -A instance_pid=() instance_port=()
nginx_pid=""
background_pids=()
passed=0
failed=0

cleanup() {
  local pid
  for pid in "${background_pids[@]}" "$nginx_pid" "${instance_pid[@]}"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  done
  for pid in "${background_pids[@]}" "$nginx_pid" "${instance_pid[@]}"; do
    if [[ -n "$pid" ]]; then wait "$pid" 2>/dev/null || true; fi
  done
  if ((failed > 0)) && [[ -n "${KEEP_SMOKE_DIR:-}" ]]; then
    echo "smoke-nginx: logs kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {
  passed=$((passed + 1))
  echo "ok - $*"
}

# not_ok DESCRIPTION REASON: report a failed check and carry on with the others.
not_ok() {
  failed=$((failed + 1))
  echo "not ok - $1"
  echo "smoke-nginx: FAILED: $1: $2" >&2
}

# check DESCRIPTION REASON-IF-FAILED CONDITION...: runs the condition (a command).
check() {
  local what=$1 why=$2
  shift 2
  if "$@"; then ok "$what"; else not_ok "$what" "$why"; fi
}

dump_logs() {
  local name
  for name in a b; do
    echo "smoke-nginx: instance $name log (last 20 lines):" >&2
    tail -n 20 "$tmp/$name.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
  done
  echo "smoke-nginx: nginx error log (last 20 lines):" >&2
  tail -n 20 "$tmp/nginx/error.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
}

finish() {
  ((failed == 0)) || dump_logs
  echo "smoke-nginx: $passed passed, $failed failed"
  if ((failed == 0)); then exit 0; fi
  exit 1
}

# The helpers below set globals instead of printing, so that the 50 concurrent clients do not
# fork a subshell for every line they read (this machine may be a loaded 2-core CI box).
clock() { local t=${EPOCHREALTIME//[.,]/}; now=$((10#$t)); }  # $now: microseconds

# sse_wait FD REGEX SECONDS: reads lines from FD until one matches REGEX and leaves it in $line.
# Returns 0 on a match, 1 on timeout, 2 when the stream ended. Counts ": ping" comments seen in
# $pings.
line=""
pings=0
sse_wait() {
  local fd=$1 re=$2 limit_us=$(($3 * 1000000)) start left rc now wait_s
  clock
  start=$now
  while :; do
    clock
    left=$((limit_us - (now - start)))
    ((left > 0)) || return 1
    printf -v wait_s '%d.%06d' $((left / 1000000)) $((left % 1000000))
    rc=0
    IFS= read -r -t "$wait_s" -u "$fd" line || rc=$?
    if ((rc > 128)); then return 1; fi
    if ((rc != 0)); then return 2; fi
    line=${line%$'\r'}
    [[ $line == ": ping"* ]] && pings=$((pings + 1))
    [[ $line =~ $re ]] && return 0
  done
}

# open_stream URL [curl headers...]: a GET kept open, its body readable on fd $stream_fd; the
# curl process is $stream_pid.
stream_fd=""
stream_pid=""
open_stream() {
  local url=$1
  shift
  exec {stream_fd}< <(exec curl -sS -N --max-time 90 -H 'Accept: text/event-stream' "$@" "$url" 2>/dev/null)
  stream_pid=$!
}
close_stream() {  # FD PID
  local fd=$1
  kill "$2" 2>/dev/null || true
  exec {fd}<&- 2>/dev/null || true
}

# post URL BODY OUT-PREFIX [headers...]: sets $status (000: no response); headers and body in
# OUT-PREFIX.h / OUT-PREFIX.b.
status=""
post() {
  local url=$1 body=$2 out=$3
  shift 3
  status=000
  curl -sS --max-time "$max_time" -o "$out.b" -D "$out.h" -w '%{http_code}' \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    "$@" --data-binary "$body" "$url" >"$out.status" 2>"$out.err" || true
  read -r status <"$out.status" || true
}

# header_of FILE NAME: sets $hval to that response header's value ("" when absent).
hval=""
header_of() {
  local l key wanted=${2,,}
  hval=""
  [[ -r $1 ]] || return 0
  while IFS= read -r l; do
    l=${l%$'\r'}
    [[ $l == *:* ]] || continue
    key=${l%%:*}
    if [[ ${key,,} == "$wanted" ]]; then
      hval=${l#*:}
      hval=${hval# }
      return 0
    fi
  done <"$1"
}

init_new='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"smoke-nginx","version":"1"}}}'
init_old='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"smoke-nginx","version":"1"}}}'
initialized='{"jsonrpc":"2.0","method":"notifications/initialized"}'
call_body=""
session_info_call() {  # ID: sets $call_body
  printf -v call_body '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"session_info","arguments":{}}}' "$1"
}

# resolve ENDPOINT: sets $resolved to the legacy endpoint URL resolved against $base/sse.
resolved=""
resolve() {
  case "$1" in
    http://* | https://*) resolved=$1 ;;
    /*) resolved=$origin$1 ;;
    *) resolved=$base/$1 ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Two instances on free ports. Any MCPGATE_* / ARCHON_* variables of the caller's environment
# are dropped so that they cannot change the instances' behaviour.

clean_env=(env)
while IFS= read -r name; do clean_env+=(-u "$name"); done < <(compgen -e | grep -E '^(MCPGATE_|ARCHON_|MCP_)' || true)

start_instance() {  # NAME
  local name=$1 port
  "${clean_env[@]}" "$binary" --host 127.0.0.1 --port 0 --port-file "$tmp/$name.port" \
    --instance-id "$name" --heartbeat "$heartbeat_s" --data "$tmp/shared.db" \
    >"$tmp/$name.log" 2>&1 &
  instance_pid[$name]=$!
  if ! port=$(wait_for_port "${instance_pid[$name]}" "$tmp/$name.port"); then
    not_ok "instance $name starts" "no port in --port-file after 10 s"
    finish
  fi
  instance_port[$name]=$port
}

start_instance a
start_instance b
ok "instances started: a on 127.0.0.1:${instance_port[a]}, b on 127.0.0.1:${instance_port[b]} (--heartbeat $heartbeat_s)"

# ---------------------------------------------------------------------------------------------
# nginx with the shipped config; only ports, listen address, log path and read timeout change.

mkdir -p "$tmp/nginx"
# replace FROM TO: in the generated copy; the shipped file must still contain FROM, or this test
# would silently stop testing what it claims to.
render_conf() {  # NGINX-PORT
  local conf=$tmp/nginx/mcpgate.conf from to
  cp "$shipped_conf" "$conf"
  local -a edits=(
    "127.0.0.1:8051" "127.0.0.1:${instance_port[a]}"
    "127.0.0.1:8052" "127.0.0.1:${instance_port[b]}"
    "listen 8080;" "listen 127.0.0.1:$1;"
    "/var/log/nginx/mcpgate.access.log" "$tmp/nginx/access.log"
    "proxy_read_timeout 3600s;" "proxy_read_timeout ${read_timeout_s}s;"
  )
  for ((i = 0; i < ${#edits[@]}; i += 2)); do
    from=${edits[i]}
    to=${edits[i + 1]}
    if ! grep -qF -- "$from" "$conf"; then
      not_ok "the shipped nginx config has '$from'" "scripts/nginx/mcpgate.conf changed; update scripts/smoke-nginx.sh"
      finish
    fi
    # Literal replacement (no regex): awk index/substr over every occurrence.
    awk -v from="$from" -v to="$to" '{
      out = ""; while ((i = index($0, from)) > 0) { out = out substr($0, 1, i - 1) to; $0 = substr($0, i + length(from)) }
      print out $0 }' "$conf" >"$conf.new"
    mv "$conf.new" "$conf"
  done
  cat >"$tmp/nginx/nginx.conf" <<EOF
# Generated by scripts/smoke-nginx.sh: one process in the foreground, everything in $tmp/nginx.
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log notice;
events { worker_connections 1024; }
http {
    client_body_temp_path $tmp/nginx/client_body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    access_log off;
    include $conf;
}
EOF
}

# A free loopback port: pick one that nothing listens on, retry if nginx still cannot bind it.
nginx_port=""
for _ in 1 2 3 4 5; do
  candidate=$((20000 + RANDOM % 40000))
  if ss -Htln 2>/dev/null | awk '{print $4}' | grep -qE "[:.]$candidate\$"; then continue; fi
  render_conf "$candidate"
  if ! "$nginx_bin" -t -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" >"$tmp/nginx/test.log" 2>&1; then
    not_ok "nginx accepts the shipped config" "$(tail -n 5 "$tmp/nginx/test.log")"
    finish
  fi
  "$nginx_bin" -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" \
    >"$tmp/nginx/stdout.log" 2>&1 &
  nginx_pid=$!
  for ((n = 0; n < 50; n++)); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$candidate/mcp-gate/health"; then
      nginx_port=$candidate
      break
    fi
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$nginx_port" ]] && break
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
done
if [[ -z "$nginx_port" ]]; then
  not_ok "nginx starts" "see $tmp/nginx/error.log"
  finish
fi
origin="http://127.0.0.1:$nginx_port"
base="$origin/mcp-gate"
ok "nginx $("$nginx_bin" -v 2>&1 | sed 's|.*/||') runs the shipped config on 127.0.0.1:$nginx_port (proxy_read_timeout ${read_timeout_s}s)"

# ---------------------------------------------------------------------------------------------
# 1. 50 concurrent sessions, each checked to stay on the instance that issued it.

mkdir -p "$tmp/s"

# A Streamable HTTP session: initialize, initialized, two session_info calls. Result file:
# "ok <id>" or "fail <reason>".
streamable_session() {
  local out=$tmp/s/st$1 status sid
  post "$base/mcp" "$init_new" "$out.init"
  header_of "$out.init.h" Mcp-Session-Id; sid=$hval
  if [[ $status != 200 || -z $sid ]]; then echo "fail initialize: HTTP $status, id '$sid'" >"$out"; return; fi
  post "$base/mcp" "$initialized" "$out.ready" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25'
  if [[ $status != 202 ]]; then echo "fail initialized: HTTP $status" >"$out"; return; fi
  local id
  for id in 2 3; do
    session_info_call $id; post "$base/mcp" "$call_body" "$out.call$id" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25'
    if [[ $status != 200 ]] || ! grep -qF "$sid" "$out.call$id.b"; then
      echo "fail session_info $id: HTTP $status (the session's own instance must answer)" >"$out"
      return
    fi
  done
  echo "ok $sid" >"$out"
}

# A legacy session: GET /sse, then initialize and session_info through the endpoint; the stream
# stays open until $tmp/release exists so that /health can count it.
legacy_session() {
  local out=$tmp/s/lg$1 status sid endpoint url fd pid rc
  open_stream "$base/sse"
  fd=$stream_fd
  pid=$stream_pid
  rc=0; sse_wait "$fd" '^data: ' 10 || rc=$?
  if ((rc != 0)); then echo "fail no endpoint event ($rc)" >"$out"; close_stream "$fd" "$pid"; return; fi
  endpoint=${line#data: }
  sid=${endpoint##*sessionId=}
  resolve "$endpoint"; url=$resolved
  post "$url" "$init_old" "$out.init"
  rc=0; [[ $status == 202 ]] && { sse_wait "$fd" '^data: .*"id":1[,}]' 10 || rc=$?; }
  if [[ $status != 202 ]] || ((rc != 0)); then echo "fail initialize: HTTP $status, stream $rc" >"$out"; close_stream "$fd" "$pid"; return; fi
  post "$url" "$initialized" "$out.ready"
  local status1=$status
  session_info_call 2; post "$url" "$call_body" "$out.call"; status2=$status
  rc=0; [[ $status2 == 202 ]] && { sse_wait "$fd" '^data: .*"id":2[,}]' 10 || rc=$?; }
  if [[ $status1 != 202 || $status2 != 202 ]] || ((rc != 0)) || [[ $line != *"$sid"* ]]; then
    echo "fail session_info: HTTP $status1/$status2, stream $rc" >"$out"
    close_stream "$fd" "$pid"
    return
  fi
  echo "ok $sid" >"$out"
  # Hold the stream (reading its heartbeats, one a second) until told to let go.
  while [[ ! -e $tmp/release ]]; do
    rc=0; sse_wait "$fd" '^: ping' 3 || rc=$?
    ((rc != 2)) || break
  done
  close_stream "$fd" "$pid"
}

clock; started=$now
session_jobs=()
for ((i = 1; i <= sessions_per_transport; i++)); do
  streamable_session "$i" &
  session_jobs+=($!)
  legacy_session "$i" &
  session_jobs+=($!)
done
background_pids+=("${session_jobs[@]}")
# Wait for every result file (the legacy jobs then hold their streams open).
total=$((2 * sessions_per_transport))
for ((n = 0; n < 600; n++)); do
  done_count=0
  for ((i = 1; i <= sessions_per_transport; i++)); do
    [[ -e $tmp/s/st$i ]] && done_count=$((done_count + 1))
    [[ -e $tmp/s/lg$i ]] && done_count=$((done_count + 1))
  done
  ((done_count >= total)) && break
  sleep 0.1
done
clock; took_ms=$(((now - started) / 1000))

declare -A spread=([st.a]=0 [st.b]=0 [lg.a]=0 [lg.b]=0)
bad=()
for kind in st lg; do
  for ((i = 1; i <= sessions_per_transport; i++)); do
    result="fail no result"
    [[ -r $tmp/s/$kind$i ]] && read -r result <"$tmp/s/$kind$i"
    case "$result" in
      "ok a."*) spread[$kind.a]=$((spread[$kind.a] + 1)) ;;
      "ok b."*) spread[$kind.b]=$((spread[$kind.b] + 1)) ;;
      *) bad+=("$kind$i: $result") ;;
    esac
  done
done
check "$total concurrent sessions through nginx all work, each answered by its own instance ($took_ms ms)" \
  "${#bad[@]} failed: ${bad[*]:0:3}" test "${#bad[@]}" -eq 0
echo "#   spread: Streamable HTTP a=${spread[st.a]} b=${spread[st.b]}, legacy SSE a=${spread[lg.a]} b=${spread[lg.b]}"
check "sessions are spread over both instances on both transports" \
  "a=${spread[st.a]}/${spread[lg.a]} b=${spread[st.b]}/${spread[lg.b]}" \
  test "${spread[st.a]}" -gt 0 -a "${spread[st.b]}" -gt 0 -a "${spread[lg.a]}" -gt 0 -a "${spread[lg.b]}" -gt 0

# Each instance's own /health (not through nginx) counts exactly the sessions stamped with its name.
health_count() {  # NAME FIELD
  curl -sS --max-time "$max_time" "http://127.0.0.1:${instance_port[$1]}/health" |
    grep -oE "\"$2\":[0-9]+" | head -n 1 | cut -d: -f2 || true
}
for name in a b; do
  st=$(health_count "$name" streamable_http)
  lg=$(health_count "$name" legacy_sse)
  check "instance $name's /health counts exactly its sessions (streamable $st, legacy $lg)" \
    "expected streamable ${spread[st.$name]}, legacy ${spread[lg.$name]}" \
    test "$st/$lg" = "${spread[st.$name]}/${spread[lg.$name]}"
done
touch "$tmp/release"
for pid in "${session_jobs[@]}"; do wait "$pid" 2>/dev/null || true; done

# The access log: every request carrying an "a." id went to a's address, "b." to b's.
misrouted=$(awk -v a="127.0.0.1:${instance_port[a]}" -v b="127.0.0.1:${instance_port[b]}" '
  match($0, /session=[^ ]+/) {
    s = substr($0, RSTART + 8, RLENGTH - 8)
    match($0, /upstream=[^ ]+/); u = substr($0, RSTART + 9, RLENGTH - 9)
    if (s ~ /^a\./ && u != a) bad++
    if (s ~ /^b\./ && u != b) bad++
    if (s ~ /^[ab]\./) sticky++
  }
  END { printf "%d %d\n", bad + 0, sticky + 0 }' "$tmp/nginx/access.log")
check "access log: all ${misrouted#* } requests with a session id went to the instance named by its stamp" \
  "${misrouted% *} went elsewhere" test "${misrouted% *}" -eq 0 -a "${misrouted#* }" -ge "$total"

# ---------------------------------------------------------------------------------------------
# 2. First SSE event latency through nginx (buffering would hold it back).

latencies=()
first_event_ms() {  # URL [headers...]: appends to latencies, or returns 1
  local started rc
  clock; started=$now
  open_stream "$@"
  rc=0; sse_wait "$stream_fd" '^(data|id|event|retry):' 5 || rc=$?
  clock; local took=$(((now - started) / 1000))
  close_stream "$stream_fd" "$stream_pid"
  ((rc == 0)) || return 1
  latencies+=("$took")
}
latency_ok=1
for _ in 1 2 3 4 5; do first_event_ms "$base/sse" || latency_ok=0; done
legacy_lat=("${latencies[@]}")
latencies=()
for _ in 1 2 3 4 5; do
  post "$base/mcp" "$init_new" "$tmp/lat"
  header_of "$tmp/lat.h" Mcp-Session-Id; sid=$hval
  first_event_ms "$base/mcp" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' || latency_ok=0
done
streamable_lat=("${latencies[@]}")
# The same measure straight to an instance: what nginx adds is the difference (both include
# curl's own start-up, which dominates on loopback).
latencies=()
for _ in 1 2 3 4 5; do first_event_ms "http://127.0.0.1:${instance_port[b]}/sse" || true; done
direct_lat=("${latencies[@]}")
all_lat=$(printf '%s\n' "${legacy_lat[@]}" "${streamable_lat[@]}" | sort -n)
max_lat=$(tail -n 1 <<<"$all_lat")
median_lat=$(sed -n "$((($(wc -l <<<"$all_lat") + 1) / 2))p" <<<"$all_lat")
echo "#   first SSE event through nginx: GET /sse ${legacy_lat[*]} ms; GET /mcp ${streamable_lat[*]} ms (median $median_lat, max $max_lat)"
echo "#   first SSE event straight to an instance (no nginx): GET /sse ${direct_lat[*]} ms"
check "first SSE event through nginx within ${latency_limit_ms} ms (max ${max_lat:-?} ms)" \
  "a stream gave no event, or one took ${max_lat:-?} ms" \
  test "$latency_ok" -eq 1 -a "${max_lat:-99999}" -lt "$latency_limit_ms"

# ---------------------------------------------------------------------------------------------
# 3. Streams idle for longer than nginx's read timeout survive (heartbeats keep them alive).

open_stream "$base/sse"
idle_fd=$stream_fd
idle_pid=$stream_pid
rc=0; sse_wait "$idle_fd" '^data: ' 5 || rc=$?
idle_endpoint=${line#data: }
pings=0
rc=0; sse_wait "$idle_fd" '^(event|data):' "$idle_s" || rc=$?
legacy_pings=$pings
resolve "$idle_endpoint"; post "$resolved" "$init_old" "$tmp/idle"
clock; sent=$now
rc2=0; sse_wait "$idle_fd" '^data: .*"id":1[,}]' 5 || rc2=$?
clock; after_idle_ms=$(((now - sent) / 1000))
close_stream "$idle_fd" "$idle_pid"
check "legacy stream idle ${idle_s}s (> proxy_read_timeout ${read_timeout_s}s) survives: $legacy_pings heartbeats, then a response in $after_idle_ms ms" \
  "stream state $rc (1 = still open), POST HTTP $status, response $rc2" \
  test "$rc" -eq 1 -a "$status" = 202 -a "$rc2" -eq 0 -a "$legacy_pings" -ge 2

post "$base/mcp" "$init_new" "$tmp/idle2"
header_of "$tmp/idle2.h" Mcp-Session-Id; sid=$hval
open_stream "$base/mcp" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25'
pings=0
rc=0; sse_wait "$stream_fd" '^(event|data): *[^ ]' "$idle_s" || rc=$?  # a real event, not priming
streamable_pings=$pings
alive=0; kill -0 "$stream_pid" 2>/dev/null && alive=1
close_stream "$stream_fd" "$stream_pid"
check "Streamable HTTP GET stream idle ${idle_s}s survives ($streamable_pings heartbeats)" \
  "stream state $rc (1 = still open), curl alive $alive" \
  test "$rc" -eq 1 -a "$alive" -eq 1 -a "$streamable_pings" -ge 2

# ---------------------------------------------------------------------------------------------
# 4. Instance a dies: its Streamable HTTP sessions carry on on b, its legacy sessions end, new
#    sessions go to b.

# A Streamable session and a legacy stream on a (balanced first requests alternate, so a few
# tries find one), plus a Streamable session on b that must keep working.
a_sid=""
b_sid=""
for i in 1 2 3 4 5 6; do
  post "$base/mcp" "$init_new" "$tmp/k$i"
  header_of "$tmp/k$i.h" Mcp-Session-Id; sid=$hval
  case "$sid" in a.*) a_sid=$sid ;; b.*) b_sid=$sid ;; esac
  [[ -n $a_sid && -n $b_sid ]] && break
done
a_fd=""
a_pid=""
a_legacy=""
for _ in 1 2 3 4 5 6; do
  open_stream "$base/sse"
  rc=0; sse_wait "$stream_fd" '^data: ' 5 || rc=$?
  endpoint=${line#data: }
  if ((rc == 0)) && [[ ${endpoint##*sessionId=} == a.* ]]; then
    a_fd=$stream_fd a_pid=$stream_pid a_legacy=$endpoint
    break
  fi
  close_stream "$stream_fd" "$stream_pid"
done
if [[ -z $a_sid || -z $b_sid || -z $a_legacy ]]; then
  not_ok "found sessions on both instances for the failover check" "a '$a_sid' b '$b_sid' legacy '$a_legacy'"
  finish
fi

kill -9 "${instance_pid[a]}" 2>/dev/null || true
wait "${instance_pid[a]}" 2>/dev/null || true
instance_pid[a]=""
ok "instance a killed (SIGKILL) with a Streamable session and a legacy stream open"

rc=0; sse_wait "$a_fd" 'x^' 5 || rc=$?  # 'x^' matches no line: wait for the end
close_stream "$a_fd" "$a_pid"
check "its legacy stream through nginx ends (so the client reconnects)" "stream state $rc (2 = ended)" test "$rc" -eq 2

session_info_call 7; post "$base/mcp" "$call_body" "$tmp/dead" -H "Mcp-Session-Id: $a_sid" -H 'MCP-Protocol-Version: 2025-11-25'
check "its Streamable HTTP session carries on through nginx (HTTP $status)" "$(head -c 300 "$tmp/dead.b")" \
  test "$status" = 200
check "the call is answered in that same session, by instance b" "$(head -c 300 "$tmp/dead.b")" \
  grep -q "$a_sid" "$tmp/dead.b"
check "instance b took the session over from the shared store" "$(tail -n 5 "$tmp/b.log")" \
  grep -q "session $a_sid restored from the store" "$tmp/b.log"
open_stream "$base/mcp" -H "Mcp-Session-Id: $a_sid" -H 'MCP-Protocol-Version: 2025-11-25'
rc=0; sse_wait "$stream_fd" 'x^' 3 || rc=$?
close_stream "$stream_fd" "$stream_pid"
check "its GET /mcp stream reopens through nginx on instance b (stays open)" "stream state $rc (1 = still open)" \
  test "$rc" -eq 1
resolve "$a_legacy"; session_info_call 8; post "$resolved" "$call_body" "$tmp/dead-legacy"
check "its legacy POST /messages gets 404 through nginx (HTTP $status)" "$(head -c 300 "$tmp/dead-legacy.b")" \
  test "$status" = 404

session_info_call 9; post "$base/mcp" "$call_body" "$tmp/alive" -H "Mcp-Session-Id: $b_sid" -H 'MCP-Protocol-Version: 2025-11-25'
check "a session on instance b keeps working (HTTP $status)" "$(head -c 300 "$tmp/alive.b")" \
  test "$status" = 200

fresh_ok=1
for i in 1 2 3 4; do
  post "$base/mcp" "$init_new" "$tmp/fresh$i"
  header_of "$tmp/fresh$i.h" Mcp-Session-Id; sid=$hval
  [[ $status == 200 && $sid == b.* ]] || { fresh_ok=0; break; }
done
check "fresh initializes through nginx succeed on instance b (4 of 4, last id ${sid:0:6}…)" \
  "HTTP $status, id '$sid'" test "$fresh_ok" -eq 1
open_stream "$base/sse"
rc=0; sse_wait "$stream_fd" '^data: ' 5 || rc=$?
close_stream "$stream_fd" "$stream_pid"
check "a fresh legacy GET /sse through nginx gets an endpoint on instance b" "stream $rc, '${line}'" \
  test "$rc" -eq 0 -a "${line##*sessionId=}" != "${line##*sessionId=b.}"

finish
