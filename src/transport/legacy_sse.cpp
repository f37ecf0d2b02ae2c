#include "mcpgate/transport/legacy_sse.hpp"

#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/transport/sse.hpp"
#include "mcpgate/transport/sse_writer.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::transport {

namespace code = jsonrpc::code;

std::string LegacySse::endpoint_url(std::string_view request_path, std::string_view post_path,
                                    std::string_view session_id) {
  // A reference relative to the stream's URL: one "../" per directory level below the root,
  // so that a proxy's path prefix is kept by the client's URL resolution.
  std::size_t depth = 0;
  for (std::size_t i = 1; i < request_path.size(); ++i)
    if (request_path[i] == '/') ++depth;
  std::string url;
  for (std::size_t i = 0; i < depth; ++i) url += "../";
  url += post_path.substr(post_path.find_first_not_of('/') == std::string_view::npos
                              ? post_path.size()
                              : post_path.find_first_not_of('/'));
  url += "?sessionId=";
  url += session_id;
  return url;
}

void LegacySse::install(httplib::Server& server, const std::string& sse_path,
                        const std::string& post_path) {
  post_path_ = post_path;
  server.Get(sse_path, [this](const httplib::Request& req, httplib::Response& res) { open(req, res); });
  auto post_handler = [this](const httplib::Request& req, httplib::Response& res) { post(req, res); };
  server.Post(post_path, post_handler);
  // The Python SDK's conventional path, for clients configured by hand.
  if (post_path == "/messages") server.Post("/message", post_handler);
}

void LegacySse::open(const httplib::Request& req, httplib::Response& res) const {
  if (!http::accepts(req, sse::content_type)) {
    http::send_error(res, 406, code::transport_error,
                     "Not Acceptable: the SSE endpoint requires Accept: text/event-stream");
    return;
  }
  auto session = http::open_session(deps_, sessions::Transport::legacy_sse, res);
  if (!session) return;
  auto stream = session->session_stream();
  const auto generation = stream->attach();

  http::set_sse_headers(res);
  WriterOptions options;
  options.heartbeat = deps_.options.heartbeat;
  options.first_frame = sse::event("endpoint", "", endpoint_url(req.path, post_path_, session->id()));
  std::weak_ptr<sessions::Session> weak = session;
  options.on_activity = [weak] {
    if (auto s = weak.lock()) s->touch();
  };
  auto& registry = deps_.sessions;
  const std::string id = session->id();
  res.set_chunked_content_provider(
      sse::content_type,
      [stream, generation, options](std::size_t, httplib::DataSink& sink) {
        const auto outcome = pump_stream(sink, *stream, generation, 0, options);
        if (outcome == WriteOutcome::client_gone) return false;
        sink.done();
        return true;
      },
      // The stream is the session: when it ends, for whatever reason, so does the session.
      [&registry, id, stream, generation](bool) {
        stream->detach(generation);
        registry.remove(id);
      });
}

void LegacySse::post(const httplib::Request& req, httplib::Response& res) const {
  std::string id = req.get_param_value("sessionId");
  if (id.empty()) id = req.get_param_value("session_id");
  if (id.empty()) {
    http::send_error(res, 400, code::transport_error,
                     "Bad Request: the sessionId query parameter is required");
    return;
  }
  auto session = deps_.sessions.find(id);
  if (!session || session->transport() != sessions::Transport::legacy_sse) {
    http::send_error(res, 404, code::session_not_found,
                     "Session not found: its SSE stream has closed; connect to /sse again");
    return;
  }
  if (!http::is_json_body(req)) {
    http::send_error(res, 415, code::transport_error,
                     "Unsupported Media Type: Content-Type must be application/json");
    return;
  }
  auto parsed_or_error = jsonrpc::parse(req.body);
  if (auto* error = std::get_if<jsonrpc::ParseError>(&parsed_or_error)) {
    http::send_error(res, 400, error->code, error->message);
    return;
  }
  auto& parsed = std::get<jsonrpc::Parsed>(parsed_or_error);
  if (parsed.batch && !protocol::allows_batches(session->protocol_version())) {
    http::send_error(res, 400, code::invalid_request,
                     "Invalid Request: JSON-RPC batches are not supported on this session");
    return;
  }
  if (!parsed.batch) {
    if (const auto* invalid = std::get_if<jsonrpc::Invalid>(&parsed.items.front())) {
      http::send_error(res, 400, invalid->code, invalid->message, invalid->id);
      return;
    }
  }
  deps_.runner.run_async(session, std::move(parsed.items), session->session_stream(), false);
  res.status = 202;
  res.set_content("Accepted", "text/plain");
}

}  // namespace mcpgate::transport
