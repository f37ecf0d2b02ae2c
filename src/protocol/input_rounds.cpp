#include "input_rounds.hpp"

#include "mcpgate/jsonrpc.hpp"

namespace mcpgate::protocol {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

namespace {

// Whether `answer` has the shape of a result of `method`: one that does not is treated as not
// given (the request asks for it again) rather than handed to a handler that would misread it.
bool fits_method(std::string_view method, const json& answer) {
  if (method == "elicitation/create") {
    const auto action = answer.find("action");
    return action != answer.end() &&
           (*action == "accept" || *action == "decline" || *action == "cancel");
  }
  if (method == "sampling/createMessage") {
    const auto content = answer.find("content");
    return content != answer.end() && (content->is_object() || content->is_array());
  }
  if (method == "roots/list") {
    const auto roots = answer.find("roots");
    return roots != answer.end() && roots->is_array();
  }
  return false;
}

}  // namespace

std::string_view capability_for(std::string_view method) {
  if (method == "sampling/createMessage") return "sampling";
  if (method == "elicitation/create") return "elicitation";
  if (method == "roots/list") return "roots";
  return {};
}

json input_requests_json(const std::vector<tools::InputRequest>& requests) {
  json out = json::object();
  for (const auto& request : requests)
    out[request.key] = {{"method", request.method},
                        {"params", request.params.is_object() ? request.params : json::object()}};
  return out;
}

void refuse_missing_capability(const std::string& what,
                               const tools::MissingClientCapability& missing) {
  throw Error(code::missing_client_capability,
              "Missing required client capability: " + what + " needs '" + missing.capability() +
                  "', which the request's clientCapabilities do not declare",
              {{"requiredCapabilities", {{missing.capability(), json::object()}}}});
}

InputRounds::InputRounds(const json& params, StateBinding binding, const RequestStateCodec& codec)
    : binding_(std::move(binding)), codec_(codec) {
  if (auto it = params.find("inputResponses"); it != params.end()) {
    if (!it->is_object())
      throw Error(code::invalid_params, "Invalid params: inputResponses must be an object");
    for (const auto& [key, answer] : it->items())
      if (!answer.is_object())
        throw Error(code::invalid_params,
                    "Invalid params: inputResponses['" + key + "'] must be an object (a result)");
    responses_ = *it;
  }
  if (auto it = params.find("requestState"); it != params.end()) {
    if (!it->is_string())
      throw Error(code::invalid_params, "Invalid params: requestState must be a string");
    try {
      auto opened = codec_.open(it->get_ref<const std::string&>(), binding_);
      carried_ = std::move(opened.answers);
      round_ = opened.round;
    } catch (const StateRejected& e) {
      throw Error(code::invalid_params, std::string("Invalid params: ") + e.what());
    }
  }
}

tools::InputAnswers InputRounds::take(const std::vector<tools::InputRequest>& requests,
                                      const ClientState& client) {
  for (const auto& request : requests) {
    const auto capability = capability_for(request.method);
    if (capability.empty())
      throw tools::ClientRequestError("cannot ask a client for " + request.method);
    if (!client.client_supports(capability))
      throw tools::MissingClientCapability(std::string(capability));
  }
  tools::InputAnswers given;
  std::vector<tools::InputRequest> missing;
  for (const auto& request : requests) {
    const json* answer = nullptr;
    if (auto it = carried_.find(request.key); it != carried_.end() && fits_method(request.method, *it))
      answer = &*it;
    else if (auto fresh = responses_.find(request.key);
             fresh != responses_.end() && fits_method(request.method, *fresh))
      answer = &*fresh;
    if (answer == nullptr) {
      missing.push_back(request);
      continue;
    }
    handed_[request.key] = *answer;
    given[request.key] = *answer;
  }
  if (!missing.empty()) throw tools::InputRequired(std::move(missing));
  return given;
}

json InputRounds::input_required_result(const tools::InputRequired& needed) const {
  std::string state;
  try {
    state = codec_.seal(binding_, handed_, round_ + 1);
  } catch (const std::length_error& e) {
    throw Error(code::invalid_params, std::string("Invalid params: ") + e.what());
  }
  return json{{"resultType", "input_required"},
              {"inputRequests", input_requests_json(needed.requests())},
              {"requestState", std::move(state)}};
}

}  // namespace mcpgate::protocol
