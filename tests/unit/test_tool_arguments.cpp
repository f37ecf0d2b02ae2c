// Invalid tool arguments in the tool's own words (argument_errors.hpp, SchemaValidator) and the
// lenient conversions before validation (argument_coercion.hpp), row by row; then both through
// the dispatcher, on each side of the 2025-11-25 split (an isError result, or -32602).
#include "mcpgate/protocol/dispatcher.hpp"
#include "mcpgate/sessions/session.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/tools/argument_coercion.hpp"
#include "mcpgate/tools/argument_errors.hpp"
#include "mcpgate/tools/schema_validator.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mcpgate;
using json = nlohmann::json;
using tools::coerce_arguments;
using tools::SchemaValidator;

namespace {

// A tool schema the way the Archon tools and the conformance fixtures write them.
const json task_tool_schema = json::parse(R"({
  "type": "object",
  "properties": {
    "title": {"type": "string", "minLength": 1},
    "status": {"type": "string", "enum": ["todo", "doing", "review", "done"]},
    "task_order": {"type": "integer"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100},
    "ratio": {"type": "number", "exclusiveMinimum": 0},
    "feature": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
    "archived": {"type": "boolean"},
    "choice": {"oneOf": [{"const": "value1"}, {"const": "value2"}]},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    "content": {"type": "object", "properties": {"goal": {"type": "string"}},
                "required": ["goal"], "additionalProperties": false},
    "code": {"type": "string", "pattern": "^[a-z]+$"}
  },
  "required": ["title"],
  "additionalProperties": false
})");

std::string problem_text(const json& arguments) {
  SchemaValidator validator(task_tool_schema);
  const auto problem = validator.validate(arguments);
  REQUIRE(problem.has_value());
  return *problem;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The words

TEST_CASE("argument errors: each bad parameter on its own line, naming what it got and accepts") {
  CHECK(problem_text(json{{"title", "t"}, {"task_order", "high"}}) ==
        "task_order: expected an integer, got \"high\"");
  CHECK(problem_text(json{{"title", "t"}, {"status", "finished"}}) ==
        "status: expected one of todo, doing, review, done, got \"finished\"");
  CHECK(problem_text(json::object()) == "title: required");
  CHECK(problem_text(json{{"title", "t"}, {"limit", 500}}) == "limit: expected at most 100, got 500");
  CHECK(problem_text(json{{"title", "t"}, {"limit", 0}}) == "limit: expected at least 1, got 0");
  CHECK(problem_text(json{{"title", "t"}, {"ratio", 0}}) == "ratio: expected more than 0, got 0");
  CHECK(problem_text(json{{"title", ""}}) == "title: expected at least 1 character, got \"\"");
  CHECK(problem_text(json{{"title", "t"}, {"feature", 5}}) ==
        "feature: expected a string or null, got 5");
  CHECK(problem_text(json{{"title", "t"}, {"archived", "maybe"}}) ==
        "archived: expected a boolean (true or false), got \"maybe\"");
  CHECK(problem_text(json{{"title", "t"}, {"choice", "value9"}}) ==
        "choice: expected one of value1, value2, got \"value9\"");
  CHECK(problem_text(json{{"title", 7}}) == "title: expected a string, got 7");
  CHECK(problem_text(json{{"title", "t"}, {"task_order", json{{"a", 1}}}}) ==
        "task_order: expected an integer, got an object");
  CHECK(problem_text(json{{"title", "t"}, {"task_order", json::array({1, 2})}}) ==
        "task_order: expected an integer, got an array of 2 items");
}

TEST_CASE("argument errors: an unknown parameter names the ones the tool takes") {
  const std::string text = problem_text(json{{"title", "t"}, {"foo", 1}});
  CHECK(text.rfind("unknown parameter \"foo\" (this tool takes: ", 0) == 0);
  CHECK(text.find("task_order") != std::string::npos);
  SchemaValidator closed(json{{"type", "object"}, {"additionalProperties", false}});
  CHECK(closed.validate(json{{"x", 1}}) == "unknown parameter \"x\" (this tool takes none)");
}

TEST_CASE("argument errors: several problems, one line each, in the arguments' order") {
  const auto lines = split_lines(
      problem_text(json{{"status", "finished"}, {"task_order", "high"}, {"limit", 500}, {"foo", 1}}));
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].rfind("unknown parameter \"foo\"", 0) == 0);
  CHECK(lines[1] == "limit: expected at most 100, got 500");
  CHECK(lines[2] == "status: expected one of todo, doing, review, done, got \"finished\"");
  CHECK(lines[3] == "task_order: expected an integer, got \"high\"");
  CHECK(lines[4] == "title: required");
}

TEST_CASE("argument errors: nested values are named by their path") {
  CHECK(problem_text(json{{"title", "t"}, {"tags", json::array({"a", 5})}}) ==
        "tags[1]: expected a string, got 5");
  CHECK(problem_text(json{{"title", "t"}, {"tags", json::array({"a", "b", "c", "d"})}}) ==
        "tags: expected at most 3 items, got 4");
  CHECK(problem_text(json{{"title", "t"}, {"content", json::object()}}) == "content.goal: required");
  CHECK(problem_text(json{{"title", "t"}, {"content", json{{"goal", "g"}, {"x", 1}}}}) ==
        "content: unknown property \"x\"");
  CHECK(problem_text(json{{"title", "t"}, {"content", json{{"goal", false}}}}) ==
        "content.goal: expected a string, got false");
}

TEST_CASE("argument errors: $ref into $defs is followed") {
  SchemaValidator v(json::parse(R"({"type": "object",
    "properties": {"item": {"$ref": "#/$defs/item"}},
    "$defs": {"item": {"type": "object", "properties": {"n": {"type": "integer"}}}}})"));
  CHECK(v.validate(json{{"item", {{"n", "one"}}}}) == "item.n: expected an integer, got \"one\"");
}

TEST_CASE("argument errors: what only valijson can judge still names the parameter") {
  const std::string text = problem_text(json{{"title", "t"}, {"code", "ABC"}});
  CAPTURE(text);
  CHECK(text.rfind("code: ", 0) == 0);
  CHECK(text.find('\n') == std::string::npos);
  CHECK(text.find("<root>") == std::string::npos);
}

TEST_CASE("argument errors: what a client sent is shown bounded and escaped") {
  const std::string huge(100000, 'x');
  const std::string text = problem_text(json{{"title", "t"}, {"task_order", huge}});
  CHECK(text == "task_order: expected an integer, got \"" + std::string(tools::quoted_characters_max, 'x') +
                    "...\" (100000 characters)");

  // Control characters, and characters that reorder or hide text, are escaped; other Unicode
  // is shown as it is.
  const std::string sneaky = "a\nb\x1b[31m\xe2\x80\xae" "c\"\\ \xc3\xbc";
  CHECK(problem_text(json{{"title", "t"}, {"task_order", sneaky}}) ==
        "task_order: expected an integer, got \"a\\nb\\u001b[31m\\u202ec\\\"\\\\ \xc3\xbc\"");

  // A huge unknown key is cut too.
  const std::string key(5000, 'k');
  const std::string unknown = problem_text(json{{"title", "t"}, {key, 1}});
  CHECK(unknown.size() < 600);

  // Hundreds of bad values: at most lines_max lines and a last one saying it stopped.
  json many{{"title", "t"}, {"tags", json::array()}};
  SchemaValidator open(json{{"type", "object"},
                            {"properties", {{"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}});
  for (int i = 0; i < 500; ++i) many["tags"].push_back(i);
  const auto lines = split_lines(*open.validate(many));
  CHECK(lines.size() == tools::lines_max + 1);
  CHECK(lines.back() == "(stopped after " + std::to_string(tools::lines_max) + " problems)");
}

TEST_CASE("shown_value") {
  CHECK(tools::shown_value(json("x")) == "\"x\"");
  CHECK(tools::shown_value(json(2.5)) == "2.5");
  CHECK(tools::shown_value(json(nullptr)) == "null");
  CHECK(tools::shown_value(json(true)) == "true");
  CHECK(tools::shown_value(json::object()) == "an empty object");
  CHECK(tools::shown_value(json::array({1})) == "an array of 1 item");
  // Bytes that are not UTF-8 (nlohmann's parser refuses them, a handler's JSON may not).
  CHECK(tools::shown_value(json(std::string("a\xff"))) == "\"a\\xff\"");
}

// ---------------------------------------------------------------------------------------------
// The lenient table, row by row (argument_coercion.hpp)

namespace {

const json lax_test_schema = json::parse(R"({"type": "object", "properties": {
  "i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"},
  "o": {"type": "object"}, "a": {"type": "array"}, "s": {"type": "string"},
  "z": {"type": "null"}, "ib": {"type": ["integer", "boolean"]},
  "ob": {"anyOf": [{"type": "boolean"}, {"type": "null"}]}}})");

// The value `name` ends up with after coercion.
json lax_value(const std::string& name, const json& value) {
  return coerce_arguments(lax_test_schema, json{{name, value}})[name];
}

void check_left_alone(const std::string& name, const json& value) {
  CAPTURE(name);
  CAPTURE(value.dump());
  const json out = lax_value(name, value);
  CHECK(out == value);
  CHECK(out.type() == value.type());
}

}  // namespace

TEST_CASE("lenient arguments: string -> integer") {
  for (const char* text : {"5", " 5 ", "+5", "5.0", "5.00"}) {
    CAPTURE(text);
    CHECK(lax_value("i", text) == 5);
    CHECK(lax_value("i", text).is_number_integer());
  }
  CHECK(lax_value("i", "-5") == -5);
  for (const char* text : {"5 apples", "5.5", "1e3", "0x10", "", "5.", "99999999999999999999"})
    check_left_alone("i", text);
}

TEST_CASE("lenient arguments: number -> integer") {
  CHECK(lax_value("i", 2.0) == 2);
  CHECK(lax_value("i", 2.0).is_number_integer());
  check_left_alone("i", 2.5);
  check_left_alone("i", 1e16);
}

TEST_CASE("lenient arguments: string -> number") {
  CHECK(lax_value("n", "2.5") == 2.5);
  CHECK(lax_value("n", "-1") == -1.0);
  CHECK(lax_value("n", "1e3") == 1000.0);
  CHECK(lax_value("n", " 7 ") == 7.0);
  CHECK(lax_value("n", "+2.5") == 2.5);
  for (const char* text : {"2.5kg", "nan", "inf", "", "0x1p3"}) check_left_alone("n", text);
}

TEST_CASE("lenient arguments: string -> boolean, pydantic's list in any case") {
  for (const char* text : {"true", "True", "t", "yes", "Y", "on", "1", " TRUE "}) {
    CAPTURE(text);
    CHECK(lax_value("b", text) == true);
  }
  for (const char* text : {"false", "F", "no", "n", "off", "0"}) {
    CAPTURE(text);
    CHECK(lax_value("b", text) == false);
  }
  for (const char* text : {"maybe", "2", "", "yes please"}) check_left_alone("b", text);
}

TEST_CASE("lenient arguments: number -> boolean, 1 and 0 only") {
  CHECK(lax_value("b", 1) == true);
  CHECK(lax_value("b", 0) == false);
  CHECK(lax_value("b", 1.0) == true);
  CHECK(lax_value("b", 0.0) == false);
  CHECK(lax_value("ob", 1) == true);  // an optional boolean
  for (const json& n : {json(2), json(-1), json(0.5)}) check_left_alone("b", n);
  // A parameter that takes integers keeps the integer.
  check_left_alone("ib", json(1));
  CHECK(lax_value("ib", "1") == 1);
  CHECK(lax_value("ib", "1").is_number_integer());
  CHECK(lax_value("ib", "yes") == true);
}

TEST_CASE("lenient arguments: string -> object or array") {
  CHECK(lax_value("o", "{\"goal\": \"fast\"}") == json{{"goal", "fast"}});
  CHECK(lax_value("a", "[1, 2]") == json::array({1, 2}));
  for (const char* text : {"[1, 2]", "not json", "5"}) check_left_alone("o", text);
  for (const char* text : {"{}", "not json"}) check_left_alone("a", text);
}

TEST_CASE("lenient arguments: never converted") {
  // To a string: numbers, booleans, objects and arrays stay what they are.
  for (const json& v : {json(5), json(true), json::object(), json::array()}) check_left_alone("s", v);
  // Booleans for numbers.
  check_left_alone("i", json(true));
  check_left_alone("n", json(false));
  // To null.
  check_left_alone("z", json("null"));
  // A value the parameter accepts as it is.
  check_left_alone("b", json(true));
  check_left_alone("n", json(3));
}

// ---------------------------------------------------------------------------------------------
// Through the dispatcher

namespace {

std::shared_ptr<const SharedContext> context_with_task_tool() {
  auto ctx = std::make_shared<SharedContext>();
  ctx->info.version = "1";
  tools::Tool tool;
  tool.name = "manage_task";
  tool.description = "test tool";
  tool.input_schema = task_tool_schema;
  tool.handler = [](const json& args, tools::ToolContext&) {
    return tools::ToolResult::text(args.dump());
  };
  tools::Lists lists;
  lists.tools.add(std::move(tool));
  ctx->lists->start_with(std::move(lists));
  return ctx;
}

json call_manage_task(const std::string& version, const json& arguments) {
  protocol::Dispatcher dispatcher(protocol::DispatchOptions{});
  sessions::Session session("s", sessions::Transport::streamable_http, context_with_task_tool(),
                            nullptr);
  const auto initialized = dispatcher.handle_request(session,
                            jsonrpc::Request{0, "initialize",
                                             json{{"protocolVersion", version},
                                                  {"capabilities", json::object()},
                                                  {"clientInfo", {{"name", "u"}, {"version", "1"}}}}},
                            nullptr);
  REQUIRE(initialized.has_value());
  const auto response = dispatcher.handle_request(
      session,
      jsonrpc::Request{1, "tools/call", json{{"name", "manage_task"}, {"arguments", arguments}}},
      nullptr);
  REQUIRE(response.has_value());
  return *response;
}

}  // namespace

TEST_CASE("tools/call: invalid arguments read the same on every revision") {
  const json bad{{"title", "t"}, {"task_order", "high"}, {"status", "finished"}};
  const std::string expected =
      "Invalid arguments for tool manage_task: status: expected one of todo, doing, review, done, "
      "got \"finished\"\ntask_order: expected an integer, got \"high\"";

  const json result = call_manage_task("2025-11-25", bad)["result"];
  CHECK(result["isError"] == true);
  CHECK(result["content"][0]["text"] == expected);

  for (const char* version : {"2025-06-18", "2025-03-26", "2024-11-05"}) {
    CAPTURE(version);
    const json error = call_manage_task(version, bad)["error"];
    CHECK(error["code"] == -32602);
    CHECK(error["message"] == "Invalid params: " + expected);
  }
}

TEST_CASE("tools/call: 1 and 0 are accepted for a boolean parameter") {
  const json result = call_manage_task("2025-11-25", json{{"title", "t"}, {"archived", 1}})["result"];
  CHECK_FALSE(result.contains("isError"));
  CHECK(json::parse(result["content"][0]["text"].get<std::string>())["archived"] == true);
  const json off = call_manage_task("2025-06-18", json{{"title", "t"}, {"archived", 0}})["result"];
  CHECK(json::parse(off["content"][0]["text"].get<std::string>())["archived"] == false);
}
