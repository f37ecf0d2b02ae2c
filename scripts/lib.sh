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
