#!/usr/bin/env bash
# Checks the shipped systemd units (scripts/systemd) the way systemd itself would load them,
# without installing them:
#   - `systemd-analyze verify` on mcpgate.service and an instance of mcpgate@.service, with
#     ExecStart pointed at the built binary; any complaint (an unknown or misspelt key is only a
#     warning to systemd, and would silently drop a hardening setting) fails the check;
#   - `systemd-analyze security --offline=true`: the sandbox's exposure must stay at or below
#     MCPGATE_UNIT_EXPOSURE (default 2.0 of 10; the units score 1.5, "OK");
#   - each unit's ExecStart command line starts a server that answers /health and exits 0 on
#     SIGTERM (on a free loopback port, with its store in a scratch dir).
#
#   scripts/check-units.sh [--binary PATH]      (default: build/mcpgate)
#
# Prints one `ok - ...` line per check, `not ok - ...` with systemd's words on failure, and
# exits 1 when any check failed.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary="$repo_root/build/mcpgate"
max_exposure=${MCPGATE_UNIT_EXPOSURE:-2.0}

while (($# > 0)); do
  case "$1" in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --binary=*) binary=${1#--binary=}; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-units.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=scripts/deps.sh
source "$repo_root/scripts/deps.sh"
# shellcheck source=scripts/lib.sh
source "$repo_root/scripts/lib.sh"
ensure_packages --units

if [[ ! -x "$binary" ]]; then
  echo "not ok - $binary is not an executable (build first, or pass --binary)"
  exit 1
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-units.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The units name /usr/local/bin/mcpgate, which need not exist here; verify checks that ExecStart
# is an executable, so point it at the build.
cp "$repo_root/scripts/systemd/mcpgate.service" "$work/mcpgate.service"
cp "$repo_root/scripts/systemd/mcpgate@.service" "$work/mcpgate@.service"
sed -i "s#^ExecStart=/usr/local/bin/mcpgate#ExecStart=$binary#" "$work"/*.service
# An instance to load the template through, as `systemctl start mcpgate@a` would.
ln -s "mcpgate@.service" "$work/mcpgate@a.service"

failed=0
# Exposure as systemd prints it: "→ Overall exposure level for X: 1.5 OK 🙂".
exposure_of() {
  sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$1"
}

for unit in mcpgate.service mcpgate@a.service; do
  complaints=$(cd "$work" && systemd-analyze verify "./$unit" 2>&1) || true
  if [[ -z "$complaints" ]]; then
    echo "ok - $unit: systemd-analyze verify has nothing to say"
  else
    echo "not ok - $unit: systemd-analyze verify complains:"
    sed 's/^/    /' <<<"$complaints"
    failed=1
  fi

  report=$(cd "$work" && systemd-analyze security --offline=true "./$unit" 2>&1) || true
  exposure=$(exposure_of "$report")
  if [[ -z "$exposure" ]]; then
    echo "not ok - $unit: no exposure level in systemd-analyze security's report:"
    tail -5 <<<"$report" | sed 's/^/    /'
    failed=1
  elif awk -v e="$exposure" -v max="$max_exposure" 'BEGIN { exit !(e <= max) }'; then
    echo "ok - $unit: exposure $exposure (at most $max_exposure)"
  else
    echo "not ok - $unit: exposure $exposure is above $max_exposure; what is left open:"
    grep '✗' <<<"$report" | sed 's/^/    /' || true
    failed=1
  fi
done

# Each unit's ExecStart command line, as systemd would run it (instance "a"), with the unit's
# MCPGATE_DATA moved into the scratch dir and a free loopback port: it must start and serve
# /health, and the unit's KillSignal (SIGTERM) must stop it with status 0.
for unit in mcpgate.service mcpgate@.service; do
  exec_start=$(sed -n 's/^ExecStart=//p' "$work/$unit")
  exec_start=${exec_start//%i/a}
  read -r -a command <<<"$exec_start"
  MCPGATE_DATA="$work/$unit.db" "${command[@]}" --host 127.0.0.1 --port 0 \
    --port-file "$work/$unit.port" >"$work/$unit.log" 2>&1 &
  pid=$!
  port=$(wait_for_port "$pid" "$work/$unit.port") || port=""
  health=""
  [[ -n "$port" ]] && health=$(curl -sS --max-time 5 "http://127.0.0.1:$port/health" 2>&1) || true
  kill -TERM "$pid" 2>/dev/null || true
  status=0
  wait "$pid" || status=$?
  if [[ "$health" == *'"status"'* && $status -eq 0 ]]; then
    echo "ok - $unit: \`$exec_start\` serves /health and exits 0 on SIGTERM"
  else
    echo "not ok - $unit: \`$exec_start\` (health: ${health:-none}, exit status $status):"
    tail -5 "$work/$unit.log" | sed 's/^/    /'
    failed=1
  fi
done

exit "$failed"
