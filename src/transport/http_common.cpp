#include "mcpgate/transport/http_common.hpp"

#include "mcpgate/transport/request_access.hpp"
#include "mcpgate/util/text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace mcpgate::transport::http {

void send_error(httplib::Response& res, int status, int code, std::string_view message,
                const nlohmann::json& id) {
  res.status = status;
  res.set_content(jsonrpc::dump(jsonrpc::make_error(id, code, message)), "application/json");
}

void send_init_error(httplib::Response& res, const InitError& error) {
  const auto seconds = std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::seconds>(error.retry_after()).count() +
             (error.retry_after().count() % 1000 ? 1 : 0));
  res.set_header("Retry-After", std::to_string(seconds));
  send_error(res, 503, jsonrpc::code::internal_error,
             std::string("Service unavailable: ") + error.what());
}

std::optional<jsonrpc::Parsed> parse_body(const TransportOptions& options,
                                          const httplib::Request& req, httplib::Response& res) {
  if (!is_json_body(req)) {
    send_error(res, 415, jsonrpc::code::transport_error,
               "Unsupported Media Type: Content-Type must be application/json");
    return std::nullopt;
  }
  auto parsed_or_error = jsonrpc::parse(req.body, options.max_parse_bytes);
  if (auto* error = std::get_if<jsonrpc::ParseError>(&parsed_or_error)) {
    send_error(res, error->too_costly ? 413 : 400, error->code, error->message);
    return std::nullopt;
  }
  auto& parsed = std::get<jsonrpc::Parsed>(parsed_or_error);
  if (!parsed.batch) {
    if (const auto* invalid = std::get_if<jsonrpc::Invalid>(&parsed.items.front())) {
      send_error(res, 400, invalid->code, invalid->message, invalid->id);
      return std::nullopt;
    }
  }
  return std::move(parsed);
}

nlohmann::json reply_id(const jsonrpc::Parsed& parsed) {
  if (parsed.batch || parsed.items.empty()) return nullptr;
  if (const auto* message = std::get_if<jsonrpc::Message>(&parsed.items.front()))
    if (const auto* request = std::get_if<jsonrpc::Request>(message)) return request->id;
  return nullptr;
}

std::shared_ptr<sessions::Session> open_session(const TransportDeps& deps,
                                                sessions::Transport transport,
                                                const httplib::Request& req,
                                                httplib::Response& res, const nlohmann::json& id) {
  std::shared_ptr<const SharedContext> context;
  try {
    context = deps.context_gate.get();
  } catch (const InitError& e) {
    send_init_error(res, e);
    return nullptr;
  }
  auto session = deps.sessions.create(transport, std::move(context));
  if (!session) {
    res.set_header("Retry-After", "5");
    send_error(res, 503, jsonrpc::code::transport_error,
               "Service unavailable: the server has reached its session limit", id);
    return session;
  }
  if (auto access = access_of(req)) {
    if (!access->subject.empty())
      spdlog::info("session {} ({}) belongs to {}", session->id(), sessions::to_string(transport),
                   util::printable(access->subject));
    session->set_access(std::move(*access));
  }
  return session;
}

bool admit_to_session(sessions::Session& session, const httplib::Request& req) {
  auto access = access_of(req);
  if (!access) return true;
  if (access->subject != session.access().subject) {
    spdlog::warn("session {}: refused a request from {}: the session belongs to {}", session.id(),
                 util::printable(access->subject), util::printable(session.access().subject));
    return false;
  }
  session.set_access(std::move(*access));
  return true;
}

const std::string* header(const httplib::Request& req, const std::string& name) {
  const auto it = req.headers.find(name);
  return it == req.headers.end() ? nullptr : &it->second;
}

namespace {

std::string_view trim_view(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A media range without its parameters ("text/html;q=0.5" -> "text/html").
std::string_view media_range(std::string_view item) {
  return trim_view(item.substr(0, item.find(';')));
}

}  // namespace

// Every request passes through here (twice for a POST): no copies, one header lookup.
bool accepts(const httplib::Request& req, std::string_view media_type) {
  const std::string* value = header(req, "Accept");
  if (!value) return true;
  const std::string_view family = media_type.substr(0, media_type.find('/'));
  std::string_view rest = *value;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view range = media_range(rest.substr(0, comma));
    if (util::iequals(range, media_type) || range == "*/*") return true;
    const std::size_t slash = range.find('/');
    if (slash != std::string_view::npos && range.substr(slash) == "/*" &&
        util::iequals(range.substr(0, slash), family))
      return true;
    if (comma == std::string_view::npos) return false;
    rest.remove_prefix(comma + 1);
  }
}

bool is_json_body(const httplib::Request& req) {
  const std::string* value = header(req, "Content-Type");
  return value && util::iequals(media_range(*value), "application/json");
}

void set_sse_headers(httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
}

}  // namespace mcpgate::transport::http
