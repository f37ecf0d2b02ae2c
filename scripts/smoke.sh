#!/usr/bin/env bash
# Smoke test: drives a freshly started mcpgate with nothing but curl, the way a person would
# check it by hand, over both transports (legacy HTTP+SSE and Streamable HTTP), plus the
# HTTP error statuses clients rely on to recover and /health.
#
#   scripts/smoke.sh [--binary PATH]      (default: build/mcpgate)
#
# Prints one `ok - ...` line per check. Stops at the first failure with `not ok - ...`, the
# reason and the tail of the server log, and exits 1. Talks to 127.0.0.1 only; every curl
# call is bounded by --max-time so a hung server fails the test instead of hanging it.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$repo_root/scripts/lib.sh"
binary="$repo_root/build/mcpgate"
parse_suite_args smoke "$@"

if [[ ! -x "$binary" ]]; then
  echo "smoke: server binary not found or not executable: $binary" >&2
  echo "smoke: build it first (ninja -C build) or pass --binary PATH" >&2
  exit 1
fi

# Seconds any single HTTP exchange may take. Generous for a loaded 2-core CI machine, still
# short enough that a server that never answers fails quickly.
max_time=10
# Seconds to wait for answers that arrive asynchronously on the legacy SSE stream.
stream_wait=5

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-smoke.XXXXXX")
server_pid=""
sse_pid=""
passed=0

cleanup() {
  # Runs on every exit, including failures and Ctrl-C: never leave a server or curl behind.
  stop_pids "$sse_pid" "$server_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {
  passed=$((passed + 1))
  echo "ok - $*"
}

# not_ok DESCRIPTION REASON: report the failed check with enough context to debug it from a
# CI log alone, then stop (later checks would only fail for the same reason).
not_ok() {
  echo "not ok - $1"
  echo "smoke: FAILED: $1" >&2
  echo "smoke: $2" >&2
  if [[ -s "$tmp/headers" || -s "$tmp/body" ]]; then
    echo "smoke: last response headers:" >&2
    sed 's/^/  | /' "$tmp/headers" >&2 || true
    echo "smoke: last response body (first 2000 bytes):" >&2
    head -c 2000 "$tmp/body" | sed 's/^/  | /' >&2 || true
    echo >&2
  fi
  echo "smoke: server log (last 40 lines):" >&2
  tail -n 40 "$tmp/server.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
  echo "smoke: $passed passed, 1 failed"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# HTTP helpers

# http METHOD URL [curl options...]
# Sets $status (HTTP status, 000 when there was no response) and $curl_rc; leaves the body in
# $tmp/body and the headers in $tmp/headers. Never fails the script by itself: the caller
# decides what a wrong answer means.
status=""
curl_rc=0
http() {
  local method=$1 url=$2
  shift 2
  : >"$tmp/body"
  : >"$tmp/headers"
  curl_rc=0
  status=$(curl -sS -X "$method" --max-time "$max_time" -o "$tmp/body" -D "$tmp/headers" \
    -w '%{http_code}' "$@" "$url" 2>"$tmp/curl.err") || curl_rc=$?
}

# expect_status DESCRIPTION CODE: the last http call must have finished and returned CODE.
expect_status() {
  local what=$1 want=$2
  if ((curl_rc != 0)); then
    if ((curl_rc == 28)); then
      not_ok "$what" "no complete response within ${max_time}s (curl exit 28: timed out; an SSE response that is never closed looks like this)"
    fi
    not_ok "$what" "curl failed (exit $curl_rc): $(cat "$tmp/curl.err")"
  fi
  if [[ "$status" != "$want" ]]; then
    not_ok "$what" "expected HTTP $want, got HTTP $status"
  fi
}

# header_value NAME: value of response header NAME (case-insensitive) from the last call.
header_value() {
  awk -v name="$1" '
    { sub(/\r$/, "") }
    index($0, ":") > 0 {
      key = tolower(substr($0, 1, index($0, ":") - 1))
      if (key == tolower(name)) {
        value = substr($0, index($0, ":") + 1)
        sub(/^[ \t]+/, "", value)
        print value
        exit
      }
    }' "$tmp/headers"
}

# sse_messages FILE: the data of every complete SSE event of type "message" (the default type)
# in FILE, one event per line. Incomplete trailing events (no blank line yet), comments such as
# ": ping" and events with empty data (priming events) are skipped.
sse_messages() {
  awk '
    { sub(/\r$/, "") }
    /^$/ {
      if (data != "" && (event == "" || event == "message")) print data
      event = ""; data = ""; next
    }
    /^:/ { next }
    /^event:/ { event = substr($0, 7); sub(/^ /, "", event); next }
    /^data:/ {
      line = substr($0, 6); sub(/^ /, "", line)
      data = (data == "" ? line : data "\n" line)
      next
    }' "$1"
}

# response_messages: the JSON-RPC messages in the last response body, whichever of the two
# forms Streamable HTTP allows the server to pick (one JSON document, or an SSE stream).
response_messages() {
  local type
  type=$(header_value Content-Type)
  case "$type" in
    text/event-stream*) sse_messages "$tmp/body" ;;
    *) cat "$tmp/body" && echo ;;
  esac
}

# message_with_id ID: from stdin, the first JSON-RPC message whose id is ID. The server writes
# compact JSON, so `"id":ID` followed by `,` or `}` is exact enough for a smoke test.
message_with_id() {
  grep -E "\"jsonrpc\"" | grep -E "\"id\":[[:space:]]*$1[,}]" | head -n 1 || true
}

# expect_result DESCRIPTION MESSAGE: MESSAGE must be a JSON-RPC success response.
expect_result() {
  local what=$1 message=$2
  if [[ -z "$message" ]]; then
    not_ok "$what" "no JSON-RPC response with the expected id"
  fi
  if [[ "$message" != *'"result"'* ]]; then
    not_ok "$what" "expected a result, got: ${message:0:500}"
  fi
}

# expect_contains DESCRIPTION TEXT NEEDLE
expect_contains() {
  if [[ "$2" != *"$3"* ]]; then
    not_ok "$1" "expected to find '$3' in: ${2:0:800}"
  fi
}

# ---------------------------------------------------------------------------------------------
# Start the server on a free port (port 0) so parallel runs and a developer's own server on
# 8051 don't collide; the server tells us the port it got through --port-file.

"$binary" --host 127.0.0.1 --port 0 --port-file "$tmp/port" --heartbeat 1 \
  >"$tmp/server.log" 2>&1 &
server_pid=$!

if ! port=$(wait_for_port "$server_pid" "$tmp/port"); then
  kill -0 "$server_pid" 2>/dev/null || not_ok "server starts" "the server exited during start-up"
  not_ok "server starts" "no port in --port-file after 10 s"
fi
base="http://127.0.0.1:$port"
ok "server started on 127.0.0.1:$port (pid $server_pid)"

json_headers=(-H 'Content-Type: application/json')

# ---------------------------------------------------------------------------------------------
# (0) The report that started this project: 20 clients connect at the same moment, before the
# server has initialised. All must get their endpoint and answer tools/list, and the shared
# context must be initialised exactly once.

herd=20
herd_pids=()
for i in $(seq 1 $herd); do
  curl -sS -N --max-time 60 -H 'Accept: text/event-stream' -o "$tmp/herd$i.out" \
    "$base/sse" 2>/dev/null &
  herd_pids+=($!)
done
herd_endpoint() {
  awk '{ sub(/\r$/, "") } /^event: *endpoint$/ { want = 1; next }
       want && /^data:/ { v = substr($0, 6); sub(/^ /, "", v); print v; exit }' "$1" 2>/dev/null || true
}
for i in $(seq 1 $herd); do
  endpoint=""
  for _ in $(seq 1 $((stream_wait * 10))); do
    endpoint=$(herd_endpoint "$tmp/herd$i.out")
    [[ -n "$endpoint" ]] && break
    sleep 0.1
  done
  [[ -n "$endpoint" ]] || not_ok "herd: all $herd concurrent SSE clients get an endpoint" "client $i got none"
  url="$base/${endpoint#./}"
  http POST "$url" "${json_headers[@]}" --data-binary \
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"herd","version":"0"}}}'
  expect_status "herd: client $i initialize is accepted" 202
  http POST "$url" "${json_headers[@]}" --data-binary '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
  expect_status "herd: client $i tools/list is accepted" 202
done
ok "herd: all $herd concurrent SSE clients got an endpoint and were accepted"
for i in $(seq 1 $herd); do
  listed=""
  for _ in $(seq 1 $((stream_wait * 10))); do
    listed=$(sse_messages "$tmp/herd$i.out" | message_with_id 2)
    [[ -n "$listed" ]] && break
    sleep 0.1
  done
  expect_contains "herd: client $i receives its tools/list answer" "$listed" 'session_info'
done
ok "herd: all $herd clients received their tools/list answer"
kill "${herd_pids[@]}" 2>/dev/null || true
wait "${herd_pids[@]}" 2>/dev/null || true
inits=$(grep -c 'initialising the shared context' "$tmp/server.log" || true)
((inits == 1)) || not_ok "herd: the shared context is initialised exactly once" "the log shows $inits initialisations"
ok "herd: the log shows initialisation exactly once"

# ---------------------------------------------------------------------------------------------
# (a) Legacy HTTP+SSE (protocol 2024-11-05): GET /sse, then POST to the URL it announces;
# every answer comes back on the stream, not in the POST response.

sse_url="$base/sse"
# The status goes to its own file (-w writes to stdout) so a refused stream can be reported.
curl -sS -N --max-time 60 -H 'Accept: text/event-stream' -o "$tmp/sse.out" \
  -w '%{http_code}' "$sse_url" >"$tmp/sse.status" 2>"$tmp/sse.err" &
sse_pid=$!

endpoint=""
for _ in $(seq 1 $((stream_wait * 10))); do
  endpoint=$(awk '
    { sub(/\r$/, "") }
    /^event: *endpoint$/ { want = 1; next }
    want && /^data:/ { value = substr($0, 6); sub(/^ /, "", value); print value; exit }
    /^$/ { want = 0 }' "$tmp/sse.out" 2>/dev/null || true)
  [[ -n "$endpoint" ]] && break
  if ! kill -0 "$sse_pid" 2>/dev/null; then
    not_ok "legacy: GET /sse sends an endpoint event" \
      "the SSE connection ended before the endpoint event: HTTP $(cat "$tmp/sse.status") $(cat "$tmp/sse.err")
$(head -c 1000 "$tmp/sse.out")"
  fi
  sleep 0.1
done
if [[ -z "$endpoint" ]]; then
  not_ok "legacy: GET /sse sends an endpoint event" "no endpoint event within ${stream_wait}s"
fi
ok "legacy: GET /sse sends an endpoint event ($endpoint)"

# resolve_url BASE REF: RFC 3986 reference resolution, enough for what an endpoint event can
# hold (absolute URL, absolute path, or relative path with ./ and ../ segments). Clients
# resolve the endpoint against the /sse URL, so the server may rely on that (e.g. behind a
# proxy that adds a path prefix); the smoke test must resolve it the same way.
resolve_url() {
  local base=$1 ref=$2 origin path query=""
  if [[ "$ref" =~ ^[a-zA-Z][a-zA-Z0-9+.-]*: ]]; then
    echo "$ref"
    return
  fi
  origin=$(sed -E 's#^([a-z]+://[^/]+).*#\1#' <<<"$base")
  if [[ "$ref" == /* ]]; then
    path=$ref
  else
    local base_path=${base#"$origin"}
    base_path=${base_path%%\?*}
    path="${base_path%/*}/$ref"
  fi
  if [[ "$path" == *\?* ]]; then
    query="?${path#*\?}"
    path=${path%%\?*}
  fi
  # Remove dot segments; ".." above the root stays at the root, as RFC 3986 says.
  local -a out=()
  local segment
  local IFS=/
  read -r -a segments <<<"${path#/}"
  for segment in "${segments[@]}"; do
    case "$segment" in
      . | "") ;;
      ..) ((${#out[@]} > 0)) && unset 'out[${#out[@]}-1]' ;;
      *) out+=("$segment") ;;
    esac
  done
  # A trailing "/", "." or ".." means the result is a directory.
  local trailing=""
  [[ "$path" == */ || "$path" == */. || "$path" == */.. ]] && trailing=/
  echo "$origin/${out[*]}$trailing$query"
}

if [[ "$endpoint" =~ ^[a-zA-Z][a-zA-Z0-9+.-]*: || "$endpoint" == /* ]]; then
  not_ok "legacy: the endpoint is a relative URL" "expected a relative reference, got: $endpoint"
fi
messages_url=$(resolve_url "$sse_url" "$endpoint")
case "$messages_url" in
  "$base/"*sessionId=?*) ;;
  *) not_ok "legacy: the endpoint resolves to a sessionId URL on this server" \
    "$endpoint resolved against $sse_url gives $messages_url" ;;
esac
ok "legacy: the endpoint is relative and resolves to $messages_url"

legacy_post() {
  local what=$1 body=$2
  http POST "$messages_url" "${json_headers[@]}" --data-binary "$body"
  expect_status "legacy: POST $what is accepted with 202" 202
  ok "legacy: POST $what is accepted with 202"
}

legacy_post initialize '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"smoke","version":"0"}}}'
legacy_post notifications/initialized '{"jsonrpc":"2.0","method":"notifications/initialized"}'
legacy_post tools/list '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
legacy_post "tools/call health_check" '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"health_check","arguments":{}}}'

# The answers arrive on the stream in their own time: wait (bounded) for all three.
legacy_init="" legacy_list="" legacy_call=""
for _ in $(seq 1 $((stream_wait * 10))); do
  messages=$(sse_messages "$tmp/sse.out")
  legacy_init=$(message_with_id 1 <<<"$messages")
  legacy_list=$(message_with_id 2 <<<"$messages")
  legacy_call=$(message_with_id 3 <<<"$messages")
  [[ -n "$legacy_init" && -n "$legacy_list" && -n "$legacy_call" ]] && break
  sleep 0.1
done
for pair in "1:$legacy_init" "2:$legacy_list" "3:$legacy_call"; do
  if [[ -z "${pair#*:}" ]]; then
    not_ok "legacy: answers with ids 1, 2 and 3 arrive as message events" \
      "no answer with id ${pair%%:*} on the stream after ${stream_wait}s; stream so far:
$(head -c 3000 "$tmp/sse.out")"
  fi
done
ok "legacy: answers with ids 1, 2 and 3 arrive as message events on the stream"

expect_result "legacy: initialize succeeds" "$legacy_init"
expect_contains "legacy: initialize negotiates 2024-11-05" "$legacy_init" '"protocolVersion":"2024-11-05"'
ok "legacy: initialize succeeds and negotiates 2024-11-05"
expect_result "legacy: tools/list succeeds" "$legacy_list"
expect_contains "legacy: tools/list lists session_info" "$legacy_list" '"session_info"'
ok "legacy: tools/list lists session_info"
expect_result "legacy: tools/call health_check succeeds" "$legacy_call"
expect_contains "legacy: tools/call health_check reports success" "$legacy_call" 'success'
if [[ "$legacy_call" == *'"isError":true'* ]]; then
  not_ok "legacy: tools/call health_check is not an error" "${legacy_call:0:800}"
fi
ok "legacy: tools/call health_check reports success"

# The stream is the session: once the client goes away the session must end (A2 L7), and
# the heartbeat (1 s here) is what lets the server notice a silent disconnect.
kill "$sse_pid" 2>/dev/null || true
wait "$sse_pid" 2>/dev/null || true
sse_pid=""
for _ in $(seq 1 $((stream_wait * 10))); do
  http POST "$messages_url" "${json_headers[@]}" --data-binary '{"jsonrpc":"2.0","id":4,"method":"ping"}'
  [[ "$curl_rc" == 0 && "$status" == 404 ]] && break
  sleep 0.1
done
expect_status "legacy: the session ends when its SSE stream closes (POST then gives 404)" 404
ok "legacy: the session ends when its SSE stream closes (POST then gives 404)"

# ---------------------------------------------------------------------------------------------
# (b) Streamable HTTP on /mcp: the session id comes back on initialize and goes on every
# later request; answers come in the POST response (SSE or JSON, the server's choice).

mcp_url="$base/mcp"
version=2025-11-25
stream_headers=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
init_body='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"'$version'","capabilities":{},"clientInfo":{"name":"smoke","version":"0"}}}'

# mcp_initialize DESCRIPTION: opens a session; sets $session.
session=""
mcp_initialize() {
  local what=$1 answer
  http POST "$mcp_url" "${stream_headers[@]}" --data-binary "$init_body"
  expect_status "$what" 200
  session=$(header_value Mcp-Session-Id)
  if [[ -z "$session" ]]; then
    not_ok "$what" "no Mcp-Session-Id header on the initialize response"
  fi
  if [[ ! "$session" =~ ^[!-~]+$ ]]; then
    not_ok "$what" "Mcp-Session-Id must be visible ASCII, got: $session"
  fi
  answer=$(response_messages | message_with_id 1)
  expect_result "$what" "$answer"
  expect_contains "$what" "$answer" "\"protocolVersion\":\"$version\""
}

mcp_initialize "streamable: POST initialize returns 200 with Mcp-Session-Id"
ok "streamable: POST initialize returns 200 with Mcp-Session-Id ($session)"

session_headers=("${stream_headers[@]}" -H "Mcp-Session-Id: $session" -H "MCP-Protocol-Version: $version")

http POST "$mcp_url" "${session_headers[@]}" --data-binary '{"jsonrpc":"2.0","method":"notifications/initialized"}'
expect_status "streamable: POST notifications/initialized returns 202" 202
ok "streamable: POST notifications/initialized returns 202"

http POST "$mcp_url" "${session_headers[@]}" --data-binary '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
expect_status "streamable: POST tools/list returns 200" 200
answer=$(response_messages | message_with_id 2)
expect_result "streamable: tools/list succeeds" "$answer"
expect_contains "streamable: tools/list lists session_info" "$answer" '"session_info"'
expect_contains "streamable: tools/list lists health_check" "$answer" '"health_check"'
ok "streamable: tools/list lists session_info and health_check ($(header_value Content-Type))"

http POST "$mcp_url" "${session_headers[@]}" --data-binary '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"session_info","arguments":{}}}'
expect_status "streamable: POST tools/call session_info returns 200" 200
answer=$(response_messages | message_with_id 3)
expect_result "streamable: tools/call session_info succeeds" "$answer"
expect_contains "streamable: tools/call session_info reports success" "$answer" 'success'
if [[ "$answer" == *'"isError":true'* ]]; then
  not_ok "streamable: tools/call session_info is not an error" "${answer:0:800}"
fi
ok "streamable: tools/call session_info reports success"

http DELETE "$mcp_url" -H "Mcp-Session-Id: $session" -H "MCP-Protocol-Version: $version"
expect_status "streamable: DELETE ends the session with 200" 200
ok "streamable: DELETE ends the session with 200"

http DELETE "$mcp_url" -H "Mcp-Session-Id: $session" -H "MCP-Protocol-Version: $version"
expect_status "streamable: a second DELETE of the same session returns 404" 404
ok "streamable: a second DELETE of the same session returns 404"

# ---------------------------------------------------------------------------------------------
# (c) Error statuses. Clients decide what to do from the status alone (re-initialize on 404,
# give up on 400/415), so each must be exact. A fresh session makes sure the checks that need
# one (bad JSON, bad header) fail for the intended reason, not for a missing session.

mcp_initialize "errors: a new session for the error checks"
session_headers=("${stream_headers[@]}" -H "Mcp-Session-Id: $session" -H "MCP-Protocol-Version: $version")
list_body='{"jsonrpc":"2.0","id":10,"method":"tools/list"}'

# expect_error DESCRIPTION CODE: status CODE with a JSON-RPC error body (as the SDK sends).
expect_error() {
  expect_status "$1" "$2"
  if ! grep -q '"error"' "$tmp/body"; then
    not_ok "$1" "expected a JSON-RPC error object in the body"
  fi
  ok "$1"
}

http POST "$mcp_url" "${stream_headers[@]}" -H "MCP-Protocol-Version: $version" --data-binary "$list_body"
expect_error "errors: POST /mcp without Mcp-Session-Id returns 400" 400

http POST "$mcp_url" "${stream_headers[@]}" -H 'Mcp-Session-Id: no-such-session' \
  -H "MCP-Protocol-Version: $version" --data-binary "$list_body"
expect_error "errors: POST /mcp with an unknown Mcp-Session-Id returns 404" 404

http POST "$mcp_url" "${session_headers[@]}" --data-binary '{"jsonrpc":"2.0","id":11,"method":'
expect_error "errors: POST /mcp with malformed JSON returns 400" 400
expect_contains "errors: malformed JSON is a parse error (-32700)" "$(cat "$tmp/body")" '-32700'
ok "errors: malformed JSON is a parse error (-32700)"

http POST "$mcp_url" -H 'Content-Type: text/plain' -H 'Accept: application/json, text/event-stream' \
  -H "Mcp-Session-Id: $session" -H "MCP-Protocol-Version: $version" --data-binary "$list_body"
expect_error "errors: POST /mcp with Content-Type text/plain returns 415" 415

http POST "$mcp_url" "${stream_headers[@]}" -H "Mcp-Session-Id: $session" \
  -H 'MCP-Protocol-Version: 1999-01-01' --data-binary "$list_body"
expect_error "errors: POST /mcp with MCP-Protocol-Version 1999-01-01 returns 400" 400

http POST "$base/messages?sessionId=nope" "${json_headers[@]}" --data-binary "$list_body"
expect_error "errors: POST /messages?sessionId=nope returns 404" 404

# The session is still usable after all those rejected requests.
http POST "$mcp_url" "${session_headers[@]}" --data-binary '{"jsonrpc":"2.0","id":12,"method":"ping"}'
expect_status "errors: the session still answers ping after the rejected requests" 200
expect_result "errors: the session still answers ping after the rejected requests" \
  "$(response_messages | message_with_id 12)"
ok "errors: the session still answers ping after the rejected requests"

http DELETE "$mcp_url" -H "Mcp-Session-Id: $session" -H "MCP-Protocol-Version: $version"
expect_status "errors: DELETE the error-check session" 200

# ---------------------------------------------------------------------------------------------
# (d) /health: what monitoring and the shell scripts poll.

http GET "$base/health"
expect_status "health: GET /health returns 200" 200
case "$(header_value Content-Type)" in
  application/json*) ;;
  *) not_ok "health: GET /health returns JSON" "Content-Type is '$(header_value Content-Type)'" ;;
esac
expect_contains "health: GET /health reports a status" "$(cat "$tmp/body")" '"status"'
ok "health: GET /health returns 200 JSON with a status ($(grep -o '"status":"[^"]*"' "$tmp/body" || true))"

# ---------------------------------------------------------------------------------------------
# Shutdown: SIGTERM must stop the server promptly and cleanly (exit 0).

kill -TERM "$server_pid"
for _ in $(seq 1 100); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
  not_ok "shutdown: SIGTERM stops the server" "still running 10 s after SIGTERM"
fi
exit_code=0
wait "$server_pid" || exit_code=$?
server_pid=""
if ((exit_code != 0)); then
  not_ok "shutdown: the server exits 0 on SIGTERM" "exit status $exit_code"
fi
ok "shutdown: SIGTERM stops the server with exit status 0"

echo "smoke: $passed passed, 0 failed"
