#include "mcpgate/transport/request_access.hpp"

#include <nlohmann/json.hpp>

namespace mcpgate::transport {

namespace {

// Not a token (RFC 9110 field names): never parsed from a client's request head.
constexpr const char* access_field = "mcpgate access";

}  // namespace

void attach_access(httplib::Request& req, const protocol::Access& access) {
  req.headers.erase(access_field);
  const nlohmann::json value{
      {"sub", access.subject}, {"scopes", access.scopes}, {"every", access.every_scope}};
  req.headers.emplace(access_field, value.dump());
}

std::optional<protocol::Access> access_of(const httplib::Request& req) {
  const auto found = req.headers.find(access_field);
  if (found == req.headers.end()) return std::nullopt;
  const auto value = nlohmann::json::parse(found->second);
  return protocol::Access{.subject = value.at("sub").get<std::string>(),
                          .scopes = value.at("scopes").get<std::vector<std::string>>(),
                          .every_scope = value.at("every").get<bool>()};
}

}  // namespace mcpgate::transport
