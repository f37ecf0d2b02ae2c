// /metrics: valid Prometheus text exposition (checked line by line against the format), and
// the numbers move with what the server does: sessions, tool calls by tool and outcome, RPC
// requests, SSE events.
#include "test_server.hpp"

#include <map>
#include <regex>
#include <set>
#include <sstream>

using namespace itest;

namespace {

struct Exposition {
  std::map<std::string, double> samples;  // "name{labels}" -> value
  std::map<std::string, std::string> types;
};

// Parses and validates the text format: every line is a HELP, TYPE or sample line; each metric
// family has HELP and TYPE before its first sample; histograms have a +Inf bucket, _sum and
// _count; values are numbers.
Exposition parse_exposition(const std::string& text) {
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex sample_line(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? ([-+]?([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|Inf|NaN))$)");
  Exposition out;
  std::set<std::string> helped;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    INFO("line " << number << ": " << line);
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      helped.insert(m[1]);
    } else if (std::regex_match(line, m, type)) {
      CHECK(helped.count(m[1]) == 1);  // HELP first
      out.types[m[1]] = m[2];
    } else {
      REQUIRE(std::regex_match(line, m, sample_line));
      std::string family = m[1];
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s = suffix;
        if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
            out.types.count(family.substr(0, family.size() - s.size())))
          family = family.substr(0, family.size() - s.size());
      }
      CHECK(out.types.count(family) == 1);  // TYPE before samples
      const std::string key = m[1].str() + m[2].str();
      CHECK(out.samples.count(key) == 0);  // no duplicate series
      out.samples[key] = std::stod(m[7].str() == "+Inf" ? "inf" : m[7].str());
    }
  }
  return out;
}

Exposition scrape(TestServer& server) {
  auto res = server.client()->Get("/metrics");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type").rfind("text/plain", 0) == 0);
  return parse_exposition(res->body);
}

double value(const Exposition& e, const std::string& series) {
  const auto it = e.samples.find(series);
  return it == e.samples.end() ? -1 : it->second;
}

}  // namespace

TEST_CASE("/metrics is valid Prometheus text and follows sessions, calls and events") {
  TestServer server;
  const int port = server.port();

  const auto before = scrape(server);
  CHECK(value(before, "mcpgate_up") == 1);
  CHECK(value(before, R"(mcpgate_sessions{transport="streamable_http"})") == 0);
  CHECK(before.types.at("mcpgate_tool_call_duration_seconds") == "histogram");

  const std::string session = open_session(port);
  auto legacy = open_legacy(port);
  REQUIRE(legacy.has_value());
  for (int id = 10; id < 13; ++id) {
    const auto call = mcp_post(port, session, tool_call(id, "test_simple_text"));
    REQUIRE(call.response(id).has_value());
  }
  const auto bad = mcp_post(port, session, tool_call(20, "test_simple_text", json{{"unexpected", 1}}));
  REQUIRE(bad.response(20).has_value());
  (void)mcp_post(port, session, rpc_request(21, "no/such/method"));

  const auto after = scrape(server);
  CHECK(value(after, R"(mcpgate_sessions{transport="streamable_http"})") == 1);
  CHECK(value(after, R"(mcpgate_sessions{transport="legacy_sse"})") == 1);
  CHECK(value(after, R"(mcpgate_tool_calls_total{tool="test_simple_text",outcome="ok"})") == 3);
  CHECK(value(after, R"(mcpgate_tool_calls_total{tool="test_simple_text",outcome="invalid_arguments"})") == 1);
  CHECK(value(after, R"(mcpgate_tool_call_duration_seconds_count{tool="test_simple_text"})") == 4);
  CHECK(value(after, R"(mcpgate_tool_call_duration_seconds_bucket{tool="test_simple_text",le="+Inf"})") == 4);
  CHECK(value(after, R"(mcpgate_rpc_requests_total{method="initialize",outcome="ok"})") == 1);
  // A made-up method is counted under "other": clients cannot grow the label set.
  CHECK(value(after, R"(mcpgate_rpc_requests_total{method="other",outcome="error"})") == 1);
  CHECK(value(after, R"(mcpgate_sse_events_total{state="queued"})") >=
        value(before, R"(mcpgate_sse_events_total{state="queued"})") + 3);
  CHECK(value(after, R"(mcpgate_init_state{state="ready"})") == 1);
  CHECK(value(after, R"(mcpgate_http_responses_total{code="2xx"})") >= 5);
}

TEST_CASE("/metrics needs the bearer token when one is set") {
  auto config = test_config();
  config.auth_token = "metrics-token";
  TestServer server(config);
  auto client = server.client();
  const auto anonymous = client->Get("/metrics");
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
  const auto authorised = client->Get("/metrics", httplib::Headers{{"Authorization", "Bearer metrics-token"}});
  REQUIRE(authorised);
  CHECK(authorised->status == 200);
}

TEST_CASE("/health and /metrics before the first session: idle (200), not starting; ready after") {
  // Initialisation is lazy: a server nobody has connected to is healthy and idle, not stuck in
  // "starting" (what a user checking /health after scripts/run.sh used to see forever).
  TestServer server;
  auto client = server.client();
  auto before = client->Get("/health");
  REQUIRE(before);
  CHECK(before->status == 200);
  CHECK(json::parse(before->body, nullptr, false)["status"] == "idle");
  const auto idle = scrape(server);
  CHECK(value(idle, R"(mcpgate_init_state{state="idle"})") == 1);
  CHECK(value(idle, R"(mcpgate_init_state{state="starting"})") == 0);

  (void)open_session(server.port());
  auto after = client->Get("/health");
  REQUIRE(after);
  CHECK(after->status == 200);
  CHECK(json::parse(after->body, nullptr, false)["status"] == "ready");
  const auto ready = scrape(server);
  CHECK(value(ready, R"(mcpgate_init_state{state="idle"})") == 0);
  CHECK(value(ready, R"(mcpgate_init_state{state="ready"})") == 1);
}
