#include "mcpgate/transport/stateless_http.hpp"

#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/request_meta.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/transport/connection_hooks.hpp"
#include "mcpgate/transport/request_access.hpp"
#include "mcpgate/transport/request_headers.hpp"
#include "mcpgate/transport/sse.hpp"
#include "mcpgate/transport/sse_writer.hpp"
#include "mcpgate/util/text.hpp"

#include <atomic>
#include <mutex>

namespace mcpgate::transport {

using json = nlohmann::json;
namespace code = jsonrpc::code;

namespace {

// How long a request that sends nothing may take and still be answered as one body; past that
// (a day: no client waits so long) the stream starts, empty, and the answer follows on it.
constexpr std::chrono::hours unanswered_wait{24};
// How large an answer may be to go as one body (copied once into the response); a larger one
// is streamed from the buffer a slice at a time.
constexpr std::size_t stateless_answer_max_bytes = 1024 * 1024;

// The modern era answers some errors with their own HTTP status, so that a client (or a proxy)
// can tell them without reading the body: an unknown method is 404, a request the server will
// not serve as sent is 400.
int status_for(const json& response) {
  const auto error = response.find("error");
  if (error == response.end() || !error->is_object()) return 200;
  switch (error->value("code", 0)) {
    case code::method_not_found:
      return 404;
    case code::header_mismatch:
    case code::missing_client_capability:
    case code::unsupported_protocol_version:
      return 400;
    default:
      return 200;
  }
}

// The request's stream, counting what the handler sends before its response: an answer with
// nothing before it goes as application/json, with the status its error calls for.
class CountingOutbox final : public protocol::Outbox {
 public:
  explicit CountingOutbox(std::shared_ptr<EventStream> stream) : stream_(std::move(stream)) {}
  bool send(const json& message) override {
    sent_.fetch_add(1, std::memory_order_relaxed);
    return stream_->send(message);
  }
  void finish() override { stream_->finish(); }
  void close() override { stream_->close(); }
  void request_disconnect() override { stream_->request_disconnect(); }
  [[nodiscard]] std::size_t sent() const { return sent_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<EventStream> stream_;
  std::atomic<std::size_t> sent_{0};
};

// The response, kept beside its SSE frame for the answer that goes as one JSON body.
struct Answer {
  std::mutex mutex;
  std::optional<json> response;
};

void send_response(httplib::Response& res, const json& response) {
  res.status = status_for(response);
  res.set_content(jsonrpc::dump(response), "application/json");
}

}  // namespace

std::shared_ptr<EventStream> StatelessHttp::response_stream(const char* id,
                                                           const char* owner) const {
  // Nothing to resume on this era: no ids, no replay; the byte budget bounds what waits for a
  // client that stopped reading.
  return std::make_shared<EventStream>(
      id, EventStreamOptions{.replay_events = 0,
                             .max_bytes = deps_.options.max_stream_bytes,
                             .with_ids = false,
                             .owner = owner,
                             .counters = deps_.options.counters});
}

bool StatelessHttp::claims(const httplib::Request& req, const jsonrpc::Parsed& parsed) {
  if (parsed.batch || parsed.items.size() != 1) return false;
  const auto* message = std::get_if<jsonrpc::Message>(&parsed.items.front());
  if (message == nullptr) return false;
  const json* params = nullptr;
  if (const auto* request = std::get_if<jsonrpc::Request>(message)) params = &request->params;
  if (const auto* notification = std::get_if<jsonrpc::Notification>(message))
    params = &notification->params;
  if (params != nullptr && protocol::has_modern_meta(*params)) return true;
  const std::string* version = http::header(req, protocol_version_header);
  return version != nullptr && !protocol::is_supported(*version) &&
         !req.has_header("Mcp-Session-Id");
}

void StatelessHttp::post(const httplib::Request& req, httplib::Response& res,
                         jsonrpc::Parsed parsed) const {
  auto& message = std::get<jsonrpc::Message>(parsed.items.front());
  if (auto* request = std::get_if<jsonrpc::Request>(&message)) {
    serve(req, res, std::move(*request));
    return;
  }
  if (std::holds_alternative<jsonrpc::Notification>(message)) {
    // The revision defines no client notifications over HTTP (closing a stream cancels).
    res.status = 202;
    return;
  }
  http::send_error(res, 400, code::invalid_request,
                   "Invalid Request: a client sends no JSON-RPC responses on protocol " +
                       std::string(protocol::modern_version) +
                       " (input goes into the retried request's inputResponses)");
}

void StatelessHttp::serve(const httplib::Request& req, httplib::Response& res,
                          jsonrpc::Request request) const {
  const json id = request.id;
  auto refuse = [&](int status, int error, const std::string& message, json data = nullptr) {
    res.status = status;
    res.set_content(jsonrpc::dump(jsonrpc::make_error(id, error, message, std::move(data))),
                    "application/json");
  };
  // The version first: the header and the body must name the same one before either is read.
  const std::string* sent_version = http::header(req, protocol_version_header);
  const auto meta_version = protocol::meta_protocol_version(request.params);
  if (sent_version == nullptr) {
    refuse(400, code::header_mismatch,
           "Header mismatch: the MCP-Protocol-Version header is required");
    return;
  }
  if (meta_version && *sent_version != *meta_version) {
    refuse(400, code::header_mismatch,
           "Header mismatch: MCP-Protocol-Version header '" + util::printable(*sent_version) +
               "' does not match the body's protocol version '" +
               util::printable(*meta_version) + "'");
    return;
  }
  protocol::RequestMeta meta;
  try {
    meta = protocol::parse_request_meta(request.params);
  } catch (const jsonrpc::Error& e) {
    refuse(400, e.code(), e.what(), e.data());
    return;
  }
  if (auto why = standard_header_mismatch(req, request, meta.protocol_version)) {
    refuse(400, code::header_mismatch, "Header mismatch: " + *why);
    return;
  }
  const bool sse_ok = http::accepts(req, sse::content_type);
  const bool json_ok = http::accepts(req, "application/json");
  std::shared_ptr<const SharedContext> context;
  try {
    context = deps_.context_gate.get();
  } catch (const InitError& e) {
    http::send_init_error(res, e);
    return;
  }
  if (request.method == "tools/call") {
    // Arguments a tool mirrors into Mcp-Param-* headers must say what the headers say.
    const auto& params = request.params;
    const auto name = params.find("name");
    const auto lists = context->lists->current();
    const auto* entry = name != params.end() && name->is_string()
                            ? lists->tools.find(name->get_ref<const std::string&>())
                            : nullptr;
    if (entry != nullptr) {
      const auto arguments = params.find("arguments");
      static const json none = json::object();
      if (auto why = custom_header_mismatch(req, arguments != params.end() ? *arguments : none,
                                            entry->listing.at("inputSchema"))) {
        refuse(400, code::header_mismatch, "Header mismatch: " + *why);
        return;
      }
    }
  }
  auto client = protocol::make_stateless_client(meta, std::move(context));
  if (auto access = access_of(req)) client->set_access(std::move(*access));
  if (protocol::Dispatcher::opens_stream(*client, request)) {
    listen(req, res, *client, request);
    return;
  }
  if (!sse_ok && !json_ok) {
    refuse(406, code::invalid_request,
           "Not Acceptable: Accept must include application/json and text/event-stream");
    return;
  }

  if (!sse_ok || (deps_.options.json_response && json_ok)) {
    // One JSON body, from this thread; what the request sends on the way has nowhere to go.
    // The client closing the connection meanwhile cancels it, as closing a stream would.
    const auto& dispatcher = deps_.runner.dispatcher();
    auto admission = dispatcher.admit(*client, request);
    if (auto* refused = std::get_if<json>(&admission)) {
      send_response(res, *refused);
      return;
    }
    auto cancelled = std::get<protocol::CancelFlag>(std::move(admission));
    std::shared_ptr<void> hangup;
    if (!protocol::Dispatcher::runs_inline(*client, request))  // one that may wait
      if (auto* connection = current_connection_hooks())
        hangup = connection->watch_hangup([cancelled] { cancelled->cancel(); });
    auto response = dispatcher.handle_request(*client, request, nullptr, cancelled);
    hangup.reset();
    if (response) send_response(res, *response);
    else res.status = 202;
    return;
  }

  auto stream = response_stream("r", "stateless");
  auto outbox = std::make_shared<CountingOutbox>(stream);
  auto answer = std::make_shared<Answer>();
  const auto generation = stream->attach();
  auto cancelled = deps_.runner.run_stateless(
      std::move(client), std::move(request), outbox,
      [stream, answer](std::optional<json> response) {
        if (response) {
          std::string frame = jsonrpc::dump(*response);
          {
            const std::lock_guard lock(answer->mutex);
            answer->response = std::move(response);
          }
          // The response and the stream's end together: a response that is all there is goes
          // out as one JSON body, never as a stream that happened to be looked at in between.
          if (stream->push("message", std::move(frame), true)) return;
        }
        stream->finish();
      },
      true);

  // Until the request sends a first message it may still be answered as one JSON body with the
  // HTTP status its error calls for (-32021 is 400 however long the call took to find out), so
  // the wait has no deadline; the client closing the connection meanwhile cancels the request.
  std::shared_ptr<void> hangup;
  if (!stream->finished())
    if (auto* connection = current_connection_hooks())
      hangup = connection->watch_hangup([cancelled, stream, generation] {
        cancelled->cancel();
        stream->client_gone(generation);  // and stop waiting for it at once
      });
  auto body = stream->take_finished(generation, 0, EventStream::Clock::now() + unanswered_wait,
                                    stateless_answer_max_bytes);
  hangup.reset();
  if (body) {
    stream->detach(generation);
    std::optional<json> response;
    {
      const std::lock_guard lock(answer->mutex);
      response = std::move(answer->response);
    }
    if (response && outbox->sent() == 0) {
      send_response(res, *response);
      return;
    }
    http::set_sse_headers(res);
    res.set_content(*body, sse::content_type);
    return;
  }
  http::set_sse_headers(res);
  WriterOptions options;
  options.heartbeat = deps_.options.heartbeat;
  res.set_chunked_content_provider(
      sse::content_type,
      [stream, generation, options, cancelled](std::size_t, httplib::DataSink& sink) {
        const auto outcome = pump_stream(sink, *stream, generation, 0, options);
        if (outcome == WriteOutcome::client_gone) {
          cancelled->cancel();  // closing the response stream is how a client cancels
          return false;
        }
        if (outcome != WriteOutcome::finished) cancelled->cancel();
        sink.done();
        return true;
      },
      [stream, generation, cancelled](bool complete) {
        if (!complete) cancelled->cancel();
        stream->detach(generation);
      });
}

void StatelessHttp::listen(const httplib::Request& req, httplib::Response& res,
                           protocol::ClientState& client, const jsonrpc::Request& request) const {
  if (!http::accepts(req, sse::content_type)) {
    res.status = 406;
    res.set_content(jsonrpc::dump(jsonrpc::make_error(
                        request.id, code::invalid_request,
                        "Not Acceptable: subscriptions/listen answers with a stream; Accept must "
                        "include text/event-stream")),
                    "application/json");
    return;
  }
  // Its byte budget bounds what waits for a client that stopped reading; past it the stream
  // ends (the client is told by the end, and listens again).
  auto stream = response_stream("s", "listen");
  auto opened = deps_.runner.dispatcher().listen(client, request, stream);
  if (auto* error = std::get_if<json>(&opened)) {
    send_response(res, *error);
    return;
  }
  std::shared_ptr<protocol::Subscriptions::Handle> subscription =
      std::move(std::get<std::unique_ptr<protocol::Subscriptions::Handle>>(opened));
  http::set_sse_headers(res);
  WriterOptions options;
  options.heartbeat = deps_.options.heartbeat;
  const auto generation = stream->attach();
  res.set_chunked_content_provider(
      sse::content_type,
      whole_stream_provider(stream, generation, options),
      // However the response ends, the subscription ends with it, at once.
      [stream, generation, subscription](bool) mutable {
        subscription.reset();
        stream->close();
        stream->detach(generation);
      });
}

}  // namespace mcpgate::transport
