// JSON-RPC parsing and validation (jsonrpc.hpp) on arbitrary bytes: never crashes, every
// request and notification it accepts survives a dump and re-parse unchanged, and the wire
// writer (jsonrpc::dump) writes exactly nlohmann's compact dump of any JSON document.
#include "mcpgate/jsonrpc.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

using namespace mcpgate;
using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (const json document = json::parse(body, nullptr, false); !document.is_discarded()) {
    if (jsonrpc::dump(document) != document.dump(-1, ' ', false, json::error_handler_t::replace))
      std::abort();
  }
  const auto parsed = jsonrpc::parse(body);
  const auto* ok = std::get_if<jsonrpc::Parsed>(&parsed);
  if (!ok) return 0;
  for (const auto& item : ok->items) {
    const auto* message = std::get_if<jsonrpc::Message>(&item);
    if (!message) continue;
    // Re-serialise as the server would (invalid UTF-8 replaced), then classify again.
    json rebuilt;
    if (const auto* r = std::get_if<jsonrpc::Request>(message))
      rebuilt = jsonrpc::make_request(r->id, r->method, r->params);
    else if (const auto* n = std::get_if<jsonrpc::Notification>(message))
      rebuilt = jsonrpc::make_notification(n->method, n->params);
    else
      continue;
    const auto again = jsonrpc::classify(json::parse(jsonrpc::dump(rebuilt)));
    const auto* again_message = std::get_if<jsonrpc::Message>(&again);
    if (!again_message || again_message->index() != message->index()) std::abort();
  }
  return 0;
}
