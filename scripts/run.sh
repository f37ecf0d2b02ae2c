#!/usr/bin/env bash
# Builds mcpgate (release) into build/ and runs it; every argument goes to the server.
#   scripts/run.sh                      -> http://127.0.0.1:8051/mcp
#   scripts/run.sh --port 9000 --log-level debug
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/deps.sh
source "$repo_root/scripts/deps.sh"

# Only the build packages: running the server needs nothing else.
# shellcheck disable=SC2119
ensure_packages

# MCPGATE_BUILD_DIR (relative to the repository): as in scripts/test.sh, for a developer who
# keeps their own build dir. No `cd`: relative paths in the arguments (--port-file) must mean
# what they mean in the caller's directory.
build_dir="$repo_root/${MCPGATE_BUILD_DIR:-build}"
# Configure once: ninja re-runs meson by itself when a meson.build changes, so a second
# `meson setup` (which would fail on an existing build dir) is never needed.
if [[ ! -f "$build_dir/build.ninja" ]]; then
  # release is the project's default buildtype; say it anyway so it doesn't depend on that.
  meson setup "$build_dir" "$repo_root" -Dbuildtype=release >&2
fi
# Only the server: the test executables are not needed to run it. Build output goes to
# stderr so that stdout carries only what the server prints.
ninja -C "$build_dir" mcpgate >&2

exec "$build_dir/mcpgate" "$@"
