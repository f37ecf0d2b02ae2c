// find_documents and manage_document. Documents live in a project's `docs` list.
#include "tool_support.hpp"

namespace mcpgate::tools::archon::detail {

namespace {

std::string docs_path(const std::string& project_id) {
  return "/api/projects/" + path_segment(project_id, "project_id") + "/docs";
}

// Archon's filter: the query inside the title, or inside the content rendered as text, both
// case-folded (`needle` already is). (The list endpoint sends no content, so in practice only
// titles match.)
bool document_matches(const json& doc, const std::string& needle) {
  const json title = get_or(doc, "title", "");
  if (title.is_string() &&
      util::fold_case(title.get_ref<const std::string&>()).find(needle) != std::string::npos)
    return true;
  const json content = get_or(doc, "content", "");
  return util::fold_case(as_text(content)).find(needle) != std::string::npos;
}

json find_documents(const ApiClient& api, const Args& args) {
  const std::string project_id = args.required_str("project_id");
  if (const auto document_id = args.str("document_id"); given(document_id)) {
    auto response = api.get(docs_path(project_id) + "/" + path_segment(*document_id, "document_id"));
    if (response.status == 404)
      return errors::not_found("Document " + *document_id + " not found",
                               "Verify the document ID is correct");
    if (!response.ok()) return errors::from_http_error(response, "get document");
    return json{{"success", true}, {"document", take_json_body(response, "get document")}};
  }

  const auto query = args.str("query");
  const auto document_type = args.str("document_type");
  const auto response = api.get(docs_path(project_id));
  if (!response.ok()) return errors::from_http_error(response, "list documents");
  const json& body = object_body(response, "list documents");
  json documents = get_or(body, "documents", json::array());
  if (!documents.is_array())
    return errors::invalid_response(
        "Failed to list documents: the answer's documents field is not a list", nullptr,
        response.status);

  json filtered = json::array();
  const std::string needle = given(query) ? util::fold_case(*query) : std::string();
  for (auto& doc : documents) {
    if (!doc.is_object()) continue;
    if (given(document_type) && get_or(doc, "document_type", nullptr) != *document_type) continue;
    if (given(query) && !document_matches(doc, needle)) continue;
    filtered.push_back(std::move(doc));
  }

  json page_items = json::array();
  for (auto& doc : page_slice(filtered, args.integer_or("page", 1), args.integer_or("per_page", 10))) {
    doc.erase("content");
    page_items.push_back(std::move(doc));
  }
  const std::size_t count = page_items.size();
  return json{{"success", true},       {"documents", std::move(page_items)},
              {"count", count},        {"total", filtered.size()},
              {"project_id", project_id}, {"query", or_null(query)},
              {"document_type", or_null(document_type)}};
}

json manage_document(const ApiClient& api, const Args& args, const std::string& action) {
  const std::string project_id = args.required_str("project_id");
  const auto document_id = args.str("document_id");
  const auto title = args.str("title");
  const auto document_type = args.str("document_type");
  const json content = args.raw("content");
  const json tags = args.raw("tags");
  const auto author = args.str("author");
  if (!content.is_null() && !content.is_object())
    throw ArgumentError("content must be an object");
  if (!tags.is_null() && !tags.is_array()) throw ArgumentError("tags must be a list of strings");

  if (action == "create") {
    if (!given(title) || !given(document_type))
      return errors::validation_error("title and document_type required for create");
    const auto response =
        api.post(docs_path(project_id), json{{"title", *title},
                                             {"document_type", *document_type},
                                             {"content", truthy(content) ? content : json::object()},
                                             {"tags", truthy(tags) ? tags : json::array()},
                                             {"author", or_default(author, "User")}});
    if (!response.ok()) return errors::from_http_error(response, "create document");
    const json& body = object_body(response, "create document");
    json document = get_or(body, "document", nullptr);
    json document_id_out = truthy(document) ? get_or(document, "id", nullptr) : json(nullptr);
    return json{{"success", true},
                {"document", std::move(document)},
                {"document_id", std::move(document_id_out)},
                {"message", get_or(body, "message", "Document created successfully")}};
  }

  if (action == "update") {
    if (!given(document_id)) return errors::validation_error("document_id required for update");
    json fields = json::object();
    if (title) fields["title"] = *title;
    if (!content.is_null()) fields["content"] = content;
    if (!tags.is_null()) fields["tags"] = tags;
    if (author) fields["author"] = *author;
    if (fields.empty()) return errors::validation_error("No fields to update");

    const auto response = api.put(docs_path(project_id) + "/" + path_segment(*document_id, "document_id"), fields);
    if (!response.ok()) return errors::from_http_error(response, "update document");
    const json& body = object_body(response, "update document");
    return json{{"success", true},
                {"document", get_or(body, "document", nullptr)},
                {"message", get_or(body, "message", "Document updated successfully")}};
  }

  if (action == "delete") {
    if (!given(document_id)) return errors::validation_error("document_id required for delete");
    const auto response = api.del(docs_path(project_id) + "/" + path_segment(*document_id, "document_id"));
    if (!response.ok()) return errors::from_http_error(response, "delete document");
    const json body = response.body_json.value_or(json::object());
    return json{{"success", true},
                {"message", get_or(body, "message", "Document deleted successfully")}};
  }

  return errors::invalid_action("Unknown action: " + action);
}

}  // namespace

void register_document_tools(ToolRegistry& registry,
                             const std::shared_ptr<backend::Backend>& backend,
                             const ArchonToolOptions& options) {
  registry.add(make_tool(
      "find_documents", "Find project documents",
      "Find the documents stored in an Archon project (specs, designs, notes, PRPs, API docs, "
      "guides). With document_id, returns that document with its full content. Otherwise lists "
      "the project's documents without their content, optionally narrowed to one document_type "
      "and/or a keyword in the title, a page at a time.",
      object_schema(
          "find_documents",
          {required_string("project_id", "The project whose documents to look at."),
           optional_string("document_id", "Return this document in full, content included."),
           optional_string("query", "Keep only documents whose title contains this text "
                                    "(case-insensitive)."),
           optional_string("document_type", "Keep only documents of this type, e.g. \"spec\", "
                                            "\"design\", \"note\", \"prp\", \"api\" or \"guide\"."),
           integer_with_default("page", 1, "Which page of the list to return, from 1."),
           integer_with_default("per_page", 10, "How many documents per page.")}),
      true,
      [api = ApiClient(backend, options.api, "find_documents")](const json& arguments,
                                                              ToolContext&) {
        return run_structured(api, "list documents", nullptr,
                              [&] { return find_documents(api, Args(arguments)); });
      }));

  registry.add(make_tool(
      "manage_document", "Create, update or delete a document",
      "Create, update or delete a document of an Archon project, chosen by action; project_id "
      "is always needed. \"create\" needs title and document_type (any label; spec, design, "
      "note, prp, api and guide are the usual ones), with optional JSON content, tags and "
      "author (default \"User\"). \"update\" needs document_id and at least one of title, "
      "content, tags, author (the type cannot be changed). \"delete\" needs document_id.",
      object_schema(
          "manage_document",
          {required_string("action", "What to do: \"create\", \"update\" or \"delete\"."),
           required_string("project_id", "The project the document belongs to."),
           optional_string("document_id", "The document to update or delete."),
           optional_string("title", "Document title; required to create."),
           optional_string("document_type", "Kind of document, e.g. \"spec\", \"design\", "
                                            "\"note\", \"prp\", \"api\", \"guide\"; required to "
                                            "create."),
           optional_any_of("content", {json{{"type", "object"}, {"additionalProperties", true}}},
                           "The document body as a JSON object, structured as you like (e.g. "
                           "sections keyed by name)."),
           optional_any_of("tags", {json{{"type", "array"}, {"items", {{"type", "string"}}}}},
                           "Labels for the document, e.g. [\"backend\", \"auth\"]."),
           optional_string("author", "Who wrote it.")}),
      false,
      [api = ApiClient(backend, options.api, "manage_document")](const json& arguments,
                                                               ToolContext&) {
        const Args args(arguments);
        std::string action;
        try {
          action = args.str("action").value_or("");
        } catch (const ArgumentError&) {
        }
        return run_structured(api, action + " document", nullptr, [&] {
          return manage_document(api, args, args.required_str("action"));
        });
      }));
}

}  // namespace mcpgate::tools::archon::detail
