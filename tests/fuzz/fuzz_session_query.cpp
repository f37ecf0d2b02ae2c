// Session lookup from a legacy POST's query string (cpp-httplib's query parser, then
// SessionRegistry::find): arbitrary query text never crashes, and only the exact id of a live
// session finds it, never a prefix, a case variant or an id with extra bytes.
#include "mcpgate/sessions/registry.hpp"
#include "mcpgate/shared_context.hpp"

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

using namespace mcpgate;

namespace {

struct Fixture {
  sessions::SessionRegistry registry{sessions::RegistryOptions{}};
  std::shared_ptr<sessions::Session> session =
      registry.create(sessions::Transport::legacy_sse, std::make_shared<const SharedContext>());
};

Fixture& fixture() {
  static Fixture f;  // one registry for the whole run: a fuzzer's process-lifetime state
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& f = fixture();
  const std::string query(reinterpret_cast<const char*>(data), size);
  httplib::Params params;
  httplib::detail::parse_query_text(query, params);
  for (const char* key : {"sessionId", "session_id"}) {
    const auto it = params.find(key);
    if (it == params.end()) continue;
    const auto found = f.registry.find(it->second);
    if (found && (found != f.session || it->second != f.session->id())) std::abort();
  }
  // The live id itself, with the fuzz bytes appended, must not match unless nothing was added.
  const auto variant = f.registry.find(f.session->id() + query);
  if (variant && !query.empty()) std::abort();
  return 0;
}
