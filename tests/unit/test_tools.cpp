// ToolRegistry, SchemaValidator, coerce_arguments, Catalog::match_template and LegacySse::endpoint_url.
#include "mcpgate/tools/catalog.hpp"
#include "mcpgate/tools/argument_coercion.hpp"
#include "mcpgate/tools/registry.hpp"
#include "mcpgate/tools/schema_validator.hpp"
#include "mcpgate/tools/tool.hpp"
#include "mcpgate/transport/legacy_sse.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace mcpgate;
using json = nlohmann::json;
using tools::Catalog;
using tools::coerce_arguments;
using tools::SchemaValidator;
using tools::Tool;
using tools::ToolRegistry;

namespace {

Tool make_tool(std::string name) {
  Tool t;
  t.name = std::move(name);
  t.description = "does things";
  t.handler = [](const json&, tools::ToolContext&) { return tools::ToolResult::text("ok"); };
  return t;
}

bool valid(const SchemaValidator& v, const json& value) { return !v.validate(value).has_value(); }

using Vars = std::map<std::string, std::string>;

// Runs `f` in a child process, so that a library that aborts cannot take the test runner down.
// Returns how `f` ended: "std::invalid_argument", "no exception", "other exception" or
// "killed by signal N".
std::string outcome_in_child(const std::function<void()>& f) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child must not run doctest's crash reporting: let an abort simply kill it.
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, SIG_DFL);
    int code = 3;
    try {
      f();
      code = 1;
    } catch (const std::invalid_argument&) {
      code = 0;
    } catch (...) {
      code = 2;
    }
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  switch (WEXITSTATUS(status)) {
    case 0: return "std::invalid_argument";
    case 1: return "no exception";
    case 2: return "other exception";
    default: return "exit " + std::to_string(WEXITSTATUS(status));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ToolRegistry

TEST_CASE("ToolRegistry::is_valid_name: 1-128 chars of [A-Za-z0-9_.-]") {
  CHECK(ToolRegistry::is_valid_name("a"));
  CHECK(ToolRegistry::is_valid_name("health_check"));
  CHECK(ToolRegistry::is_valid_name("Ns.sub-tool_2"));
  CHECK(ToolRegistry::is_valid_name(std::string(128, 'x')));
  CHECK_FALSE(ToolRegistry::is_valid_name(""));
  CHECK_FALSE(ToolRegistry::is_valid_name(std::string(129, 'x')));
  for (std::string bad : {"has space", "a/b", "a:b", "émoji", "tab\t", "new\nline", "a,b", "a@b", "a*"}) {
    CAPTURE(bad);
    CHECK_FALSE(ToolRegistry::is_valid_name(bad));
  }
}

TEST_CASE("ToolRegistry::add rejects bad tools with std::invalid_argument") {
  ToolRegistry registry;
  SUBCASE("bad names") {
    for (const std::string& bad : std::vector<std::string>{"", "has space", "a/b", std::string(129, 'n')}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(registry.add(make_tool(bad)), std::invalid_argument);
    }
  }
  SUBCASE("duplicate name") {
    registry.add(make_tool("dup"));
    CHECK_THROWS_AS(registry.add(make_tool("dup")), std::invalid_argument);
    CHECK(registry.size() == 1);
  }
  SUBCASE("missing description") {
    auto t = make_tool("nodesc");
    t.description.clear();
    CHECK_THROWS_AS(registry.add(std::move(t)), std::invalid_argument);
  }
  SUBCASE("missing handler") {
    auto t = make_tool("nohandler");
    t.handler = nullptr;
    CHECK_THROWS_AS(registry.add(std::move(t)), std::invalid_argument);
  }
  SUBCASE("input schema that is not an object schema") {
    for (const json& schema : {json("object"), json::array(), json(nullptr), json::object(),
                               json{{"type", "array"}}, json{{"type", "string"}}}) {
      CAPTURE(schema.dump());
      auto t = make_tool("schema");
      t.input_schema = schema;
      CHECK_THROWS_AS(registry.add(std::move(t)), std::invalid_argument);
    }
  }
  SUBCASE("output schema that is not an object schema") {
    auto t = make_tool("out");
    t.output_schema = json{{"type", "string"}};
    CHECK_THROWS_AS(registry.add(std::move(t)), std::invalid_argument);
    auto t2 = make_tool("out2");
    t2.output_schema = json("x");
    CHECK_THROWS_AS(registry.add(std::move(t2)), std::invalid_argument);
  }
  SUBCASE("an input schema that cannot be compiled") {
    // valijson aborts the process on a bad schema unless built to throw; run it in a child so
    // a regression shows as a failed check, not a dead test runner.
    const auto outcome = outcome_in_child([] {
      ToolRegistry r;
      auto t = make_tool("broken");
      t.input_schema = json{{"type", "object"}, {"properties", {{"a", {{"type", 5}}}}}};
      r.add(std::move(t));
    });
    CHECK(outcome == "std::invalid_argument");
  }
  CHECK(registry.find("nodesc") == nullptr);
  CHECK(registry.find("schema") == nullptr);
}

TEST_CASE("ToolRegistry keeps registration order and builds the listing once") {
  ToolRegistry registry;
  auto a = make_tool("zeta");
  a.title = "Zeta";
  a.annotations = json{{"readOnlyHint", true}};
  a.output_schema = json{{"type", "object"}, {"properties", {{"r", {{"type", "string"}}}}}};
  registry.add(std::move(a));
  registry.add(make_tool("alpha"));
  REQUIRE(registry.size() == 2);
  CHECK(registry.entries()[0].tool.name == "zeta");
  CHECK(registry.entries()[1].tool.name == "alpha");

  const auto* z = registry.find("zeta");
  REQUIRE(z != nullptr);
  CHECK(z->listing["name"] == "zeta");
  CHECK(z->listing["title"] == "Zeta");
  CHECK(z->listing["description"] == "does things");
  CHECK(z->listing["inputSchema"] == json{{"type", "object"}});
  CHECK(z->listing["outputSchema"]["properties"]["r"]["type"] == "string");
  CHECK(z->listing["annotations"]["readOnlyHint"] == true);
  REQUIRE(z->validator != nullptr);

  const auto* al = registry.find("alpha");
  REQUIRE(al != nullptr);
  CHECK_FALSE(al->listing.contains("title"));
  CHECK_FALSE(al->listing.contains("outputSchema"));
  CHECK_FALSE(al->listing.contains("annotations"));
  CHECK(registry.find("ALPHA") == nullptr);
  CHECK(registry.find("") == nullptr);
}

// ---------------------------------------------------------------------------------------------
// SchemaValidator

TEST_CASE("SchemaValidator: required properties") {
  SchemaValidator v(json{{"type", "object"},
                         {"properties", {{"a", {{"type", "string"}}}, {"b", {{"type", "integer"}}}}},
                         {"required", json::array({"a", "b"})}});
  CHECK(valid(v, json{{"a", "x"}, {"b", 1}}));
  const auto missing = v.validate(json{{"a", "x"}});
  REQUIRE(missing.has_value());
  CHECK_FALSE(missing->empty());
  CHECK_FALSE(valid(v, json::object()));
}

TEST_CASE("SchemaValidator: types are checked strictly") {
  SchemaValidator v(json{{"type", "object"},
                         {"properties",
                          {{"s", {{"type", "string"}}},
                           {"i", {{"type", "integer"}}},
                           {"n", {{"type", "number"}}},
                           {"b", {{"type", "boolean"}}},
                           {"a", {{"type", "array"}, {"items", {{"type", "integer"}}}}},
                           {"o", {{"type", "object"}}}}}});
  CHECK(valid(v, json{{"s", "x"}, {"i", 3}, {"n", 2.5}, {"b", true}, {"a", {1, 2}}, {"o", json::object()}}));
  CHECK(valid(v, json{{"n", 2}}));  // an integer is a number
  CHECK_FALSE(valid(v, json{{"s", 1}}));
  CHECK_FALSE(valid(v, json{{"i", "3"}}));  // no string -> number coercion
  CHECK_FALSE(valid(v, json{{"i", 2.5}}));
  CHECK_FALSE(valid(v, json{{"n", "2.5"}}));
  CHECK_FALSE(valid(v, json{{"b", "true"}}));
  CHECK_FALSE(valid(v, json{{"b", 1}}));
  CHECK_FALSE(valid(v, json{{"a", {1, "x"}}}));
  CHECK_FALSE(valid(v, json{{"o", json::array()}}));
  CHECK_FALSE(valid(v, json::array()));  // the arguments themselves must be an object
  CHECK_FALSE(valid(v, json("x")));
}

TEST_CASE("SchemaValidator: additionalProperties false rejects unknown keys") {
  SchemaValidator v(json{{"type", "object"},
                         {"properties", {{"a", {{"type", "string"}}}}},
                         {"additionalProperties", false}});
  CHECK(valid(v, json{{"a", "x"}}));
  CHECK(valid(v, json::object()));
  const auto problem = v.validate(json{{"a", "x"}, {"extra", 1}});
  REQUIRE(problem.has_value());
  CHECK_FALSE(problem->empty());
}

TEST_CASE("SchemaValidator: $ref into #/$defs with a 2020-12 $schema key") {
  const json schema = json::parse(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
      "item": {"$ref": "#/$defs/item"},
      "items": {"type": "array", "items": {"$ref": "#/$defs/item"}}
    },
    "required": ["item"],
    "$defs": {
      "item": {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "tag": {"type": "string"}},
        "required": ["n"],
        "additionalProperties": false
      }
    }
  })");
  SchemaValidator v(schema);
  CHECK(valid(v, json{{"item", {{"n", 1}}}}));
  CHECK(valid(v, json{{"item", {{"n", 1}, {"tag", "t"}}}, {"items", {{{"n", 2}}, {{"n", 3}}}}}));
  CHECK_FALSE(valid(v, json{{"item", {{"n", "1"}}}}));
  CHECK_FALSE(valid(v, json{{"item", json::object()}}));
  CHECK_FALSE(valid(v, json{{"item", {{"n", 1}, {"x", 2}}}}));
  CHECK_FALSE(valid(v, json{{"item", {{"n", 1}}}, {"items", {{{"n", "bad"}}}}}));
  CHECK_FALSE(valid(v, json::object()));
}

TEST_CASE("SchemaValidator: messages say where the problem is") {
  SchemaValidator v(json{{"type", "object"}, {"properties", {{"count", {{"type", "integer"}}}}}});
  const auto problem = v.validate(json{{"count", "x"}});
  REQUIRE(problem.has_value());
  CHECK(problem->find("count") != std::string::npos);
}

TEST_CASE("SchemaValidator: a schema that cannot be compiled throws std::invalid_argument") {
  const std::vector<json> broken = {
      json{{"type", 5}},
      json{{"type", "object"}, {"required", "a"}},
      json{{"type", "object"}, {"properties", {{"a", {{"$ref", "#/$defs/missing"}}}}}}};
  std::string outcomes;
  for (const auto& schema : broken)
    outcomes += outcome_in_child([&] { SchemaValidator v(schema); }) + ";";
  // Each bad schema must surface as std::invalid_argument, not abort().
  CHECK(outcomes == "std::invalid_argument;std::invalid_argument;std::invalid_argument;");
}

// ---------------------------------------------------------------------------------------------
// ToolResult and content

TEST_CASE("ToolResult::to_json") {
  auto ok = tools::ToolResult::text("hi");
  CHECK(ok.to_json() == json{{"content", {{{"type", "text"}, {"text", "hi"}}}}});
  auto err = tools::ToolResult::error("bad");
  CHECK(err.to_json()["isError"] == true);
  CHECK(err.to_json()["content"][0]["text"] == "bad");
  ok.structured = json{{"r", 1}};
  CHECK(ok.to_json()["structuredContent"] == json{{"r", 1}});
  CHECK(tools::content::resource_link("mem://x", "x")["type"] == "resource_link");
  CHECK_FALSE(tools::content::resource_link("mem://x", "x").contains("mimeType"));
  CHECK(tools::content::image("AAA=", "image/png")["mimeType"] == "image/png");
}

// ---------------------------------------------------------------------------------------------
// Catalog::match_template

TEST_CASE("Catalog::match_template extracts level-1 variables") {
  auto m = Catalog::match_template("mem://items/{id}", "mem://items/42");
  REQUIRE(m.has_value());
  CHECK(*m == Vars{{"id", "42"}});

  m = Catalog::match_template("users/{uid}/posts/{pid}", "users/7/posts/abc");
  REQUIRE(m.has_value());
  CHECK(*m == Vars{{"uid", "7"}, {"pid", "abc"}});

  m = Catalog::match_template("file:///{name}.txt", "file:///notes.txt");
  REQUIRE(m.has_value());
  CHECK(*m == Vars{{"name", "notes"}});

  m = Catalog::match_template("mem://readme", "mem://readme");
  REQUIRE(m.has_value());
  CHECK(m->empty());
}

TEST_CASE("Catalog::match_template rejects URIs the template cannot produce") {
  CHECK_FALSE(Catalog::match_template("mem://items/{id}", "mem://items/").has_value());     // empty var
  CHECK_FALSE(Catalog::match_template("mem://items/{id}", "mem://items/4/5").has_value());  // '/' in var
  CHECK_FALSE(Catalog::match_template("mem://items/{id}", "mem://other/4").has_value());
  CHECK_FALSE(Catalog::match_template("mem://items/{id}", "mem://items").has_value());
  CHECK_FALSE(Catalog::match_template("file:///{name}.txt", "file:///notes.md").has_value());
  CHECK_FALSE(Catalog::match_template("file:///{name}.txt", "file:///notes.txt.bak").has_value());
  CHECK_FALSE(Catalog::match_template("mem://readme", "mem://readme2").has_value());
  CHECK_FALSE(Catalog::match_template("mem://{id", "mem://x").has_value());  // unclosed brace
  CHECK_FALSE(Catalog::match_template("mem://items/{id}", "").has_value());
}

TEST_CASE("Catalog::match_template: a variable may contain the literal that follows it") {
  // RFC 6570 simple expansion leaves '.' unencoded, so {name}="app.2024" expands to
  // "file:///logs/app.2024.log"; matching must find that value again.
  // A variable may contain the literal that follows it in the template (backtracking match).
  const auto m = Catalog::match_template("file:///logs/{name}.log", "file:///logs/app.2024.log");
  CHECK(m.has_value());
  if (m) CHECK(*m == Vars{{"name", "app.2024"}});
}

TEST_CASE("Catalog: read and is_known_resource go through resources then templates") {
  Catalog catalog;
  CHECK_FALSE(catalog.has_resources());
  tools::ResourceTemplate t;
  t.uri_template = "mem://items/{id}";
  t.name = "items";
  t.read = [](const std::string& uri, const Vars& vars) {
    return json::array({{{"uri", uri}, {"text", vars.at("id")}}});
  };
  catalog.add(std::move(t));
  CHECK(catalog.has_resources());
  CHECK(catalog.is_known_resource("mem://items/9"));
  CHECK_FALSE(catalog.is_known_resource("mem://items/"));
  const auto contents = catalog.read("mem://items/9");
  REQUIRE(contents.has_value());
  CHECK((*contents)[0]["text"] == "9");
  CHECK_FALSE(catalog.read("mem://nope").has_value());
}

// ---------------------------------------------------------------------------------------------
// LegacySse::endpoint_url

TEST_CASE("LegacySse::endpoint_url is relative to the stream URL") {
  using transport::LegacySse;
  CHECK(LegacySse::endpoint_url("/sse", "/messages", "X") == "messages?sessionId=X");
  CHECK(LegacySse::endpoint_url("/sse/", "/messages", "X") == "../messages?sessionId=X");
  CHECK(LegacySse::endpoint_url("/a/b/sse", "/messages", "X") == "../../messages?sessionId=X");
  CHECK(LegacySse::endpoint_url("/a/b/sse/", "/messages", "X") == "../../../messages?sessionId=X");
  CHECK(LegacySse::endpoint_url("/sse", "messages", "X") == "messages?sessionId=X");
  CHECK(LegacySse::endpoint_url("/sse", "/mcp/messages", "a.Zz-_9") == "mcp/messages?sessionId=a.Zz-_9");
}

TEST_CASE("coerce_arguments: string literals become the declared non-string type") {
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "count": {"type": "integer"},
      "ratio": {"type": "number"},
      "flag": {"type": "boolean"},
      "maybe_count": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
      "content": {"anyOf": [{"type": "object"}, {"type": "array"}, {"type": "null"}]},
      "tags": {"type": ["array", "null"]},
      "title": {"type": "string"},
      "id_or_text": {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    }
  })");
  const json in = json::parse(R"({
    "count": " 5 ", "ratio": "2.5", "flag": "False", "maybe_count": "-3",
    "content": "{\"goal\": \"fast\"}", "tags": "[\"a\", \"b\"]",
    "title": "42", "id_or_text": "7", "unknown": "9"
  })");
  const json out = coerce_arguments(schema, in);
  CHECK(out["count"] == 5);
  CHECK(out["ratio"] == 2.5);
  CHECK(out["flag"] == false);
  CHECK(out["maybe_count"] == -3);
  CHECK(out["content"] == json{{"goal", "fast"}});
  CHECK(out["tags"] == json::array({"a", "b"}));
  CHECK(out["title"] == "42");       // the parameter takes strings: left alone
  CHECK(out["id_or_text"] == "7");   // strings allowed: left alone
  CHECK(out["unknown"] == "9");      // not in the schema: left for the validator
}

TEST_CASE("coerce_arguments: text that is not an exact literal is left for the validator") {
  const json schema = json::parse(R"({"type": "object", "properties": {
    "count": {"type": "integer"}, "flag": {"type": "boolean"}, "content": {"type": "object"}}})");
  const json in = json::parse(R"({"count": "5 apples", "flag": "maybe", "content": "[1, 2]"})");
  const json out = coerce_arguments(schema, in);
  CHECK(out == in);
  SchemaValidator validator(schema);
  CHECK(validator.validate(out).has_value());
}

TEST_CASE("coerce_arguments: an integral float is accepted for an integer parameter") {
  const json schema = json::parse(R"({"type": "object", "properties": {
    "page": {"type": "integer"}, "ratio": {"type": "number"}}})");
  const json out = coerce_arguments(schema, json{{"page", 2.0}, {"ratio", 2.0}});
  CHECK(out["page"].is_number_integer());
  CHECK(out["page"] == 2);
  CHECK(out["ratio"].is_number_float());
  CHECK(coerce_arguments(schema, json{{"page", 2.5}})["page"] == 2.5);
}
