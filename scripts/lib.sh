# Helpers the shell suites share. Source it: `source "$repo_root/scripts/lib.sh"`.
# shellcheck shell=bash

# wait_for_port PID PORT_FILE: once the server PID has written a whole port number to PORT_FILE
# (mcpgate's --port-file), prints it. Returns 1, printing nothing, when PID exits first or after
# 10 s. The file may exist before its contents are written, hence the check for a number.
wait_for_port() {
  local pid=$1 file=$2 port n
  for ((n = 0; n < 100; n++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -s $file ]]; then
      port=$(head -n 1 "$file" | tr -d '[:space:]')
      if [[ $port =~ ^[0-9]+$ ]] && ((port > 0)); then
        echo "$port"
        return 0
      fi
    fi
    sleep 0.1
  done
  return 1
}

# parse_suite_args NAME ARG...: the arguments of a shell suite without options of its own:
# --binary PATH (or --binary=PATH) sets $binary; --long is accepted (test.sh passes it to every
# suite); -h/--help prints the usage; anything else is an error (exit 2), named with NAME.
parse_suite_args() {
  local name=$1
  shift
  local usage="usage: $0 [--binary PATH]"
  while (($# > 0)); do
    case "$1" in
      --binary)
        (($# >= 2)) || { echo "$usage" >&2; exit 2; }
        binary=$2
        shift 2
        ;;
      --binary=*)
        binary=${1#--binary=}
        shift
        ;;
      --long) shift ;;
      -h | --help)
        echo "$usage" >&2
        exit 2
        ;;
      *)
        echo "$name: unknown argument: $1" >&2
        echo "$usage" >&2
        exit 2
        ;;
    esac
  done
}

# stop_pids PID...: ends each process still running (SIGTERM) and reaps it; empty PIDs are
# skipped. For the suites' exit traps: never leave a server or client behind.
stop_pids() {
  local pid
  for pid in "$@"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  for pid in "$@"; do
    if [[ -n "$pid" ]]; then wait "$pid" 2>/dev/null || true; fi
  done
}

# Bounds on npm's registry traffic. npm's own defaults (fetch-timeout 5 min, two retries backing
# off 10-60 s) keep a dead or refusing registry busy for over a minute per package, and several
# stages install from it; with these a stage fails in seconds and says why.
#   MCPGATE_NPM_FETCH_TIMEOUT (s, 15): one request's wait for an answer; the registry answers
#     in well under a second, and a large tarball downloads within it on any usable link.
#   MCPGATE_NPM_TIMEOUT (s, 600): a whole install; a fresh `npm ci` of tests/sdk takes ~1 min.
# One retry, 1-2 s later, still rides out a single dropped connection.

# mcpgate_cache: the directory where the scripts keep what they fetch (MCPGATE_CACHE, default
# ~/.cache/mcpgate), created if missing.
mcpgate_cache() {
  local cache="${MCPGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpgate}"
  mkdir -p "$cache" && printf '%s\n' "$cache"
}

# npm_error_reason: reads npm's error output on stdin and prints its one line that says what went
# wrong ("request to URL failed, reason: connect ECONNREFUSED 127.0.0.1:9", "404 Not Found - GET
# URL"), without npm's prefix, the code/errno lines, stacks and advice, at most 200 characters.
npm_error_reason() {
  sed -E 's/^npm (ERR!|error) ?//' |
    grep -vE '^(code|syscall|errno|signal) |^[[:space:]]|^[{}]|^$|^A complete log|^If you are behind a proxy|^Log files were not written|^You can rerun|^This is probably not a problem with npm' |
    head -n 1 | sed -E 's/^(FetchError|Error): //' | cut -c 1-200
}

# npm_install WHAT DIR NPM_ARGS...: runs `npm NPM_ARGS...` (install or ci) in DIR within the
# bounds above. On success npm's output goes to stderr and it returns 0. On failure it prints
# one line to stderr, "<script>: could not install WHAT from npm: REASON" (npm's own reason; the
# caller adds nothing, so it is said once), and returns 1. Every script that installs from npm
# goes through here.
npm_install() {
  local what=$1 dir=$2
  shift 2
  local fetch_s=${MCPGATE_NPM_FETCH_TIMEOUT:-15} limit_s=${MCPGATE_NPM_TIMEOUT:-600}
  local say="${0##*/}: could not install $what from npm"
  if ! command -v npm >/dev/null; then
    echo "$say: npm is not installed" >&2
    return 1
  fi
  local log rc=0 reason
  log=$(mktemp "${TMPDIR:-/tmp}/mcpgate-npm.XXXXXX")
  (cd "$dir" && timeout --kill-after=5 "$limit_s" npm "$@" --no-audit --no-fund --loglevel=error \
    --fetch-retries=1 --fetch-retry-mintimeout=1000 --fetch-retry-maxtimeout=2000 \
    --fetch-timeout=$((fetch_s * 1000))) >"$log" 2>&1 </dev/null || rc=$?
  if ((rc == 0)); then
    cat "$log" >&2
    rm -f "$log"
    return 0
  fi
  if ((rc == 124 || rc == 137)); then
    reason="npm did not finish within $limit_s s (MCPGATE_NPM_TIMEOUT)"
  else
    reason=$(npm_error_reason <"$log")
  fi
  rm -f "$log"
  echo "$say: ${reason:-npm exited with status $rc}" >&2
  return 1
}

# node_major NODE: the major version of the node binary NODE, 0 when it does not run.
node_major() {
  "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0
}

# node_at_least MIN: prints the path of a node whose major version is MIN (at most 22) or more:
# the one on PATH, else node@22 from npm in the cache (installed there, one installer at a time,
# when missing). Returns 1 after one line saying why when there is none, so the cause is named
# (npm could not install it) rather than the version of the node on PATH.
node_at_least() {
  local min=$1 node cache cached
  node=$(command -v node || true)
  if [[ -n $node ]] && (($(node_major "$node") >= min)); then
    printf '%s\n' "$node"
    return 0
  fi
  cache=$(mcpgate_cache) || return 1
  cached="$cache/node22/node_modules/node/bin/node"
  (
    flock 9
    if [[ -x $cached ]] && (($(node_major "$cached") >= 22)); then exit 0; fi
    local why="there is no node on PATH"
    [[ -n $node ]] && why="$node is older than $min"
    echo "${0##*/}: $why: installing node@22 from npm into $cache/node22" >&2
    mkdir -p "$cache/node22"
    # Without a package.json here, npm would install into the nearest one above.
    [[ -f "$cache/node22/package.json" ]] || printf '{"private": true}\n' >"$cache/node22/package.json"
    npm_install node@22 "$cache/node22" install node@22
  ) 9>"$cache/.node22.lock" || return 1
  printf '%s\n' "$cached"
}
