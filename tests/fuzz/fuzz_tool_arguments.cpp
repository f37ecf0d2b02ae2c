// Tool arguments: arbitrary JSON passed through argument coercion and the input-schema
// validator of each of Archon's tools, and, when valid, to the tool itself against a backend
// that answers every request with the same canned JSON. Nothing may crash or throw out of a
// tool: every outcome is a result (success or Archon's error envelope).
#include "mcpgate/backend/backend.hpp"
#include "mcpgate/tools/archon/archon_tools.hpp"
#include "mcpgate/tools/argument_coercion.hpp"
#include "mcpgate/tools/registry.hpp"
#include "mcpgate/tools/tool.hpp"

#include <cstddef>
#include <cstdint>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string_view>
#include <memory>
#include <string>

using namespace mcpgate;
using nlohmann::json;

namespace {

// Answers like a terse Archon: every route gets the same small body, picked by the input.
class CannedBackend final : public backend::Backend {
 public:
  backend::Response request(std::string_view, std::string_view, const backend::Query&, const json&,
                            const std::optional<backend::Timeouts>&) override {
    backend::Response r;
    r.status = status;
    r.body = body;
    r.body_json = json::parse(body, nullptr, false);
    if (r.body_json->is_discarded()) r.body_json.reset();
    return r;
  }
  [[nodiscard]] std::string describe() const override { return "canned"; }
  int status = 200;
  std::string body = "{}";
};

class NullContext final : public tools::ToolContext {
 public:
  [[nodiscard]] bool cancelled() const override { return false; }
  void progress(double, std::optional<double>, std::string_view) override {}
  void log(tools::LogLevel, json, std::string_view) override {}
  [[nodiscard]] bool client_supports(std::string_view) const override { return false; }
  json request_client(std::string_view, json, std::chrono::milliseconds) override {
    throw tools::ClientRequestError("no client in the fuzzer");
  }
  void drop_connection() override {}
  [[nodiscard]] const std::string& session_id() const override { return session_; }
  [[nodiscard]] const std::string& protocol_version() const override { return version_; }

 private:
  std::string session_ = "fuzz";
  std::string version_ = "2025-11-25";
};

struct Fixture {
  std::shared_ptr<CannedBackend> backend = std::make_shared<CannedBackend>();
  tools::ToolRegistry registry;
  Fixture() {
    tools::archon::ArchonToolOptions options;
    options.project_polling.base_interval = std::chrono::milliseconds(0);
    options.project_polling.max_interval = std::chrono::milliseconds(0);
    tools::archon::register_archon_tools(registry, backend, options);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

const char* const canned_bodies[] = {
    "{}", "[]", "null", "\"text\"", "{\"detail\":{\"error\":\"x\"}}",
    "{\"tasks\":[{\"id\":1,\"description\":null}],\"pagination\":{\"total\":\"many\"}}",
    "{\"projects\":[{\"id\":\"p\",\"title\":null}]}", "not json",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  auto& f = fixture();
  const auto& entries = f.registry.entries();
  const auto& entry = entries[data[0] % entries.size()];
  f.backend->body = canned_bodies[data[1] % std::size(canned_bodies)];
  f.backend->status = (data[1] & 0x80) ? 500 : 200;

  json arguments = json::parse(data + 2, data + size, nullptr, false);
  if (arguments.is_discarded() || !arguments.is_object()) return 0;
  arguments = tools::coerce_arguments(entry.listing.at("inputSchema"), std::move(arguments));
  if (entry.validator->validate(arguments)) return 0;  // refused with a message: fine
  NullContext context;
  // A tool reports every problem as a result; an exception escaping it is a bug (abort).
  (void)entry.tool.handler(arguments, context).to_json();
  return 0;
}
