// JSON-RPC 2.0 messages: parsing, validation and construction. Pure: no I/O, no state.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mcpgate::jsonrpc {

using json = nlohmann::json;

// Standard JSON-RPC codes, plus the ones MCP and its HTTP transports use.
namespace code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int transport_error = -32000;     // bad header, bad session (HTTP bodies)
inline constexpr int session_not_found = -32001;
inline constexpr int resource_not_found = -32002;
inline constexpr int request_timeout = -32001;     // server->client request timed out
inline constexpr int too_many_requests = -32005;   // a session's requests in flight at the cap
// Defined by MCP 2026-07-28 (its reserved range -32020..-32099).
inline constexpr int header_mismatch = -32020;
inline constexpr int missing_client_capability = -32021;
inline constexpr int unsupported_protocol_version = -32022;
}  // namespace code

// A request expects exactly one response with the same id.
struct Request {
  json id;  // string or integer, never null
  std::string method;
  json params;  // object, array, or null when absent
};

// A notification never gets a response.
struct Notification {
  std::string method;
  json params;
};

// A response to a request we sent (server -> client requests).
struct Response {
  json id;
  std::optional<json> result;
  std::optional<json> error;  // {code, message, data?}
};

using Message = std::variant<Request, Notification, Response>;

// Why a piece of JSON is not a valid message: the error to send back, with the id when one
// could be read (else null).
struct Invalid {
  json id;
  int code;
  std::string message;
};

using Item = std::variant<Message, Invalid>;

// The result of parsing a POST body: one item, or a batch (array) of items.
struct Parsed {
  bool batch = false;
  std::vector<Item> items;
};

// Parse a body: a ParseError when it is not JSON at all, is an empty array, nests deeper than
// util::max_json_nesting, or would take more than `max_parse_bytes` of memory once parsed (a
// body of "[{},{},...]" takes 21x its size: the byte cap on bodies alone does not bound the
// parse; too_costly is then set, for a 413).
struct ParseError {
  int code;
  std::string message;
  bool too_costly = false;
};
inline constexpr std::size_t default_max_parse_bytes = 32 * 1024 * 1024;
[[nodiscard]] std::variant<Parsed, ParseError> parse(std::string_view body,
                                                     std::size_t max_parse_bytes = default_max_parse_bytes);

// Validate one decoded JSON value as a message.
[[nodiscard]] Item classify(const json& value);

// True for the id types MCP allows: string or integer.
[[nodiscard]] bool is_valid_id(const json& id);

// Builders. All return complete JSON-RPC objects.
[[nodiscard]] json make_result(const json& id, json result);
[[nodiscard]] json make_error(const json& id, int code, std::string_view message,
                              const json& data = nullptr);
[[nodiscard]] json make_request(const json& id, std::string_view method, json params);
[[nodiscard]] json make_notification(std::string_view method, json params);

// An error raised inside a method handler; the dispatcher turns it into an error response.
class Error : public std::exception {
 public:
  Error(int code, std::string message, json data = nullptr)
      : code_(code), message_(std::move(message)), data_(std::move(data)) {}
  [[nodiscard]] int code() const noexcept { return code_; }
  [[nodiscard]] const json& data() const noexcept { return data_; }
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  int code_;
  std::string message_;
  json data_;
};

// Serialise for the wire. Invalid UTF-8 in strings is replaced, never thrown.
[[nodiscard]] std::string dump(const json& value);

}  // namespace mcpgate::jsonrpc
