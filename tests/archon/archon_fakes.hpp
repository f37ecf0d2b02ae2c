// Test doubles for the Archon tools: RecordingBackend (an in-process backend::Backend that
// records every call and answers from a queue or a lambda), FakeContext (a ToolContext), and
// ToolHarness, which registers the 14 tools against them and calls a tool the way the
// dispatcher does (schema check first), returning the parsed JSON payload.
#pragma once

#include "mcpgate/backend/backend.hpp"
#include "mcpgate/tools/archon/archon_tools.hpp"
#include "mcpgate/tools/json_result.hpp"
#include "mcpgate/tools/registry.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace archon_test {

using json = nlohmann::json;
using mcpgate::backend::Query;
using mcpgate::backend::Response;
using mcpgate::backend::Timeouts;
using mcpgate::backend::TransportError;
using Kind = mcpgate::backend::TransportError::Kind;
using namespace std::chrono_literals;

struct RecordedCall {
  std::string method;
  std::string path;
  Query query;
  json body;
  std::optional<Timeouts> timeouts;

  // {"method", "path", "query": [[k, v], ...], "body"} - easy to compare and to print.
  [[nodiscard]] json describe() const {
    json q = json::array();
    for (const auto& [k, v] : query) q.push_back(json::array({k, v}));
    return json{{"method", method}, {"path", path}, {"query", q}, {"body", body}};
  }
};

// The expected form of a call, for comparison with RecordedCall::describe().
inline json call(std::string method, std::string path, const Query& query = {},
                 json body = nullptr) {
  return RecordedCall{std::move(method), std::move(path), query, std::move(body), std::nullopt}
      .describe();
}

inline Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  r.body_json = body;
  return r;
}

inline Response text_response(int status, std::string text) {
  Response r;
  r.status = status;
  r.body = std::move(text);
  return r;
}

class RecordingBackend final : public mcpgate::backend::Backend {
 public:
  using Answer = std::function<Response(const RecordedCall&)>;

  // Queue one answer; answers are used in order, one per request.
  void answer(Answer a) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(a));
  }
  void answer(Response r) {
    answer([r = std::move(r)](const RecordedCall&) { return r; });
  }
  void answer_json(int status, const json& body) { answer(json_response(status, body)); }
  void answer_text(int status, std::string text) { answer(text_response(status, std::move(text))); }
  void fail(Kind kind, std::string message = {}) {
    answer([kind, message](const RecordedCall&) -> Response { throw TransportError(kind, message); });
  }
  // Used once the queue is empty.
  void respond_with(Answer a) {
    std::lock_guard lock(mutex_);
    fallback_ = std::move(a);
  }

  Response request(std::string_view method, std::string_view path, const Query& query,
                   const json& body, const std::optional<Timeouts>& timeouts) override {
    RecordedCall rc{std::string(method), std::string(path), query, body, timeouts};
    Answer a;
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(rc);
      if (!queue_.empty()) {
        a = std::move(queue_.front());
        queue_.pop_front();
      } else {
        a = fallback_;
      }
    }
    if (!a)
      throw std::logic_error("RecordingBackend: no answer queued for " + rc.method + " " + rc.path);
    return a(rc);
  }

  [[nodiscard]] std::string describe() const override { return "recording-backend"; }

  [[nodiscard]] std::vector<RecordedCall> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  // Every call so far, as describe() forms.
  [[nodiscard]] json call_log() const {
    json log = json::array();
    for (const auto& c : calls()) log.push_back(c.describe());
    return log;
  }
  [[nodiscard]] std::size_t pending_answers() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<Answer> queue_;
  Answer fallback_;
  std::vector<RecordedCall> calls_;
};

class FakeContext final : public mcpgate::tools::ToolContext {
 public:
  std::atomic<bool> cancel{false};

  [[nodiscard]] bool cancelled() const override { return cancel.load(); }
  void progress(double, std::optional<double>, std::string_view) override {}
  void log(mcpgate::tools::LogLevel, json, std::string_view) override {}
  [[nodiscard]] bool client_supports(std::string_view) const override { return false; }
  json request_client(std::string_view, json, std::chrono::milliseconds) override {
    throw mcpgate::tools::ClientRequestError("not supported in tests");
  }
  void drop_connection() override {}
  [[nodiscard]] const std::string& session_id() const override { return session_; }
  [[nodiscard]] const std::string& protocol_version() const override { return version_; }

 private:
  std::string session_ = "test-session";
  std::string version_ = "2025-06-18";
};

// Distinct timeouts per group, so tests can tell which ones a call carried; no polling delays.
inline mcpgate::tools::archon::ArchonToolOptions test_options() {
  mcpgate::tools::archon::ArchonToolOptions o;
  o.api = Timeouts{1s, 2s, 3s};
  o.rag = Timeouts{4s, 5s, 6s};
  o.project_polling.base_interval = 0ms;
  o.project_polling.max_interval = 0ms;
  o.project_polling.max_attempts = 3;
  o.project_polling.timeouts = Timeouts{7s, 8s, 9s};
  return o;
}

struct ToolHarness {
  std::shared_ptr<RecordingBackend> backend = std::make_shared<RecordingBackend>();
  mcpgate::tools::ToolRegistry registry;
  FakeContext context;

  explicit ToolHarness(mcpgate::tools::archon::ArchonToolOptions options = test_options()) {
    mcpgate::tools::archon::register_archon_tools(registry, backend, options);
  }

  // Runs the tool like the dispatcher: the arguments must pass the tool's schema. Checks the
  // Archon result shape (one text block, structuredContent {"result": same text}, not an error)
  // and returns the parsed payload.
  json call(const std::string& tool, const json& arguments = json::object()) {
    const auto* entry = registry.find(tool);
    REQUIRE_MESSAGE(entry != nullptr, "no tool " << tool);
    const auto problem = entry->validator->validate(arguments);
    REQUIRE_MESSAGE(!problem.has_value(), tool << " rejected " << arguments.dump() << ": "
                                                << problem.value_or(""));
    const mcpgate::tools::ToolResult result = entry->tool.handler(arguments, context);
    REQUIRE_FALSE(result.is_error);
    REQUIRE(result.content.size() == 1);
    REQUIRE(result.content[0]["type"] == "text");
    const std::string text = result.content[0]["text"].get<std::string>();
    REQUIRE(result.structured.has_value());
    CHECK(*result.structured == json{{"result", text}});
    return json::parse(text);
  }

  [[nodiscard]] bool schema_accepts(const std::string& tool, const json& arguments) const {
    const auto* entry = registry.find(tool);
    REQUIRE(entry != nullptr);
    return !entry->validator->validate(arguments).has_value();
  }
};

// Archon's structured error envelope, spelled out for expectations.
inline json error_envelope(const std::string& type, const std::string& message,
                           const json& details = nullptr, const std::string& suggestion = {},
                           int http_status = 0) {
  json error{{"type", type}, {"message", message}};
  if (!details.is_null()) error["details"] = details;
  if (!suggestion.empty()) error["suggestion"] = suggestion;
  if (http_status) error["http_status"] = http_status;
  return json{{"success", false}, {"error", error}};
}

}  // namespace archon_test
