# shellcheck shell=bash
# Sourced by scripts/run.sh and scripts/test.sh: installs the Debian packages mcpgate needs.
#
# CI and fresh developer machines start without anything installed by hand, so every entry
# point installs its own dependencies. Checking with dpkg-query first keeps the common case
# (everything present) fast and offline: apt-get update is only run when something is missing.
#
# valijson (JSON Schema validation, header-only) is the one exception: Debian's libvalijson-dev
# depends on the library of every adapter it ships (Qt5, Poco, yaml-cpp, jsoncpp, RapidJSON,
# picojson), which with their own dependencies is ~240 packages (Mesa, MariaDB's client, X11)
# for headers of which mcpgate uses the core and the nlohmann adapter. So where it is not
# installed, ensure_packages fetches the package file alone and unpacks its headers into the
# checkout as a meson subproject (see ensure_valijson); meson.build finds them there.

# What `meson setup` and `ninja` need to build the server and its doctest suites.
# libssl-dev: libcrypto's HMAC-SHA256 and random bytes for the 2026-07-28 requestState (libcurl
# already links the library itself; this adds its headers).
# libgumbo-dev, libpoppler-cpp-dev: `mcpgate ingest URL…` parses web pages as a browser would
# (HTML5) and reads PDFs' text.
# libicu-dev: Unicode case folding for the tools' case-insensitive filters. It adds 2 packages
# (47 MiB: libicu-dev, icu-devtools); the library itself, libicu72, cmake already brings
# (through libarchive13 and libxml2), and the server links only libicuuc and libicudata.
# libpq-dev: the PostgreSQL store (--data postgresql://...), PostgreSQL's own client library.
MCPGATE_BUILD_PACKAGES=(
  g++ meson ninja-build pkg-config cmake zlib1g-dev
  libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libcurl4-openssl-dev
  doctest-dev libcli11-dev libsqlite3-dev libicu-dev libssl-dev libpq-dev
  libgumbo-dev libpoppler-cpp-dev
)
# What the shell test suites drive the server with. postgresql: the store suites run a
# throwaway PostgreSQL 15 of their own (initdb in a temp folder; tests/support/pg_cluster.hpp,
# scripts/pg-throwaway.sh); Debian's package also creates the postgres user they run it as
# when the tests run as root. Its own cluster service is not started (see policy-rc.d below).
MCPGATE_TEST_PACKAGES=(curl sqlite3 postgresql)
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

# Where ensure_valijson unpacks libvalijson-dev when Debian's is not installed: a meson
# subproject beside the wraps' (git ignores subprojects/*/: nothing of valijson's enters the
# repository), with the meson.build of subprojects/packagefiles/valijson.
MCPGATE_SUBPROJECTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/subprojects"
MCPGATE_VALIJSON_DIR="$MCPGATE_SUBPROJECTS/valijson"

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
#   Always the build packages; --test adds curl, sqlite3 and postgresql, --fuzz adds clang, --nginx adds
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
    ensure_valijson
    return
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
  ((rc == 0)) || return "$rc"
  ensure_valijson
}

# ensure_valijson
#   Nothing to do when libvalijson-dev is installed (meson.build then uses /usr/include as
#   before) or its headers are already unpacked in MCPGATE_VALIJSON_DIR. Otherwise downloads
#   the package file alone (apt-get download: none of its dependencies, no root needed, and
#   checked against the signed package lists like every apt download) and unpacks it there.
#   Exits 1 when it cannot, after saying why and what to run.
ensure_valijson() {
  [[ -z "$(missing_packages libvalijson-dev)" ]] && return 0
  local build_file="$MCPGATE_SUBPROJECTS/packagefiles/valijson/meson.build"
  if [[ -f "$MCPGATE_VALIJSON_DIR/usr/include/valijson/schema.hpp" ]]; then
    # Fetched by an earlier run; only our meson.build may have changed since.
    cmp -s "$build_file" "$MCPGATE_VALIJSON_DIR/meson.build" ||
      cp "$build_file" "$MCPGATE_VALIJSON_DIR/meson.build"
    return 0
  fi

  echo "mcpgate: fetching libvalijson-dev's headers alone (not its dependencies) into $MCPGATE_VALIJSON_DIR" >&2
  local tmp
  tmp=$(mktemp -d)
  # apt downloads as its unprivileged user _apt when that user may write to the directory.
  if ((EUID == 0)); then
    chown _apt "$tmp" 2>/dev/null || true
  fi
  if ! (cd "$tmp" && apt-get download -qq libvalijson-dev); then
    if ((EUID != 0)); then
      rm -rf "$tmp"
      # The package lists are missing or older than the mirror (apt-get update needs root).
      echo "mcpgate: could not download libvalijson-dev" >&2
      echo "Refresh the package lists, then run this again:" >&2
      echo "  sudo apt-get update" >&2
      exit 1
    fi
    apt-get update -qq
    if ! (cd "$tmp" && apt-get download -qq libvalijson-dev); then
      rm -rf "$tmp"
      echo "mcpgate: could not download libvalijson-dev" >&2
      exit 1
    fi
  fi

  # apt has checked the file against the signed lists already; this says which one it was and
  # refuses anything but the package and version apt describes.
  local deb version expected actual
  deb=$(printf '%s\n' "$tmp"/libvalijson-dev_*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  expected=$(apt-cache show "libvalijson-dev=$version" 2>/dev/null | sed -n 's/^SHA256: //p' | head -n 1 || true)
  actual=$(sha256sum "$deb" | cut -d ' ' -f 1)
  if [[ "$(dpkg-deb -f "$deb" Package)" != libvalijson-dev || -z "$expected" ||
        "$actual" != "$expected" ]]; then
    rm -rf "$tmp"
    echo "mcpgate: the downloaded libvalijson-dev $version does not match apt's lists (sha256 $actual, expected ${expected:-none})" >&2
    exit 1
  fi

  # Unpacked next to its place and moved there whole, so an interrupted run leaves no half copy
  # that the check above would take for a complete one.
  local staging="$MCPGATE_VALIJSON_DIR.partial"
  rm -rf "$staging" "$MCPGATE_VALIJSON_DIR"
  mkdir -p "$staging"
  dpkg-deb -x "$deb" "$staging"
  printf '%s\n' "$version" >"$staging/VERSION"
  printf 'libvalijson-dev %s sha256:%s (apt-get download; headers only)\n' "$version" "$actual" \
    >"$staging/SOURCE"
  cp "$build_file" "$staging/meson.build"
  mv "$staging" "$MCPGATE_VALIJSON_DIR"
  rm -rf "$tmp"
  echo "mcpgate: libvalijson-dev $version (sha256 $actual) unpacked" >&2
}
