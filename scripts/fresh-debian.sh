#!/usr/bin/env bash
# Proves the README's two commands on a truly fresh Debian: a throwaway minimal root file system
# (debootstrap --variant=minbase, or mmdebstrap), a clone of this checkout copied in, nothing
# else installed by hand, and the README's run and test commands run in it with chroot as root.
#
#   scripts/fresh-debian.sh [--only-run] [--keep] [--suite bookworm] [--mirror URL]
#                           [--bootstrap debootstrap|mmdebstrap] [--source DIR] [--no-host-ca]
#
# Not part of scripts/test.sh: it downloads a whole system (about 1.5 GiB with the test
# command's packages) and takes as long as a full test run and more. Needs root (chroot, mount).
#
# What it does:
#  1. bootstraps Debian (minbase: the Essential packages and apt; no git, curl, python3, procps,
#     ca-certificates) into a new directory under MCPGATE_FRESH_DIR (default /var/tmp);
#  2. clones the checkout's HEAD (committed work only) on the host and copies the clone into
#     /root/mcpgate of the root: the user's own `git clone` step, without installing git there;
#  3. reads the two commands from the README's opening (the first ```sh block after "On a fresh
#     Debian 12 machine"), so what runs is what the README says;
#  4. (a) the run command, in the background, until /health on its port answers 200, then stops
#     it; (b) unless --only-run, the test command to completion, keeping its last line
#     "N passed, M failed";
#  5. prints one summary line (durations, packages each step installed) and exits 0 only when
#     /health answered 200 and the test command exited 0 with "0 failed".
#
# Everything from the bootstrap on runs in private mount and PID namespaces (unshare): the
# mounts the chroot needs (proc, sys, a /dev of its own with devpts and a fresh /dev/shm) exist
# only in there and the kernel removes them, and every process started in the root, when the
# namespace ends, even on Ctrl-C or a kill. The directory is removed afterwards (unless --keep),
# from the host's namespace, where nothing is mounted below it, after checking so with findmnt.
#
# The root gets two things from this machine besides the clone, both about its network: its
# resolv.conf, and its own CA certificates (/usr/local/share/ca-certificates, where a machine
# behind a TLS-intercepting proxy keeps the proxy's; --no-host-ca leaves them out). They go into
# the root's /usr/local/share/ca-certificates, which ca-certificates adds to the system store
# when the test command installs it, and into NODE_EXTRA_CA_CERTS for npm and Node (which trust
# only their own bundled list otherwise). Without them npm cannot reach its registry from such
# a machine (SELF_SIGNED_CERT_IN_CHAIN), which says nothing about the README.
#
# Host needs: debootstrap or mmdebstrap (installed with apt-get when neither is there), git,
# curl (the /health check runs from the host), unshare and findmnt (util-linux).
#
# Environment: MCPGATE_FRESH_DIR (where the root is made; default /var/tmp, it needs ~10 GiB),
# MCPGATE_FRESH_RUN_TIMEOUT (seconds for the run command to install, build and answer /health;
# default 3600: a shared 2-core machine builds slowly).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$self"
  exit "${1:-0}"
}

log() { echo "fresh-debian: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# =============================================================================================
# Inner part: runs as PID 1 of its own PID and mount namespaces (see `unshare` below).
#   fresh-debian.sh --inner ROOT SUITE MIRROR BOOTSTRAP SOURCE SHA ONLY_RUN RESULT_FILE
# =============================================================================================
inner() {
  local root=$1 suite=$2 mirror=$3 bootstrap=$4 source=$5 sha=$6 only_run=$7 result=$8 host_ca=$9
  local run_timeout=${MCPGATE_FRESH_RUN_TIMEOUT:-3600}

  # PID 1 gets no default signal actions: without these, Ctrl-C and TERM would be ignored.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap inner_cleanup EXIT
  inner_root=$root

  # --- 1. bootstrap -------------------------------------------------------------------------
  local t0=$SECONDS
  log "bootstrapping Debian $suite (minbase) from $mirror into $root with $bootstrap"
  if [[ $bootstrap == mmdebstrap ]]; then
    interruptible mmdebstrap --mode=root --variant=minbase "$suite" "$root" "$mirror" >&2
  else
    interruptible debootstrap --variant=minbase "$suite" "$root" "$mirror" >&2
  fi
  local bootstrap_s=$((SECONDS - t0))

  # --- 2. the clone -------------------------------------------------------------------------
  # The root has no git; a user would `apt-get install git ca-certificates` and clone. Cloning on
  # the host and copying the clone in leaves the root as minbase made it.
  git clone -q --no-checkout "$source" "$root/root/mcpgate"
  git -C "$root/root/mcpgate" fetch -q "$source" HEAD
  git -C "$root/root/mcpgate" checkout -q --detach "$sha"
  log "cloned $source at $sha into /root/mcpgate"

  # --- 3. what the chroot needs ---------------------------------------------------------------
  mount_chroot "$root"
  # apt and npm resolve names; the root gets the host's resolver (debootstrap may have copied it).
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  grep -qE '^127\.0\.0\.1[[:space:]].*\blocalhost\b' "$root/etc/hosts" 2>/dev/null ||
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >>"$root/etc/hosts"
  local cas=()
  if [[ $host_ca == 1 ]]; then
    shopt -s nullglob
    cas=(/usr/local/share/ca-certificates/*.crt)
    shopt -u nullglob
  fi
  if ((${#cas[@]} > 0)); then
    mkdir -p "$root/usr/local/share/ca-certificates" "$root/usr/local/share/mcpgate-fresh"
    cp "${cas[@]}" "$root/usr/local/share/ca-certificates/"
    cat "${cas[@]}" >"$root/usr/local/share/mcpgate-fresh/host-ca.pem"
    root_env+=(NODE_EXTRA_CA_CERTS=/usr/local/share/mcpgate-fresh/host-ca.pem)
    log "this machine's own CA certificates go into the root (its network's; --no-host-ca to leave them out): ${cas[*]##*/}"
  fi

  # --- 4. the README's commands ---------------------------------------------------------------
  local commands=()
  mapfile -t commands < <(readme_commands "$root/root/mcpgate/README.md")
  ((${#commands[@]} == 2)) ||
    die "expected two commands in the README's first sh block, found ${#commands[@]}: ${commands[*]}"
  local run_cmd=${commands[0]} test_cmd=${commands[1]}
  local port
  port=$(readme_port "$root/root/mcpgate/README.md")
  log "README's run command: '$run_cmd' (port $port); test command: '$test_cmd'"

  local pkgs_base pkgs_run pkgs_test=-
  pkgs_base=$(count_packages "$root")

  # (a) the run command, until /health answers 200.
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/health"; then
    die "something on this machine already answers on 127.0.0.1:$port; stop it first (the chroot shares the host's network)"
  fi
  t0=$SECONDS
  local run_log="$root/tmp/fresh-run.log"
  in_root "$root" "$run_cmd" >"$run_log" 2>&1 &
  local run_pid=$! status=000 run_ok=0
  log "run command started (output in /tmp/fresh-run.log of the root); waiting up to ${run_timeout}s for /health"
  while ((SECONDS - t0 < run_timeout)); do
    if ! kill -0 "$run_pid" 2>/dev/null; then
      log "the run command exited before /health answered; its last lines:"
      tail -n 30 "$run_log" | sed 's/^/  | /' >&2
      break
    fi
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/health" || true)
    if [[ $status == 200 ]]; then
      run_ok=1
      break
    fi
    sleep 2
  done
  local run_s=$((SECONDS - t0))
  if ((run_ok)); then
    log "/health answered 200 after ${run_s}s: $(curl -s --max-time 2 "http://127.0.0.1:$port/health" || true)"
  elif kill -0 "$run_pid" 2>/dev/null; then
    log "no 200 from /health within ${run_timeout}s (last status $status); the run command's last lines:"
    tail -n 30 "$run_log" | sed 's/^/  | /' >&2
  fi
  # Everything else in this PID namespace is the run command's: run.sh's shell and the server it
  # execs (a TERM stops mcpgate gracefully), however deep in the chroot they are.
  stop_all "$run_pid"
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/health"; then
    log "warning: 127.0.0.1:$port still answers after the run command was stopped"
  fi
  pkgs_run=$(count_packages "$root")

  # (b) the test command, to the end.
  local test_s=- test_rc=- tally="not run"
  if [[ $only_run == 0 ]]; then
    t0=$SECONDS
    log "test command started"
    test_rc=0
    interruptible run_logged "$root/tmp/fresh-test.log" "$root" "$test_cmd" || test_rc=$?
    test_s=$((SECONDS - t0))
    tally=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$root/tmp/fresh-test.log" | tail -n 1 || true)
    [[ -n $tally ]] || tally="no tally line"
    pkgs_test=$(count_packages "$root")
  fi

  # --- 5. the verdict -------------------------------------------------------------------------
  local verdict=OK
  ((run_ok)) || verdict=FAILED
  if [[ $only_run == 0 ]] && [[ $test_rc != 0 || ! $tally =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
    verdict=FAILED
  fi
  local line
  line="fresh-debian $suite ${sha:0:7}: $verdict; bootstrap ${bootstrap_s}s ($pkgs_base packages);"
  line+=" '$run_cmd' /health $([[ $run_ok == 1 ]] && echo 200 || echo "$status") after ${run_s}s, +$((pkgs_run - pkgs_base)) packages"
  if [[ $only_run == 0 ]]; then
    line+="; '$test_cmd' exit $test_rc after ${test_s}s, +$((pkgs_test - pkgs_run)) packages, \"$tally\""
  else
    line+="; '$test_cmd' not run (--only-run)"
  fi
  echo "$line" >"$result"
  [[ $verdict == OK ]]
}

# in_root ROOT COMMAND: COMMAND from the clone's directory, as root, in a login-like environment
# that carries nothing over from the host's (PATH, HOME, locale of a fresh root shell). Execs:
# call it in a subshell (`&` or a pipeline).
# root_env: what inner adds (NODE_EXTRA_CA_CERTS with this machine's CAs).
root_env=()
in_root() {
  exec chroot "$1" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
    LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "${root_env[@]}" /bin/bash -c "cd /root/mcpgate && $2"
}

# interruptible COMMAND...: runs COMMAND in the background and waits for it. Bash runs a trap
# only once its foreground command has ended, so Ctrl-C or a TERM to this PID 1 would otherwise
# wait for a whole debootstrap or test run; `wait` returns at once and the trap cleans up.
interruptible() {
  "$@" &
  wait "$!"
}

# run_logged LOG ROOT COMMAND: in_root ROOT COMMAND, its output both shown and kept in LOG;
# returns COMMAND's exit status.
# shellcheck disable=SC2317  # called through interruptible
run_logged() {
  local log=$1 rc=0
  shift
  (in_root "$@") </dev/null 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  return "$rc"
}

count_packages() {
  chroot "$1" /usr/bin/dpkg -l | grep -c '^ii' || true
}

# readme_commands FILE: the commands of the README's first ```sh block after "On a fresh Debian
# 12 machine", one per line, without their comments.
readme_commands() {
  awk '
    /On a fresh Debian 12 machine/ { seen = 1 }
    seen && !inside && /^```sh/ { inside = 1; next }
    inside && /^```/ { exit }
    inside {
      sub(/[[:space:]]+#.*$/, ""); sub(/^[[:space:]]+/, ""); sub(/[[:space:]]+$/, "")
      if ($0 != "") print
    }' "$1"
}

# readme_port FILE: the port the README's run command says it serves on (8051 if unsaid).
readme_port() {
  local port
  port=$(awk '/On a fresh Debian 12 machine/ { seen = 1 }
              seen && /^```sh/ { inside = 1; next } inside { print; exit }' "$1" |
    grep -oE '127\.0\.0\.1:[0-9]+' | head -n 1 | cut -d: -f2 || true)
  echo "${port:-8051}"
}

# stop_all PID: TERM to every other process of the namespace (kill -1 from its PID 1), up to
# 10 s for PID to end, then KILL to what is left; reaps PID.
stop_all() {
  local pid=$1 n
  kill -TERM -1 2>/dev/null || true
  for ((n = 0; n < 100; n++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -1 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# mount_chroot ROOT: proc and sys, and a /dev of its own (a tmpfs with the usual device nodes,
# a new devpts instance, a fresh tmpfs /dev/shm for Chromium): not the host's /dev, whose disks
# the root has no business with, and whose /dev/shm other users share.
mount_chroot() {
  local root=$1
  mount -t proc proc "$root/proc"
  mount -t sysfs -o ro sysfs "$root/sys" 2>/dev/null || mount --rbind -o ro /sys "$root/sys"
  mount -t tmpfs -o mode=755,nosuid,size=64m devtmp "$root/dev"
  local node name major minor
  for node in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    read -r name major minor <<<"$node"
    mknod -m 666 "$root/dev/$name" c "$major" "$minor"
  done
  mkdir -m 755 "$root/dev/pts"
  mkdir -m 1777 "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  chmod 1777 "$root/tmp"
}

# Ends every other process of the namespace (kill -1 from its PID 1 reaches exactly those), then
# unmounts everything below the root, deepest first, and says so if anything is left.
# shellcheck disable=SC2317  # a trap
inner_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  kill -TERM -1 2>/dev/null || true
  sleep 1
  kill -KILL -1 2>/dev/null || true
  wait 2>/dev/null || true
  [[ -n ${inner_root:-} ]] || exit "$rc"
  local target
  while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target" || true
  done < <(findmnt -rn -o TARGET | awk -v r="$inner_root/" 'index($0 "/", r) == 1' | sort -r)
  if findmnt -rn -o TARGET | awk -v r="$inner_root/" 'index($0 "/", r) == 1' | grep -q .; then
    log "still mounted below $inner_root (the namespace's end removes them):"
    findmnt -rn -o TARGET | awk -v r="$inner_root/" 'index($0 "/", r) == 1' >&2
  fi
  exit "$rc"
}

if [[ ${1:-} == --inner ]]; then
  shift
  inner "$@"
  exit
fi

# =============================================================================================
# Outer part: options, host checks, the namespace, and the removal of the root.
# =============================================================================================
keep=0 only_run=0 host_ca=1 suite=bookworm mirror=http://deb.debian.org/debian bootstrap='' source=''
while (($# > 0)); do
  case "$1" in
    --keep) keep=1 ;;
    --only-run) only_run=1 ;;
    --no-host-ca) host_ca=0 ;;
    --suite) suite=${2:?--suite needs a value}; shift ;;
    --mirror) mirror=${2:?--mirror needs a URL}; shift ;;
    --bootstrap) bootstrap=${2:?--bootstrap needs debootstrap or mmdebstrap}; shift ;;
    --source) source=${2:?--source needs a directory}; shift ;;
    -h | --help) usage 0 ;;
    *) log "unknown argument: $1"; usage 2 >&2 ;;
  esac
  shift
done
case "$bootstrap" in "" | debootstrap | mmdebstrap) ;; *) die "--bootstrap: debootstrap or mmdebstrap, not $bootstrap" ;; esac

((EUID == 0)) || die "needs root (debootstrap, mount, chroot); run it with sudo"
for tool in git curl unshare findmnt chroot; do
  command -v "$tool" >/dev/null || die "needs $tool on this machine (apt-get install git curl util-linux)"
done

# debootstrap by default (its --variant=minbase is the README's "minimal debootstrap system");
# mmdebstrap when asked, or when it is the one installed.
if [[ -z $bootstrap ]]; then
  if command -v debootstrap >/dev/null; then bootstrap=debootstrap
  elif command -v mmdebstrap >/dev/null; then bootstrap=mmdebstrap
  else bootstrap=debootstrap
  fi
fi
if ! command -v "$bootstrap" >/dev/null; then
  log "installing $bootstrap on this machine (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$bootstrap" >&2
fi

source=$(cd "${source:-$here/..}" && git rev-parse --show-toplevel)
sha=$(git -C "$source" rev-parse HEAD)
if [[ -n $(git -C "$source" status --porcelain --untracked-files=no) ]]; then
  log "note: $source has uncommitted changes; the root gets its HEAD, $sha, without them"
fi

base=${MCPGATE_FRESH_DIR:-/var/tmp}
mkdir -p "$base"
avail_kib=$(df -Pk "$base" | awk 'NR == 2 { print $4 }')
((avail_kib > 10 * 1024 * 1024)) ||
  die "$base has $((avail_kib / 1024)) MiB free; the root needs about 10 GiB (set MCPGATE_FRESH_DIR)"
root=$(mktemp -d "$base/mcpgate-fresh.XXXXXX")
# mktemp makes it 0700: as the root's "/", that would lock out every user but root (apt's _apt
# downloads unsandboxed, nginx's and other services' users could read nothing).
chmod 755 "$root"
result=$(mktemp "$base/mcpgate-fresh-result.XXXXXX")
inner_pid=

# Removes the root, after making sure nothing is mounted below it in this namespace (the inner
# namespace's mounts never appear here; this guards against anything that leaked regardless).
# shellcheck disable=SC2317  # a trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $inner_pid ]] && kill -0 "$inner_pid" 2>/dev/null; then
    # unshare blocks INT and TERM while it waits; its child, the namespace's PID 1, stops the
    # rest and unmounts on TERM. KILL to unshare (then --kill-child) if that takes too long.
    local child='' n
    read -r child _ <"/proc/$inner_pid/task/$inner_pid/children" 2>/dev/null || true
    [[ -n $child ]] && kill -TERM "$child" 2>/dev/null
    for ((n = 0; n < 300; n++)); do kill -0 "$inner_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$inner_pid" 2>/dev/null || true
    wait "$inner_pid" 2>/dev/null || true
  fi
  local mounted
  mounted=$(findmnt -rn -o TARGET | awk -v r="$root/" 'index($0 "/", r) == 1' | sort -r)
  if [[ -n $mounted ]]; then
    log "unmounting what is mounted below $root:"
    echo "$mounted" >&2
    while read -r target; do umount "$target" 2>/dev/null || umount -l "$target" || true; done <<<"$mounted"
  fi
  if findmnt -rn -o TARGET | awk -v r="$root/" 'index($0 "/", r) == 1' | grep -q .; then
    log "NOT removing $root: something is still mounted below it (see findmnt)"
  elif ((keep)); then
    log "kept the root: $root (chroot into it after mounting proc, sys and dev; rm -rf it when done)"
  else
    local n
    for ((n = 0; n < 3; n++)); do
      rm -rf --one-file-system "$root" 2>/dev/null && break
      sleep 2
    done
    if [[ -e $root ]]; then log "could not remove all of $root"; else log "removed $root"; fi
  fi
  if [[ -s $result ]]; then
    cat "$result"
  else
    echo "fresh-debian $suite ${sha:0:7}: FAILED before the README's commands ran (exit $rc)"
  fi
  rm -f "$result"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "root: $root (commit $sha)"
# --kill-child: if unshare itself is killed, its child (the namespace's PID 1) goes too, and with
# it every process of the namespace.
unshare --mount --pid --fork --kill-child --propagation private --mount-proc \
  "$self" --inner "$root" "$suite" "$mirror" "$bootstrap" "$source" "$sha" "$only_run" "$result" "$host_ca" &
inner_pid=$!
rc=0
wait "$inner_pid" || rc=$?
inner_pid=
exit "$rc"
