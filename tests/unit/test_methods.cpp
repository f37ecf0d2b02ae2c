// The method table (protocol/methods.hpp): one row per MCP request method, which the
// dispatcher routes through and from which metrics and initialize's capabilities are read.
#include "mcpgate/protocol/methods.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/shared_context.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string_view>

using namespace mcpgate;
using json = nlohmann::json;
using protocol::Method;

namespace {

SharedContext with_completions() {
  SharedContext context;
  tools::Lists lists;
  lists.catalog.set_completer([](const json&, const json&) { return std::vector<std::string>{}; });
  context.lists->start_with(std::move(lists));
  return context;
}

}  // namespace

TEST_CASE("the method table: each name once, each with a handler, as many as metrics count") {
  std::set<std::string_view> names;
  for (const auto& method : protocol::methods()) {
    CAPTURE(method.name);
    CHECK(static_cast<bool>(method.handler));
    CHECK(names.insert(method.name).second);
  }
  CHECK(protocol::methods().size() == protocol::method_count);
  CHECK(protocol::is_initialize(protocol::methods()[0].name));
}

TEST_CASE("Method::exists_in: from its first revision to its last, or on when it has none") {
  const Method removed{.name = "x/y", .since = "2025-03-26", .until = "2025-06-18"};
  CHECK_FALSE(removed.exists_in("2024-11-05"));
  CHECK(removed.exists_in("2025-03-26"));
  CHECK(removed.exists_in("2025-06-18"));
  CHECK_FALSE(removed.exists_in("2025-11-25"));
  const Method current{.name = "x/z"};
  for (auto version : protocol::supported_versions) CHECK(current.exists_in(version));
}

TEST_CASE("find_method: a method of the revision that this server offers, else none") {
  const SharedContext plain;
  const SharedContext completing = with_completions();
  for (auto version : protocol::supported_versions) {
    CAPTURE(version);
    const Method* call = protocol::find_method("tools/call", version, plain);
    REQUIRE(call != nullptr);
    CHECK(call->placement == protocol::Placement::tool_style);
    CHECK_FALSE(call->before_initialize);
    CHECK(protocol::find_method("nope/nope", version, plain) == nullptr);
    // completion/complete is offered only with a completer.
    CHECK(protocol::find_method("completion/complete", version, plain) == nullptr);
    CHECK(protocol::find_method("completion/complete", version, completing) != nullptr);
  }
  // Before initialize (no revision yet) every method is found; the dispatcher then refuses
  // those not served before initialize.
  const Method* ping = protocol::find_method("ping", "", plain);
  REQUIRE(ping != nullptr);
  CHECK(ping->before_initialize);
  CHECK(protocol::find_method("prompts/get", "", plain)->placement ==
        protocol::Placement::executor);
}

TEST_CASE("server_capabilities: the capabilities of the methods offered, as initialize declares them") {
  const json without = json::parse(R"({"tools": {"listChanged": false}, "logging": {},
      "resources": {"subscribe": true, "listChanged": false}, "prompts": {"listChanged": false}})");
  json with = without;
  with["completions"] = json::object();
  for (auto version : protocol::supported_versions) {
    CAPTURE(version);
    CHECK(protocol::server_capabilities(SharedContext{}, version) == without);
    CHECK(protocol::server_capabilities(with_completions(), version) == with);
  }
}
