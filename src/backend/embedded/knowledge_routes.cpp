// Knowledge-base routes (Archon's rag/* and pages APIs) over knowledge::KnowledgeStore:
//   GET  /api/rag/sources          {success, sources, count}
//   POST /api/rag/query            {results, query, source, match_count, total_found,
//                                   execution_path, search_mode, reranking_applied, return_mode,
//                                   success}; return_mode "chunks" (default) or "pages"
//   POST /api/rag/code-examples    {success, results, reranked, error}
//   GET  /api/pages?source_id&section   {pages, total, source_id}
//   GET  /api/pages/{id}, GET /api/pages/by-url?url=   the page
// Validation errors follow FastAPI: a missing field is 422 with a list detail; an empty query
// is 422 {"detail": "Query is required" | "Query cannot be empty"}; an unknown page 404.
#include "mcpgate/knowledge/store.hpp"
#include "mcpgate/store/database.hpp"
#include "router.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <variant>

namespace mcpgate::backend::embedded {

namespace {

using knowledge::KnowledgeStore;

constexpr std::size_t max_match_count = 200;
constexpr std::int64_t page_size_limit = 20000;  // characters; larger pages get a notice
constexpr std::size_t chunk_preview_chars = 1000;

// FastAPI's 422 for one invalid or missing field.
Response validation_error(std::string location, std::string field, std::string type,
                          std::string message, const json& input) {
  return reply(422, json{{"detail", json::array({json{{"type", std::move(type)},
                                                      {"loc", json::array({location, field})},
                                                      {"msg", std::move(message)},
                                                      {"input", input}}})}});
}

// Archon's truncate_text: at most 1000 characters, the last three "...".
std::string preview(const std::string& text) {
  std::size_t chars = 0, cut = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == chunk_preview_chars - 3) cut = i;
    if (++chars > chunk_preview_chars) return text.substr(0, cut) + "...";
  }
  return text;
}

// The similarity rounded to 4 decimals: the rest is noise and makes payloads longer.
double rounded(double value) { return std::round(value * 10000.0) / 10000.0; }

// The parsed body of /api/rag/query and /api/rag/code-examples, or the 422 to answer.
struct SearchRequest {
  std::string query;
  std::optional<std::string> source;
  std::size_t match_count = 5;
  std::string return_mode = "chunks";
};

std::variant<SearchRequest, Response> parse_search(const json& body) {
  if (!body.is_object())
    return validation_error("body", "query", "missing", "Field required", body);
  SearchRequest request;
  const auto query = body.find("query");
  if (query == body.end())
    return validation_error("body", "query", "missing", "Field required", body);
  if (!query->is_string())
    return validation_error("body", "query", "string_type", "Input should be a valid string", *query);
  request.query = query->get<std::string>();
  if (request.query.empty()) return detail_error(422, "Query is required");
  if (std::all_of(request.query.begin(), request.query.end(),
                  [](unsigned char c) { return std::isspace(c); }))
    return detail_error(422, "Query cannot be empty");

  if (const auto source = body.find("source"); source != body.end() && !source->is_null()) {
    if (!source->is_string())
      return validation_error("body", "source", "string_type", "Input should be a valid string", *source);
    if (!source->get_ref<const std::string&>().empty()) request.source = source->get<std::string>();
  }
  if (const auto count = body.find("match_count"); count != body.end() && !count->is_null()) {
    if (!count->is_number_integer())
      return validation_error("body", "match_count", "int_type", "Input should be a valid integer", *count);
    const auto n = count->get<std::int64_t>();
    request.match_count = static_cast<std::size_t>(std::clamp<std::int64_t>(n, 0, max_match_count));
  }
  if (const auto mode = body.find("return_mode"); mode != body.end() && !mode->is_null()) {
    if (!mode->is_string() || (*mode != "chunks" && *mode != "pages"))
      return validation_error("body", "return_mode", "literal_error",
                              "Input should be 'chunks' or 'pages'", *mode);
    request.return_mode = mode->get<std::string>();
  }
  return request;
}

json source_json(const knowledge::SourceRecord& s) {
  return json{{"source_id", s.source_id},
              {"title", s.title},
              {"summary", s.summary},
              {"metadata",
               {{"knowledge_type", "technical"},
                {"source_type", "files"},
                {"url_base", s.url_base},
                {"file_count", s.file_count},
                {"page_count", s.page_count},
                {"chunk_count", s.chunk_count},
                {"code_example_count", s.code_example_count}}},
              {"total_words", s.total_words},
              {"update_frequency", nullptr},  // updated by re-running `mcpgate ingest`, not on a schedule
              {"created_at", s.created_at},
              {"updated_at", s.updated_at}};
}

json chunk_json(const knowledge::ChunkHit& hit) {
  return json{{"id", hit.id},
              {"page_id", hit.page_id},
              {"source_id", hit.source_id},
              {"url", hit.url},
              {"chunk_number", hit.chunk_number},
              {"content", preview(hit.content)},
              {"metadata",
               {{"source_id", hit.source_id},
                {"page_id", hit.page_id},
                {"url", hit.url},
                {"section_title", hit.section_title},
                {"chunk_number", hit.chunk_number}}},
              {"similarity_score", rounded(hit.similarity)}};
}

json page_hit_json(const knowledge::PageHit& hit) {
  return json{{"page_id", hit.page_id},
              {"url", hit.url},
              {"section_title", hit.section_title},
              {"word_count", hit.word_count},
              {"chunk_matches", hit.chunk_matches},
              {"aggregate_similarity", rounded(hit.aggregate_similarity)},
              {"average_similarity", rounded(hit.average_similarity)},
              {"source_id", hit.source_id}};
}

json code_example_json(const knowledge::CodeExampleHit& hit) {
  return json{{"id", hit.id},
              {"page_id", hit.page_id},
              {"source_id", hit.source_id},
              {"url", hit.url},
              {"language", hit.language},
              {"summary", hit.summary},
              {"content", hit.content},
              {"metadata",
               {{"language", hit.language},
                {"section_title", hit.section_title},
                {"example_number", hit.example_number},
                {"page_id", hit.page_id}}},
              {"similarity_score", rounded(hit.similarity)}};
}

json page_summary_json(const knowledge::PageSummary& p) {
  return json{{"id", p.id},
              {"url", p.url},
              {"section_title", p.section_title},
              {"section_order", p.section_order},
              {"word_count", p.word_count},
              {"char_count", p.char_count},
              {"chunk_count", p.chunk_count}};
}

json page_json(const knowledge::PageRecord& page) {
  const auto& s = page.summary;
  std::string content = page.full_content;
  if (s.char_count > page_size_limit) {
    content = "[Page too large for context - " + std::to_string(s.char_count) +
              " characters]\n\nThis page is too long to return whole. Search for what you need "
              "with rag_search_knowledge_base (return_mode \"chunks\" gives the matching passages).";
  }
  json metadata = json::parse(page.metadata, nullptr, false);
  if (metadata.is_discarded()) metadata = json::object();
  return json{{"id", s.id},
              {"source_id", page.source_id},
              {"url", s.url},
              {"full_content", std::move(content)},
              {"section_title", s.section_title},
              {"section_order", s.section_order},
              {"word_count", s.word_count},
              {"char_count", s.char_count},
              {"chunk_count", s.chunk_count},
              {"metadata", std::move(metadata)},
              {"created_at", page.created_at},
              {"updated_at", page.updated_at}};
}

// The pages API reports unexpected failures as {"detail": "<text>"}, not {"detail": {error}}.
template <class F>
Response with_string_errors(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return detail_error(500, e.what());
  }
}

}  // namespace

void add_knowledge_routes(Router& router, store::Database& database) {
  auto store = std::make_shared<KnowledgeStore>(database);

  router.add("GET", "/api/rag/sources", [store](const RouteRequest&) {
    json sources = json::array();
    for (const auto& source : store->sources()) sources.push_back(source_json(source));
    const std::size_t count = sources.size();
    return reply(200, json{{"success", true}, {"sources", std::move(sources)}, {"count", count}});
  });

  router.add("POST", "/api/rag/query", [store](const RouteRequest& request) {
    auto parsed = parse_search(request.body);
    if (auto* error = std::get_if<Response>(&parsed)) return std::move(*error);
    const auto& search = std::get<SearchRequest>(parsed);
    json results = json::array();
    if (search.return_mode == "pages") {
      for (const auto& hit : store->search_pages(search.query, search.source, search.match_count))
        results.push_back(page_hit_json(hit));
    } else {
      for (const auto& hit : store->search_chunks(search.query, search.source, search.match_count))
        results.push_back(chunk_json(hit));
    }
    const std::size_t found = results.size();
    return reply(200, json{{"results", std::move(results)},
                           {"query", search.query},
                           {"source", search.source ? json(*search.source) : json(nullptr)},
                           {"match_count", search.match_count},
                           {"total_found", found},
                           {"execution_path", "fts5_bm25"},
                           {"search_mode", "keyword"},
                           {"reranking_applied", false},
                           {"return_mode", search.return_mode},
                           {"success", true}});
  });

  router.add("POST", "/api/rag/code-examples", [store](const RouteRequest& request) {
    auto parsed = parse_search(request.body);
    if (auto* error = std::get_if<Response>(&parsed)) return std::move(*error);
    const auto& search = std::get<SearchRequest>(parsed);
    json results = json::array();
    for (const auto& hit : store->search_code_examples(search.query, search.source, search.match_count))
      results.push_back(code_example_json(hit));
    return reply(200, json{{"success", true},
                           {"results", std::move(results)},
                           {"reranked", false},
                           {"error", nullptr}});
  });

  router.add("GET", "/api/pages", [store](const RouteRequest& request) {
    return with_string_errors([&] {
      const auto source_id = request.query_value("source_id");
      if (!source_id) return validation_error("query", "source_id", "missing", "Field required", nullptr);
      auto section = request.query_value("section");
      if (section && section->empty()) section.reset();
      json pages = json::array();
      for (const auto& page : store->list_pages(*source_id, section)) pages.push_back(page_summary_json(page));
      const std::size_t total = pages.size();
      return reply(200, json{{"pages", std::move(pages)}, {"total", total}, {"source_id", *source_id}});
    });
  });

  router.add("GET", "/api/pages/by-url", [store](const RouteRequest& request) {
    return with_string_errors([&] {
      const auto url = request.query_value("url");
      if (!url) return validation_error("query", "url", "missing", "Field required", nullptr);
      const auto page = store->page_by_url(*url);
      if (!page) return detail_error(404, "Page not found for URL: " + *url);
      return reply(200, page_json(*page));
    });
  });

  router.add("GET", "/api/pages/{id}", [store](const RouteRequest& request) {
    return with_string_errors([&] {
      const std::string& id = request.params.at(0);
      const auto page = store->page_by_id(id);
      if (!page) return detail_error(404, "Page not found: " + id);
      return reply(200, page_json(*page));
    });
  });
}

}  // namespace mcpgate::backend::embedded
