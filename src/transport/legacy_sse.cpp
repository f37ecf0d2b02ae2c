#include "mcpgate/transport/legacy_sse.hpp"

#include "mcpgate/protocol/methods.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/transport/sse.hpp"
#include "mcpgate/transport/sse_writer.hpp"
#include "mcpgate/transport/stream_set.hpp"
#include "mcpgate/util/text.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::transport {

namespace code = jsonrpc::code;

namespace {

// The first request of `items` that only an initialized session may make (not initialize, not
// ping); null when there is none.
const jsonrpc::Request* first_request_needing_initialize(const std::vector<jsonrpc::Item>& items,
                                                         const SharedContext& context) {
  for (const auto& item : items) {
    const auto* message = std::get_if<jsonrpc::Message>(&item);
    const auto* request = message ? std::get_if<jsonrpc::Request>(message) : nullptr;
    if (request == nullptr) continue;
    const protocol::Method* method = protocol::find_method(request->method, "", context);
    if (method == nullptr || !method->before_initialize) return request;
  }
  return nullptr;
}

}  // namespace

std::string LegacySse::endpoint_url(std::string_view request_path, std::string_view post_path,
                                    std::string_view session_id) {
  return relative_endpoint_url(request_path, post_path, session_id);
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

std::string LegacySse::endpoint_event_url(const httplib::Request& req,
                                          const std::string& session_id) const {
  constexpr const char* prefix_header = "X-Forwarded-Prefix";
  std::optional<std::string_view> prefix;
  const auto count = req.get_header_value_count(prefix_header);
  // Two prefixes (a client's and the proxy's appended) cannot be told apart: use neither.
  const bool ambiguous = endpoint_.trust_forwarded && count > 1;
  const std::string value = count > 0 ? req.get_header_value(prefix_header) : std::string();
  if (count == 1) prefix = value;
  auto url = transport::endpoint_url(endpoint_, req.path, prefix, post_path_, session_id);
  if (url.prefix_ignored || ambiguous)
    spdlog::warn("ignoring {} X-Forwarded-Prefix{} on GET {} (must start with '/', at most {} of "
                 "[A-Za-z0-9/_.~-], no '..' or '//'): {}; the endpoint URL stays relative",
                 ambiguous ? "repeated" : "invalid", ambiguous ? " headers" : "", req.path,
                 max_forwarded_prefix, util::printable(value));
  return std::move(url.url);
}

void LegacySse::open(const httplib::Request& req, httplib::Response& res) const {
  if (!http::accepts(req, sse::content_type)) {
    http::send_error(res, 406, code::transport_error,
                     "Not Acceptable: the SSE endpoint requires Accept: text/event-stream");
    return;
  }
  auto session = http::open_session(deps_, sessions::Transport::legacy_sse, req, res);
  if (!session) return;
  auto stream = streams_of(*session).session_stream();
  const auto generation = stream->attach();

  http::set_sse_headers(res);
  WriterOptions options;
  options.heartbeat = deps_.options.heartbeat;
  options.first_frame = sse::event("endpoint", "", endpoint_event_url(req, session->id()));
  std::weak_ptr<sessions::Session> weak = session;
  options.on_activity = [weak] {
    if (auto s = weak.lock()) s->touch();
  };
  auto& registry = deps_.sessions;
  const std::string id = session->id();
  res.set_chunked_content_provider(
      sse::content_type,
      whole_stream_provider(stream, generation, options),
      // The stream is the session: when it ends, for whatever reason (cut off over its byte
      // budget too), so does the session.
      [&registry, id, stream, generation](bool) {
        stream->detach(generation);
        registry.remove(id);
      });
}

void LegacySse::post(const httplib::Request& req, httplib::Response& res) const {
  // The message first, as on Streamable HTTP: a lone message that is not JSON-RPC gets its
  // 400 whatever the session id says; later errors name its request's id.
  auto checked = http::parse_body(deps_.options, req, res);
  if (!checked) return;
  auto& parsed = *checked;
  const nlohmann::json message_id = http::reply_id(parsed);
  std::string id = req.get_param_value("sessionId");
  if (id.empty()) id = req.get_param_value("session_id");
  if (id.empty()) {
    http::send_error(res, 400, code::transport_error,
                     "Bad Request: the sessionId query parameter is required", message_id);
    return;
  }
  auto session = deps_.sessions.find(id);
  if (!session || session->transport() != sessions::Transport::legacy_sse ||
      !http::admit_to_session(*session, req)) {
    http::send_error(res, 404, code::session_not_found,
                     "Session not found: its SSE stream has closed; connect to /sse again",
                     message_id);
    return;
  }
  // A stream over its byte budget ends once what it holds is written, and the session with it:
  // an answer accepted now could never arrive.
  if (streams_of(*session).session_stream()->overflowed()) {
    http::send_error(res, 404, code::session_not_found,
                     "Session not found: its SSE stream went over its byte budget "
                     "(--max-stream-bytes) while the client was not reading and is ending; "
                     "connect to /sse again",
                     message_id);
    return;
  }
  if (parsed.batch && !protocol::allows_batches(session->protocol_version())) {
    http::send_error(res, 400, code::invalid_request,
                     "Invalid Request: JSON-RPC batches are not supported on this session");
    return;
  }
  // The 1.x TypeScript SDK reconnects a lost GET /sse, takes the new session's endpoint and
  // carries on without initializing it: serve it as the reference TypeScript server does.
  if (!session->initialized()) {
    const auto* request = first_request_needing_initialize(parsed.items, session->context());
    if (request != nullptr && session->initialize_implicitly(protocol::implicit_legacy_version))
      spdlog::info("session {}: {} came before any initialize; serving the session as an "
                   "implicitly initialized {} session with no client capabilities (a client "
                   "that reconnected GET /sse)",
                   session->id(), util::printable(request->method),
                   protocol::implicit_legacy_version);
  }
  // A lone quiet call runs once the 202 is sent, on this thread (RequestRunner::run_accepted).
  deps_.runner.run_accepted(session, std::move(parsed.items), streams_of(*session).session_stream());
  res.status = 202;
  res.set_content("Accepted", "text/plain");
}

}  // namespace mcpgate::transport
