#include "request_scope.hpp"

#include "mcpgate/jsonrpc.hpp"

namespace mcpgate::protocol {

using json = nlohmann::json;

namespace {
constexpr std::chrono::milliseconds cancel_poll{50};
}  // namespace

RequestScope::RequestScope(ClientState& client, std::shared_ptr<Outbox> out, json progress_token,
                           CancelFlag cancelled, std::chrono::milliseconds timeout,
                           InputRounds* rounds)
    : client_(client), out_(std::move(out)), progress_token_(std::move(progress_token)),
      cancelled_(std::move(cancelled)), default_timeout_(timeout), rounds_(rounds),
      version_(client.protocol_version()) {}

bool RequestScope::cancelled() const { return cancelled_->cancelled() || client_.ended(); }

void RequestScope::progress(double progress, std::optional<double> total,
                            std::string_view message) {
  if (progress_token_.is_null()) return;
  if (last_progress_ && progress <= *last_progress_) return;  // must increase
  last_progress_ = progress;
  json params{{"progressToken", progress_token_}, {"progress", progress}};
  if (total) params["total"] = *total;
  if (!message.empty()) params["message"] = message;
  send(jsonrpc::make_notification("notifications/progress", std::move(params)));
}

void RequestScope::log(tools::LogLevel level, json data, std::string_view logger) {
  if (level < client_.log_level()) return;
  json params{{"level", tools::to_string(level)}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = logger;
  send(jsonrpc::make_notification("notifications/message", std::move(params)));
}

bool RequestScope::client_supports(std::string_view capability) const {
  return client_.client_supports(capability);
}

tools::InputAnswers RequestScope::ask(const std::vector<tools::InputRequest>& requests) {
  if (rounds_ == nullptr) return ToolContext::ask(requests);  // a request to the client each
  return rounds_->take(requests, client_);
}

json RequestScope::request_client(std::string_view method, json params,
                                  std::chrono::milliseconds timeout) {
  if (rounds_ != nullptr) {
    // No server->client requests on the modern era: the same as one ask, its answer named by
    // the method and how many requests the handler made before (the same on every round).
    const std::string key = std::string(capability_for(method)) + "_" +
                            std::to_string(++client_requests_);
    auto answers = ask({tools::InputRequest{.key = key, .method = std::string(method),
                                            .params = std::move(params)}});
    return std::move(answers.at(key));
  }
  const auto capability = capability_for(method);
  if (!capability.empty() && !client_.client_supports(capability))
    throw tools::MissingClientCapability(std::string(capability));
  if (timeout.count() <= 0) timeout = default_timeout_;
  auto expectation = client_.replies().expect();
  send(jsonrpc::make_request(expectation.id, method, std::move(params)));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<jsonrpc::Response> response;
  while (!response) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline || cancelled() || expectation.slot->aborted()) break;
    response = expectation.slot->wait_until(std::min(deadline, now + cancel_poll));
  }
  if (!response) {
    client_.replies().forget(expectation.id);
    const bool timed_out = !cancelled() && !expectation.slot->aborted();
    if (timed_out)
      send(jsonrpc::make_notification(
          "notifications/cancelled",
          {{"requestId", expectation.id}, {"reason", "timed out waiting for the client"}}));
    throw tools::ClientRequestError(timed_out ? "the client did not answer " +
                                                    std::string(method) + " in time"
                                              : "the request was cancelled");
  }
  if (response->error) {
    throw tools::ClientRequestError("the client answered " + std::string(method) +
                                    " with an error: " +
                                    response->error->value("message", std::string("unknown")));
  }
  return response->result.value_or(json::object());
}

void RequestScope::drop_connection() {
  if (out_) out_->request_disconnect();
}

const std::string& RequestScope::session_id() const { return client_.id(); }
const std::string& RequestScope::protocol_version() const { return version_; }
std::string RequestScope::subject() const { return client_.access().subject; }

void RequestScope::send(const json& message) {
  const auto& outbox = out_ ? out_ : client_.outbox();
  if (outbox) outbox->send(message);
}

}  // namespace mcpgate::protocol
