// The five rag_* tools against a real EmbeddedBackend with an ingested source: the tools and
// the knowledge routes agree on paths, parameters and the fields the tools read.
#include "../archon/archon_fakes.hpp"
#include "knowledge_fixture.hpp"

using namespace knowledge_test;

namespace {

struct RagTools : Fixture {
  mcpgate::tools::ToolRegistry registry;
  archon_test::FakeContext context;

  RagTools() {
    // The registry shares the backend the fixture owns (a no-op owner: the fixture outlives it).
    std::shared_ptr<mcpgate::backend::Backend> shared(std::shared_ptr<void>{}, &backend());
    mcpgate::tools::archon::register_archon_tools(registry, shared, archon_test::test_options());
    write("docs/intro.md", "# Intro\n\nThe widget service renders dashboards.\n\n## Install\n\n"
                           "Install the widget CLI first:\n\n```bash\nnpm install -g widget-cli\n```\n");
    write("docs/faq.md", "# FAQ\n\nWhy is the sky blue? Rayleigh scattering.\n");
    ingest("widgets", {files() / "docs"}, "https://widgets.example/docs/");
  }

  json call(const std::string& tool, const json& arguments) {
    const auto* entry = registry.find(tool);
    REQUIRE(entry != nullptr);
    REQUIRE_FALSE(entry->validator->validate(arguments).has_value());
    const auto result = entry->tool.handler(arguments, context);
    REQUIRE_FALSE(result.is_error);
    return json::parse(result.content.at(0)["text"].get<std::string>());
  }
};

}  // namespace

TEST_CASE("rag tools end to end on the embedded store") {
  RagTools t;
  json r = t.call("rag_get_available_sources", json::object());
  CHECK(r["success"] == true);
  CHECK(r["count"] == 1);
  CHECK(r["sources"][0]["source_id"] == "widgets");

  r = t.call("rag_search_knowledge_base", {{"query", "widget install"}, {"source_id", "widgets"}});
  CHECK(r["success"] == true);
  CHECK(r["return_mode"] == "pages");  // the tool's default
  REQUIRE(!r["results"].empty());
  CHECK(r["results"][0]["url"] == "https://widgets.example/docs/intro.md#install");
  const std::string page_id = r["results"][0]["page_id"];

  r = t.call("rag_search_knowledge_base", {{"query", "rayleigh"}, {"return_mode", "chunks"}, {"match_count", 1}});
  REQUIRE(r["results"].size() == 1);
  CHECK(r["results"][0]["content"].get<std::string>().find("Rayleigh scattering") != std::string::npos);

  r = t.call("rag_search_code_examples", {{"query", "npm install"}});
  REQUIRE(r["results"].size() == 1);
  CHECK(r["results"][0]["content"] == "npm install -g widget-cli");
  CHECK(r["results"][0]["language"] == "bash");

  r = t.call("rag_list_pages_for_source", {{"source_id", "widgets"}});
  CHECK(r["total"] == 3);
  CHECK(r["source_id"] == "widgets");
  r = t.call("rag_list_pages_for_source", {{"source_id", "widgets"}, {"section", "## Install"}});
  REQUIRE(r["pages"].size() == 1);
  CHECK(r["pages"][0]["id"] == page_id);

  r = t.call("rag_read_full_page", {{"page_id", page_id}});
  CHECK(r["success"] == true);
  CHECK(r["page"]["full_content"].get<std::string>().starts_with("## Install"));
  r = t.call("rag_read_full_page", {{"url", "https://widgets.example/docs/faq.md"}});
  CHECK(r["page"]["section_title"] == "# FAQ");

  // Errors keep Archon's flat shapes.
  r = t.call("rag_read_full_page", {{"page_id", "missing"}});
  CHECK(r["success"] == false);
  CHECK(r["error"].get<std::string>().starts_with("HTTP 404"));
  r = t.call("rag_search_knowledge_base", {{"query", "   "}});
  CHECK(r["success"] == false);
  CHECK(r["error"].get<std::string>().find("Query cannot be empty") != std::string::npos);
  CHECK(r["results"] == json::array());
}
