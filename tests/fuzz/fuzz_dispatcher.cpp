// The dispatcher fed arbitrary JSON-RPC: the bytes are parsed like a POST body and every message
// goes to Dispatcher on an initialised session whose tools are Archon's, over a backend that
// answers every request with an empty object. Every request gets exactly one well-formed
// response with its id; nothing crashes, throws or hangs.
#include "mcpgate/backend/backend.hpp"
#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/protocol/dispatcher.hpp"
#include "mcpgate/sessions/session.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/tools/archon/archon_tools.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>

using namespace mcpgate;
using nlohmann::json;

namespace {

class EmptyBackend final : public backend::Backend {
 public:
  backend::Response request(std::string_view, std::string_view, const backend::Query&, const json&,
                            const std::optional<backend::Timeouts>&) override {
    return backend::Response{200, "{}", json::object()};
  }
  [[nodiscard]] std::string describe() const override { return "empty"; }
};

struct Fixture {
  std::shared_ptr<const SharedContext> context;
  protocol::Dispatcher dispatcher{[] {
    protocol::DispatchOptions o;
    o.client_request_timeout = std::chrono::milliseconds(1);  // no client answers in here
    return o;
  }()};
  Fixture() {
    spdlog::set_level(spdlog::level::off);
    auto ctx = std::make_shared<SharedContext>();
    ctx->info.name = "mcpgate-fuzz";
    ctx->info.version = "0";
    tools::archon::ArchonToolOptions options;
    options.project_polling.base_interval = std::chrono::milliseconds(0);
    options.project_polling.max_interval = std::chrono::milliseconds(0);
    tools::Lists lists;
    tools::archon::register_archon_tools(lists.tools, std::make_shared<EmptyBackend>(), options);
    ctx->lists->start_with(std::move(lists));
    context = std::move(ctx);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void check_response(const std::optional<json>& response, const json& id) {
  if (!response) std::abort();  // a request always gets an answer
  if (!response->is_object() || (*response)["jsonrpc"] != "2.0" || (*response)["id"] != id)
    std::abort();
  if (response->contains("result") == response->contains("error")) std::abort();
  (void)jsonrpc::dump(*response);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& f = fixture();
  sessions::Session session("fuzz", sessions::Transport::streamable_http, f.context,
                            nullptr);
  // The first byte picks whether the session is initialised first, and with which revision.
  if (size > 0 && (data[0] & 1)) {
    static const char* const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
    const json params{{"protocolVersion", versions[(data[0] >> 1) & 3]},
                      {"capabilities", json::object()},
                      {"clientInfo", {{"name", "fuzz"}, {"version", "1"}}}};
    check_response(f.dispatcher.handle_request(session, jsonrpc::Request{0, "initialize", params}, nullptr), 0);
    f.dispatcher.handle_notification(session, jsonrpc::Notification{"notifications/initialized", nullptr});
  }
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto parsed = jsonrpc::parse(size > 0 ? body.substr(1) : body);
  const auto* ok = std::get_if<jsonrpc::Parsed>(&parsed);
  if (!ok) return 0;
  for (const auto& item : ok->items) {
    const auto* message = std::get_if<jsonrpc::Message>(&item);
    if (!message) continue;
    if (const auto* request = std::get_if<jsonrpc::Request>(message)) {
      check_response(f.dispatcher.handle_request(session, *request, nullptr), request->id);
    } else if (const auto* notification = std::get_if<jsonrpc::Notification>(message)) {
      f.dispatcher.handle_notification(session, *notification);
    } else {
      (void)f.dispatcher.handle_response(session, std::get<jsonrpc::Response>(*message));
    }
  }
  session.end();
  return 0;
}
