#!/usr/bin/env bash
# shellcheck disable=SC2016  # the checks are single-quoted on purpose: expect evaluates them
# shellcheck disable=SC2031,SC2034  # out and tmp are read by the checks expect evaluates
# Each step of scripts/test.sh that cannot run counts as a failure with its reason, never as a
# silent gap in the `N passed, M failed` count. Sources test.sh (which then defines its steps
# without running them) and runs single steps with what they need missing or made to fail;
# nothing is built and nothing is installed.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-test-sh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

bad=0
expect() {
  if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; bad=$((bad + 1)); fi
}

# step COMMANDS: runs COMMANDS in a subshell after sourcing test.sh; prints the failures it
# recorded, one a line, after a first line "passed failed".
step() (
  local commands=$1
  set --  # test.sh would take the commands for its own arguments
  # shellcheck source=scripts/test.sh
  source "$repo/scripts/test.sh" >/dev/null 2>&1
  set +e
  build_dir="$tmp/build" tsan_dir="$tmp/build-tsan" asan_dir="$tmp/build-asan"
  eval "$commands" >"$tmp/step.log" 2>&1
  echo "$passed $failed"
  printf '%s\n' "${failures[@]}"
)

# The release build failed: every shell suite after it is a failure, each with the reason.
out=$(step 'release_ok=0; stage_shell_suites')
expect "release build failed: the 12 suites after it count as failed" '[[ $(head -n 1 <<<"$out") == "0 12" ]]'
expect "release build failed: each says why" \
  '[[ $(grep -c ": not run: the release build failed$" <<<"$out") == 12 ]]'
expect "release build failed: the second conformance run and the benchmark are among them" \
  'grep -q "^bench/run.sh quick: not run" <<<"$out" && grep -q "^scripts/conformance.sh --version" <<<"$out"'

# A suite that is not there, or not executable.
touch "$tmp/not-executable.sh"
out=$(step "run_suite $tmp/missing.sh; run_suite $tmp/not-executable.sh")
expect "a missing or non-executable suite counts as failed" '[[ $(head -n 1 <<<"$out") == "0 2" ]]'
expect "a missing suite says so" 'grep -q "missing.sh: not run: not present" <<<"$out"'

# The packages cannot be installed (ensure_packages exits, as it does when not root).
out=$(step 'ensure_packages() { echo "mcpgate: missing packages: clang" >&2; exit 1; }; stage_dependencies')
expect "dependencies that cannot be installed count as failed, and the run goes on" \
  '[[ $(head -n 1 <<<"$out") == "0 1" ]] && grep -q "^dependencies: " <<<"$out"'

# No compiler for the sanitizer builds (clang absent, or it cannot link: libclang-rt-14-dev):
# both builds and the fuzz stage count, each with its reason.
out=$(step 'configure() { record_failure "configure $1 (meson setup)"; return 1; }; stage_sanitizers')
expect "sanitizer builds that cannot configure: tsan, asan and fuzz count as failed" \
  '[[ $(head -n 1 <<<"$out") == "0 3" ]] && grep -q "^scripts/fuzz.sh: not run: " <<<"$out"'

# A build dir whose suites hold no tests (a meson option turned them off).
out=$(step 'configure() { :; }; test_targets() { :; }; suites_build_run tsan "$tsan_dir" tsan')
expect "a sanitizer build with no tests to run counts as failed" \
  '[[ $(head -n 1 <<<"$out") == "0 1" ]] && grep -q "^tsan: not run: no tests defined" <<<"$out"'
out=$(step 'count_tests() { echo 0; }; run_meson_tests "$build_dir" release')
expect "a meson test run with no tests counts as failed" \
  '[[ $(head -n 1 <<<"$out") == "0 1" ]] && grep -q "^release: not run: no tests defined" <<<"$out"'

echo "test.sh stages: $bad failed"
((bad == 0))
