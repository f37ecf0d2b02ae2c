#!/usr/bin/env bash
# What scripts/run.sh and scripts/test.sh install on a fresh Debian 12, without a fresh machine:
#
#   scripts/footprint.sh [minbase|important]
#
# Builds a dpkg status file of a minimal system the way debootstrap makes one (minbase: every
# Priority: required package and apt; important, debootstrap's default: also Priority:
# important; each with what those depend on), then asks `apt-get install -s
# --no-install-recommends` (a simulation: nothing is installed, apt's caches on disk are not
# written) what it would install for the packages in scripts/deps.sh, and sums their
# Installed-Size. Uses this machine's package lists, so the figures are those of its mirror
# state. Not part of scripts/test.sh: it measures, it tests nothing.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/deps.sh
source "$repo_root/scripts/deps.sh"

variant=${1:-minbase}
case "$variant" in
  minbase | important) ;;
  *)
    echo "usage: $0 [minbase|important]" >&2
    exit 2
    ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
apt-cache dumpavail >"$tmp/available"

# The base system's status file; then, for each package list, "N packages, M MB".
python3 - "$variant" "$tmp/available" "$tmp/status" <<'PY'
import re, sys
variant, available, out = sys.argv[1:]
stanzas = {}
for stanza in open(available, encoding="utf-8").read().split("\n\n"):
    fields = dict(re.findall(r"^([\w-]+): (.*)$", stanza, re.M))
    if fields.get("Architecture") in ("amd64", "all"):
        stanzas[fields["Package"]] = (fields, stanza)
providers = {}
for name, (fields, _) in stanzas.items():
    for provided in filter(None, re.split(r"\s*,\s*", fields.get("Provides", ""))):
        providers.setdefault(provided.split()[0], []).append(name)
priorities = {"minbase": {"required"}, "important": {"required", "important"}}[variant]
base = {n for n, (f, _) in stanzas.items() if f.get("Priority") in priorities} | {"apt"}
todo = list(base)
while todo:
    fields = stanzas[todo.pop()][0]
    for dep in filter(None, re.split(r"\s*,\s*", fields.get("Pre-Depends", "") + ", " + fields.get("Depends", ""))):
        alternatives = [a.strip().split()[0].split(":")[0] for a in dep.split("|")]
        if any(a in base or base & set(providers.get(a, [])) for a in alternatives):
            continue
        pick = next((a for a in alternatives if a in stanzas), None) or providers.get(alternatives[0], [None])[0]
        if pick:
            base.add(pick)
            todo.append(pick)
with open(out, "w", encoding="utf-8") as status:
    for name in sorted(base):
        lines = stanzas[name][1].split("\n")
        lines.insert(1, "Status: install ok installed")
        status.write("\n".join(lines) + "\n\n")
print(f"base ({variant}): {len(base)} packages")
PY

# simulate LABEL PACKAGE...: what apt would add to the base for PACKAGEs.
simulate() {
  local label=$1
  shift
  apt-get install -s -qq --no-install-recommends -o Dir::State::status="$tmp/status" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Debug::NoLocking=1 "$@" |
    sed -nE 's/^Inst ([^ ]+) (\[[^]]*\] )?\(([^ ]+) .*/\1=\3/p' >"$tmp/installs"
  local count kb
  count=$(wc -l <"$tmp/installs")
  # Installed-Size in KiB of the exact versions apt chose.
  kb=$(xargs -r apt-cache show --no-all-versions <"$tmp/installs" |
    awk '/^Installed-Size:/ { sum += $2 } END { print sum + 0 }')
  echo "$label: $count packages, $((kb / 1024)) MiB installed"
}

simulate "scripts/run.sh" "${MCPGATE_BUILD_PACKAGES[@]}"
# A fresh machine has no node, so ensure_packages --test adds Debian's nodejs and npm.
simulate "scripts/test.sh" "${MCPGATE_BUILD_PACKAGES[@]}" "${MCPGATE_TEST_PACKAGES[@]}" nodejs npm \
  "${MCPGATE_FUZZ_PACKAGES[@]}" "${MCPGATE_NGINX_PACKAGES[@]}" "${MCPGATE_UNIT_PACKAGES[@]}" \
  "${MCPGATE_BROWSER_PACKAGES[@]}"
simulate "(for comparison) scripts/run.sh with Debian's libvalijson-dev" \
  "${MCPGATE_BUILD_PACKAGES[@]}" libvalijson-dev
