#include "mcpgate/backend/embedded_backend.hpp"

#include "mcpgate/store/database.hpp"
#include "mcpgate/util/compact_json.hpp"
#include "router.hpp"
#include "schema.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::backend {

namespace {

constexpr std::size_t max_body_bytes = 4 * 1024 * 1024;
constexpr std::size_t max_string_bytes = 1024 * 1024;

// The longest string (value or key) anywhere in the body.
std::size_t longest_string(const json& value) {
  std::size_t longest = 0;
  switch (value.type()) {
    case json::value_t::string:
      return value.get_ref<const std::string&>().size();
    case json::value_t::array:
      for (const auto& item : value) longest = std::max(longest, longest_string(item));
      return longest;
    case json::value_t::object:
      for (const auto& [key, item] : value.items())
        longest = std::max({longest, key.size(), longest_string(item)});
      return longest;
    default:
      return 0;
  }
}

// A NUL character (U+0000) in any string (value or key). PostgreSQL cannot keep one in text and
// SQLite's text functions stop at it, so neither store takes it: the same answer on both.
bool has_nul(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return value.get_ref<const std::string&>().find('\0') != std::string::npos;
    case json::value_t::array:
      for (const auto& item : value)
        if (has_nul(item)) return true;
      return false;
    case json::value_t::object:
      for (const auto& [key, item] : value.items())
        if (key.find('\0') != std::string::npos || has_nul(item)) return true;
      return false;
    default:
      return false;
  }
}

bool has_nul(std::string_view path, const Query& query) {
  if (path.find('\0') != std::string_view::npos) return true;
  for (const auto& [name, value] : query)
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) return true;
  return false;
}

// An error's text for a client: where the data lives (the file's path in SQLite's "cannot open
// database <path>: ...", PostgreSQL's URI) is the server's business, so it becomes "the data
// file".
std::string for_client(std::string message, const std::string& path) {
  if (path.empty()) return message;
  for (auto at = message.find(path); at != std::string::npos; at = message.find(path, at))
    message.replace(at, path.size(), "the data file");
  return message;
}

}  // namespace

struct EmbeddedBackend::Impl {
  explicit Impl(const std::string& location, const store::OpenOptions& options)
      : database(location, embedded::embedded_migrations(), options) {
    embedded::add_core_routes(router, database);
    embedded::add_knowledge_routes(router, database);
  }
  store::Database database;
  embedded::Router router;
};

std::shared_ptr<store::Database> open_store(const std::string& location,
                                            const store::OpenOptions& options) {
  return std::make_shared<store::Database>(location, embedded::embedded_migrations(), options);
}

EmbeddedBackend::EmbeddedBackend(const std::string& location, const store::OpenOptions& options)
    : impl_(std::make_unique<Impl>(location, options)) {}

EmbeddedBackend::~EmbeddedBackend() = default;

Response EmbeddedBackend::request(std::string_view method, std::string_view path,
                                  const Query& query, const json& body,
                                  const std::optional<Timeouts>&) {
  try {
    // Limits first, so an oversized write never reaches the store. Mirrors the MCP listener's
    // 4 MiB body cap; a single field over 1 MiB is refused as well.
    if (!body.is_null()) {
      const auto size = util::compact_json(body).size();
      if (size > max_body_bytes)
        return embedded::detail_error(
            413, "Request body too large: " + std::to_string(size) + " bytes (limit 4 MiB)");
      if (longest_string(body) > max_string_bytes)
        return embedded::detail_error(413, "A field value is too large (limit 1 MiB per string)");
    }
    if (has_nul(body) || has_nul(path, query))
      return embedded::detail_error(
          400, "A value contains a NUL character (U+0000), which the store does not keep");
    return impl_->router.dispatch(method, path, query, body);
  } catch (const store::StoreError& e) {
    spdlog::error("embedded store: {} {}: {}", method, path, e.what());
    return embedded::detail_object_error(
        500, "Database error: " + for_client(e.what(), impl_->database.location()));
  } catch (const std::exception& e) {
    spdlog::error("embedded store: {} {}: {}", method, path, e.what());
    return embedded::detail_object_error(500, for_client(e.what(), impl_->database.location()));
  }
}

std::string EmbeddedBackend::describe() const {
  return (impl_->database.kind() == "postgresql" ? "embedded PostgreSQL store at "
                                                 : "embedded SQLite store at ") +
         impl_->database.location();
}

store::Database& EmbeddedBackend::database() { return impl_->database; }

}  // namespace mcpgate::backend
