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

bool gzip_magic(const std::string& body) {
  return body.size() > 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
         static_cast<unsigned char>(body[1]) == 0x8b;
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

TEST_CASE("the legacy POST's 202 and small JSON errors are never compressed; large bodies are") {
  TestServer server;
  const int port = server.port();

  auto stream = open_legacy(port);
  REQUIRE(stream.has_value());
  const auto accepted =
      exchange(port, "POST", stream->post_target,
               {{"Content-Type", "application/json"}, {"Accept-Encoding", "gzip, deflate, br"}},
               initialize_request(1, "2024-11-05").dump());
  CHECK(accepted.status == 202);
  CHECK(accepted.header("Content-Encoding").empty());
  CHECK(accepted.body == "Accepted");

  // A JSON-RPC error (about 100 bytes): as it is.
  const auto error = exchange(port, "POST", "/mcp",
                              {{"Content-Type", "application/json"},
                               {"Accept", accept_both},
                               {"Accept-Encoding", "gzip"}},
                              "{not json");
  CHECK(error.status == 400);
  CHECK(error.header("Content-Encoding").empty());
  CHECK(error.json_body()["error"]["code"] == -32700);

  // /metrics (several KiB of text): gzip when accepted, and only then.
  const auto plain = exchange(port, "GET", "/metrics", {});
  REQUIRE(plain.status == 200);
  REQUIRE(plain.body.size() > 1024);
  CHECK(plain.header("Content-Encoding").empty());
  const auto gzipped = exchange(port, "GET", "/metrics", {{"Accept-Encoding", "gzip, deflate, br"}});
  REQUIRE(gzipped.status == 200);
  CHECK(gzipped.header("Content-Encoding") == "gzip");
  CHECK(gzip_magic(gzipped.body));
  CHECK(gzipped.body.size() < plain.body.size() / 2);
  CHECK(std::to_string(gzipped.body.size()) == gzipped.header("Content-Length"));
  const auto refused = exchange(port, "GET", "/metrics", {{"Accept-Encoding", "gzip;q=0, br"}});
  REQUIRE(refused.status == 200);
  CHECK(refused.header("Content-Encoding").empty());
}
