#!/usr/bin/env bash
# Abuse suite (issue 13): tests/abuse/abuse.py attacks fresh mcpgate servers (one per attack
# class, each started and stopped by the suite on 127.0.0.1 with a free port) and checks that
# each class is refused as it should be, that the server's peak RSS stays within 256 MiB of its
# idle level, and that a victim session is served throughout.
#
#   scripts/abuse.sh [--binary PATH | PATH] [--only CLASS[,CLASS...]] [--list]
#
# Defaults: build/mcpgate, every class (`--list` names them). Needs python3 (standard library
# only). Prints one `ok - ...` / `not ok - ...` line per check, `#` lines with the peak RSS per
# class, and last `abuse: N passed, M failed`; non-zero exit on any failure. About 2-3 minutes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
binary="$repo/build/mcpgate"
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --binary=*) binary=${1#--binary=}; shift ;;
    --only) args+=(--only "$2"); shift 2 ;;
    --only=*) args+=("$1"); shift ;;
    --list) args+=(--list); shift ;;
    --long) shift ;;  # accepted for symmetry with the other suites; there is no long mode
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "abuse.sh: unknown argument: $1" >&2; exit 2 ;;
    *) binary=$1; shift ;;
  esac
done
[[ -x "$binary" ]] || { echo "abuse.sh: no executable mcpgate at $binary" >&2; echo "abuse: 0 passed, 1 failed"; exit 1; }
command -v python3 >/dev/null || { echo "abuse.sh: python3 is needed" >&2; echo "abuse: 0 passed, 1 failed"; exit 1; }
# Thousands of connections at once: the suite raises its own soft limit to the hard one, and the
# servers it starts inherit that.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

exec python3 -u "$repo/tests/abuse/abuse.py" --binary "$binary" "${args[@]}"
