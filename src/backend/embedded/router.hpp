// The embedded backend's route table: "METHOD /api/tasks/{id}" patterns mapped to handlers,
// plus the reply helpers every handler uses to build Archon-shaped bodies. Private to
// src/backend/embedded.
#pragma once

#include "mcpgate/backend/backend.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::store {
class Database;
}

namespace mcpgate::backend::embedded {

struct RouteRequest {
  std::string_view method;
  std::vector<std::string> params;  // percent-DECODED path segments captured by {name}, in order
  const Query& query;               // raw values (already decoded by the caller)
  const json& body;                 // null when no body

  // The first value of a query parameter, or nullopt when it is absent.
  [[nodiscard]] std::optional<std::string> query_value(std::string_view name) const;
};

using Handler = std::function<Response(const RouteRequest&)>;

// Thrown by a handler (also from inside a Database::write, which it then rolls back) to answer
// with `response`; Router::dispatch catches it.
struct RouteError : std::exception {
  explicit RouteError(Response r) : response(std::move(r)) {}
  [[nodiscard]] const char* what() const noexcept override { return "route error"; }
  Response response;
};

class Router {
 public:
  // pattern: "/api/tasks/{id}"; a segment in braces captures one (non-empty) path segment.
  void add(std::string method, std::string pattern, Handler handler);

  // Runs the handler of the route matching method and path. No path match: 404
  // {"detail":"Not Found"}; a path match with another method only: 405
  // {"detail":"Method Not Allowed"}. Literal segments win over {params}
  // ("/api/pages/by-url" before "/api/pages/{id}"), whatever the order of add().
  // A trailing '/' is ignored; segments are percent-decoded before matching. A RouteError from
  // the handler becomes its response; other exceptions propagate.
  [[nodiscard]] Response dispatch(std::string_view method, std::string_view path,
                                  const Query& query, const json& body) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{...}" marks a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
};

// A JSON reply: body text and body_json filled.
[[nodiscard]] Response reply(int status, json body);
// {"detail": "<message>"} (FastAPI's HTTPException with a string detail).
[[nodiscard]] Response detail_error(int status, std::string message);
// {"detail": {"error": "<message>"}} (Archon's service errors).
[[nodiscard]] Response detail_object_error(int status, std::string message);

// Each group registers its routes.
void add_core_routes(Router& router, store::Database& database);       // health, projects, tasks, docs, versions, features
void add_knowledge_routes(Router& router, store::Database& database);  // rag/*, pages

}  // namespace mcpgate::backend::embedded
