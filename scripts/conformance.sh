#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, from npm) against a
# freshly started mcpgate with --conformance-fixtures, on a loopback port.
#
#   scripts/conformance.sh [--binary PATH] [--version V] [suite args...]
#
# Defaults: suite 0.1.16 with `--suite all`. With `--version 0.2.0-alpha.12` the default args
# become `--requirements 2025-11-25`. The suite needs Node >= 22; when the system node is older,
# node@22 is installed from the npm registry into the cache (MCPGATE_CACHE, default
# ~/.cache/mcpgate). Prints the suite's summary and ends with `conformance: N passed, M failed`;
# exits non-zero when any check failed or the suite could not run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"
binary="$root/build/mcpgate"
version=0.1.16
args=()
while (($#)); do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if ((${#args[@]} == 0)); then
  if [[ $version == 0.1.* ]]; then args=(--suite all); else args=(--requirements 2025-11-25); fi
fi

fail() { echo "conformance.sh: $*" >&2; echo "conformance: 0 passed, 1 failed"; exit 1; }
[[ -x $binary ]] || fail "no server binary at $binary (build first: scripts/run.sh or ninja -C build)"

cache=$(mcpgate_cache)
# Failures below have said why (npm_install's one line): only the count is left to print.
cannot_run() { echo "conformance: 0 passed, 1 failed"; exit 1; }
node=$(node_at_least 22) || cannot_run

# One installer at a time: test runs may start in parallel.
exec 8>"$cache/.conformance.lock"
flock 8
suite_dir="$cache/conformance-$version"
entry="$suite_dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"
if [[ ! -f $entry ]]; then
  echo "conformance.sh: installing @modelcontextprotocol/conformance@$version" >&2
  mkdir -p "$suite_dir"
  # Without a package.json here, npm would install into the nearest one above.
  [[ -f "$suite_dir/package.json" ]] || printf '{"private": true}\n' >"$suite_dir/package.json"
  npm_install "@modelcontextprotocol/conformance@$version" "$suite_dir" \
    install "@modelcontextprotocol/conformance@$version" || cannot_run
fi
flock -u 8

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$binary" --host 127.0.0.1 --port 0 --port-file "$work/port" --conformance-fixtures \
  --log-level warn >"$work/server.log" 2>&1 &
server_pid=$!
port=$(wait_for_port "$server_pid" "$work/port") ||
  { cat "$work/server.log" >&2; fail "the server did not start"; }
url="http://127.0.0.1:$port/mcp"

set +e
timeout --kill-after=10 600 "$node" "$entry" server --url "$url" -o "$work/results" "${args[@]}" \
  >"$work/suite.log" 2>&1
rc=$?
set -e
sed 's/\x1b\[[0-9;]*m//g' "$work/suite.log" | grep -vE '^(Running client scenario|=== Running scenario|Results saved to)|^$' || true

# Name every failed or warning check with its message (the summary only counts them).
"$node" - "$work/results" <<'JS'
const fs = require('fs'), path = require('path');
let dirs = [];
try { dirs = fs.readdirSync(process.argv[2]); } catch { process.exit(0); }
for (const d of dirs.sort()) {
  const file = path.join(process.argv[2], d, 'checks.json');
  if (!fs.existsSync(file)) continue;
  for (const c of JSON.parse(fs.readFileSync(file, 'utf8')))
    if (c.status === 'FAILURE' || c.status === 'WARNING')
      console.log(`  ${c.status} ${d}: ${c.id}: ${(c.errorMessage || c.description || '').slice(0, 300)}`);
}
JS

total=$(sed 's/\x1b\[[0-9;]*m//g' "$work/suite.log" | grep -E '^Total: [0-9]+ passed, [0-9]+ failed' | tail -1 || true)
if [[ -z $total ]]; then
  tail -20 "$work/server.log" >&2
  fail "the suite printed no summary (exit status $rc)"
fi
passed=$(sed -E 's/^Total: ([0-9]+) passed.*/\1/' <<<"$total")
failed=$(sed -E 's/^Total: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$total")
if ((rc != 0)) && ((failed == 0)); then failed=1; fi
echo "conformance $version ${args[*]}: $passed passed, $failed failed"
echo "conformance: $passed passed, $failed failed"
((rc == 0 && failed == 0))
