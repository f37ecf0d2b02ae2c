#!/usr/bin/env bash
# Soak test: tests/soak/soak.mjs against a fresh mcpgate (it starts and stops its own).
#
#   scripts/soak.sh [--binary PATH] [--cycles N] [--concurrency C]
#
# Defaults: build/mcpgate, 10,000 cycles, 16 concurrent clients. Needs Node >= 18 (no npm
# packages). The last line is `soak: N passed, M failed`; non-zero exit on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
binary="$repo/build/mcpgate"
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --cycles|--concurrency) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x "$binary" ]] || { echo "soak.sh: no executable mcpgate at $binary" >&2; echo "soak: 0 passed, 1 failed"; exit 1; }

# shellcheck source=scripts/node-suite.sh
source "$here/node-suite.sh"
run_node_suite soak 600 "$repo/tests/soak/soak.mjs" --binary "$binary" "${args[@]}"
