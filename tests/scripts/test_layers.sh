#!/usr/bin/env bash
# The folders of src/ and include/mcpgate/ form layers, and an #include only ever points down
# (or within its own layer): a drawing of the include graph has no arrow running back up.
#
#   util, logging, init_gate      leaf helpers: JSON on the wire, cancellation, the logger
#   jsonrpc                       JSON-RPC 2.0 messages, pure
#   store                         SQLite
#   knowledge                     the knowledge base over the store
#   backend                       the Backend interface, HttpBackend, EmbeddedBackend
#   tools                         tools, resources and prompts a server offers, and their API
#   protocol, shared_context      MCP: the method table, the dispatcher, per-client state, Outbox
#   sessions                      Session and the registry
#   transport                     SSE framing, event streams, Streamable HTTP, legacy SSE
#   server, config, main,         HTTP wiring, the composition root, flags, and the
#   ingest_command                `mcpgate ingest` command (the embedded store and the ingester)
#
# Fails, naming each offending line, when a file includes a header of a higher layer.
set -euo pipefail
cd "$(dirname "$0")/../.."

rank() {
  case "$1" in
    util | logging | init_gate) echo 0 ;;
    jsonrpc) echo 1 ;;
    store) echo 2 ;;
    knowledge) echo 3 ;;
    backend) echo 4 ;;
    tools) echo 5 ;;
    protocol | shared_context) echo 6 ;;
    sessions) echo 7 ;;
    transport) echo 8 ;;
    server | config | main | ingest_command) echo 9 ;;
    *) echo "unknown" ;;
  esac
}

# The layer of a path: its first folder below src/ or include/mcpgate/, or its file's stem.
layer_of() {
  local path=${1#src/}
  path=${path#include/mcpgate/}
  path=${path#mcpgate/}
  local first=${path%%/*}
  echo "${first%.*}"
}

failures=0
while IFS=: read -r file line text; do
  target=$(sed -E 's/.*#include "mcpgate\/([^"]*)".*/\1/' <<<"$text")
  from=$(layer_of "$file")
  to=$(layer_of "$target")
  from_rank=$(rank "$from")
  to_rank=$(rank "$to")
  if [[ $from_rank == unknown || $to_rank == unknown ]]; then
    echo "$file:$line: place '$from' or '$to' in a layer (tests/scripts/test_layers.sh)"
    failures=$((failures + 1))
  elif ((to_rank > from_rank)); then
    echo "$file:$line: $from (layer $from_rank) includes $target ($to, layer $to_rank)"
    failures=$((failures + 1))
  fi
done < <(grep -rn --include='*.hpp' --include='*.cpp' '^#include "mcpgate/' src include)

if ((failures > 0)); then
  echo "FAIL: $failures include(s) point up the layers"
  exit 1
fi
echo "ok: every include points down the layers"
