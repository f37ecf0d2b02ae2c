// The knowledge routes of EmbeddedBackend (rag/sources, rag/query in both modes,
// rag/code-examples, pages), over a small ingested tree: shapes, ranking, filters, errors.
#include "knowledge_fixture.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace knowledge_test;

namespace {

std::string filler(int words, const std::string& stem = "filler") {
  std::string text;
  for (int i = 0; i < words; ++i) text += stem + std::to_string(i % 17) + " ";
  return text;
}

// Source "guides": three Markdown files and a Python file; source "notes": one text file.
struct Corpus : Fixture {
  Corpus() {
    write("guides/auth.md",
          "# Authentication\n\nTokens are refreshed by the gateway. " + filler(40) +
              "\n\n## Refresh tokens\n\nA refresh token outlives the access token. The zeppelin "
              "cache keeps refresh tokens. " + filler(30) +
              "\n\nCall the refresh endpoint like this:\n\n```python\nclient.refresh(token)\n```\n");
    write("guides/setup.md", "# Setup\n\nInstall the zeppelin package first. " + filler(60) + "\n");
    std::string big = "# Reference\n\n";
    for (int i = 0; i < 400; ++i) big += "Paragraph " + std::to_string(i) + " " + filler(8) + "\n\n";
    write("guides/reference.md", big);
    write("guides/tool.py", "\"\"\"Command line for the zeppelin service.\"\"\"\nimport sys\n\ndef main():\n    print(sys.argv)\n");
    write("notes/todo.txt", "Remember: the zeppelin launch is on Friday.\n");
    ingest("guides", {files() / "guides"}, "https://docs.example.com/guides/");
    ingest("notes", {files() / "notes"});
  }
};

}  // namespace

TEST_CASE("GET /api/rag/sources lists each source with Archon's fields") {
  Corpus c;
  const Response r = c.get("/api/rag/sources");
  REQUIRE(r.status == 200);
  const json& body = *r.body_json;
  CHECK(body["success"] == true);
  CHECK(body["count"] == 2);
  const json& guides = body["sources"][0];
  CHECK(guides["source_id"] == "guides");
  CHECK(guides["title"] == "guides");
  for (const char* key : {"summary", "metadata", "total_words", "update_frequency", "created_at", "updated_at"})
    CHECK_MESSAGE(guides.contains(key), key);
  CHECK(guides["metadata"]["file_count"] == 4);
  CHECK(guides["metadata"]["url_base"] == "https://docs.example.com/guides/");
  CHECK(guides["total_words"].get<int>() > 100);
  CHECK(body["sources"][1]["source_id"] == "notes");
}

TEST_CASE("POST /api/rag/query, chunks mode: the contract's fields, best match first") {
  Corpus c;
  const Response r = c.post("/api/rag/query", json{{"query", "refresh token"}, {"match_count", 3}});
  REQUIRE(r.status == 200);
  const json& body = *r.body_json;
  for (const char* key : {"results", "query", "source", "match_count", "total_found", "execution_path",
                          "search_mode", "reranking_applied", "return_mode", "success"})
    CHECK_MESSAGE(body.contains(key), key);
  CHECK(body["return_mode"] == "chunks");  // the backend default
  CHECK(body["success"] == true);
  CHECK(body["source"].is_null());
  CHECK(body["query"] == "refresh token");
  const json& results = body["results"];
  REQUIRE(!results.empty());
  CHECK(results.size() <= 3);
  CHECK(body["total_found"] == results.size());
  const json& top = results[0];
  CHECK(top["url"] == "https://docs.example.com/guides/auth.md#refresh-tokens");
  CHECK(top["content"].get<std::string>().find("refresh token outlives") != std::string::npos);
  CHECK(top["metadata"]["section_title"] == "## Refresh tokens");
  const double score = top["similarity_score"].get<double>();
  CHECK(score > 0.0);
  CHECK(score < 1.0);
  for (std::size_t i = 1; i < results.size(); ++i)
    CHECK(results[i]["similarity_score"].get<double>() <= score);
}

TEST_CASE("BM25 on both stores: a row's length is its word count, not its distinct words") {
  // "kiwi" twice in 102 words of which 2 differ, against three times in 23 words of which 18
  // differ: BM25 (FTS5's) ranks the short chunk with more occurrences first. Measured by
  // distinct words the long chunk looked the shorter and won.
  Fixture f;
  std::string mangoes;
  for (int i = 0; i < 100; ++i) mangoes += "mango ";
  f.write("fruit/long.md", "kiwi kiwi " + mangoes + "\n");
  f.write("fruit/short.md", "kiwi kiwi kiwi " + filler(20, "berry") + "\n");
  f.ingest("fruit", {f.files() / "fruit"}, "https://fruit.example/");
  const json hits = f.search("kiwi", "chunks", 2);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0]["url"] == "https://fruit.example/short.md");
}

TEST_CASE("BM25 on both stores: a rare query word decides the ranking, within one source too") {
  // "server" is in every chunk but one and says little; "quetzal" is in that one. Its idf counts over all
  // sources (as FTS5's does), whether or not the search keeps to one of them.
  Fixture f;
  for (int i = 0; i < 6; ++i)
    f.write("docs/common" + std::to_string(i) + ".md",
            "server server server server server server server server " + filler(10, "word") +
                "\n");
  // With every term's idf alike, eight "server"s would outrank one "quetzal".
  f.write("docs/rare.md", "quetzal " + filler(10, "word") + "\n");
  f.write("more/other.md", "server server server " + filler(10, "other") + "\n");
  f.ingest("docs", {f.files() / "docs"}, "https://docs.example/");
  f.ingest("more", {f.files() / "more"}, "https://more.example/");
  const json everywhere = f.search("server quetzal", "chunks", 3);
  REQUIRE_FALSE(everywhere.empty());
  CHECK(everywhere[0]["url"] == "https://docs.example/rare.md");
  const json in_docs = f.search("server quetzal", "chunks", 3, "docs");
  REQUIRE_FALSE(in_docs.empty());
  CHECK(in_docs[0]["url"] == "https://docs.example/rare.md");
}

TEST_CASE("chunk contents are at most 1000 characters and match_count bounds the results") {
  Corpus c;
  const json results = c.search("paragraph", "chunks", 15);  // ~20 chunks of 1,600 bytes match
  CHECK(results.size() == 15);
  for (const auto& r : results) CHECK(r["content"].get<std::string>().size() <= 1000);
  CHECK(c.search("paragraph", "chunks", 1).size() == 1);
  CHECK(c.search("paragraph", "chunks", 0).empty());
}

TEST_CASE("the source filter keeps results to one source") {
  Corpus c;
  std::set<std::string> all;
  for (const auto& r : c.search("zeppelin", "chunks", 10)) all.insert(r["source_id"]);
  CHECK(all == std::set<std::string>{"guides", "notes"});
  const json only = c.search("zeppelin", "chunks", 10, "notes");
  REQUIRE(only.size() == 1);
  CHECK(only[0]["source_id"] == "notes");
  CHECK(only[0]["url"].get<std::string>().starts_with("file:///"));
  CHECK(c.search("zeppelin", "pages", 10, "no-such-source").empty());
}

TEST_CASE("pages mode aggregates chunk matches per page with the contract's fields") {
  Corpus c;
  const Response r = c.post("/api/rag/query", json{{"query", "paragraph"}, {"return_mode", "pages"}, {"match_count", 5}});
  REQUIRE(r.status == 200);
  CHECK(r.body_json->at("return_mode") == "pages");
  const json& results = r.body_json->at("results");
  REQUIRE(results.size() == 1);  // every "paragraph" chunk is on the one reference page
  const json& page = results[0];
  std::set<std::string> keys;
  for (const auto& [key, value] : page.items()) keys.insert(key);
  CHECK(keys == std::set<std::string>{"page_id", "url", "section_title", "word_count", "chunk_matches",
                                      "aggregate_similarity", "average_similarity", "source_id"});
  CHECK(page["url"] == "https://docs.example.com/guides/reference.md");
  CHECK(page["chunk_matches"].get<int>() > 5);
  CHECK(page["aggregate_similarity"].get<double>() >= page["average_similarity"].get<double>());

  const json zeppelin = c.search("zeppelin", "pages", 10);
  std::set<std::string> ids;
  for (const auto& p : zeppelin) CHECK(ids.insert(p["page_id"].get<std::string>()).second);  // one entry per page
  CHECK(zeppelin.size() == 4);  // auth (refresh section), setup, tool.py, todo.txt
}

TEST_CASE("POST /api/rag/code-examples finds fenced blocks and source files") {
  Corpus c;
  Response r = c.post("/api/rag/code-examples", json{{"query", "refresh"}});
  REQUIRE(r.status == 200);
  const json& body = *r.body_json;
  CHECK(body["success"] == true);
  CHECK(body["reranked"] == false);
  CHECK(body["error"].is_null());
  REQUIRE(!body["results"].empty());
  const json& top = body["results"][0];
  CHECK(top["content"] == "client.refresh(token)");
  CHECK(top["language"] == "python");
  CHECK(top["summary"] == "Call the refresh endpoint like this:");
  CHECK(top["url"] == "https://docs.example.com/guides/auth.md#refresh-tokens");

  r = c.post("/api/rag/code-examples", json{{"query", "zeppelin command line"}, {"source", "guides"}});
  REQUIRE(r.status == 200);
  REQUIRE(r.body_json->at("results").size() == 1);
  CHECK(r.body_json->at("results")[0]["summary"] == "Command line for the zeppelin service.");
}

TEST_CASE("search input errors: 422 for a missing or empty query, never an SQL error") {
  Corpus c;
  Response r = c.post("/api/rag/query", json::object());
  CHECK(r.status == 422);
  CHECK(r.body_json->at("detail")[0]["loc"] == json::array({"body", "query"}));
  r = c.post("/api/rag/query", json{{"query", ""}});
  CHECK(r.status == 422);
  CHECK(r.body_json->at("detail") == "Query is required");
  r = c.post("/api/rag/query", json{{"query", "  \t "}});
  CHECK(r.status == 422);
  CHECK(r.body_json->at("detail") == "Query cannot be empty");
  r = c.post("/api/rag/code-examples", json{{"query", " "}});
  CHECK(r.status == 422);
  r = c.post("/api/rag/query", json{{"query", "x"}, {"return_mode", "vectors"}});
  CHECK(r.status == 422);
  r = c.post("/api/rag/query", json{{"query", "x"}, {"match_count", "five"}});
  CHECK(r.status == 422);

  // FTS5 syntax and punctuation are plain text: no error, at worst no results.
  for (const char* query : {"\"", "***", "( ) :", "NEAR(a b)", "title:zeppelin", "AND OR NOT",
                            "zeppelin\" OR \"", "-zeppelin", "^zep", "{a b}", "a + b"}) {
    r = c.post("/api/rag/query", json{{"query", query}, {"return_mode", "pages"}});
    CHECK_MESSAGE(r.status == 200, query);
    r = c.post("/api/rag/code-examples", json{{"query", query}});
    CHECK_MESSAGE(r.status == 200, query);
  }
  CHECK(c.search("***").empty());
  CHECK(c.search("zeppelin\" OR \"", "pages", 10).size() == 4);  // the stray quotes are text
}

TEST_CASE("GET /api/pages lists a source's pages, optionally one section") {
  Corpus c;
  Response r = c.get("/api/pages", {{"source_id", "guides"}});
  REQUIRE(r.status == 200);
  const json& body = *r.body_json;
  CHECK(body["source_id"] == "guides");
  CHECK(body["total"] == body["pages"].size());
  CHECK(body["total"] == 5);  // auth.md (2 pages), reference.md, setup.md, tool.py
  const json& first = body["pages"][0];
  std::set<std::string> keys;
  for (const auto& [key, value] : first.items()) keys.insert(key);
  CHECK(keys == std::set<std::string>{"id", "url", "section_title", "section_order", "word_count",
                                      "char_count", "chunk_count"});
  CHECK(first["url"] == "https://docs.example.com/guides/auth.md");
  CHECK(first["section_order"] == 0);
  CHECK(body["pages"][1]["section_order"] == 1);

  r = c.get("/api/pages", {{"source_id", "guides"}, {"section", "## Refresh tokens"}});
  CHECK(r.body_json->at("total") == 1);
  r = c.get("/api/pages", {{"source_id", "guides"}, {"section", "Refresh tokens"}});
  CHECK(r.body_json->at("total") == 1);
  r = c.get("/api/pages", {{"source_id", "nothing"}});
  CHECK(r.status == 200);
  CHECK(r.body_json->at("total") == 0);

  r = c.get("/api/pages");
  CHECK(r.status == 422);
  CHECK(r.body_json->at("detail")[0]["loc"] == json::array({"query", "source_id"}));
}

TEST_CASE("GET /api/pages/{id} and /api/pages/by-url return the page; unknown ones 404") {
  Corpus c;
  const json pages = c.get("/api/pages", {{"source_id", "guides"}}).body_json->at("pages");
  const std::string id = pages[1]["id"];
  Response r = c.get("/api/pages/" + id);
  REQUIRE(r.status == 200);
  const json& page = *r.body_json;
  for (const char* key : {"id", "source_id", "url", "full_content", "section_title", "section_order",
                          "word_count", "char_count", "chunk_count", "metadata", "created_at", "updated_at"})
    CHECK_MESSAGE(page.contains(key), key);
  CHECK(page["id"] == id);
  CHECK(page["source_id"] == "guides");
  CHECK(page["section_title"] == "## Refresh tokens");
  CHECK(page["full_content"].get<std::string>().starts_with("## Refresh tokens\n\nA refresh token"));
  CHECK(page["metadata"].is_object());
  CHECK(page["metadata"]["kind"] == "markdown");

  r = c.get("/api/pages/by-url", {{"url", "https://docs.example.com/guides/auth.md#refresh-tokens"}});
  REQUIRE(r.status == 200);
  CHECK(r.body_json->at("id") == id);

  // Pages over 20,000 characters come back with a notice instead of their text.
  r = c.get("/api/pages/by-url", {{"url", "https://docs.example.com/guides/reference.md"}});
  REQUIRE(r.status == 200);
  CHECK(r.body_json->at("char_count").get<int>() > 20000);
  CHECK(r.body_json->at("full_content").get<std::string>().starts_with("[Page too large for context - "));

  r = c.get("/api/pages/no-such-page");
  CHECK(r.status == 404);
  CHECK(r.body_json->at("detail").is_string());
  r = c.get("/api/pages/by-url", {{"url", "https://nowhere.example/"}});
  CHECK(r.status == 404);
  r = c.get("/api/pages/by-url");
  CHECK(r.status == 422);
}
