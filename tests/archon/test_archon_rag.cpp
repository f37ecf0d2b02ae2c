// The five rag_* tools: exact REST calls, success payloads, and their flat error shapes.
#include "archon_fakes.hpp"

using namespace archon_test;

namespace {

// What a rag_* tool says for a failure: the flat shape with the tool's empty fields.
struct RagTool {
  const char* name;
  json arguments;
  json expected_call;
  json extra;  // the fields Archon adds next to "error"
};

std::vector<RagTool> rag_tools() {
  return {
      {"rag_get_available_sources", json::object(), call("GET", "/api/rag/sources"),
       json::object()},
      {"rag_search_knowledge_base", json{{"query", "auth"}},
       call("POST", "/api/rag/query", {},
            json{{"query", "auth"}, {"match_count", 5}, {"return_mode", "pages"}}),
       json{{"results", json::array()}}},
      {"rag_search_code_examples", json{{"query", "auth"}},
       call("POST", "/api/rag/code-examples", {}, json{{"query", "auth"}, {"match_count", 5}}),
       json{{"results", json::array()}}},
      {"rag_list_pages_for_source", json{{"source_id", "src_1"}},
       call("GET", "/api/pages", {{"source_id", "src_1"}}),
       json{{"pages", json::array()}, {"total", 0}, {"source_id", "src_1"}}},
      {"rag_read_full_page", json{{"page_id", "p-1"}}, call("GET", "/api/pages/p-1"),
       json{{"page", nullptr}}},
  };
}

json flat(json extra, const std::string& error) {
  extra["success"] = false;
  extra["error"] = error;
  return extra;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// rag_get_available_sources

TEST_CASE("rag_get_available_sources: GET /api/rag/sources, sources and their count") {
  ToolHarness h;
  const json sources = json::array({{{"source_id", "src_1"}, {"title", "Docs"}},
                                    {{"source_id", "src_2"}, {"title", "Blog"}}});
  h.backend->answer_json(200, {{"success", true}, {"sources", sources}, {"count", 2}});
  CHECK(h.call("rag_get_available_sources") ==
        json{{"success", true}, {"sources", sources}, {"count", 2}});
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/rag/sources")}));
}

TEST_CASE("rag_get_available_sources: no sources key gives an empty list") {
  ToolHarness h;
  h.backend->answer_json(200, json::object());
  CHECK(h.call("rag_get_available_sources") ==
        json{{"success", true}, {"sources", json::array()}, {"count", 0}});
}

// ---------------------------------------------------------------------------------------------
// rag_search_knowledge_base

TEST_CASE("rag_search_knowledge_base: defaults, POST /api/rag/query, reranked from reranking_applied") {
  ToolHarness h;
  const json results = json::array({{{"page_id", "p1"}, {"url", "https://x/a"}}});
  h.backend->answer_json(200, {{"results", results},
                               {"query", "auth"},
                               {"return_mode", "pages"},
                               {"reranking_applied", true},
                               {"success", true}});
  CHECK(h.call("rag_search_knowledge_base", {{"query", "auth"}}) ==
        json{{"success", true},
             {"results", results},
             {"return_mode", "pages"},
             {"reranked", true},
             {"error", nullptr}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/rag/query", {},
                          {{"query", "auth"}, {"match_count", 5}, {"return_mode", "pages"}})}));
}

TEST_CASE("rag_search_knowledge_base: source_id becomes `source`; the backend's mode wins") {
  ToolHarness h;
  h.backend->answer_json(200, {{"results", json::array()}, {"return_mode", "chunks"}});
  CHECK(h.call("rag_search_knowledge_base",
               {{"query", "hooks"}, {"source_id", "src_9"}, {"match_count", 3},
                {"return_mode", "pages"}}) ==
        json{{"success", true},
             {"results", json::array()},
             {"return_mode", "chunks"},  // backend fell back to chunks
             {"reranked", false},
             {"error", nullptr}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/rag/query", {},
                          {{"query", "hooks"},
                           {"match_count", 3},
                           {"return_mode", "pages"},
                           {"source", "src_9"}})}));
}

TEST_CASE("rag_search_knowledge_base: empty source_id is not sent; mode defaults to the request") {
  ToolHarness h;
  h.backend->answer_json(200, {{"results", json::array()}, {"reranked", true}});
  CHECK(h.call("rag_search_knowledge_base",
               {{"query", "q"}, {"source_id", ""}, {"return_mode", "chunks"}}) ==
        json{{"success", true},
             {"results", json::array()},
             {"return_mode", "chunks"},
             {"reranked", true},  // older backends send `reranked`
             {"error", nullptr}});
  CHECK(h.backend->calls()[0].body ==
        json{{"query", "q"}, {"match_count", 5}, {"return_mode", "chunks"}});
}

// ---------------------------------------------------------------------------------------------
// rag_search_code_examples

TEST_CASE("rag_search_code_examples: POST /api/rag/code-examples with source") {
  ToolHarness h;
  const json results = json::array({{{"content", "useState()"}, {"summary", "hook"}}});
  h.backend->answer_json(200, {{"success", true}, {"results", results}, {"reranked", true},
                               {"error", nullptr}});
  CHECK(h.call("rag_search_code_examples",
               {{"query", "React useState"}, {"source_id", "src_1"}, {"match_count", 2}}) ==
        json{{"success", true}, {"results", results}, {"reranked", true}, {"error", nullptr}});
  CHECK(h.backend->call_log() ==
        json::array({call("POST", "/api/rag/code-examples", {},
                          {{"query", "React useState"}, {"match_count", 2}, {"source", "src_1"}})}));
}

// ---------------------------------------------------------------------------------------------
// rag_list_pages_for_source

TEST_CASE("rag_list_pages_for_source: GET /api/pages with source_id and section") {
  ToolHarness h;
  const json pages = json::array({{{"id", "pg1"}, {"url", "u"}, {"section_title", "# Core"}}});
  h.backend->answer_json(200, {{"pages", pages}, {"total", 1}, {"source_id", "src_1"}});
  CHECK(h.call("rag_list_pages_for_source", {{"source_id", "src_1"}, {"section", "# Core"}}) ==
        json{{"success", true},
             {"pages", pages},
             {"total", 1},
             {"source_id", "src_1"},
             {"error", nullptr}});
  CHECK(h.backend->call_log() ==
        json::array({call("GET", "/api/pages", {{"source_id", "src_1"}, {"section", "# Core"}})}));
}

TEST_CASE("rag_list_pages_for_source: missing fields default to [], 0 and the argument") {
  ToolHarness h;
  h.backend->answer_json(200, json::object());
  CHECK(h.call("rag_list_pages_for_source", {{"source_id", "src_1"}, {"section", nullptr}}) ==
        json{{"success", true},
             {"pages", json::array()},
             {"total", 0},
             {"source_id", "src_1"},
             {"error", nullptr}});
  CHECK(h.backend->call_log() == json::array({call("GET", "/api/pages", {{"source_id", "src_1"}})}));
}

// ---------------------------------------------------------------------------------------------
// rag_read_full_page

TEST_CASE("rag_read_full_page: by page_id, by url, page_id wins, neither is an error") {
  const json page{{"id", "p-1"}, {"url", "https://x/a"}, {"full_content", "text"}};
  SUBCASE("page_id") {
    ToolHarness h;
    h.backend->answer_json(200, page);
    CHECK(h.call("rag_read_full_page", {{"page_id", "p-1"}}) ==
          json{{"success", true}, {"page", page}, {"error", nullptr}});
    CHECK(h.backend->call_log() == json::array({call("GET", "/api/pages/p-1")}));
  }
  SUBCASE("url") {
    ToolHarness h;
    h.backend->answer_json(200, page);
    CHECK(h.call("rag_read_full_page", {{"url", "https://x/a?b=1"}}) ==
          json{{"success", true}, {"page", page}, {"error", nullptr}});
    CHECK(h.backend->call_log() ==
          json::array({call("GET", "/api/pages/by-url", {{"url", "https://x/a?b=1"}})}));
  }
  SUBCASE("both: page_id wins") {
    ToolHarness h;
    h.backend->answer_json(200, page);
    (void)h.call("rag_read_full_page", {{"page_id", "p-1"}, {"url", "https://x/a"}});
    CHECK(h.backend->call_log() == json::array({call("GET", "/api/pages/p-1")}));
  }
  SUBCASE("neither: no HTTP call") {
    ToolHarness h;
    CHECK(h.call("rag_read_full_page", {{"page_id", ""}, {"url", nullptr}}) ==
          json{{"success", false}, {"error", "Must provide either page_id or url"}});
    CHECK(h.backend->calls().empty());
  }
  SUBCASE("an id cannot change the route") {
    ToolHarness h;
    h.backend->answer_json(200, page);
    (void)h.call("rag_read_full_page", {{"page_id", "../rag/sources"}});
    CHECK(h.backend->calls()[0].path == "/api/pages/..%2Frag%2Fsources");
  }
}

// ---------------------------------------------------------------------------------------------
// Timeouts and errors, for all five

TEST_CASE("rag_* tools carry the rag timeouts") {
  for (const auto& tool : rag_tools()) {
    CAPTURE(tool.name);
    ToolHarness h;
    h.backend->answer_json(200, json::object());
    (void)h.call(tool.name, tool.arguments);
    REQUIRE(h.backend->calls().size() == 1);
    const auto t = h.backend->calls()[0].timeouts;
    REQUIRE(t.has_value());
    CHECK(t->connect == 4s);
    CHECK(t->read == 5s);
    CHECK(t->total == 6s);
  }
}

TEST_CASE("rag_* errors keep Archon's flat shape") {
  struct Scenario {
    const char* name;
    std::function<void(RecordingBackend&)> arrange;
    std::string error;
  };
  const std::vector<Scenario> scenarios{
      {"HTTP error with detail.error",
       [](RecordingBackend& b) { b.answer_json(500, {{"detail", {{"error", "db down"}}}}); },
       R"(HTTP 500: {"detail":{"error":"db down"}})"},
      {"HTTP error with string detail",
       [](RecordingBackend& b) { b.answer_json(422, {{"detail", "Query is required"}}); },
       R"(HTTP 422: {"detail":"Query is required"})"},
      {"HTTP error with a text body",
       [](RecordingBackend& b) { b.answer_text(502, "Bad Gateway"); }, "HTTP 502: Bad Gateway"},
      {"connection refused",
       [](RecordingBackend& b) { b.fail(Kind::connection_error, "Connection refused"); },
       "Connection refused"},
      {"connect timeout without text", [](RecordingBackend& b) { b.fail(Kind::connect_timeout); },
       "could not connect to the Archon API within 4 s"},
      {"read timeout without text", [](RecordingBackend& b) { b.fail(Kind::read_timeout); },
       "the Archon API did not answer within 5 s (read timeout)"},
      {"request error", [](RecordingBackend& b) { b.fail(Kind::request_error, "bad URL"); },
       "bad URL"},
      {"200 with a body that is not JSON",
       [](RecordingBackend& b) { b.answer_text(200, "<html>"); },
       "Invalid response from the Archon API (HTTP 200): the body is not JSON"},
  };
  for (const auto& tool : rag_tools()) {
    for (const auto& s : scenarios) {
      CAPTURE(tool.name);
      CAPTURE(s.name);
      ToolHarness h;
      s.arrange(*h.backend);
      CHECK(h.call(tool.name, tool.arguments) == flat(tool.extra, s.error));
      CHECK(h.backend->call_log() == json::array({tool.expected_call}));
    }
  }
}

TEST_CASE("rag_* tools that expect an object report other JSON as a flat error") {
  ToolHarness h;
  h.backend->answer_json(200, json::array());
  CHECK(h.call("rag_search_code_examples", {{"query", "x"}}) ==
        json{{"success", false},
             {"results", json::array()},
             {"error",
              "Invalid response from the Archon API (HTTP 200): expected a JSON object, got "
              "array"}});
}

TEST_CASE("rag_* handlers called without the schema check report a missing argument flatly") {
  ToolHarness h;
  const auto* entry = h.registry.find("rag_search_knowledge_base");
  const auto result = entry->tool.handler(json::object(), h.context);
  CHECK(json::parse(result.content[0]["text"].get<std::string>()) ==
        json{{"success", false}, {"results", json::array()}, {"error", "query is required"}});
  CHECK(h.backend->calls().empty());
}

TEST_CASE("rag_* tools report an answer too large to keep or to parse flatly, naming the limit") {
  for (const bool cut_off : {true, false}) {
    ToolHarness h;
    auto big = text_response(200, "[{},{},{}");
    (cut_off ? big.body_too_large : big.body_too_costly) = true;
    h.backend->answer(big);
    const json payload = h.call("rag_read_full_page", json{{"page_id", "p-1"}});
    CHECK(payload == json{{"success", false},
                          {"page", nullptr},
                          {"error", std::string("Invalid response from the Archon API (HTTP 200): the body is ") +
                                        (cut_off ? "over the size limit for backend answers (--max-backend-body)"
                                                 : "JSON too large to parse within the memory limit for "
                                                   "backend answers (--max-backend-body)")}});
  }
}
