#include "mcpgate/tools/archon/errors.hpp"

#include "mcpgate/tools/archon/api.hpp"

#include <chrono>

namespace mcpgate::tools::archon::errors {

namespace {

using Kind = backend::TransportError::Kind;

std::string seconds_text(std::chrono::milliseconds ms) {
  const auto count = ms.count();
  if (count % 1000 == 0) return std::to_string(count / 1000) + " s";
  return std::to_string(count) + " ms";
}

std::string_view transport_type(Kind kind) {
  switch (kind) {
    case Kind::connect_timeout: return "connection_timeout";
    case Kind::read_timeout: return "read_timeout";
    case Kind::connection_error: return "connection_error";
    case Kind::request_error: break;
  }
  return "request_error";
}

std::string_view transport_suggestion(Kind kind) {
  switch (kind) {
    case Kind::connect_timeout:
      return "Check if the Archon server is running and accessible at the configured URL";
    case Kind::read_timeout:
      return "The operation is taking longer than expected. Try again or check server logs";
    case Kind::connection_error: return "Ensure the Archon server is running on the correct port";
    case Kind::request_error: break;
  }
  return "Check network connectivity and server configuration";
}

// Archon's lookup: body.get("detail", {}).get("error") or body.get("error") or
// body.get("message") or body.get("detail"). In Python a `detail` that is present but not a
// dict (a string, a list, null) makes the first .get raise, and the whole lookup is abandoned.
std::optional<json> api_error_message(const json& body) {
  if (!body.is_object()) return std::nullopt;
  const auto detail = body.find("detail");
  if (detail != body.end() && !detail->is_object()) return std::nullopt;
  if (detail != body.end()) {
    if (auto error = detail->find("error"); error != detail->end() && truthy(*error)) return *error;
  }
  for (const char* key : {"error", "message", "detail"}) {
    if (auto it = body.find(key); it != body.end() && truthy(*it)) return *it;
  }
  return std::nullopt;
}

}  // namespace

json format_error(std::string_view type, std::string_view message, const json& details,
                  std::string_view suggestion, int http_status) {
  json error{{"type", type}, {"message", message}};
  if (truthy(details)) error["details"] = details;
  if (!suggestion.empty()) error["suggestion"] = suggestion;
  if (http_status != 0) error["http_status"] = http_status;
  return json{{"success", false}, {"error", std::move(error)}};
}

std::optional<std::string> suggestion_for_status(int status) {
  switch (status) {
    case 400: return "Check that all required parameters are provided and valid";
    case 401: return "Authentication may be required. Check API credentials";
    case 403: return "You may not have permission for this operation";
    case 404: return "The requested resource was not found. Verify the ID is correct";
    case 409: return "There's a conflict with the current state. The resource may already exist";
    case 422: return "The request format is correct but the data is invalid";
    case 429: return "Too many requests. Please wait before retrying";
    case 500: return "Server error. Check server logs for details";
    case 502: return "The backend service may be down. Check if all services are running";
    case 503: return "Service temporarily unavailable. Try again later";
    case 504: return "The operation timed out. The server may be overloaded";
    default: return std::nullopt;
  }
}

json from_http_error(const backend::Response& response, std::string_view operation) {
  const std::string suggestion = suggestion_for_status(response.status).value_or("");
  const std::string op(operation);
  if (response.body_json) {
    if (auto message = api_error_message(*response.body_json)) {
      return format_error("api_error", "Failed to " + op + ": " + as_text(*message),
                          json{{"response_body", *response.body_json}}, suggestion,
                          response.status);
    }
  }
  return format_error("http_error", "Failed to " + op + ": HTTP " + std::to_string(response.status),
                      json{{"response_text", prefix_chars(response.body, 500)}}, suggestion,
                      response.status);
}

std::string describe_transport(const backend::TransportError& error,
                               const backend::Timeouts& timeouts) {
  if (error.what()[0] != '\0') return error.what();
  switch (error.kind()) {
    case Kind::connect_timeout:
      return "could not connect to the Archon API within " + seconds_text(timeouts.connect);
    case Kind::read_timeout:
      return "the Archon API did not answer within " + seconds_text(timeouts.read) +
             " (read timeout)";
    case Kind::connection_error: return "could not connect to the Archon API";
    case Kind::request_error: break;
  }
  return "the request to the Archon API failed";
}

std::string_view exception_type(backend::TransportError::Kind kind) {
  switch (kind) {
    case Kind::connect_timeout: return "ConnectTimeout";
    case Kind::read_timeout: return "ReadTimeout";
    case Kind::connection_error: return "ConnectError";
    case Kind::request_error: break;
  }
  return "RequestError";
}

json from_transport(const backend::TransportError& error, std::string_view operation,
                    const backend::Timeouts& timeouts, const json& context) {
  const std::string text = describe_transport(error, timeouts);
  json details{{"exception_type", exception_type(error.kind())}, {"exception_message", text}};
  if (truthy(context)) details["context"] = context;
  return format_error(transport_type(error.kind()), "Failed to " + std::string(operation) + ": " + text,
                      details, transport_suggestion(error.kind()));
}

json validation_error(std::string_view message, std::string_view suggestion) {
  return format_error("validation_error", message, nullptr, suggestion);
}

json not_found(std::string_view message, std::string_view suggestion) {
  return format_error("not_found", message, nullptr, suggestion, 404);
}

json invalid_action(std::string_view message, std::string_view suggestion) {
  return format_error("invalid_action", message, nullptr, suggestion);
}

json invalid_response(std::string_view message, const json& details, int http_status) {
  return format_error("invalid_response", message, details,
                      "Check that the configured backend URL points at the Archon API server",
                      http_status);
}

json unknown_error(std::string_view operation, std::string_view what) {
  const std::string message = "Failed to " + std::string(operation) + ": " + std::string(what);
  return format_error("unknown_error", message,
                      json{{"exception_type", "Exception"}, {"exception_message", what}});
}

}  // namespace mcpgate::tools::archon::errors
