# shellcheck shell=bash
# Sourced by scripts/run.sh and scripts/test.sh: installs the Debian packages mcpgate needs.
#
# CI and fresh developer machines start without anything installed by hand, so every entry
# point installs its own dependencies. Checking with dpkg-query first keeps the common case
# (everything present) fast and offline: apt-get update is only run when something is missing.

# What `meson setup` and `ninja` need to build the server and its doctest suites.
MCPGATE_BUILD_PACKAGES=(
  g++ meson ninja-build pkg-config cmake zlib1g-dev
  libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libcurl4-openssl-dev
  doctest-dev libcli11-dev libvalijson-dev libsqlite3-dev
)
# What the shell test suites drive the server with.
MCPGATE_TEST_PACKAGES=(curl sqlite3)
# Only needed for fuzzing (libFuzzer comes with clang), so opt-in.
# libclang-rt-14-dev holds the sanitizer runtimes; Debian only recommends it with clang.
MCPGATE_FUZZ_PACKAGES=(clang libclang-rt-14-dev)
# Only needed by scripts/smoke-nginx.sh, which runs the shipped nginx config, so opt-in.
# (On a machine with systemd, installing the package also starts Debian's own nginx service on
# port 80; the smoke test runs a separate nginx of its own and does not touch that one.)
MCPGATE_NGINX_PACKAGES=(nginx)
# Only needed by scripts/browser.sh (headless Chromium against a page served by python3's
# http.server), so opt-in.
MCPGATE_BROWSER_PACKAGES=(chromium python3)
# Only needed by scripts/check-units.sh (systemd-analyze; curl for its /health check), so opt-in.
MCPGATE_UNIT_PACKAGES=(systemd curl)

# Prints the packages among "$@" that are not fully installed, one per line.
missing_packages() {
  local pkg status
  for pkg in "$@"; do
    # Status is "install ok installed" only when the package is really there; a removed
    # package with config files left ("deinstall ok config-files") must count as missing.
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

# ensure_packages [--test] [--fuzz] [--nginx] [--units] [--browser]
#   Always the build packages; --test adds curl and sqlite3, --fuzz adds clang, --nginx adds
#   nginx, --units adds systemd (for systemd-analyze) and curl, --browser adds chromium and
#   python3.
#   Returns 0 when everything is present (after installing it if needed). Exits 1 when
#   packages are missing and we are not root, after printing the command to run.
ensure_packages() {
  local wanted=("${MCPGATE_BUILD_PACKAGES[@]}")
  local arg
  for arg in "$@"; do
    case "$arg" in
      --test)
        wanted+=("${MCPGATE_TEST_PACKAGES[@]}")
        # The SDK, soak and conformance suites run on Node. Any node and npm already on PATH
        # will do (scripts/conformance.sh fetches Node 22 with npm when that one is older);
        # Debian's are installed only when there are none, never over another distribution's.
        if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
          wanted+=(nodejs npm)
        fi
        ;;
      --fuzz) wanted+=("${MCPGATE_FUZZ_PACKAGES[@]}") ;;
      --nginx) wanted+=("${MCPGATE_NGINX_PACKAGES[@]}") ;;
      --units) wanted+=("${MCPGATE_UNIT_PACKAGES[@]}") ;;
      --browser) wanted+=("${MCPGATE_BROWSER_PACKAGES[@]}") ;;
      *)
        echo "ensure_packages: unknown option: $arg" >&2
        return 2
        ;;
    esac
  done

  local missing=()
  mapfile -t missing < <(missing_packages "${wanted[@]}")
  if ((${#missing[@]} == 0)); then
    return 0
  fi

  if ((EUID != 0)); then
    # Don't guess at sudo (it may prompt, and CI has no stdin): say exactly what to run.
    echo "mcpgate: missing packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi

  echo "mcpgate: installing missing packages: ${missing[*]}" >&2
  # noninteractive: no debconf prompts (tzdata and friends) when there is no terminal.
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The packages are tools for the build and the tests: none of their services (nginx's on
  # port 80) should start. policy-rc.d exit 101 tells invoke-rc.d "not now" (only when the
  # machine has no policy of its own, which is then left alone).
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
  fi
  local rc=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
  ((own_policy)) && rm -f "$policy"
  return "$rc"
}
