// register_archon_tools: the 14 tools in Archon's order, with Archon's parameter names, types,
// required-ness and defaults, its string output schema, and schemas the registry can compile.
#include "archon_fakes.hpp"

#include "mcpgate/tools/archon/instructions.hpp"
#include "mcpgate/tools/local_tools.hpp"

#include <map>

using namespace archon_test;
using mcpgate::tools::ToolRegistry;

namespace {

const std::vector<std::string> archon_order{
    "rag_get_available_sources", "rag_search_knowledge_base", "rag_search_code_examples",
    "rag_list_pages_for_source", "rag_read_full_page",        "find_projects",
    "manage_project",            "find_tasks",                "manage_task",
    "find_documents",            "manage_document",           "find_versions",
    "manage_version",            "get_project_features",
};

// Parameter specs: "string!" required; "string?" = `str | None = None`; "integer=5" a default.
using Spec = std::vector<std::pair<std::string, std::string>>;

const std::map<std::string, Spec> signatures{
    {"rag_get_available_sources", {}},
    {"rag_search_knowledge_base",
     {{"query", "string!"}, {"source_id", "string?"}, {"match_count", "integer=5"},
      {"return_mode", "string=pages"}}},
    {"rag_search_code_examples",
     {{"query", "string!"}, {"source_id", "string?"}, {"match_count", "integer=5"}}},
    {"rag_list_pages_for_source", {{"source_id", "string!"}, {"section", "string?"}}},
    {"rag_read_full_page", {{"page_id", "string?"}, {"url", "string?"}}},
    {"find_projects",
     {{"project_id", "string?"}, {"query", "string?"}, {"page", "integer=1"},
      {"per_page", "integer=10"}}},
    {"manage_project",
     {{"action", "string!"}, {"project_id", "string?"}, {"title", "string?"},
      {"description", "string?"}, {"github_repo", "string?"}}},
    {"find_tasks",
     {{"query", "string?"}, {"task_id", "string?"}, {"filter_by", "string?"},
      {"filter_value", "string?"}, {"project_id", "string?"}, {"include_closed", "boolean=true"},
      {"page", "integer=1"}, {"per_page", "integer=10"}}},
    {"manage_task",
     {{"action", "string!"}, {"task_id", "string?"}, {"project_id", "string?"},
      {"title", "string?"}, {"description", "string?"}, {"status", "string?"},
      {"assignee", "string?"}, {"task_order", "integer?"}, {"feature", "string?"}}},
    {"find_documents",
     {{"project_id", "string!"}, {"document_id", "string?"}, {"query", "string?"},
      {"document_type", "string?"}, {"page", "integer=1"}, {"per_page", "integer=10"}}},
    {"manage_document",
     {{"action", "string!"}, {"project_id", "string!"}, {"document_id", "string?"},
      {"title", "string?"}, {"document_type", "string?"}, {"content", "special"},
      {"tags", "special"}, {"author", "string?"}}},
    {"find_versions",
     {{"project_id", "string!"}, {"field_name", "string?"}, {"version_number", "integer?"},
      {"page", "integer=1"}, {"per_page", "integer=10"}}},
    {"manage_version",
     {{"action", "string!"}, {"project_id", "string!"}, {"field_name", "string!"},
      {"version_number", "integer?"}, {"content", "special"}, {"change_summary", "string?"},
      {"document_id", "string?"}, {"created_by", "string=system"}}},
    {"get_project_features", {{"project_id", "string!"}}},
};

json default_value(const std::string& type, const std::string& text) {
  if (type == "integer") return std::stoll(text);
  if (type == "boolean") return text == "true";
  return text;
}

// Schema properties without the annotation keys (title, description).
json shape(json property) {
  property.erase("title");
  property.erase("description");
  return property;
}

}  // namespace

TEST_CASE("register_archon_tools registers the 14 tools in Archon's order") {
  ToolHarness h;
  REQUIRE(h.registry.size() == archon_order.size());
  for (std::size_t i = 0; i < archon_order.size(); ++i)
    CHECK(h.registry.entries()[i].tool.name == archon_order[i]);
}

TEST_CASE("with the local tools first, the server lists Archon's 16 tools in Archon's order") {
  ToolRegistry registry;
  mcpgate::tools::ServerStatusSource status;
  status.session_counts = [] { return mcpgate::tools::OpenSessions{}; };
  status.started = std::chrono::steady_clock::now();
  mcpgate::tools::register_local_tools(registry, status);
  mcpgate::tools::archon::register_archon_tools(registry, std::make_shared<RecordingBackend>(),
                                                test_options());
  std::vector<std::string> names;
  for (const auto& e : registry.entries()) names.push_back(e.tool.name);
  std::vector<std::string> expected{"health_check", "session_info"};
  expected.insert(expected.end(), archon_order.begin(), archon_order.end());
  CHECK(names == expected);
}

TEST_CASE("register_archon_tools refuses a null backend and a second registration") {
  ToolRegistry registry;
  CHECK_THROWS_AS(mcpgate::tools::archon::register_archon_tools(registry, nullptr),
                  std::invalid_argument);
  mcpgate::tools::archon::register_archon_tools(registry, std::make_shared<RecordingBackend>());
  CHECK_THROWS_AS(mcpgate::tools::archon::register_archon_tools(
                      registry, std::make_shared<RecordingBackend>()),
                  std::invalid_argument);
}

TEST_CASE("every tool: Archon's string output schema, a description, an object input schema") {
  ToolHarness h;
  for (const auto& entry : h.registry.entries()) {
    const auto& tool = entry.tool;
    CAPTURE(tool.name);
    REQUIRE(tool.output_schema.has_value());
    CHECK(*tool.output_schema == mcpgate::tools::string_result_schema(tool.name));
    CHECK(tool.description.size() > 80);
    CHECK_FALSE(tool.title.empty());
    CHECK(tool.input_schema["type"] == "object");
    CHECK(tool.input_schema["title"] == tool.name + "Arguments");
    CHECK(entry.listing["inputSchema"] == tool.input_schema);
    CHECK(entry.listing["outputSchema"] == *tool.output_schema);
    const bool read_only = tool.name.rfind("manage_", 0) != 0;
    CHECK(tool.annotations["readOnlyHint"] == read_only);
  }
}

TEST_CASE("input schemas: Archon's parameter names, types, required-ness and defaults") {
  ToolHarness h;
  for (const auto& signature : signatures) {
    // Plain variables, not structured bindings: CAPTURE takes them by reference (clang 14).
    const auto& name = signature.first;
    const auto& spec = signature.second;
    CAPTURE(name);
    const auto* entry = h.registry.find(name);
    REQUIRE(entry != nullptr);
    const json& schema = entry->tool.input_schema;
    const json& properties = schema["properties"];

    std::vector<std::string> expected_names, actual_names;
    json expected_required = json::array();
    for (const auto& [param, kind] : spec) {
      expected_names.push_back(param);
      if (kind.back() == '!') expected_required.push_back(param);
    }
    for (const auto& item : properties.items()) actual_names.push_back(item.key());
    std::sort(expected_names.begin(), expected_names.end());
    CHECK(actual_names == expected_names);
    CHECK(schema.value("required", json::array()) == expected_required);

    for (const auto& parameter : spec) {
      const auto& param = parameter.first;
      const auto& kind = parameter.second;
      CAPTURE(param);
      const json& property = properties[param];
      // Every parameter is explained and titled the way pydantic titles it.
      CHECK(property["description"].get<std::string>().size() > 10);
      CHECK(property["title"].is_string());
      if (kind == "special") continue;
      if (kind.back() == '!') {
        CHECK(shape(property) == json{{"type", kind.substr(0, kind.size() - 1)}});
      } else if (kind.back() == '?') {
        const std::string type = kind.substr(0, kind.size() - 1);
        CHECK(shape(property) ==
              json{{"anyOf", {{{"type", type}}, {{"type", "null"}}}}, {"default", nullptr}});
      } else {
        const auto eq = kind.find('=');
        const std::string type = kind.substr(0, eq);
        CHECK(shape(property) ==
              json{{"type", type}, {"default", default_value(type, kind.substr(eq + 1))}});
      }
    }
  }
}

TEST_CASE("input schemas: titles as pydantic writes them") {
  ToolHarness h;
  const json& properties = h.registry.find("find_tasks")->tool.input_schema["properties"];
  CHECK(properties["filter_value"]["title"] == "Filter Value");
  CHECK(properties["include_closed"]["title"] == "Include Closed");
  CHECK(properties["per_page"]["title"] == "Per Page");
}

TEST_CASE("input schemas: dict / list content and tags parameters") {
  ToolHarness h;
  const json object_type{{"type", "object"}, {"additionalProperties", true}};
  CHECK(shape(h.registry.find("manage_document")->tool.input_schema["properties"]["content"]) ==
        json{{"anyOf", {object_type, {{"type", "null"}}}}, {"default", nullptr}});
  CHECK(shape(h.registry.find("manage_document")->tool.input_schema["properties"]["tags"]) ==
        json{{"anyOf", {{{"type", "array"}, {"items", {{"type", "string"}}}}, {{"type", "null"}}}},
             {"default", nullptr}});
  CHECK(shape(h.registry.find("manage_version")->tool.input_schema["properties"]["content"]) ==
        json{{"anyOf",
              {object_type, {{"type", "array"}, {"items", object_type}}, {{"type", "null"}}}},
             {"default", nullptr}});
}

TEST_CASE("the compiled schemas accept what Archon accepts and refuse the rest") {
  ToolHarness h;
  struct Case {
    const char* tool;
    json arguments;
    bool accepted;
  };
  const std::vector<Case> cases{
      {"rag_get_available_sources", json::object(), true},
      {"rag_search_knowledge_base", json{{"query", "x"}}, true},
      {"rag_search_knowledge_base", json::object(), false},                     // query required
      {"rag_search_knowledge_base", json{{"query", "x"}, {"source_id", nullptr}}, true},
      {"rag_search_knowledge_base", json{{"query", "x"}, {"match_count", "5"}}, false},
      {"rag_search_knowledge_base", json{{"query", 3}}, false},
      {"find_tasks", json{{"include_closed", false}, {"page", 2}}, true},
      {"find_tasks", json{{"include_closed", "no"}}, false},
      {"manage_task", json{{"task_order", nullptr}, {"action", "update"}}, true},
      {"manage_task", json{{"task_order", 1.5}, {"action", "update"}}, false},
      {"manage_task", json{{"title", "t"}}, false},  // action required
      {"manage_document", json{{"action", "create"}, {"project_id", "p"}, {"content", {{"a", 1}}},
                               {"tags", {"x", "y"}}},
       true},
      {"manage_document", json{{"action", "create"}, {"project_id", "p"}, {"tags", {1}}}, false},
      {"manage_document", json{{"action", "create"}, {"project_id", "p"}, {"content", "text"}},
       false},
      {"manage_version", json{{"action", "create"}, {"project_id", "p"}, {"field_name", "docs"},
                              {"content", json::array({{{"id", 1}}})}},
       true},
      {"manage_version", json{{"action", "create"}, {"project_id", "p"}, {"field_name", "docs"},
                              {"content", json::array({1})}},
       false},
      {"manage_version", json{{"action", "restore"}, {"project_id", "p"}}, false},
      {"get_project_features", json::object(), false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.tool);
    CAPTURE(c.arguments.dump());
    CHECK(h.schema_accepts(c.tool, c.arguments) == c.accepted);
  }
}

TEST_CASE("the server instructions fit the 2,048 characters Claude Code keeps") {
  const std::string_view text = mcpgate::tools::archon::instructions();
  INFO("instructions: " << text.size() << " bytes");
  // UTF-8 bytes: never fewer than the characters, so this holds however a client counts.
  CHECK(text.size() < mcpgate::tools::archon::max_instructions_chars);
  CHECK(text.size() > 1000);  // still the whole guide, not an accidental stub
}

TEST_CASE("the knowledge-base searches may run as tasks; every other tool answers in the request") {
  // The searches embed the query and search vectors (seconds); the rest are single-row reads and
  // writes (milliseconds), where a task only adds polling.
  ToolHarness h;
  for (const auto& entry : h.registry.entries()) {
    CAPTURE(entry.tool.name);
    const bool search = entry.tool.name == "rag_search_knowledge_base" ||
                        entry.tool.name == "rag_search_code_examples";
    CHECK(entry.tool.task_support ==
          (search ? mcpgate::tools::TaskSupport::optional : mcpgate::tools::TaskSupport::never));
    CHECK(entry.tool.ask_before_task.empty());
    CHECK_FALSE(entry.listing.contains("execution"));  // the revision has no per-tool flag
  }
}
