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
command -v node >/dev/null || { echo "soak.sh: node is not installed" >&2; echo "soak: 0 passed, 1 failed"; exit 1; }

log="$(mktemp "${TMPDIR:-/tmp}/mcpgate-soak.XXXXXX")"
trap 'rm -f "$log"' EXIT
status=0
timeout --kill-after=5 600 node "$repo/tests/soak/soak.mjs" --binary "$binary" "${args[@]}" 2>&1 | tee "$log" || status=$?
line="$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+$' "$log" | tail -n1 || true)"
p="$(sed -nE 's/^RESULT passed=([0-9]+) failed=([0-9]+)$/\1/p' <<<"$line")"
f="$(sed -nE 's/^RESULT passed=([0-9]+) failed=([0-9]+)$/\2/p' <<<"$line")"
p=${p:-0}; f=${f:-0}
if [[ "$status" -ne 0 && "$f" -eq 0 ]]; then f=1; fi
echo "soak: $p passed, $f failed"
[[ "$f" -eq 0 ]]
