// The Archon error envelope builder and the shared helpers (truncation, slicing, truthiness,
// path escaping).
#include "archon_fakes.hpp"

#include "mcpgate/tools/archon/api.hpp"
#include "mcpgate/tools/archon/errors.hpp"

using namespace archon_test;
namespace errors = mcpgate::tools::archon::errors;
using mcpgate::tools::archon::page_slice;
using mcpgate::tools::archon::path_segment;
using mcpgate::tools::archon::prefix_chars;
using mcpgate::tools::archon::truncate_text;
using mcpgate::tools::archon::truthy;

// ---------------------------------------------------------------------------------------------
// format_error

TEST_CASE("format_error: only type and message when nothing else is given") {
  CHECK(errors::format_error("validation_error", "No fields to update") ==
        json{{"success", false},
             {"error", {{"type", "validation_error"}, {"message", "No fields to update"}}}});
}

TEST_CASE("format_error: details, suggestion and http_status when given, dropped when falsy") {
  CHECK(errors::format_error("not_found", "Task t not found", json{{"k", 1}}, "Check it", 404) ==
        json{{"success", false},
             {"error",
              {{"type", "not_found"},
               {"message", "Task t not found"},
               {"details", {{"k", 1}}},
               {"suggestion", "Check it"},
               {"http_status", 404}}}});
  // Archon includes optional keys only when truthy: {} details, "" suggestion, status 0.
  CHECK(errors::format_error("x", "m", json::object(), "", 0) ==
        json{{"success", false}, {"error", {{"type", "x"}, {"message", "m"}}}});
}

// ---------------------------------------------------------------------------------------------
// suggestions per status

TEST_CASE("suggestion_for_status: Archon's table, nothing for other codes") {
  const std::vector<std::pair<int, std::string>> table{
      {400, "Check that all required parameters are provided and valid"},
      {401, "Authentication may be required. Check API credentials"},
      {403, "You may not have permission for this operation"},
      {404, "The requested resource was not found. Verify the ID is correct"},
      {409, "There's a conflict with the current state. The resource may already exist"},
      {422, "The request format is correct but the data is invalid"},
      {429, "Too many requests. Please wait before retrying"},
      {500, "Server error. Check server logs for details"},
      {502, "The backend service may be down. Check if all services are running"},
      {503, "Service temporarily unavailable. Try again later"},
      {504, "The operation timed out. The server may be overloaded"},
  };
  for (const auto& row : table) {
    const int status = row.first;  // CAPTURE needs a variable, not a structured binding (clang)
    const auto& text = row.second;
    CAPTURE(status);
    CHECK(errors::suggestion_for_status(status) == text);
  }
  for (int status : {200, 402, 405, 418, 501, 599}) {
    CAPTURE(status);
    CHECK_FALSE(errors::suggestion_for_status(status).has_value());
  }
}

// ---------------------------------------------------------------------------------------------
// from_http_error

TEST_CASE("from_http_error: which bodies give api_error and with what message") {
  struct Case {
    const char* name;
    json body;
    std::string message;  // after "Failed to get item: "
  };
  const std::vector<Case> cases{
      {"detail.error", json{{"detail", {{"error", "Project not found"}}}}, "Project not found"},
      {"error", json{{"error", "bad"}}, "bad"},
      {"message", json{{"message", "nope"}}, "nope"},
      {"detail.error wins over error", json{{"detail", {{"error", "a"}}}, {"error", "b"}}, "a"},
      {"empty detail.error falls through to error",
       json{{"detail", {{"error", ""}}}, {"error", "b"}}, "b"},
      // A detail object without an error key is printed whole (as JSON).
      {"detail object without error", json{{"detail", {{"reason", "x"}}}},
       R"({"reason":"x"})"},
      {"non-string error", json{{"error", 42}}, "42"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(errors::from_http_error(json_response(404, c.body), "get item") ==
          error_envelope("api_error", "Failed to get item: " + c.message,
                         json{{"response_body", c.body}},
                         "The requested resource was not found. Verify the ID is correct", 404));
  }
}

TEST_CASE("from_http_error: bodies that give http_error with the response text") {
  struct Case {
    const char* name;
    Response response;
  };
  const std::vector<Case> cases{
      // FastAPI's string detail makes Archon's .get() chain fail: http_error.
      {"string detail", json_response(404, json{{"detail", "Task not found"}})},
      {"list detail (422)",
       json_response(422, json{{"detail", json::array({{{"loc", {"body"}}, {"msg", "m"}}})}})},
      {"null detail", json_response(500, json{{"detail", nullptr}, {"error", "ignored"}})},
      {"empty detail object", json_response(500, json{{"detail", json::object()}})},
      {"JSON that is not an object", json_response(500, json::array({1, 2}))},
      {"text body", text_response(502, "Bad Gateway")},
      {"empty body", text_response(503, "")},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const int status = c.response.status;
    CHECK(errors::from_http_error(c.response, "update task") ==
          error_envelope("http_error", "Failed to update task: HTTP " + std::to_string(status),
                         json{{"response_text", c.response.body}},
                         errors::suggestion_for_status(status).value(), status));
  }
}

TEST_CASE("from_http_error: no suggestion for an unlisted status; response text cut at 500") {
  const std::string long_text(800, 'x');
  CHECK(errors::from_http_error(text_response(418, long_text), "brew") ==
        error_envelope("http_error", "Failed to brew: HTTP 418",
                       json{{"response_text", std::string(500, 'x')}}, "", 418));
}

// ---------------------------------------------------------------------------------------------
// from_transport

TEST_CASE("from_transport: each failure kind maps to Archon's type and suggestion") {
  const Timeouts timeouts{5s, 20s, 30s};
  struct Case {
    Kind kind;
    std::string type;
    std::string exception_type;
    std::string suggestion;
  };
  const std::vector<Case> cases{
      {Kind::connect_timeout, "connection_timeout", "ConnectTimeout",
       "Check if the Archon server is running and accessible at the configured URL"},
      {Kind::read_timeout, "read_timeout", "ReadTimeout",
       "The operation is taking longer than expected. Try again or check server logs"},
      {Kind::connection_error, "connection_error", "ConnectError",
       "Ensure the Archon server is running on the correct port"},
      {Kind::request_error, "request_error", "RequestError",
       "Check network connectivity and server configuration"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.type);
    CHECK(errors::from_transport(TransportError(c.kind, "boom"), "list tasks", timeouts,
                                 json{{"filter_by", nullptr}}) ==
          error_envelope(c.type, "Failed to list tasks: boom",
                         json{{"exception_type", c.exception_type},
                              {"exception_message", "boom"},
                              {"context", {{"filter_by", nullptr}}}},
                         c.suggestion));
  }
}

TEST_CASE("from_transport: an empty exception text becomes a sentence naming the limit") {
  const Timeouts timeouts{5s, 20s, 30s};
  CHECK(errors::describe_transport(TransportError(Kind::read_timeout, ""), timeouts) ==
        "the Archon API did not answer within 20 s (read timeout)");
  CHECK(errors::describe_transport(TransportError(Kind::connect_timeout, ""), Timeouts{1500ms}) ==
        "could not connect to the Archon API within 1500 ms");
  CHECK(errors::describe_transport(TransportError(Kind::connection_error, ""), timeouts) ==
        "could not connect to the Archon API");
  CHECK(errors::describe_transport(TransportError(Kind::request_error, ""), timeouts) ==
        "the request to the Archon API failed");
  // No context: no details.context.
  CHECK(errors::from_transport(TransportError(Kind::read_timeout, ""), "create project", timeouts) ==
        error_envelope("read_timeout",
                       "Failed to create project: the Archon API did not answer within 20 s "
                       "(read timeout)",
                       json{{"exception_type", "ReadTimeout"},
                            {"exception_message",
                             "the Archon API did not answer within 20 s (read timeout)"}},
                       "The operation is taking longer than expected. Try again or check server "
                       "logs"));
}

TEST_CASE("the small error constructors") {
  CHECK(errors::validation_error("title required for create") ==
        error_envelope("validation_error", "title required for create"));
  CHECK(errors::not_found("Task t not found", "Verify the task ID is correct") ==
        error_envelope("not_found", "Task t not found", nullptr, "Verify the task ID is correct",
                       404));
  CHECK(errors::invalid_action("Unknown action: x", "Use 'create'") ==
        error_envelope("invalid_action", "Unknown action: x", nullptr, "Use 'create'"));
  CHECK(errors::unknown_error("list tasks", "oops") ==
        error_envelope("unknown_error", "Failed to list tasks: oops",
                       json{{"exception_type", "Exception"}, {"exception_message", "oops"}}));
}

// ---------------------------------------------------------------------------------------------
// helpers

TEST_CASE("truncate_text: up to 1000 characters unchanged, longer ones become 997 + ...") {
  CHECK(truncate_text("") == "");
  CHECK(truncate_text(std::string(1000, 'a')) == std::string(1000, 'a'));
  CHECK(truncate_text(std::string(1001, 'a')) == std::string(997, 'a') + "...");
  CHECK(truncate_text(std::string(5000, 'a')).size() == 1000);
  CHECK(truncate_text("abcdef", 5) == "ab...");
}

TEST_CASE("truncate_text counts code points and never splits a UTF-8 sequence") {
  std::string accents;
  for (int i = 0; i < 1000; ++i) accents += "\xC3\xA9";  // é, 2 bytes
  CHECK(truncate_text(accents) == accents);                // 1000 characters: kept
  const std::string longer = accents + "\xE2\x82\xAC";     // + €: 1001 characters
  std::string expected;
  for (int i = 0; i < 997; ++i) expected += "\xC3\xA9";
  CHECK(truncate_text(longer) == expected + "...");
  CHECK(prefix_chars("\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC", 2) == "\xE2\x82\xAC\xE2\x82\xAC");
}

TEST_CASE("page_slice follows Python's slice rules") {
  const json items = json::array({1, 2, 3, 4, 5});
  struct Case {
    long long page, per_page;
    json expected;
  };
  const std::vector<Case> cases{
      {1, 2, {1, 2}},  {2, 2, {3, 4}},        {3, 2, {5}},        {4, 2, json::array()},
      {1, 10, {1, 2, 3, 4, 5}},               {0, 2, json::array()},  // [-2:0]
      {-1, 2, {2, 3}},                         // [-4:-2]
      {1, 0, json::array()},                   {1, -2, {1, 2, 3}},     // [0:-2]
      {1LL << 40, 10, json::array()},
  };
  for (const auto& c : cases) {
    CAPTURE(c.page);
    CAPTURE(c.per_page);
    CHECK(page_slice(items, c.page, c.per_page) == c.expected);
  }
  CHECK(page_slice(json::object(), 1, 10) == json::array());
}

TEST_CASE("truthy follows Python's bool()") {
  for (const json& v : {json(nullptr), json(false), json(0), json(0.0), json(""), json::array(),
                        json::object()})
    CHECK_FALSE(truthy(v));
  for (const json& v : {json(true), json(1), json(-1), json(0.5), json("x"), json::array({0}),
                        json{{"a", nullptr}}})
    CHECK(truthy(v));
}

TEST_CASE("path_segment leaves ids alone and escapes anything that could change the route") {
  CHECK(path_segment("550e8400-e29b-41d4-a716-446655440000", "id") ==
        "550e8400-e29b-41d4-a716-446655440000");
  CHECK(path_segment("a_b.c~d", "id") == "a_b.c~d");
  CHECK(path_segment("../rag/sources", "id") == "..%2Frag%2Fsources");
  CHECK(path_segment("x?y=1#z", "id") == "x%3Fy%3D1%23z");
  CHECK(path_segment("a b%", "id") == "a%20b%25");
  CHECK(path_segment("\xC3\xA9", "id") == "%C3%A9");
}
