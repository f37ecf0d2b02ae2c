#!/usr/bin/env bash
# Shutdown under load: tests/shutdown/shutdown.mjs against a fresh mcpgate (it starts its own):
# thousands of SSE streams open, then SIGTERM; every stream must end properly and the process
# exit 0 within 2 s.
#
#   scripts/shutdown.sh [--binary PATH] [--streams N]
#
# Defaults: build/mcpgate, 5,000 streams. Needs Node >= 18 (no npm packages) and an open-files
# limit above twice the stream count (the client and the server each hold one descriptor per
# stream; the soft limit is raised to the hard one here). Last line: `shutdown: N passed, M failed`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
binary="$repo/build/mcpgate"
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --streams) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "shutdown.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x "$binary" ]] || { echo "shutdown.sh: no executable mcpgate at $binary" >&2; echo "shutdown: 0 passed, 1 failed"; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# shellcheck source=scripts/node-suite.sh
source "$here/node-suite.sh"
run_node_suite shutdown 420 "$repo/tests/shutdown/shutdown.mjs" --binary "$binary" "${args[@]}"
