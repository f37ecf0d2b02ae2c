#!/usr/bin/env bash
# Browser test: a real browser (headless Chromium) talks to a freshly started mcpgate the way a
# browser-based MCP client (the MCP Inspector, a web IDE) does, across origins with `fetch`.
#
#   scripts/browser.sh [--binary PATH]      (default: build/mcpgate)
#
# A page served from one loopback port (python3 -m http.server) by an origin listed in
# --allowed-origins initializes a Streamable HTTP session on mcpgate's port, reads
# Mcp-Session-Id from the answer, and calls the session_info tool with it. Each of those
# requests carries custom headers, so the browser sends a CORS preflight first and refuses the
# answer if its CORS headers are wrong (e.g. repeated). The page writes what it got into the
# DOM, which Chromium prints with --dump-dom; this script checks the tool's result is there.
# Then the same page from an origin that is not listed must be refused (fetch fails).
#
# Needs chromium and python3 (scripts/deps.sh: ensure_packages --browser). Prints one
# `ok - ...` line per check; on failure `not ok - ...`, the reason and the server log, exit 1.
# Talks to 127.0.0.1 only; every wait is bounded; whatever it started is stopped on exit.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$repo_root/scripts/lib.sh"
binary="$repo_root/build/mcpgate"
parse_suite_args browser "$@"

if [[ ! -x "$binary" ]]; then
  echo "browser: server binary not found or not executable: $binary" >&2
  echo "browser: build it first (ninja -C build) or pass --binary PATH" >&2
  exit 1
fi
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$chromium" ]] || ! command -v python3 >/dev/null; then
  echo "browser: needs chromium and python3; install them with scripts/deps.sh" \
    "(ensure_packages --browser), e.g. apt-get install chromium python3" >&2
  exit 1
fi

# Seconds the browser may take to load the page and finish its requests (start-up included).
browser_time=60

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-browser.XXXXXX")
server_pid=""
page_pid=""
passed=0

cleanup() {
  # Runs on every exit, including failures and Ctrl-C: never leave a server behind. (Chromium
  # runs in the foreground under `timeout`, which ends it.)
  stop_pids "$page_pid" "$server_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {
  passed=$((passed + 1))
  echo "ok - $*"
}

not_ok() {
  echo "not ok - $1"
  echo "browser: FAILED: $1" >&2
  echo "browser: $2" >&2
  if [[ -s "$tmp/dom.html" ]]; then
    echo "browser: the page's result: $(sed -n 's/.*<pre id="result">\([^<]*\)<\/pre>.*/\1/p' "$tmp/dom.html")" >&2
  fi
  if [[ -s "$tmp/chromium.log" ]]; then
    # The page's console (a CORS refusal is explained there), without the D-Bus noise of a
    # machine with no session bus.
    echo "browser: chromium's output (last 20 lines, D-Bus messages left out):" >&2
    grep -v -i 'dbus' "$tmp/chromium.log" | tail -n 20 | sed 's/^/  | /' >&2 || true
  fi
  echo "browser: server log (last 40 lines):" >&2
  tail -n 40 "$tmp/server.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
  echo "browser: $passed passed, 1 failed"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# The page: initialize, notifications/initialized, tools/call session_info, each with fetch.
# It reads mcpgate's URL from its query string and writes "PASS <tool text>" or
# "FAIL <why>" into <pre id="result">.

mkdir -p "$tmp/www"
cat >"$tmp/www/index.html" <<'HTML'
<!doctype html>
<html>
<head><meta charset="utf-8"><title>mcpgate browser test</title></head>
<body>
<pre id="result">RUNNING</pre>
<script>
const mcp = new URLSearchParams(location.search).get("mcp");
const report = (text) => { document.getElementById("result").textContent = text; };

// A Streamable HTTP answer is JSON or an SSE stream: the JSON-RPC message with this id.
function messageWithId(body, id) {
  const candidates = [];
  try { candidates.push(JSON.parse(body)); } catch (e) {
    for (const block of body.split(/\r?\n\r?\n/)) {
      const data = block.split(/\r?\n/).filter((l) => l.startsWith("data:"))
                        .map((l) => l.slice(5).trimStart()).join("\n");
      if (data) { try { candidates.push(JSON.parse(data)); } catch (e2) {} }
    }
  }
  return candidates.flat().find((m) => m && m.id === id && !m.method);
}

async function post(headers, message) {
  const response = await fetch(mcp, {method: "POST", headers, body: JSON.stringify(message)});
  return {response, body: await response.text()};
}

async function run() {
  const headers = {"Content-Type": "application/json",
                   "Accept": "application/json, text/event-stream"};
  const init = await post(headers, {jsonrpc: "2.0", id: 1, method: "initialize", params: {
      protocolVersion: "2025-06-18", capabilities: {},
      clientInfo: {name: "mcpgate-browser-test", version: "1"}}});
  const session = init.response.headers.get("Mcp-Session-Id");
  if (init.response.status !== 200 || !session)
    return report("FAIL initialize: HTTP " + init.response.status + ", Mcp-Session-Id " + session);
  const version = messageWithId(init.body, 1)?.result?.protocolVersion;
  if (!version) return report("FAIL initialize: no result in " + init.body.slice(0, 300));
  headers["Mcp-Session-Id"] = session;
  headers["MCP-Protocol-Version"] = version;
  const ready = await post(headers, {jsonrpc: "2.0", method: "notifications/initialized"});
  if (ready.response.status !== 202)
    return report("FAIL notifications/initialized: HTTP " + ready.response.status);
  const call = await post(headers, {jsonrpc: "2.0", id: 2, method: "tools/call",
                                    params: {name: "session_info", arguments: {}}});
  const result = messageWithId(call.body, 2)?.result;
  const text = result?.content?.find((c) => c.type === "text")?.text;
  if (call.response.status !== 200 || !text || result.isError)
    return report("FAIL tools/call: HTTP " + call.response.status + " " + call.body.slice(0, 300));
  report("PASS session " + session + " " + text);
}
run().catch((e) => report("FAIL " + e));
</script>
</body>
</html>
HTML

# ---------------------------------------------------------------------------------------------
# Start the page server and mcpgate on free ports.

python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$tmp/www" >"$tmp/page.log" 2>&1 &
page_pid=$!
page_port=""
for _ in $(seq 1 100); do
  page_port=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$tmp/page.log" | head -n 1)
  [[ -n "$page_port" ]] && break
  kill -0 "$page_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n "$page_port" ]] || not_ok "the page server starts" "python3 -m http.server printed no port: $(cat "$tmp/page.log")"
ok "page server on 127.0.0.1:$page_port"

page_origin="http://127.0.0.1:$page_port"
"$binary" --host 127.0.0.1 --port 0 --port-file "$tmp/port" --data "$tmp/data.db" \
  --allowed-origins "$page_origin" >"$tmp/server.log" 2>&1 &
server_pid=$!
if ! port=$(wait_for_port "$server_pid" "$tmp/port"); then
  kill -0 "$server_pid" 2>/dev/null || not_ok "server starts" "the server exited during start-up"
  not_ok "server starts" "no port in --port-file after 10 s"
fi
ok "server started on 127.0.0.1:$port with --allowed-origins $page_origin"

# run_page PAGE_URL: loads the page in headless Chromium; the DOM afterwards in $tmp/dom.html,
# the text of <pre id="result"> in $result.
result=""
run_page() {
  local url=$1 rc=0
  : >"$tmp/dom.html"
  # --no-sandbox: Chromium's sandbox refuses to run as root (CI containers). A fresh profile
  # each time: nothing cached (a preflight answer is cached for a day) carries over.
  rm -rf "$tmp/profile"
  timeout --kill-after=5 "$browser_time" "$chromium" --headless --no-sandbox --disable-gpu \
    --disable-dev-shm-usage --no-first-run --no-default-browser-check \
    --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
    --virtual-time-budget=20000 --dump-dom "$url" \
    >"$tmp/dom.html" 2>"$tmp/chromium.log" || rc=$?
  if ((rc == 124 || rc == 137)); then
    not_ok "chromium loads the page" "chromium did not finish within ${browser_time}s"
  fi
  result=$(sed -n 's/.*<pre id="result">\([^<]*\)<\/pre>.*/\1/p' "$tmp/dom.html" | head -n 1)
}

# ---------------------------------------------------------------------------------------------
# (1) From the allowed origin: initialize, then a tool call with the session id read by the page.

run_page "$page_origin/index.html?mcp=http://127.0.0.1:$port/mcp"
case "$result" in
  PASS*) ;;
  "") not_ok "the page ran" "no result in the DOM (chromium exit, see below)" ;;
  *) not_ok "a page from $page_origin initializes and calls session_info with fetch" "the page reported: $result" ;;
esac
# "PASS session <id> <session_info's text>": the tool must report the session the page opened.
session_id=$(awk '{ print $3 }' <<<"$result")
[[ -n "$session_id" && "$result" == *"\"current_session\":\"$session_id\""* ]] ||
  not_ok "the tool result reached the page" "session_info does not name session '$session_id': $result"
ok "a page from $page_origin initialized and called session_info with fetch (${result:0:120}...)"

# ---------------------------------------------------------------------------------------------
# (2) The same page from another origin (localhost instead of 127.0.0.1: a different origin,
# not listed) must not be able to talk to the server.

run_page "http://localhost:$page_port/index.html?mcp=http://127.0.0.1:$port/mcp"
case "$result" in
  FAIL*) ;;
  *) not_ok "a page from an unlisted origin is refused" "the page reported: ${result:-nothing}" ;;
esac
grep -q 'Invalid Origin' "$tmp/server.log" ||
  not_ok "the server logged the refused origin" "no 'Invalid Origin' in the server log"
ok "a page from http://localhost:$page_port (not listed) is refused: ${result:0:80}"

echo "browser: $passed passed, 0 failed"
