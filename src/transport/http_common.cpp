#include "mcpgate/transport/http_common.hpp"

#include "mcpgate/util/text.hpp"

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

std::shared_ptr<sessions::Session> open_session(const TransportDeps& deps,
                                                sessions::Transport transport,
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
  }
  return session;
}

bool accepts(const httplib::Request& req, std::string_view media_type) {
  if (!req.has_header("Accept")) return true;
  const std::string header = util::ascii_lower(req.get_header_value("Accept"));
  const std::string wanted = util::ascii_lower(media_type);
  const std::string family = wanted.substr(0, wanted.find('/')) + "/*";
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string::npos) comma = header.size();
    std::string range = header.substr(start, comma - start);
    range = util::trim(range.substr(0, range.find(';')));
    if (range == wanted || range == "*/*" || range == family) return true;
    start = comma + 1;
  }
  return false;
}

bool is_json_body(const httplib::Request& req) {
  const std::string type = util::ascii_lower(req.get_header_value("Content-Type"));
  return util::trim(type.substr(0, type.find(';'))) == "application/json";
}

void set_sse_headers(httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
}

}  // namespace mcpgate::transport::http
