#!/usr/bin/env bash
# The project's one test command (CI runs it through .ci/run):
#
#   scripts/test.sh [--long]
#
#  1. installs missing packages (scripts/deps.sh);
#  2. builds the release configuration with tests in build/ and runs `meson test`;
#  3. runs each shell suite that exists against build/mcpgate: scripts/smoke.sh,
#     scripts/smoke-nginx.sh, scripts/check-units.sh, scripts/browser.sh (headless Chromium),
#     scripts/conformance.sh (three times: 0.1.16 --suite all, then 0.2.0-alpha.12 with the
#     2025-11-25 requirements and with the 2026-07-28 ones, the modern era),
#     tests/sdk/run.sh, scripts/soak.sh, scripts/shutdown.sh, scripts/abuse.sh (every attack
#     class of issue 13, memory bounded, a victim session served), then `bench/run.sh quick` (the
#     benchmark harness against mcpgate and the TypeScript SDK peer; it judges no speed);
#  4. builds against the current cpp-httplib of subprojects/cpp-httplib.wrap instead of Debian's
#     0.11.4 (build-wrap/, --force-fallback-for=cpp-httplib, -O0: it checks that mcpgate
#     compiles and behaves the same, not its speed) and runs the 'unit' and 'integration' suites;
#  5. builds with ThreadSanitizer (build-tsan/) and runs the 'tsan' suite;
#  6. builds with clang, AddressSanitizer + UBSan and libFuzzer's coverage (build-asan-clang/),
#     runs the 'unit' and 'integration' suites there, then each fuzz target through
#     scripts/fuzz.sh for MCPGATE_FUZZ_SECONDS (15), or with --long until MCPGATE_FUZZ_RUNS
#     executions (10 million) or an hour per target, whichever comes first.
#
# A failing step never stops the run: everything is counted, and the last line is exactly
# `N passed, M failed` (each meson test is one test, each shell suite is one test, a build
# that fails is one failure). A step that cannot run (packages that cannot be installed, a
# build dir that cannot be configured, a suite missing, the shell suites after a failed release
# build, a build with no tests) is one failure too, with its reason: never a silent gap in the
# count. The exit status is non-zero when M > 0. Sourced, it only defines its steps
# (tests/scripts/test_test_sh_stages.sh runs them one by one).
#
# --long exports MCPGATE_TEST_LONG=1 for the suites that have a longer mode.
#
# A build dir that already exists keeps the options it was set up with (delete it to change
# them). Environment (optional), e.g. to keep a developer's own build dirs apart from others':
#   MCPGATE_BUILD_DIR (build), MCPGATE_WRAP_BUILD_DIR (build-wrap), MCPGATE_TSAN_BUILD_DIR (build-tsan),
#   MCPGATE_ASAN_BUILD_DIR (build-asan-clang), MCPGATE_SUITE_TIMEOUT (seconds per shell suite, 600),
#   MCPGATE_FUZZ_SECONDS, MCPGATE_FUZZ_RUNS (per fuzz target),
#   MCPGATE_SKIP_SANITIZERS=1 to skip steps 5 and 6 for a quick local run.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/deps.sh
source scripts/deps.sh

usage() {
  echo "usage: $0 [--long]" >&2
  exit 2
}

while (($# > 0)); do
  case "$1" in
    --long)
      export MCPGATE_TEST_LONG=1
      : "${MCPGATE_FUZZ_SECONDS:=3600}"
      : "${MCPGATE_FUZZ_RUNS:=10000000}"
      shift
      ;;
    -h | --help) usage ;;
    *)
      echo "test.sh: unknown argument: $1" >&2
      usage
      ;;
  esac
done

build_dir=${MCPGATE_BUILD_DIR:-build}
wrap_dir=${MCPGATE_WRAP_BUILD_DIR:-build-wrap}
tsan_dir=${MCPGATE_TSAN_BUILD_DIR:-build-tsan}
asan_dir=${MCPGATE_ASAN_BUILD_DIR:-build-asan-clang}
suite_timeout=${MCPGATE_SUITE_TIMEOUT:-600}
fuzz_seconds=${MCPGATE_FUZZ_SECONDS:-15}
fuzz_runs=${MCPGATE_FUZZ_RUNS:--1}
# CI machines have 2 cores; more jobs only make the sanitizer builds swap.
jobs=2

started=$SECONDS
passed=0
failed=0
failures=()

section() {
  echo
  echo "=== $* ($((SECONDS - started)) s)"
}

note() {
  echo "test.sh: $*"
}

record_failure() {
  failed=$((failed + 1))
  failures+=("$1")
  note "FAILED: $1"
}

# meson ships with python3 (it is a Python program), so it is always there to read meson's
# JSON logs; Debian's own interpreter avoids surprises from a pyenv shim first on PATH.
python=/usr/bin/python3
[[ -x "$python" ]] || python=python3

# configure DIR [meson options...]: `meson setup` once; a failure counts as one failed test.
# Later runs need no setup: `ninja build.ninja` re-runs meson when a meson.build has changed,
# which also refreshes the test list that count_tests and test_targets read.
configure() {
  local dir=$1
  shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    if ! meson setup "$dir" -Dtests=enabled "$@" </dev/null; then
      record_failure "configure $dir (meson setup)"
      return 1
    fi
  elif ! ninja -C "$dir" build.ninja </dev/null >/dev/null; then
    record_failure "configure $dir (meson regenerate)"
    return 1
  fi
}

# build DIR [TARGET...]: ninja, everything or just TARGETs; a failure counts as one failed test.
build() {
  local dir=$1
  shift
  if ! ninja -C "$dir" -j"$jobs" "$@" </dev/null; then
    record_failure "build $dir (ninja)"
    return 1
  fi
}

# test_targets DIR SUITE...: the ninja targets (paths relative to DIR) that the tests in any of
# the SUITEs need. The sanitizer builds compile only these: compiling every test a third and
# fourth time would cost more than the whole release run.
test_targets() {
  local dir=$1
  shift
  "$python" - "$(cd "$dir" && pwd)" "$@" <<'PY'
import json, os, subprocess, sys
build, wanted = sys.argv[1], set(sys.argv[2:])
def introspect(what):
    return json.loads(subprocess.run(["meson", "introspect", build, what], check=True,
                                      capture_output=True, text=True).stdout)
ids = set()
for test in introspect("--tests"):
    if wanted & {s.split(":")[-1] for s in test.get("suite", [])}:
        ids.update(test.get("depends", []))
for target in introspect("--targets"):
    if target["id"] in ids:
        for filename in target["filename"]:
            print(os.path.relpath(filename, build))
PY
}

# count_tests DIR [SUITE...]: how many tests meson knows in DIR (in any of the SUITEs, or all).
# Asked before `meson test`, which exits non-zero with "No tests defined" when there are none.
count_tests() {
  local dir=$1
  shift
  meson introspect "$dir" --tests | "$python" -c '
import json, sys
wanted = set(sys.argv[1:])
tests = json.load(sys.stdin)
# Suites are reported as "project:suite" (and subprojects add their own prefix).
print(sum(1 for t in tests
          if not wanted or wanted & {s.split(":")[-1] for s in t.get("suite", [])}))
' "$@"
}

# tally_testlog DIR: reads DIR's last `meson test` log (one JSON object per line) and prints
# "PASSED FAILED" on the first line, then the name of each failed test. OK and EXPECTEDFAIL
# pass, SKIP counts neither way, anything else (FAIL, TIMEOUT, ERROR, ...) fails.
tally_testlog() {
  local log="$1/meson-logs/testlog.json"
  if [[ ! -f "$log" ]]; then
    echo "0 0"
    return
  fi
  "$python" - "$log" <<'PY'
import json, sys
ok, bad = 0, []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    result = entry.get("result", "")
    if result in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif result != "SKIP":
        bad.append(f"{entry.get('name', '?')} ({result})")
print(ok, len(bad))
for name in bad:
    print(name)
PY
}

# run_meson_tests DIR LABEL [SUITE...]: runs `meson test` (all tests, or those SUITEs) and counts
# each test. A non-zero exit with no failed test in the log (e.g. a rebuild that broke) is still
# one failure, so nothing can fail silently.
run_meson_tests() {
  local dir=$1 label=$2
  shift 2
  local suites=("$@") suite_args=() suite n rc=0 ok=0 bad=0 name
  for suite in "${suites[@]}"; do suite_args+=(--suite "$suite"); done

  if ! n=$(count_tests "$dir" "${suites[@]}"); then
    record_failure "$label: meson introspect $dir"
    return
  fi
  if ((n == 0)); then
    record_failure "$label: not run: no tests defined${suites[*]:+ in suite(s) ${suites[*]}} in $dir"
    return
  fi

  # A stale log from an earlier run must not be counted if this one dies before writing its own.
  rm -f "$dir/meson-logs/testlog.json"
  # --no-rebuild: the caller has built what these tests need; meson test would otherwise build
  # every target of the directory, including the ones a sanitizer run skips on purpose.
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$jobs" "${suite_args[@]}" \
    </dev/null || rc=$?

  local tally=()
  mapfile -t tally < <(tally_testlog "$dir")
  read -r ok bad <<<"${tally[0]:-0 0}"
  passed=$((passed + ok))
  failed=$((failed + bad))
  for name in "${tally[@]:1}"; do failures+=("$label: $name"); done
  if ((rc != 0 && bad == 0)); then
    record_failure "$label: meson test exited $rc without a failed test in its log"
  fi
  note "$label: $ok passed, $bad failed"
}

# run_suite PATH [args...]: one shell suite, one test; bounded by MCPGATE_SUITE_TIMEOUT.
run_suite() {
  local suite=$1 rc=0
  shift
  if [[ ! -e "$suite" ]]; then
    record_failure "$suite: not run: not present"
    return
  fi
  if [[ ! -x "$suite" ]]; then
    record_failure "$suite: not run: present but not executable (chmod +x it)"
    return
  fi
  section "$suite"
  # timeout signals the suite's whole process group, so servers it started go too.
  timeout --kill-after=10 "$suite_timeout" "$suite" "$@" </dev/null || rc=$?
  if ((rc == 0)); then
    passed=$((passed + 1))
    note "$suite: passed"
  elif ((rc == 124)); then
    record_failure "$suite (timed out after ${suite_timeout}s)"
  else
    record_failure "$suite (exit $rc)"
  fi
}

# not_run REASON STAGE...: each STAGE that cannot run is one failure, with REASON: a stage that
# cannot run is never a silent gap in the count.
not_run() {
  local reason=$1 stage
  shift
  for stage in "$@"; do record_failure "$stage: not run: $reason"; done
}

# Every step (after the dependencies) counts once as far as it gets: a step whose prerequisite
# failed is a failure too, named with the reason.
shell_suites=(scripts/smoke.sh scripts/smoke-nginx.sh scripts/check-units.sh scripts/browser.sh scripts/conformance.sh
              tests/sdk/run.sh scripts/soak.sh scripts/shutdown.sh scripts/abuse.sh)
# What the shell-suite step runs after shell_suites, as it is named in the count.
extra_suites=("scripts/conformance.sh --version 0.2.0-alpha.12"
              "scripts/conformance.sh --version 0.2.0-alpha.12 --requirements 2026-07-28"
              "bench/run.sh quick")

stage_dependencies() {
  section "dependencies"
  # In a subshell: ensure_packages exits when it cannot install (after saying why and what to
  # run); the run goes on so that every step it leaves unable to run is counted too.
  if ! (ensure_packages --test --fuzz --nginx --units --browser); then
    record_failure "dependencies: scripts/deps.sh could not install every package (the reason is above)"
  fi
}

# stage_release: sets release_ok to 1 when the release build is usable.
stage_release() {
  section "release build: $build_dir"
  release_ok=0
  if configure "$build_dir" -Dbuildtype=release && build "$build_dir"; then
    release_ok=1
    section "meson test -C $build_dir"
    run_meson_tests "$build_dir" "release"
  fi
}

# Shell suites drive the real binary over HTTP, so they need the release build.
stage_shell_suites() {
  if ((!release_ok)); then
    not_run "the release build failed" "${shell_suites[@]}" "${extra_suites[@]}"
    return
  fi
  local binary="$repo_root/$build_dir/mcpgate" suite
  export MCPGATE_BINARY="$binary"
  # Every suite takes --binary PATH; without it they would default to build/mcpgate even when
  # MCPGATE_BUILD_DIR points elsewhere. Those that need a newer Node than the system's (Debian 12
  # ships 18) take node@22 from npm themselves (scripts/lib.sh node_at_least).
  for suite in "${shell_suites[@]}"; do
    run_suite "$suite" --binary "$binary"
  done
  # The next suite release as an early warning: its 2025-11-25 requirements must pass too.
  run_suite scripts/conformance.sh --binary "$binary" --version 0.2.0-alpha.12
  # The modern era (2026-07-28): every scenario, scored or not (the tasks extension, the
  # pending header and schema ones), must pass.
  run_suite scripts/conformance.sh --binary "$binary" --version 0.2.0-alpha.12 \
    --requirements 2026-07-28
  # The benchmark harness, small: it must run and every client be served (no timing judged).
  run_suite bench/run.sh quick --build-dir "$repo_root/$build_dir"
}

# suites_build_run LABEL DIR "SUITE..." [meson options...]: configures DIR, builds only the
# targets of SUITEs and runs them, each step that fails counted as one failure under LABEL.
suites_build_run() {
  local label=$1 dir=$2 suites listed targets=()
  read -r -a suites <<<"$3"
  shift 3
  section "$label build: $dir (suites: ${suites[*]})"
  configure "$dir" "$@" || return 0
  if ! listed=$(test_targets "$dir" "${suites[@]}"); then
    record_failure "$label: listing the test targets of $dir"
    return 0
  fi
  [[ -n "$listed" ]] && mapfile -t targets <<<"$listed"
  if ((${#targets[@]} == 0)); then
    record_failure "$label: not run: no tests defined in suite(s) ${suites[*]} in $dir"
    return 0
  fi
  build "$dir" "${targets[@]}" || return 0
  section "meson test -C $dir${suites[*]/#/ --suite }"
  run_meson_tests "$dir" "$label" "${suites[@]}"
}

# The same code against the current cpp-httplib of subprojects/cpp-httplib.wrap (Debian's own
# copy of the upstream release, from the Debian mirror): mcpgate must keep building and behaving
# the same without Debian 12's 0.11.4. Only the targets of the 'unit' and 'integration' suites,
# at -O0 (the release build holds the code to -O3's warnings).
stage_wrap() {
  local wrap_log
  section "cpp-httplib wrap: download"
  if ! wrap_log=$(meson subprojects download cpp-httplib </dev/null 2>&1); then
    # One line: what meson said went wrong, without its progress display.
    record_failure "cpp-httplib wrap: could not download it (subprojects/cpp-httplib.wrap):$(
      grep -E 'error|could not' <<<"$wrap_log" | sed 's/\x1b\[K//g; s/^ */ /' | tr -d '\n')"
    return 0
  fi
  suites_build_run "cpp-httplib wrap" "$wrap_dir" "unit integration" \
    --force-fallback-for=cpp-httplib -Doptimization=0 -Ddebug=false
}

# Sanitizer builds, each compiling only what its suites need, with -g for line numbers in
# reports and assert() on (the release build has NDEBUG). -Dwerror=false: GCC's sanitizer
# instrumentation brings its own false positive warnings (-Wmaybe-uninitialized,
# -Wstringop-overflow); the release build above already holds the code to -Werror, and these
# builds are here for their run-time checks.
stage_sanitizers() {
  if [[ "${MCPGATE_SKIP_SANITIZERS:-0}" == 1 ]]; then
    # Asked for, so not a failure; said in the summary's neighbourhood all the same.
    note "sanitizer builds skipped (MCPGATE_SKIP_SANITIZERS=1)"
    return
  fi
  # Make every sanitizer report fail the test that triggered it, with a usable stack.
  # ignore_noninstrumented_modules: Debian's libcpp-httplib, libcurl, libsqlite3 and libspdlog are
  # not built with TSan, so their synchronisation is invisible to it; without this, their own
  # memcpy of a function-local static (httplib's chunk terminator, initialised under a guard
  # TSan cannot see) is reported as racing with our reads of it. Our code stays fully checked.
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1}
  export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

  # -O1 with line tables only (-g1): half the compile time of -O2 -g, and TSan's reports still
  # name file and line for every frame.
  suites_build_run tsan "$tsan_dir" "tsan" -Dwerror=false -Db_sanitize=thread -Doptimization=1 -Ddebug=false \
    -Dcpp_args=-g1
  # clang, so that the same build also links the libFuzzer targets (tests/fuzz): one
  # instrumented build serves both the test suites and the fuzzers (and clang compiles this much
  # instrumentation four times faster than g++). b_lundef=false: the sanitizer runtimes resolve
  # some symbols only at load time. -O1 is what ASan recommends and compiles much faster than
  # -O2; b_ndebug=false keeps assert() on.
  CC=clang CXX=clang++ suites_build_run asan+ubsan "$asan_dir" "unit integration" \
    -Dwerror=false -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 \
    -Ddebug=true -Db_ndebug=false -Dcpp_args=-fsanitize=fuzzer-no-link
  if [[ -f "$asan_dir/build.ninja" ]]; then
    # Seven targets, each bounded by fuzz_seconds: the suite's own bound follows.
    suite_timeout=$((7 * fuzz_seconds + suite_timeout)) \
      run_suite scripts/fuzz.sh --build-dir "$asan_dir" --time "$fuzz_seconds" --runs "$fuzz_runs"
  else
    # A stage that cannot run is a failure with its reason, never a silent gap in the count.
    record_failure "scripts/fuzz.sh: not run: $asan_dir could not be configured (clang, libclang-rt-14-dev)"
  fi
}

summary() {
  section "summary"
  if ((${#failures[@]} > 0)); then
    echo "failed:"
    printf '  %s\n' "${failures[@]}"
  fi
  note "finished in $((SECONDS - started)) s"
  echo "$passed passed, $failed failed"
}

# Sourced (by tests/scripts/test_sh_stages.sh): the functions only, to try each step alone.
(return 0 2>/dev/null) && return 0

# Every server the run starts without --data would open the user's own store
# ($XDG_DATA_HOME/mcpgate/mcpgate.db), shared by every run on the machine and migrated by
# whichever build opened it last: give this run a store of its own, and let no store settings
# from the caller's environment reach the suites.
scratch_data=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-test-data.XXXXXX")
trap 'rm -rf "$scratch_data"' EXIT
export XDG_DATA_HOME=$scratch_data
unset MCPGATE_DATA MCPGATE_SESSION_STORE

stage_dependencies
stage_release
stage_shell_suites
stage_wrap
stage_sanitizers
summary
((failed == 0))
