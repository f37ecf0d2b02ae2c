#include "mcpgate/transport/request_runner.hpp"

#include "mcpgate/protocol/methods.hpp"
#include "mcpgate/transport/connection_hooks.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace mcpgate::transport {

using json = nlohmann::json;

namespace {

// Counts the responses still owed to one POST stream and finishes it after the last.
struct Completion {
  std::shared_ptr<EventStream> out;
  std::atomic<std::size_t> remaining;
  bool finish_out;

  void deliver(const std::optional<json>& response) {
    if (response) out->push("message", jsonrpc::dump(*response));
    if (remaining.fetch_sub(1) == 1 && finish_out) out->finish();
  }
};

json error_for(const jsonrpc::Invalid& invalid) {
  return jsonrpc::make_error(invalid.id, invalid.code, invalid.message);
}

// The call of a tool that sends the client nothing while it runs (instant or silent), alone in
// its POST: what may run on the POST's thread after its 202.
const jsonrpc::Request* lone_quiet_call(const std::vector<jsonrpc::Item>& items,
                                        const protocol::ClientState& session) {
  if (items.size() != 1) return nullptr;
  const auto* message = std::get_if<jsonrpc::Message>(&items.front());
  const auto* request = message ? std::get_if<jsonrpc::Request>(message) : nullptr;
  if (request == nullptr) return nullptr;
  const protocol::Method* method =
      protocol::find_method(request->method, session.protocol_version(), session.context());
  if (method == nullptr || method->placement != protocol::Placement::tool_style) return nullptr;
  return protocol::Dispatcher::runs_inline(session, *request, true) ? request : nullptr;
}

}  // namespace

std::size_t RequestRunner::run_async(const std::shared_ptr<sessions::Session>& session,
                                     std::vector<jsonrpc::Item> items,
                                     const std::shared_ptr<EventStream>& out,
                                     bool finish_out) const {
  std::vector<jsonrpc::Request> requests;
  std::vector<json> immediate;  // errors for invalid items
  for (auto& item : items) {
    if (auto* invalid = std::get_if<jsonrpc::Invalid>(&item)) {
      immediate.push_back(error_for(*invalid));
      continue;
    }
    auto& message = std::get<jsonrpc::Message>(item);
    if (auto* request = std::get_if<jsonrpc::Request>(&message))
      requests.push_back(std::move(*request));
    else
      take(*session, message);
  }
  const std::size_t total = requests.size() + immediate.size();
  if (total == 0) return 0;

  auto completion = std::make_shared<Completion>();
  completion->out = out;
  completion->remaining = total;
  completion->finish_out = finish_out;
  for (const auto& error : immediate) completion->deliver(error);

  // A POST stream's thread has nothing to do but wait for its one answer: a silent call can run
  // right there, saving two thread hand-offs.
  const bool caller_only_waits = finish_out && requests.size() == 1;
  for (auto& request : requests) {
    if (protocol::Dispatcher::runs_inline(*session, request, caller_only_waits)) {
      completion->deliver(dispatcher_.handle_request(*session, request, out));
      continue;
    }
    // Admitted before it takes a thread: a session at its in-flight cap is answered at once.
    auto admission = dispatcher_.admit(*session, request);
    if (auto* refused = std::get_if<json>(&admission)) {
      completion->deliver(std::move(*refused));
      continue;
    }
    const std::string method = request.method;
    auto job = [this, session, completion, request = std::move(request),
                admitted = std::get<protocol::CancelFlag>(std::move(admission))]() mutable {
      completion->deliver(
          dispatcher_.handle_request(*session, request, completion->out, std::move(admitted)));
    };
    if (!executor_.try_submit(job)) {
      spdlog::warn("session {}: executor full; running {} on the connection thread",
                   session->id(), method);
      job();
    }
  }
  return total;
}

std::size_t RequestRunner::run_accepted(const std::shared_ptr<sessions::Session>& session,
                                        std::vector<jsonrpc::Item> items,
                                        const std::shared_ptr<EventStream>& out) const {
  auto* connection = current_connection_hooks();
  const auto* quiet = connection ? lone_quiet_call(items, *session) : nullptr;
  if (quiet == nullptr) return run_async(session, std::move(items), out, false);
  // Admitted now, as before any hand-off: a session at its in-flight cap (or reusing the id of
  // a running request) is refused at once, and a cancellation finds the call from now on.
  auto admission = dispatcher_.admit(*session, *quiet);
  if (auto* refused = std::get_if<json>(&admission)) {
    out->push("message", jsonrpc::dump(*refused));
    return 1;
  }
  auto request = std::make_shared<jsonrpc::Request>(std::move(
      std::get<jsonrpc::Request>(std::get<jsonrpc::Message>(items.front()))));
  auto job = [this, session, out, request,
              admitted = std::get<protocol::CancelFlag>(std::move(admission))]() mutable {
    try {
      if (auto response = dispatcher_.handle_request(*session, *request, out, std::move(admitted)))
        out->push("message", jsonrpc::dump(*response));
    } catch (const std::exception& e) {
      spdlog::error("session {}: {} after its 202: {}", session->id(), request->method, e.what());
    }
  };
  if (connection->after_response(job)) return 1;
  if (!executor_.try_submit(job)) {
    spdlog::warn("session {}: executor full; running {} on the connection thread",
                 session->id(), request->method);
    job();
  }
  return 1;
}

protocol::CancelFlag RequestRunner::run_stateless(
    std::shared_ptr<protocol::ClientState> client, jsonrpc::Request request,
    std::shared_ptr<protocol::Outbox> out, std::function<void(std::optional<json>)> deliver,
    bool caller_only_waits) const {
  // A client built for one request has nothing else in flight: admission cannot refuse it.
  auto admission = dispatcher_.admit(*client, request);
  if (auto* refused = std::get_if<json>(&admission)) {
    deliver(std::move(*refused));
    return std::make_shared<util::Cancellation>();
  }
  auto cancelled = std::get<protocol::CancelFlag>(std::move(admission));
  if (protocol::Dispatcher::runs_inline(*client, request, caller_only_waits)) {
    // A call that may wait runs here only because this thread would otherwise just wait for
    // it: the client closing the connection meanwhile is its cancellation, as on a stream.
    std::shared_ptr<void> hangup;
    if (!protocol::Dispatcher::runs_inline(*client, request))
      if (auto* connection = current_connection_hooks())
        hangup = connection->watch_hangup([cancelled] { cancelled->cancel(); });
    deliver(dispatcher_.handle_request(*client, request, out, cancelled));
    return cancelled;
  }
  const std::string method = request.method;
  auto job = [this, client = std::move(client), request = std::move(request),
              out = std::move(out), deliver = std::move(deliver), cancelled]() mutable {
    deliver(dispatcher_.handle_request(*client, request, out, cancelled));
  };
  if (!executor_.try_submit(job)) {
    spdlog::warn("executor full; running stateless {} on the connection thread", method);
    job();
  }
  return cancelled;
}

std::vector<json> RequestRunner::run_here(const std::shared_ptr<sessions::Session>& session,
                                          std::vector<jsonrpc::Item> items) const {
  std::vector<json> responses;
  for (auto& item : items) {
    if (auto* invalid = std::get_if<jsonrpc::Invalid>(&item)) {
      responses.push_back(error_for(*invalid));
      continue;
    }
    auto& message = std::get<jsonrpc::Message>(item);
    if (auto* request = std::get_if<jsonrpc::Request>(&message)) {
      if (auto response = dispatcher_.handle_request(*session, *request, nullptr))
        responses.push_back(std::move(*response));
    } else {
      take(*session, message);
    }
  }
  return responses;
}

void RequestRunner::take(sessions::Session& session, const jsonrpc::Message& message) const {
  json wire{{"jsonrpc", "2.0"}};
  if (const auto* notification = std::get_if<jsonrpc::Notification>(&message)) {
    if (dispatcher_.handle_notification(session, *notification) || !unclaimed_) return;
    wire["method"] = notification->method;
    if (!notification->params.is_null()) wire["params"] = notification->params;
  } else {
    const auto& response = std::get<jsonrpc::Response>(message);
    if (dispatcher_.handle_response(session, response) || !unclaimed_) return;
    wire["id"] = response.id;
    if (response.error) wire["error"] = *response.error;
    else wire["result"] = response.result.value_or(json::object());
  }
  unclaimed_(session, wire);
}

}  // namespace mcpgate::transport
