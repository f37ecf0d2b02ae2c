// --log-format json: every line one JSON object whatever the message holds, with the session and
// request a line concerns as fields while a LogScope names them.
#include "mcpgate/logging.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;

// A logger writing JSON lines into `out`, as the server's does to stderr.
std::shared_ptr<spdlog::logger> json_logger(std::ostringstream& out) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto logger = std::make_shared<spdlog::logger>("json-test", sink);
  logger->set_formatter(mcpgate::json_line_formatter());
  return logger;
}

std::vector<json> lines_of(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));  // throws if not JSON
  return lines;
}

}  // namespace

TEST_CASE("JSON log lines: one object per line, message escaped, session and request as fields") {
  std::ostringstream out;
  auto logger = json_logger(out);
  logger->info("outside any session");
  const json seven = 7;
  const json req_a = "req-a";
  {
    const mcpgate::LogScope scope("Xy3-session", &seven);
    logger->warn("tool \"boom\" failed:\nline two \x01");
    {
      const mcpgate::LogScope inner("other", &req_a);
      logger->info("nested");
    }
    logger->info("back in the outer scope");
  }
  {
    const mcpgate::LogScope notification("Xy3-session");
    logger->info("a notification has no request");
  }
  logger->error("outside again");

  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 6);
  CHECK(lines[0]["message"] == "outside any session");
  CHECK_FALSE(lines[0].contains("session"));
  CHECK(lines[1]["level"] == "warning");
  CHECK(lines[1]["message"] == "tool \"boom\" failed:\nline two \x01");
  CHECK(lines[1]["session"] == "Xy3-session");
  CHECK(lines[1]["request"] == 7);
  CHECK(lines[2]["session"] == "other");
  CHECK(lines[2]["request"] == "req-a");
  CHECK(lines[3]["session"] == "Xy3-session");
  CHECK(lines[3]["request"] == 7);
  CHECK(lines[4]["session"] == "Xy3-session");
  CHECK_FALSE(lines[4].contains("request"));
  CHECK_FALSE(lines[5].contains("session"));
  CHECK(lines[5]["time"].is_string());
  CHECK(lines[5]["thread"].is_number_integer());
}

TEST_CASE("text log lines: control characters from the network cannot forge another line") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto logger = std::make_shared<spdlog::logger>("text-test", sink);
  logger->set_formatter(mcpgate::text_line_formatter());
  logger->warn("refused GET /mcp\n2026-01-01T00:00:00.000+0000 info forged\x1b[2J über");
  const std::string text = out.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);  // the line's own end only
  CHECK(text.find(R"(/mcp\x0a2026)") != std::string::npos);
  CHECK(text.find(R"(forged\x1b[2J)") != std::string::npos);
  CHECK(text.find("über") != std::string::npos);  // UTF-8 is not control text
}
