#!/usr/bin/env bash
# shellcheck disable=SC2016  # the checks are single-quoted on purpose: expect evaluates them
# scripts/lib.sh npm_install behind a registry that is dead (a closed loopback port) or refuses
# (answers 404), with an empty npm cache: one line "could not install X from npm: REASON" with
# npm's own reason, a non-zero status, and no retrying for minutes (the whole install is bounded
# at 45 s here; npm's defaults take over 70 s per package against a closed port, so they would
# end in "did not finish" instead of the reason). Then scripts/conformance.sh in the same
# place: the same one line and its count, never a word about the node version.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"

failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
expect() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-npm-test.XXXXXX")
http_pid=""
trap 'stop_pids "$http_pid"; rm -rf "$tmp"' EXIT

command -v npm >/dev/null || { not_ok "npm is installed (scripts/deps.sh ensure_packages --test)"; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# try LABEL REGISTRY: npm_install is-number@7 against REGISTRY; sets out and rc.
try() {
  mkdir -p "$tmp/$1"
  printf '{"private": true}\n' >"$tmp/$1/package.json"
  rc=0
  out=$(npm_config_registry=$2 npm_config_cache="$tmp/cache-$1" MCPGATE_NPM_TIMEOUT=45 \
    npm_install is-number@7 "$tmp/$1" install is-number@7 2>&1) || rc=$?
  printf '%s\n' "$out" | sed "s/^/  [$1] /"
}

dead="http://127.0.0.1:$(free_port)/"
try dead "$dead"
expect "dead registry: non-zero status" '((rc != 0))'
expect "dead registry: exactly one line of output" '[[ $(grep -c . <<<"$out") == 1 ]]'
expect "dead registry: it says it could not install, with npm's reason" \
  '[[ $out == *"could not install is-number@7 from npm: "*ECONNREFUSED* ]]'

# A registry that answers, but not with the package: python3's file server on an empty folder.
mkdir -p "$tmp/empty"
python3 -u -m http.server --bind 127.0.0.1 --directory "$tmp/empty" 0 >"$tmp/http.log" 2>&1 &
http_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -nE 's/.* port ([0-9]+) .*/\1/p' "$tmp/http.log" | head -n 1)
  [[ -n $port ]] && break
  sleep 0.1
done
if [[ -n $port ]]; then
  try refusing "http://127.0.0.1:$port/"
  expect "refusing registry: non-zero status" '((rc != 0))'
  expect "refusing registry: exactly one line of output" '[[ $(grep -c . <<<"$out") == 1 ]]'
  expect "refusing registry: npm's reason (404)" '[[ $out == *"could not install is-number@7 from npm: "*404* ]]'
else
  not_ok "python3's http.server started"
fi

rc=0
# shellcheck disable=SC2123  # no npm on PATH is the point
out=$(PATH="$tmp/empty"; npm_install is-number@7 "$tmp" install is-number@7 2>&1) || rc=$?
expect "without npm: says so, non-zero" '((rc != 0)) && [[ $out == *"could not install is-number@7 from npm: npm is not installed" ]]'

# The conformance suite, from an empty cache, behind the dead registry (it installs node@22 when
# the system node is older than 22, then the suite: either way the first install fails).
rc=0
out=$(npm_config_registry=$dead npm_config_cache="$tmp/cache-conformance" MCPGATE_CACHE="$tmp/mcpgate-cache" \
  MCPGATE_NPM_TIMEOUT=45 "$repo/scripts/conformance.sh" --binary /bin/true 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/  [conformance] /'
expect "conformance.sh: non-zero status" '((rc != 0))'
expect "conformance.sh: says once that it could not install, with npm's reason" \
  '[[ $(grep -c "could not install .* from npm: .*ECONNREFUSED" <<<"$out") == 1 ]]'
expect "conformance.sh: no other complaint about npm" '[[ $(grep -ci "npm" <<<"$out") == $(grep -ci "from npm" <<<"$out") ]]'
expect "conformance.sh: does not blame the node version" '! grep -qE "node >=|needs Node|is required" <<<"$out"'
expect "conformance.sh: ends with its count" '[[ $(tail -n 1 <<<"$out") == "conformance: 0 passed, 1 failed" ]]'

echo "npm_install: $failures failed"
((failures == 0))
