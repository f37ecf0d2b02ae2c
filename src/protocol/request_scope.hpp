// What a tool's (or prompt's) handler sees of its request (tools::ToolContext): its client, the
// outbox its messages go to, the progress token, the cancellation flag, and on the modern era
// the request's multi round-trip input (input_rounds.hpp), which its asks are answered from.
#pragma once

#include "input_rounds.hpp"

#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/inflight.hpp"
#include "mcpgate/protocol/outbox.hpp"
#include "mcpgate/tools/tool.hpp"

#include <chrono>
#include <memory>
#include <optional>

namespace mcpgate::protocol {

class RequestScope final : public tools::ToolContext {
 public:
  // `rounds`: the request's input on the modern era (then ask() and request_client() never
  // send the client a request: they take answers from it or end the call with InputRequired);
  // null in a session. Must outlive the scope.
  RequestScope(ClientState& client, std::shared_ptr<Outbox> out, nlohmann::json progress_token,
               CancelFlag cancelled, std::chrono::milliseconds timeout,
               InputRounds* rounds = nullptr);

  bool cancelled() const override;
  void progress(double progress, std::optional<double> total, std::string_view message) override;
  void log(tools::LogLevel level, nlohmann::json data, std::string_view logger) override;
  bool client_supports(std::string_view capability) const override;
  nlohmann::json request_client(std::string_view method, nlohmann::json params,
                                std::chrono::milliseconds timeout) override;
  tools::InputAnswers ask(const std::vector<tools::InputRequest>& requests) override;
  void drop_connection() override;
  const std::string& session_id() const override;
  const std::string& protocol_version() const override;
  std::string subject() const override;

 private:
  void send(const nlohmann::json& message);

  ClientState& client_;
  std::shared_ptr<Outbox> out_;
  nlohmann::json progress_token_;
  CancelFlag cancelled_;
  std::chrono::milliseconds default_timeout_;
  InputRounds* rounds_;
  std::string version_;
  std::optional<double> last_progress_;
  unsigned client_requests_ = 0;  // request_client() calls so far (they name their answers)
};

}  // namespace mcpgate::protocol
