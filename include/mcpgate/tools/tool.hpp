// The tool API: what a tool is, what its handler may do while it runs, and what it returns.
#pragma once

#include "mcpgate/tools/log_level.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::tools {

using json = nlohmann::json;

// Content blocks as tools/call results carry them.
namespace content {
[[nodiscard]] json text(std::string_view text);
[[nodiscard]] json image(std::string_view base64_data, std::string_view mime_type);
[[nodiscard]] json audio(std::string_view base64_data, std::string_view mime_type);
[[nodiscard]] json resource_text(std::string_view uri, std::string_view mime_type,
                                 std::string_view text);
[[nodiscard]] json resource_blob(std::string_view uri, std::string_view mime_type,
                                 std::string_view base64_blob);
[[nodiscard]] json resource_link(std::string_view uri, std::string_view name,
                                 std::string_view mime_type = {});
}  // namespace content

struct ToolResult {
  json content = json::array();
  std::optional<json> structured;  // required when the tool declares an output schema
  bool is_error = false;

  [[nodiscard]] static ToolResult text(std::string_view text);
  [[nodiscard]] static ToolResult error(std::string_view message);
  // The result member of a tools/call answer. The rvalue form moves the content (a tool's text
  // is often the largest thing in the answer) instead of copying it.
  [[nodiscard]] json to_json() const&;
  [[nodiscard]] json to_json() &&;
};

// A server->client request failed: the client lacks the capability, answered with an error,
// timed out, or the session ended.
class ClientRequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ...because the client did not declare `capability` ("sampling", "elicitation", "roots"). On
// the session revisions the call ends as the tool decides (an error result by default); on the
// modern era the request is refused with -32021, as the revision asks.
class MissingClientCapability : public ClientRequestError {
 public:
  explicit MissingClientCapability(std::string capability)
      : ClientRequestError("the client did not declare the '" + capability + "' capability"),
        capability_(std::move(capability)) {}
  [[nodiscard]] const std::string& capability() const noexcept { return capability_; }

 private:
  std::string capability_;
};

// One input a handler needs from the client before it can go on.
struct InputRequest {
  std::string key;     // names the answer; the same on every run of the handler
  std::string method;  // elicitation/create, sampling/createMessage or roots/list
  json params;
};
// The client's answers (the requests' results), by key.
using InputAnswers = std::map<std::string, json>;

// Thrown by ToolContext::ask when the call cannot go on until the client answers `requests`
// (the ones it has no answer for yet): the protocol layer catches it where the call's result
// is made, and answers with resultType "input_required" (multi round-trip requests) or keeps a
// task waiting for them. Deliberately not a std::exception, so that a handler's
// `catch (const std::exception&)` around its work does not swallow it; a handler that catches
// everything (`catch (...)`) must rethrow it.
class InputRequired {
 public:
  explicit InputRequired(std::vector<InputRequest> requests) : requests_(std::move(requests)) {}
  [[nodiscard]] const std::vector<InputRequest>& requests() const noexcept { return requests_; }

 private:
  std::vector<InputRequest> requests_;
};

// What a handler can do while it runs. Implemented by the protocol layer for each request.
class ToolContext {
 public:
  virtual ~ToolContext() = default;

  // True once the client cancelled the request; the handler should stop soon.
  [[nodiscard]] virtual bool cancelled() const = 0;
  // Report progress; a no-op unless the request carried a progress token.
  virtual void progress(double progress, std::optional<double> total,
                        std::string_view message = {}) = 0;
  // Send notifications/message, filtered by the session's log level.
  virtual void log(tools::LogLevel level, json data, std::string_view logger = {}) = 0;
  // Whether the client declared a capability (e.g. "sampling", "elicitation").
  [[nodiscard]] virtual bool client_supports(std::string_view capability) const = 0;
  // Send a request to the client and wait for its result. Throws ClientRequestError.
  virtual json request_client(std::string_view method, json params,
                              std::chrono::milliseconds timeout) = 0;
  // Ask the client for every input in `requests` at once; the answers by key. How depends on
  // how the call runs:
  // - in a session (2024-11-05 ... 2025-11-25): a server->client request for each, waited for
  //   in turn (request_client(); this default does that);
  // - on the modern era (multi round-trip requests): the answers the retried request carries;
  //   when one is missing, the call ends with resultType "input_required" asking for them and
  //   the client runs it again with the answers. A handler that asks is therefore run again
  //   from the start, and must ask the same way each time up to its asks;
  // - as a task (the tasks extension): the task waits in input_required until tasks/update
  //   brings the answers.
  // Throws MissingClientCapability when the client did not declare a method's capability, and
  // ClientRequestError when no answer could be had.
  virtual InputAnswers ask(const std::vector<InputRequest>& requests);
  // Close the connection carrying this request's stream; the result is kept for the client to
  // fetch with GET + Last-Event-ID (SSE polling, 2025-11-25).
  virtual void drop_connection() = 0;
  [[nodiscard]] virtual const std::string& session_id() const = 0;
  [[nodiscard]] virtual const std::string& protocol_version() const = 0;
  // The subject (`sub`) of the access token the request came with; "" without OAuth.
  [[nodiscard]] virtual std::string subject() const { return {}; }
};

using ToolHandler = std::function<ToolResult(const json& arguments, ToolContext& context)>;

// What a tool's handler does while it runs, which decides the thread its calls run on.
enum class CallStyle {
  // May wait, and may send the client progress, log messages or requests while it runs: an
  // executor thread runs it, so that the connection stays free to carry those.
  interactive,
  // May wait (on a backend, a store) but sends the client nothing while it runs. When such a
  // call is all a POST carries, it runs on that connection's thread, which would otherwise only
  // wait for its answer.
  silent,
  // Only computes from memory: no I/O, no waiting, nothing sent to the client. Its calls run on
  // the connection's own thread, without the hand-off to an executor thread.
  instant,
};

// Whether a call of the tool may run as a task of the tasks extension
// (io.modelcontextprotocol/tasks, MCP 2026-07-28): answered at once with a task handle while
// the tool runs on, its result fetched with tasks/get. The server decides per call; the
// revision publishes no per-tool flag (SEP-2663 removed 2025-11-25's execution.taskSupport), so
// this stays the server's own knowledge and is not in tools/list.
enum class TaskSupport {
  never,     // always answered in the request (quick calls: a task only adds polling)
  optional,  // a task when the request declares the extension, else in the request
  required,  // only as a task: a request without the extension gets -32021
};
// The session revisions have no tasks (2025-11-25's experimental ones are not served): there
// every tool runs in the request, whatever it supports.

struct Tool {
  std::string name;   // 1-128 chars of [A-Za-z0-9_.-]
  std::string title;  // optional
  std::string description;
  json input_schema = json{{"type", "object"}};
  std::optional<json> output_schema;
  json annotations;  // null when none
  ToolHandler handler;
  CallStyle style = CallStyle::interactive;
  TaskSupport task_support = TaskSupport::never;
  // Inputs a task-supporting tool needs before its task is created. The revision wants such
  // multi round-trip exchanges resolved in the request itself (input_required until answered),
  // then the task created; their answers are handed to the task, whose ask() returns them at
  // once. The handler asks for them like any input.
  std::vector<InputRequest> ask_before_task = {};
};

}  // namespace mcpgate::tools
