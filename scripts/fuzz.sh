#!/usr/bin/env bash
# Runs mcpgate's libFuzzer targets (tests/fuzz) for a bounded time each.
#
#   scripts/fuzz.sh [--time SECONDS] [--runs N] [--max-len BYTES] [--build-dir DIR] [TARGET...]
#
# Builds them with clang, libFuzzer, ASan and UBSan in DIR (default build-fuzz), then runs each
# target (default: all) on a scratch copy of its seed corpus (tests/fuzz/corpus/<target>), for
# SECONDS (default 30) or N executions, whichever ends first, with inputs of up to BYTES.
# Without --max-len each target has its own bound: 1024 for jsonrpc and sse, whose logic a few
# hundred bytes exercise fully and whose cost grows with an input's length (at 64 KiB sse runs
# too slowly to reach 10 million executions in an hour), 65536 for the others. A crash, a
# sanitizer report, a leak or a timeout of one input fails that target; its reproducer is kept
# under DIR/artifacts/.
# The last line is `fuzz: N passed, M failed`; the exit status is non-zero when any failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=scripts/deps.sh
source "$here/deps.sh"

seconds=30
runs=-1
max_len=""  # per target unless given
build_dir="$repo/build-fuzz"
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --max-len) max_len=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option: $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$runs" =~ ^-?[0-9]+$ && "$max_len" =~ ^[0-9]*$ ]] ||
  { echo "fuzz.sh: --time, --runs and --max-len take numbers" >&2; exit 2; }
if ((${#targets[@]} == 0)); then
  targets=(jsonrpc dispatcher sse event_id session_query tool_arguments http_request)
fi

ensure_packages --fuzz

if [[ ! -f "$build_dir/build.ninja" ]]; then
  CC=clang CXX=clang++ meson setup "$build_dir" "$repo" -Dfuzz=enabled -Dwerror=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 -Ddebug=true \
    -Db_ndebug=false -Dcpp_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$build_dir" "${targets[@]/#/tests/fuzz/fuzz_}"

passed=0
failed=0
mkdir -p "$build_dir/artifacts"
for target in "${targets[@]}"; do
  work="$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-fuzz-$target.XXXXXX")"
  log="$build_dir/fuzz_$target.log"
  target_max_len=$max_len
  if [[ -z $target_max_len ]]; then
    case "$target" in
      jsonrpc | sse) target_max_len=1024 ;;
      *) target_max_len=65536 ;;
    esac
  fi
  echo "=== fuzz_$target: ${seconds} s, inputs up to $target_max_len bytes"
  status=0
  # New inputs go to the scratch dir (first argument); the seed corpus is only read.
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    timeout --kill-after=10 $((seconds + 60)) \
    "$build_dir/tests/fuzz/fuzz_$target" "$work" "$repo/tests/fuzz/corpus/$target" \
      -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len="$target_max_len" \
      -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/${target}-" >"$log" 2>&1 || status=$?
  executions="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')"
  if ((status == 0)); then
    passed=$((passed + 1))
    echo "ok   fuzz_$target: $executions executions, no crash ($(grep -c . < <(ls "$work")) new inputs)"
  else
    failed=$((failed + 1))
    echo "FAIL fuzz_$target (exit $status); the end of $log:"
    tail -n 40 "$log"
  fi
  rm -rf "$work"
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
