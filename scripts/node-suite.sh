# Sourced by the shell suites that drive mcpgate from a Node script (soak.sh, shutdown.sh).
#
#   run_node_suite NAME TIMEOUT_S SCRIPT.mjs [ARGS...]
#
# Runs the script (bounded by TIMEOUT_S), shows its output, reads its last
# `RESULT passed=N failed=M` line and prints `NAME: N passed, M failed`. Returns non-zero on any
# failure, including a script that died before reporting.
run_node_suite() {
  local name=$1 limit=$2 script=$3
  shift 3
  command -v node >/dev/null || { echo "$name: node is not installed" >&2; echo "$name: 0 passed, 1 failed"; return 1; }
  local log status=0 line p f
  log="$(mktemp "${TMPDIR:-/tmp}/mcpgate-$name.XXXXXX")"
  timeout --kill-after=5 "$limit" node "$script" "$@" 2>&1 | tee "$log" || status=$?
  line="$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+$' "$log" | tail -n1 || true)"
  rm -f "$log"
  p="$(sed -nE 's/^RESULT passed=([0-9]+) failed=([0-9]+)$/\1/p' <<<"$line")"
  f="$(sed -nE 's/^RESULT passed=([0-9]+) failed=([0-9]+)$/\2/p' <<<"$line")"
  p=${p:-0}; f=${f:-0}
  if [[ "$status" -ne 0 && "$f" -eq 0 ]]; then f=1; fi
  echo "$name: $p passed, $f failed"
  [[ "$f" -eq 0 ]]
}
