// rag_get_available_sources, rag_search_knowledge_base, rag_search_code_examples,
// rag_list_pages_for_source, rag_read_full_page. Their errors stay flat, as in Archon:
// {"success": false, ...tool-specific empty fields, "error": "<text>"}.
#include "tool_support.hpp"

namespace mcpgate::tools::archon::detail {

namespace {

// Whether the backend reranked the results. /api/rag/query reports it as `reranking_applied`,
// /api/rag/code-examples as `reranked`; either is accepted.
json reranked_flag(const json& body) {
  if (auto it = body.find("reranking_applied"); it != body.end()) return *it;
  return get_or(body, "reranked", false);
}

std::string http_failure(const backend::Response& response) {
  return "HTTP " + std::to_string(response.status) + ": " + response.body;
}

// {"success": true, "results": [...]} errors keep "results": [] in Archon.
const json no_results = json{{"results", json::array()}};

}  // namespace

void register_rag_tools(ToolRegistry& registry, const std::shared_ptr<backend::Backend>& backend,
                        const ArchonToolOptions& options) {
  // -------------------------------------------------------------------------------------------
  registry.add(make_tool(
      "rag_get_available_sources", "List knowledge sources",
      "List every source in the Archon knowledge base (crawled websites and uploaded documents) "
      "with its source_id, title, summary and word count. Call this first when you want to "
      "restrict a search to one source: pass the source_id you pick to rag_search_knowledge_base, "
      "rag_search_code_examples or rag_list_pages_for_source.",
      object_schema("rag_get_available_sources", {}), true,
      [api = ApiClient(backend, options.rag, "rag_get_available_sources")](const json&,
                                                                         ToolContext&) {
        const json extra = json::object();
        return run_flat(api, extra, [&] {
          const auto response = api.get("/api/rag/sources");
          if (!response.ok()) return flat_error(extra, http_failure(response));
          const json& body = flat_object_body(response, extra);
          json sources = get_or(body, "sources", json::array());
          const std::size_t count = sources.is_array() ? sources.size() : 0;
          return json{{"success", true}, {"sources", std::move(sources)}, {"count", count}};
        });
      }));

  // -------------------------------------------------------------------------------------------
  registry.add(may_run_as_task(make_tool(
      "rag_search_knowledge_base", "Search the knowledge base",
      "Semantic search over the documentation in the Archon knowledge base. Use it to research "
      "a topic before writing code. Short queries of 2-5 keywords work best (\"JWT refresh\", "
      "\"pgvector index\"), not whole sentences. By default it returns whole pages (page_id, url, "
      "section title, matching chunks); read a page in full with rag_read_full_page.",
      object_schema(
          "rag_search_knowledge_base",
          {required_string("query", "What to look for: a few focused keywords."),
           optional_string("source_id",
                           "Search only this source: a source_id as returned by "
                           "rag_get_available_sources (not a URL or domain name). Omit to search "
                           "every source."),
           integer_with_default("match_count", 5, "How many results to return at most."),
           string_with_default("return_mode", "pages",
                               "\"pages\" for whole pages with their metadata (recommended), or "
                               "\"chunks\" for the raw matching text chunks.")}),
      true,
      [api = ApiClient(backend, options.rag, "rag_search_knowledge_base")](const json& arguments,
                                                                         ToolContext&) {
        return run_flat(api, no_results, [&] {
          const Args args(arguments);
          const std::string return_mode = args.str("return_mode").value_or("pages");
          json request{{"query", args.required_str("query")},
                       {"match_count", args.integer_or("match_count", 5)},
                       {"return_mode", return_mode}};
          if (const auto source = args.str("source_id"); given(source)) request["source"] = *source;

          const auto response = api.post("/api/rag/query", request);
          if (!response.ok()) return flat_error(no_results, http_failure(response));
          const json& body = flat_object_body(response, no_results);
          return json{{"success", true},
                      {"results", get_or(body, "results", json::array())},
                      {"return_mode", get_or(body, "return_mode", return_mode)},
                      {"reranked", reranked_flag(body)},
                      {"error", nullptr}};
        });
      })));

  // -------------------------------------------------------------------------------------------
  registry.add(may_run_as_task(make_tool(
      "rag_search_code_examples", "Search code examples",
      "Search the code examples extracted from the Archon knowledge base (code blocks with "
      "their summaries). Use it when you need working code for an API or pattern. Keep the "
      "query to 2-5 keywords, e.g. \"React useState\" or \"FastAPI middleware\".",
      object_schema(
          "rag_search_code_examples",
          {required_string("query", "What to look for: a few focused keywords."),
           optional_string("source_id",
                           "Search only this source: a source_id as returned by "
                           "rag_get_available_sources. Omit to search every source."),
           integer_with_default("match_count", 5, "How many examples to return at most.")}),
      true,
      [api = ApiClient(backend, options.rag, "rag_search_code_examples")](const json& arguments,
                                                                        ToolContext&) {
        return run_flat(api, no_results, [&] {
          const Args args(arguments);
          json request{{"query", args.required_str("query")},
                       {"match_count", args.integer_or("match_count", 5)}};
          if (const auto source = args.str("source_id"); given(source)) request["source"] = *source;

          const auto response = api.post("/api/rag/code-examples", request);
          if (!response.ok()) return flat_error(no_results, http_failure(response));
          const json& body = flat_object_body(response, no_results);
          return json{{"success", true},
                      {"results", get_or(body, "results", json::array())},
                      {"reranked", reranked_flag(body)},
                      {"error", nullptr}};
        });
      })));

  // -------------------------------------------------------------------------------------------
  registry.add(make_tool(
      "rag_list_pages_for_source", "List pages of a source",
      "List the pages stored for one knowledge source (id, url, section title, word count), to "
      "browse a documentation set or find a page to read with rag_read_full_page. Get the "
      "source_id from rag_get_available_sources.",
      object_schema(
          "rag_list_pages_for_source",
          {required_string("source_id", "The source whose pages to list, from "
                                        "rag_get_available_sources."),
           optional_string("section",
                           "Only pages of this section, given as its exact section title (for "
                           "llms-full.txt sources, e.g. \"# Core Concepts\").")}),
      true,
      [api = ApiClient(backend, options.rag, "rag_list_pages_for_source")](const json& arguments,
                                                                         ToolContext&) {
        const Args args(arguments);
        json extra{{"pages", json::array()}, {"total", 0}, {"source_id", nullptr}};
        try {
          extra["source_id"] = or_null(args.str("source_id"));
        } catch (const ArgumentError&) {
          // reported by the body below
        }
        return run_flat(api, extra, [&] {
          const std::string source_id = args.required_str("source_id");
          backend::Query query{{"source_id", source_id}};
          if (const auto section = args.str("section"); given(section))
            query.emplace_back("section", *section);

          const auto response = api.get("/api/pages", query);
          if (!response.ok()) return flat_error(extra, http_failure(response));
          const json& body = flat_object_body(response, extra);
          return json{{"success", true},
                      {"pages", get_or(body, "pages", json::array())},
                      {"total", get_or(body, "total", 0)},
                      {"source_id", get_or(body, "source_id", source_id)},
                      {"error", nullptr}};
        });
      }));

  // -------------------------------------------------------------------------------------------
  registry.add(make_tool(
      "rag_read_full_page", "Read a full page",
      "Fetch the complete content of one knowledge-base page, for when a search result looks "
      "relevant and you need the whole text. Identify the page by page_id (from search results "
      "or rag_list_pages_for_source) or by its url; give one of them (page_id wins if both are "
      "given). Very large pages come back with a notice instead of their content.",
      object_schema("rag_read_full_page",
                    {optional_string("page_id", "The page's id (a UUID) from search results."),
                     optional_string("url", "The page's URL, when you do not have its id.")}),
      true,
      [api = ApiClient(backend, options.rag, "rag_read_full_page")](const json& arguments,
                                                                  ToolContext&) {
        const json extra{{"page", nullptr}};
        return run_flat(api, extra, [&] {
          const Args args(arguments);
          const auto page_id = args.str("page_id");
          const auto url = args.str("url");
          if (!given(page_id) && !given(url))
            return json{{"success", false}, {"error", "Must provide either page_id or url"}};

          auto response = given(page_id) ? api.get("/api/pages/" + path_segment(*page_id, "page_id"))
                                         : api.get("/api/pages/by-url", {{"url", *url}});
          if (!response.ok()) return flat_error(extra, http_failure(response));
          if (!response.body_json)
            return flat_error(extra, "Invalid response from the Archon API (HTTP " +
                                         std::to_string(response.status) +
                                         "): " + body_not_json(response));
          return json{{"success", true},
                      {"page", std::move(*response.body_json)},
                      {"error", nullptr}};
        });
      }));
}

}  // namespace mcpgate::tools::archon::detail
