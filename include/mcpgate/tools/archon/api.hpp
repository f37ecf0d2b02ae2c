// What the Archon tools share: one way to call the REST API (with the tool group's timeouts and
// logging), and the small text and list helpers that reproduce Archon's client-side shaping
// (Python truthiness, 1000-character truncation, page slices).
#pragma once

#include "mcpgate/backend/backend.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mcpgate::tools::archon {

using json = nlohmann::json;

// An argument refused before any backend call; the tool runners turn it into Archon's
// validation_error (or the rag_* tools' flat error).
class ArgumentError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Calls the backend for one tool. Every call carries the timeouts given here unless overridden.
// Throws backend::TransportError when no HTTP answer came (logged at warning level with the
// backend's description); non-2xx answers are returned, not thrown.
class ApiClient {
 public:
  ApiClient(std::shared_ptr<backend::Backend> backend, backend::Timeouts timeouts,
            std::string tool_name);

  [[nodiscard]] backend::Response get(const std::string& path, const backend::Query& query = {}) const;
  [[nodiscard]] backend::Response post(const std::string& path, const json& body) const;
  [[nodiscard]] backend::Response put(const std::string& path, const json& body) const;
  [[nodiscard]] backend::Response del(const std::string& path) const;
  [[nodiscard]] backend::Response request(std::string_view method, const std::string& path,
                                          const backend::Query& query, const json& body,
                                          const backend::Timeouts& timeouts) const;

  [[nodiscard]] const backend::Timeouts& timeouts() const noexcept { return timeouts_; }
  [[nodiscard]] const std::string& tool_name() const noexcept { return tool_; }

 private:
  std::shared_ptr<backend::Backend> backend_;
  backend::Timeouts timeouts_;
  std::string tool_;
};

// Python's bool(value): null, false, 0, "", [] and {} are false.
[[nodiscard]] bool truthy(const json& value);

// Archon's truncate_text: more than `max_chars` characters become the first max_chars - 3
// followed by "...". Characters are Unicode code points (as Python counts them), so a UTF-8
// sequence is never cut in half.
[[nodiscard]] std::string truncate_text(std::string_view text, std::size_t max_chars = 1000);

// The first `max_chars` code points of a UTF-8 string.
[[nodiscard]] std::string prefix_chars(std::string_view text, std::size_t max_chars);

// A string as Python's f-string would print it: strings raw, anything else as compact JSON.
[[nodiscard]] std::string as_text(const json& value);

// One path segment, percent-encoded so that an id can never change the route
// ("a/../b" -> "a%2F..%2Fb"). Ordinary ids (UUIDs, names) pass unchanged. An id that is empty
// or only dots ("", ".", "..", "...") throws ArgumentError naming `name` (the parameter): '.'
// is unreserved, so no encoding hides it, and libcurl (like any URL resolver) removes "." and
// ".." segments, while an empty segment turns "/a/{id}/b" into "/a//b": each would send the
// call to another route.
[[nodiscard]] std::string path_segment(std::string_view id, std::string_view name);

// Archon's client-side pagination: items[(page-1)*per_page : page*per_page] with Python's slice
// rules (negative bounds count from the end, out-of-range bounds are clipped).
[[nodiscard]] json page_slice(const json& items, long long page, long long per_page);

}  // namespace mcpgate::tools::archon
