// A temporary embedded store (SQLite, or PostgreSQL in the _pg twins: test_store.hpp) plus helpers to write files, ingest them and call the REST routes.
#pragma once

#include "../embedded/temp_dir.hpp"
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/knowledge/ingest.hpp"
#include "mcpgate/knowledge/store.hpp"
#include "test_store.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace knowledge_test {

using mcpgate::backend::json;
using mcpgate::backend::Query;
using mcpgate::backend::Response;

class Fixture {
 public:
  Fixture() : backend_(test_support::fresh_store(dir_.file("store.db"))), store_(backend_.database()) {}

  // Writes `content` to <tmp>/files/<relative>, creating folders.
  std::filesystem::path write(const std::string& relative, const std::string& content) {
    const auto path = files() / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  [[nodiscard]] std::filesystem::path files() const { return dir_.path() / "files"; }

  mcpgate::knowledge::IngestStats ingest(const std::string& source, const std::vector<std::filesystem::path>& paths,
                                         const std::string& url_base = "") {
    mcpgate::knowledge::IngestOptions options;
    options.source_id = source;
    options.url_base = url_base;
    options.max_file_bytes = 200000;
    mcpgate::knowledge::Ingester ingester(store_, options);
    return ingester.run(paths);
  }

  Response get(const std::string& path, const Query& query = {}) {
    return backend_.request("GET", path, query, nullptr, std::nullopt);
  }
  Response post(const std::string& path, const json& body) {
    return backend_.request("POST", path, {}, body, std::nullopt);
  }
  // The results of POST /api/rag/query (asserting a 200).
  json search(const std::string& query, const std::string& mode = "chunks", int match_count = 5,
              const std::string& source = "") {
    json body{{"query", query}, {"match_count", match_count}, {"return_mode", mode}};
    if (!source.empty()) body["source"] = source;
    const Response r = post("/api/rag/query", body);
    if (r.status != 200 || !r.body_json) throw std::runtime_error("search failed: " + r.body);
    return r.body_json->at("results");
  }

  mcpgate::knowledge::KnowledgeStore& store() { return store_; }
  mcpgate::backend::EmbeddedBackend& backend() { return backend_; }

 private:
  embedded_test::TempDir dir_;
  mcpgate::backend::EmbeddedBackend backend_;
  mcpgate::knowledge::KnowledgeStore store_;
};

}  // namespace knowledge_test
