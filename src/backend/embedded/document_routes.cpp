// /api/projects/{pid}/docs: documents kept, as Archon keeps them, as entries of the project's
// docs JSON array. Every change is a read-modify-write of that array inside one write
// transaction, so concurrent edits of one project's documents never lose each other.
#include "core_routes.hpp"
#include "records.hpp"
#include "values.hpp"

namespace mcpgate::backend::embedded {

namespace {

[[noreturn]] void project_missing(const std::string& id) {
  throw RouteError(detail_error(404, "Project " + id + " not found"));
}

[[noreturn]] void document_missing(const std::string& id) {
  throw RouteError(detail_error(404, "Document " + id + " not found"));
}

json docs_of(store::Connection& c, const std::string& project_id) {
  auto docs = load_project_field(c, project_id, "docs");
  if (!docs) project_missing(project_id);
  return docs->is_array() ? std::move(*docs) : json::array();
}

json::iterator find_doc(json& docs, const std::string& id) {
  for (auto it = docs.begin(); it != docs.end(); ++it)
    if (it->is_object() && it->value("id", json()).is_string() && (*it)["id"] == id) return it;
  return docs.end();
}

std::optional<json> tags_field(const json& body) {
  auto tags = array_field(body, "tags");
  if (tags)
    for (const auto& tag : *tags)
      if (!tag.is_string()) invalid("Field 'tags' must be a list of strings");
  return tags;
}

std::optional<json> content_field(const json& body) {
  const auto it = body.find("content");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) invalid("Field 'content' must be a JSON object");
  return *it;
}

// The list entry: metadata and the content's size, not the content.
json metadata(const json& doc) {
  json out = json::object();
  for (const char* key : {"id", "document_type", "title", "status", "version", "tags", "author",
                          "created_at", "updated_at"})
    out[key] = doc.value(key, json());
  const auto content = doc.find("content");
  out["stats"] = json{{"content_size", content == doc.end() ? 0 : to_stored(*content).size()}};
  return out;
}

Response list_documents(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  const bool include_content = query_bool(request, "include_content", false);
  json docs = db.read([&](store::Connection& c) { return docs_of(c, project_id); });
  json documents = json::array();
  for (const auto& doc : docs)
    if (doc.is_object()) documents.push_back(include_content ? doc : metadata(doc));
  const std::size_t total = documents.size();
  return reply(200, json{{"project_id", project_id},
                         {"documents", std::move(documents)},
                         {"total_count", total}});
}

Response create_document(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  const json& body = body_object(request);
  const std::string title = required_text(body, "title");
  const std::string type = required_text(body, "document_type");
  const json content = content_field(body).value_or(json::object());
  const json tags = tags_field(body).value_or(json::array());
  const std::string author = string_field(body, "author").value_or("User");

  const std::string id = new_id();
  json document = db.write([&](store::Connection& c) {
    json docs = docs_of(c, project_id);
    const std::string now = now_timestamp();
    docs.push_back(json{{"id", id},
                        {"document_type", type},
                        {"title", title},
                        {"content", content},
                        {"tags", tags},
                        {"status", "draft"},
                        {"version", "1.0"},
                        {"author", author},
                        {"created_at", now},
                        {"updated_at", now}});
    store_project_field(c, project_id, "docs", docs, now);
    return json{{"id", id},         {"project_id", project_id}, {"document_type", type},
                {"title", title},   {"status", "draft"},        {"version", "1.0"}};
  });
  return reply(200, json{{"message", "Document created successfully"},
                         {"document", std::move(document)}});
}

Response get_document(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  const std::string& id = request.params[1];
  json doc = db.read([&](store::Connection& c) {
    json docs = docs_of(c, project_id);
    const auto it = find_doc(docs, id);
    if (it == docs.end()) document_missing(id);
    return *it;
  });
  return reply(200, std::move(doc));
}

Response update_document(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  const std::string& id = request.params[1];
  const json& body = body_object(request);
  std::optional<std::string> title;
  if (body.contains("title") && !body["title"].is_null()) title = required_text(body, "title");
  const auto content = content_field(body);
  const auto tags = tags_field(body);
  const auto author = string_field(body, "author");

  json doc = db.write([&](store::Connection& c) {
    json docs = docs_of(c, project_id);
    const auto it = find_doc(docs, id);
    if (it == docs.end()) document_missing(id);
    const std::string now = now_timestamp();
    if (title) (*it)["title"] = *title;
    if (content) (*it)["content"] = *content;
    if (tags) (*it)["tags"] = *tags;
    if (author) (*it)["author"] = *author;
    (*it)["updated_at"] = now;
    json updated = *it;
    store_project_field(c, project_id, "docs", docs, now);
    return updated;
  });
  return reply(200, json{{"message", "Document updated successfully"}, {"document", std::move(doc)}});
}

Response delete_document(store::Database& db, const RouteRequest& request) {
  const std::string& project_id = request.params[0];
  const std::string& id = request.params[1];
  db.write([&](store::Connection& c) {
    json docs = docs_of(c, project_id);
    const auto it = find_doc(docs, id);
    if (it == docs.end()) document_missing(id);
    docs.erase(it);
    store_project_field(c, project_id, "docs", docs, now_timestamp());
  });
  return reply(200, json{{"message", "Document deleted successfully"}});
}

}  // namespace

void add_document_routes(Router& router, store::Database& db) {
  router.add("GET", "/api/projects/{pid}/docs",
             [&db](const RouteRequest& r) { return list_documents(db, r); });
  router.add("POST", "/api/projects/{pid}/docs",
             [&db](const RouteRequest& r) { return create_document(db, r); });
  router.add("GET", "/api/projects/{pid}/docs/{did}",
             [&db](const RouteRequest& r) { return get_document(db, r); });
  router.add("PUT", "/api/projects/{pid}/docs/{did}",
             [&db](const RouteRequest& r) { return update_document(db, r); });
  router.add("DELETE", "/api/projects/{pid}/docs/{did}",
             [&db](const RouteRequest& r) { return delete_document(db, r); });
}

}  // namespace mcpgate::backend::embedded
