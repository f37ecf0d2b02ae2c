// Several instances behind a proxy, against the real server: --instance-id stamps every session
// id on both transports (what nginx routes by), and the legacy endpoint event honours
// --public-url and, only with --trust-forwarded, a valid X-Forwarded-Prefix.
#include "test_server.hpp"

using namespace itest;

namespace {

mcpgate::Config instance_config(std::string id) {
  auto config = test_config();
  config.instance_id = std::move(id);
  return config;
}

// GET /sse with extra headers; the endpoint event's data, or "" when it did not come.
// The endpoint event's data of a new legacy stream. The stream stays open in `keep` when given
// (its session ends when it closes).
std::string endpoint_data(int port, Headers extra, std::string_view path = "/sse",
                          std::unique_ptr<RawHttp>* keep = nullptr) {
  auto http = std::make_unique<RawHttp>(port);
  Headers headers{{"Accept", "text/event-stream"}};
  for (auto& header : extra) headers.push_back(std::move(header));
  if (!http->send_request("GET", path, headers) || !http->read_head() || http->status() != 200)
    return {};
  auto event = http->next_event();
  if (!event || event->event != "endpoint") return {};
  if (keep) *keep = std::move(http);
  return event->data;
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

TEST_CASE("--instance-id: Streamable HTTP session ids start with '<id>.' and work") {
  TestServer server(instance_config("a"));
  const std::string session = open_session(server.port());
  INFO("session: " << session);
  CHECK(starts_with(session, "a."));
  CHECK(url_safe_session_id(session.substr(2)));

  const auto call = mcp_post(server.port(), session, tool_call(2, "session_info"));
  REQUIRE(call.status == 200);
  const auto response = call.response(2);
  REQUIRE(response.has_value());
  const json info = json::parse(result_text(*response), nullptr, false);
  CHECK(info["session_management"]["current_session"] == session);

  // Another instance's stamp is just an unknown session here: 404, so the client re-initialises.
  const auto foreign = mcp_post(server.port(), "b." + session.substr(2), rpc_request(3, "ping"));
  CHECK(foreign.status == 404);

  const auto health = json::parse(server.client()->Get("/health")->body, nullptr, false);
  CHECK(health["instance"] == "a");
}

TEST_CASE("--instance-id: legacy SSE session ids carry the stamp in the endpoint URL") {
  TestServer server(instance_config("node-b_2"));
  auto stream = open_legacy(server.port());
  REQUIRE(stream.has_value());
  INFO("endpoint: " << stream->endpoint);
  CHECK(starts_with(stream->endpoint, "messages?sessionId=node-b_2."));
  CHECK(starts_with(stream->session_id, "node-b_2."));

  auto client = server.client();
  auto init = client->Post(stream->post_target.c_str(), initialize_request(1, "2024-11-05").dump(),
                           "application/json");
  REQUIRE(init);
  CHECK(init->status == 202);
  auto message = stream->http->next_message();
  REQUIRE(message.has_value());
  CHECK((*message)["id"] == 1);
  CHECK((*message)["result"]["protocolVersion"] == "2024-11-05");
}

TEST_CASE("without --instance-id session ids have no stamp and /health names no instance") {
  TestServer server;
  const std::string session = open_session(server.port());
  CHECK(url_safe_session_id(session));
  const auto health = json::parse(server.client()->Get("/health")->body, nullptr, false);
  CHECK_FALSE(health.contains("instance"));
}

TEST_CASE("legacy endpoint: X-Forwarded-Prefix is ignored unless --trust-forwarded") {
  TestServer server;
  const auto data = endpoint_data(server.port(), {{"X-Forwarded-Prefix", "/mcp-gate"}});
  INFO("endpoint: " << data);
  CHECK(starts_with(data, "messages?sessionId="));
}

TEST_CASE("legacy endpoint: with --trust-forwarded a valid prefix is used, an invalid one is not") {
  auto config = instance_config("a");
  config.trust_forwarded = true;
  TestServer server(config);

  std::unique_ptr<RawHttp> stream;
  const auto prefixed =
      endpoint_data(server.port(), {{"X-Forwarded-Prefix", "/mcp-gate"}}, "/sse", &stream);
  INFO("endpoint: " << prefixed);
  CHECK(starts_with(prefixed, "/mcp-gate/messages?sessionId=a."));

  // The POST endpoint is the server's own /messages once the proxy strips the prefix.
  const std::string target = prefixed.substr(std::string("/mcp-gate").size());
  auto client = server.client();
  auto ping = client->Post(target.c_str(), initialize_request(1, "2024-11-05").dump(),
                           "application/json");
  REQUIRE(ping);
  CHECK(ping->status == 202);

  // No header: relative as usual.
  CHECK(starts_with(endpoint_data(server.port(), {}), "messages?sessionId=a."));

  // Headers that try to name another host or climb out of the prefix: ignored, relative URL.
  for (const char* bad : {"//evil.com", "https://evil.com", "/mcp/../admin", "mcp-gate",
                          "/a%0d%0aevent: x", "/a b"}) {
    const auto data = endpoint_data(server.port(), {{"X-Forwarded-Prefix", bad}});
    INFO("X-Forwarded-Prefix: " << bad << " -> endpoint: " << data);
    CHECK(starts_with(data, "messages?sessionId=a."));
  }

  // Two prefix headers cannot be told apart: neither is used.
  const auto twice = endpoint_data(server.port(), {{"X-Forwarded-Prefix", "/one"},
                                                   {"X-Forwarded-Prefix", "/two"}});
  INFO("endpoint: " << twice);
  CHECK(starts_with(twice, "messages?sessionId=a."));
}

TEST_CASE("legacy endpoint: a raw CR/LF in X-Forwarded-Prefix cannot inject SSE lines") {
  auto config = test_config();
  config.trust_forwarded = true;
  TestServer server(config);
  // A bare CR inside a header value (a bare LF would simply end the header line). Whatever the
  // HTTP parser makes of it, the stream must start with exactly one endpoint event naming a
  // relative URL, and no other event.
  RawHttp http(server.port());
  REQUIRE(http.send_all("GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                        "X-Forwarded-Prefix: /x\revent: message\r\n\r\n"));
  if (!http.read_head() || http.status() != 200) {
    CHECK(http.status() != 200);  // refusing the request outright is fine too
    return;
  }
  auto first = http.next_event();
  REQUIRE(first.has_value());
  CHECK(first->event == "endpoint");
  INFO("endpoint: " << first->data);
  CHECK(starts_with(first->data, "messages?sessionId="));
  // Nothing else is sent until there is something to say (a heartbeat at most).
  auto next = http.next_event(300ms);
  if (next) CHECK(next->comment_only());
}

TEST_CASE("legacy endpoint: --public-url makes it absolute") {
  auto config = instance_config("b");
  config.public_url = "https://mcp.example.com/mcp-gate";
  config.trust_forwarded = true;  // the public URL still wins
  TestServer server(config);
  const auto data = endpoint_data(server.port(), {{"X-Forwarded-Prefix", "/elsewhere"}});
  INFO("endpoint: " << data);
  CHECK(starts_with(data, "https://mcp.example.com/mcp-gate/messages?sessionId=b."));
}
