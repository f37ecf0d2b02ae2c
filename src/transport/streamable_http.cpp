#include "mcpgate/transport/streamable_http.hpp"

#include "mcpgate/protocol/methods.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/transport/sse.hpp"
#include "mcpgate/transport/sse_writer.hpp"
#include "mcpgate/transport/stream_set.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::transport {

using json = nlohmann::json;
namespace code = jsonrpc::code;

namespace {

constexpr const char* session_header = "Mcp-Session-Id";
// How long a POST's answer may take to be sent as one complete body rather than streamed.
constexpr std::chrono::milliseconds complete_answer_wait{50};
// ...and how large it may be to go as one body (copied once into the response); a larger answer
// is streamed from the buffer a slice at a time.
constexpr std::size_t complete_answer_max_bytes = 1024 * 1024;
constexpr const char* version_header = "MCP-Protocol-Version";

const jsonrpc::Request* as_request(const jsonrpc::Item& item) {
  if (const auto* message = std::get_if<jsonrpc::Message>(&item))
    return std::get_if<jsonrpc::Request>(message);
  return nullptr;
}

}  // namespace

void StreamableHttp::install(httplib::Server& server, const std::string& path) {
  server.Post(path, [this](const httplib::Request& req, httplib::Response& res) { post(req, res); });
  server.Get(path, [this](const httplib::Request& req, httplib::Response& res) { get(req, res); });
  server.Delete(path,
                [this](const httplib::Request& req, httplib::Response& res) { remove(req, res); });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Allow", "GET, POST, DELETE");
    http::send_error(res, 405, code::transport_error, "Method Not Allowed");
  };
  server.Put(path, not_allowed);
  server.Patch(path, not_allowed);
}

bool StreamableHttp::check_version_header(const httplib::Request& req, httplib::Response& res,
                                          const json& id) const {
  const std::string* version = http::header(req, version_header);
  if (!version) return true;  // assume 2025-03-26
  if (protocol::is_supported(*version)) return true;
  http::send_error(res, 400, code::transport_error,
                   "Bad Request: Unsupported protocol version: " + sse::single_line(*version) +
                       " (supported: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05)",
                   id);
  return false;
}

std::shared_ptr<sessions::Session> StreamableHttp::session_for(const httplib::Request& req,
                                                               httplib::Response& res,
                                                               const json& id) const {
  const auto [first, last] = req.headers.equal_range(session_header);
  if (first != last && std::next(first) != last) {
    http::send_error(res, 400, code::transport_error,
                     "Bad Request: more than one Mcp-Session-Id header", id);
    return nullptr;
  }
  if (first == last || first->second.empty()) {
    http::send_error(res, 400, code::transport_error,
                     "Bad Request: Mcp-Session-Id header is required", id);
    return nullptr;
  }
  auto session = deps_.sessions.find(first->second);
  // Not held here: a session this process (before a restart) or another instance kept in the
  // store is carried on.
  if (!session && deps_.sessions.keeps_records()) {
    std::shared_ptr<const SharedContext> context;
    try {
      context = deps_.context_gate.get();
    } catch (const InitError& e) {
      http::send_init_error(res, e);
      return nullptr;
    }
    bool at_cap = false;
    session = deps_.sessions.restore(first->second, std::move(context), &at_cap);
    if (at_cap) {
      res.set_header("Retry-After", "5");
      http::send_error(res, 503, code::transport_error,
                       "Service unavailable: the server has reached its session limit", id);
      return nullptr;
    }
  }
  // Another user's token gets what an unknown id gets; a session restored from the store is
  // bound to the subject its record names.
  if (!session || session->transport() != sessions::Transport::streamable_http ||
      !http::admit_to_session(*session, req)) {
    http::send_error(res, 404, code::session_not_found,
                     "Session not found: it has ended or expired; initialize a new one", id);
    return nullptr;
  }
  return session;
}

void StreamableHttp::post(const httplib::Request& req, httplib::Response& res) const {
  // The message first: whatever else is wrong, a client that sent no valid JSON-RPC is told
  // that (with or without a session id), and every later error names its request's id.
  auto checked = http::parse_body(deps_.options, req, res);
  if (!checked) return;
  auto& parsed = *checked;
  if (StatelessHttp::claims(req, parsed)) {
    stateless_.post(req, res, std::move(parsed));
    return;
  }
  const json id = http::reply_id(parsed);
  const bool sse_ok = http::accepts(req, sse::content_type);
  const bool json_ok = http::accepts(req, "application/json");
  if (!sse_ok && !json_ok) {
    http::send_error(res, 406, code::transport_error,
                     "Not Acceptable: Accept must include application/json and text/event-stream",
                     id);
    return;
  }
  if (!check_version_header(req, res, id)) return;
  const bool want_sse = sse_ok && (!deps_.options.json_response || !json_ok);

  // initialize opens a session, so it comes without one and alone.
  for (const auto& item : parsed.items) {
    const auto* request = as_request(item);
    if (!request || !protocol::is_initialize(request->method)) continue;
    if (parsed.batch) {
      http::send_error(res, 400, code::invalid_request,
                       "Invalid Request: initialize must not be part of a batch", request->id);
      return;
    }
    if (req.has_header(session_header)) {
      http::send_error(res, 400, code::invalid_request,
                       "Invalid Request: initialize must be sent without Mcp-Session-Id",
                       request->id);
      return;
    }
    initialize(req, res, *request, want_sse);
    return;
  }

  auto session = session_for(req, res, id);
  if (!session) return;
  if (parsed.batch && !protocol::allows_batches(session->protocol_version())) {
    http::send_error(res, 400, code::invalid_request,
                     "Invalid Request: JSON-RPC batches are not supported on protocol " +
                         session->protocol_version());
    return;
  }

  const bool carries_requests =
      std::any_of(parsed.items.begin(), parsed.items.end(), [](const jsonrpc::Item& item) {
        return as_request(item) || std::holds_alternative<jsonrpc::Invalid>(item);
      });
  if (!carries_requests) {
    deps_.runner.run_async(session, std::move(parsed.items), nullptr, false);
    res.status = 202;
    return;
  }

  if (!want_sse) {
    auto responses = deps_.runner.run_here(session, std::move(parsed.items));
    if (responses.empty()) {
      res.status = 202;  // every request was cancelled
      return;
    }
    const json body = parsed.batch ? json(responses) : responses.front();
    res.set_content(jsonrpc::dump(body), "application/json");
    return;
  }

  auto stream = streams_of(*session).open_request_stream();
  const auto generation = stream->attach();
  deps_.runner.run_async(session, std::move(parsed.items), stream, true);
  stream_response(res, session, stream, generation, 0);
}

void StreamableHttp::initialize(const httplib::Request& req, httplib::Response& res,
                                const jsonrpc::Request& request, bool want_sse) const {
  auto session = http::open_session(deps_, sessions::Transport::streamable_http, req, res, request.id);
  if (!session) return;
  auto response = deps_.runner.dispatcher().handle_request(*session, request, nullptr);
  if (!response || response->contains("error")) {
    deps_.sessions.remove(session->id());
    res.status = 400;
    res.set_content(jsonrpc::dump(response ? *response
                                           : jsonrpc::make_error(request.id, code::internal_error,
                                                                 "initialize did not complete")),
                    "application/json");
    return;
  }
  deps_.sessions.save_record(*session);
  res.set_header(session_header, session->id());
  if (!want_sse) {
    res.set_content(jsonrpc::dump(*response), "application/json");
    return;
  }
  auto stream = streams_of(*session).open_request_stream();
  const auto generation = stream->attach();
  stream->push("message", jsonrpc::dump(*response));
  stream->finish();
  stream_response(res, session, stream, generation, 0);
}

bool StreamableHttp::refuse_modern(const httplib::Request& req, httplib::Response& res) {
  const std::string* version = http::header(req, version_header);
  if (version == nullptr || protocol::is_supported(*version) || req.has_header(session_header))
    return false;
  res.set_header("Allow", "POST");
  http::send_error(res, 405, code::invalid_request,
                   "Method Not Allowed: protocol " + sse::single_line(*version) +
                       " has no sessions and no GET stream; POST each request "
                       "(subscriptions/listen for notifications)");
  return true;
}

void StreamableHttp::get(const httplib::Request& req, httplib::Response& res) const {
  if (refuse_modern(req, res)) return;
  if (!http::accepts(req, sse::content_type)) {
    http::send_error(res, 406, code::transport_error,
                     "Not Acceptable: GET requires Accept: text/event-stream");
    return;
  }
  if (!check_version_header(req, res)) return;
  auto session = session_for(req, res);
  if (!session) return;

  std::shared_ptr<EventStream> stream;
  std::uint64_t after = 0;
  std::uint64_t generation = 0;
  const std::string last_event_id = req.get_header_value("Last-Event-ID");
  if (!last_event_id.empty()) {
    auto position = EventStream::parse_event_id(last_event_id);
    if (!position) {
      http::send_error(res, 400, code::transport_error, "Bad Request: malformed Last-Event-ID");
      return;
    }
    stream = streams_of(*session).find_stream(position->stream_id);
    if (!stream) {
      http::send_error(res, 400, code::transport_error,
                       "Bad Request: stream " + position->stream_id +
                           " can no longer be resumed");
      return;
    }
    after = position->seq;
    if (refuse_incomplete(res, *stream, after)) return;
    generation = stream->attach();  // a resume takes over from a stale connection
  } else {
    stream = streams_of(*session).session_stream();
    if (refuse_incomplete(res, *stream, stream->delivered())) return;
    auto attached = stream->try_attach_exclusive();
    if (!attached) {
      http::send_error(res, 409, code::transport_error,
                       "Conflict: this session already has an open GET stream");
      return;
    }
    generation = *attached;
    after = stream->delivered();
  }
  stream_response(res, session, stream, generation, after);
}

bool StreamableHttp::refuse_incomplete(httplib::Response& res, const EventStream& stream,
                                       std::uint64_t after_seq) {
  // 410 rather than a stream with a hole in it: the TypeScript SDK reports a failed resume
  // (onerror), retries it a bounded number of times and then gives the request up; a stream that
  // merely ended would be resumed again and again.
  const std::string from = stream.id() + "." + std::to_string(after_seq);
  switch (stream.resume_from(after_seq)) {
    case EventStream::Resume::complete:
      return false;
    case EventStream::Resume::evicted:
      http::send_error(res, 410, code::transport_error,
                       "Gone: the events after " + from +
                           " have left the replay buffer (--replay-events, --max-stream-bytes) "
                           "and cannot be replayed");
      return true;
    case EventStream::Resume::overflowed:
      http::send_error(res, 410, code::transport_error,
                       "Gone: stream " + stream.id() +
                           " went over its byte budget (--max-stream-bytes) while its client "
                           "was not reading; the messages after " +
                           from + " were dropped");
      return true;
  }
  return false;
}

void StreamableHttp::remove(const httplib::Request& req, httplib::Response& res) const {
  if (refuse_modern(req, res)) return;
  if (!check_version_header(req, res)) return;
  auto session = session_for(req, res);
  if (!session) return;
  deps_.sessions.remove(session->id());
  res.status = 200;
}

void StreamableHttp::stream_response(httplib::Response& res,
                                     const std::shared_ptr<sessions::Session>& session,
                                     const std::shared_ptr<EventStream>& stream,
                                     std::uint64_t generation, std::uint64_t after_seq) const {
  http::set_sse_headers(res);
  WriterOptions options;
  options.heartbeat = deps_.options.heartbeat;
  if (protocol::wants_priming(session->protocol_version()))
    options.first_frame = sse::priming(stream->id() + "." + std::to_string(after_seq),
                                       deps_.options.sse_retry_ms);
  std::weak_ptr<sessions::Session> weak = session;
  options.on_activity = [weak] {
    if (auto s = weak.lock()) s->touch();
  };
  const bool is_session_stream = stream == streams_of(*session).session_stream();
  // A POST's answer that is complete within a moment (its requests ran on this thread, or an
  // executor answered quickly, with nothing to stream before): one body, sent with the headers
  // in a single write, instead of a chunked stream. Anything else streams as soon as it has an
  // event or the moment passes.
  if (!is_session_stream) {
    if (auto body = stream->take_finished(generation, after_seq,
                                          EventStream::Clock::now() + complete_answer_wait,
                                          complete_answer_max_bytes)) {
      res.set_content(options.first_frame + *body, sse::content_type);
      streams_of(*session).retire_stream(stream->id());
      stream->detach(generation);
      return;
    }
  }
  res.set_chunked_content_provider(
      sse::content_type,
      [stream, generation, after_seq, options, weak, is_session_stream](std::size_t,
                                                                         httplib::DataSink& sink) {
        const auto outcome = pump_stream(sink, *stream, generation, after_seq, options);
        if (outcome == WriteOutcome::finished) {
          if (!is_session_stream)
            if (auto s = weak.lock()) streams_of(*s).retire_stream(stream->id());
          sink.done();
          return true;
        }
        if (outcome == WriteOutcome::client_gone) return false;
        // End the response cleanly (closed, superseded, asked to let the client poll, or cut
        // off): undelivered events stay buffered for a GET with Last-Event-ID, and a resume of a
        // stream that was cut off is answered 410 once it has nothing more to give.
        sink.done();
        return true;
      },
      [stream, generation](bool) { stream->detach(generation); });
}

}  // namespace mcpgate::transport
