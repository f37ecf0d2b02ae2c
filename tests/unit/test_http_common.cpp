// The header checks every MCP POST and GET passes through (mcpgate/transport/http_common.hpp).
#include "mcpgate/transport/http_common.hpp"

#include <doctest/doctest.h>

using namespace mcpgate::transport;

namespace {

// As the server hands a request to the routes. (Not set_header: current httplib releases drop a
// value with leading spaces there, which the checks below must still see trimmed.)
httplib::Request with_header(const std::string& name, const std::string& value) {
  httplib::Request req;
  req.headers.emplace(name, value);
  return req;
}

}  // namespace

TEST_CASE("accepts: exact types, wildcards, parameters, case and spacing") {
  const httplib::Request none;
  CHECK(http::accepts(none, "text/event-stream"));  // no Accept header admits everything

  const auto both = with_header("Accept", "application/json, text/event-stream");
  CHECK(http::accepts(both, "application/json"));
  CHECK(http::accepts(both, "text/event-stream"));
  CHECK_FALSE(http::accepts(both, "text/html"));

  const auto spaced = with_header("accept", "  Application/JSON ; q=0.9 ,TEXT/Event-Stream;q=1");
  CHECK(http::accepts(spaced, "application/json"));
  CHECK(http::accepts(spaced, "text/event-stream"));

  CHECK(http::accepts(with_header("Accept", "*/*"), "text/event-stream"));
  CHECK(http::accepts(with_header("Accept", "text/*"), "text/event-stream"));
  CHECK(http::accepts(with_header("Accept", "TEXT/*;q=0.1"), "text/event-stream"));
  CHECK_FALSE(http::accepts(with_header("Accept", "text/*"), "application/json"));
  CHECK_FALSE(http::accepts(with_header("Accept", "application/jsonx"), "application/json"));
  CHECK_FALSE(http::accepts(with_header("Accept", "application/json-seq"), "application/json"));
  CHECK_FALSE(http::accepts(with_header("Accept", ""), "application/json"));
  CHECK_FALSE(http::accepts(with_header("Accept", ",;,"), "application/json"));
  CHECK_FALSE(http::accepts(with_header("Accept", "*"), "application/json"));
}

TEST_CASE("is_json_body: application/json with or without parameters, any case") {
  CHECK(http::is_json_body(with_header("Content-Type", "application/json")));
  CHECK(http::is_json_body(with_header("content-type", "Application/JSON; charset=utf-8")));
  CHECK(http::is_json_body(with_header("Content-Type", " application/json ;charset=utf-8")));
  CHECK_FALSE(http::is_json_body(httplib::Request()));
  CHECK_FALSE(http::is_json_body(with_header("Content-Type", "text/plain")));
  CHECK_FALSE(http::is_json_body(with_header("Content-Type", "application/json-patch+json")));
  CHECK_FALSE(http::is_json_body(with_header("Content-Type", "")));
}

TEST_CASE("header: the value whatever the name's case, or null when absent") {
  httplib::Request req;
  CHECK(http::header(req, "Mcp-Session-Id") == nullptr);
  req.set_header("mcp-session-id", "abc");
  const std::string* value = http::header(req, "MCP-SESSION-ID");
  REQUIRE(value != nullptr);
  CHECK(*value == "abc");
}
