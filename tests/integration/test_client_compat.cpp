// What older or plainer clients meet: resources and prompts answered without the conformance
// fixtures (MCP Inspector 0.15 lists both on connect and gives up on -32601), and responses
// compressed only where it pays (a legacy POST's 202 is not gzip'd into something larger).
#include "../embedded/temp_dir.hpp"
#include "test_server.hpp"

using namespace itest;

namespace {

// A server as scripts/run.sh starts it: the embedded store, no conformance fixtures.
mcpgate::Config plain_config(const embedded_test::TempDir& dir) {
  auto config = test_config();
  config.conformance_fixtures = false;
  config.data_path = dir.file("mcpgate.db");
  return config;
}

}  // namespace

TEST_CASE("without conformance fixtures: resources and prompts are declared and answered") {
  embedded_test::TempDir dir;
  TestServer server(plain_config(dir));
  const int port = server.port();

  const auto init = exchange(port, "POST", "/mcp", mcp_headers("", ""),
                             initialize_request(1, latest).dump());
  REQUIRE(init.status == 200);
  const auto initialized = init.response(1);
  REQUIRE(initialized.has_value());
  const json& result = (*initialized)["result"];
  CHECK(result["capabilities"].contains("resources"));
  CHECK(result["capabilities"].contains("prompts"));
  const std::string instructions = result.value("instructions", "");
  REQUIRE_FALSE(instructions.empty());
  const std::string session = init.header("Mcp-Session-Id");
  REQUIRE(mcp_post(port, session, rpc_notification("notifications/initialized")).status == 202);

  const auto resources = mcp_post(port, session, rpc_request(2, "resources/list")).response(2);
  REQUIRE(resources.has_value());
  INFO(resources->dump());
  REQUIRE((*resources)["result"]["resources"].is_array());
  REQUIRE((*resources)["result"]["resources"].size() == 1);
  const json& listed = (*resources)["result"]["resources"][0];
  CHECK(listed["uri"] == "mcpgate://instructions");
  CHECK(listed["mimeType"] == "text/markdown");

  const auto read = mcp_post(port, session,
                             rpc_request(3, "resources/read", json{{"uri", "mcpgate://instructions"}}))
                        .response(3);
  REQUIRE(read.has_value());
  CHECK((*read)["result"]["contents"][0]["text"] == instructions);

  const auto templates = mcp_post(port, session, rpc_request(4, "resources/templates/list")).response(4);
  REQUIRE(templates.has_value());
  CHECK((*templates)["result"]["resourceTemplates"] == json::array());

  const auto prompts = mcp_post(port, session, rpc_request(5, "prompts/list")).response(5);
  REQUIRE(prompts.has_value());
  CHECK((*prompts)["result"]["prompts"] == json::array());
}
