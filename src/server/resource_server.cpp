#include "mcpgate/server/resource_server.hpp"

#include "mcpgate/util/text.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::server {

using json = nlohmann::json;

namespace {

constexpr std::string_view metadata_prefix = "/.well-known/oauth-protected-resource";

// "https://host:port/path" -> {"https://host:port", "/path"}
std::pair<std::string, std::string> split_origin(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos) return {url, ""};
  return {url.substr(0, path_start), url.substr(path_start)};
}

// A quoted-string's content (RFC 9110): no quotes or backslashes, no control characters.
std::string quotable(std::string_view text) {
  std::string out;
  for (const char c : text)
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) out += c;
  return out;
}

// The token of "Bearer <token>" (scheme case-insensitive), or "" for none.
std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size() || !util::iequals(header.substr(0, scheme.size()), scheme))
    return {};
  auto token = header.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

}  // namespace

ResourceServer::ResourceServer(ResourceServerOptions options)
    : options_(std::move(options)), keys_(options_.keys) {
  if (options_.introspection)
    introspection_ = std::make_unique<TokenIntrospection>(*options_.introspection);
}

namespace {

bool is_legacy_path(std::string_view path) {
  return path == "/sse" || path.substr(0, 9) == "/messages" || path.substr(0, 8) == "/message" ||
         path == std::string(metadata_prefix) + "/sse";
}

}  // namespace

std::string ResourceServer::resource_for(std::string_view host, std::string_view path) const {
  std::string resource =
      options_.resource.empty() ? "http://" + std::string(host) + "/mcp" : options_.resource;
  // The legacy endpoints: the same URL with /sse for /mcp (a resource that names no /mcp, an
  // origin, already covers /sse).
  if (is_legacy_path(path) && resource.size() >= 4 && resource.compare(resource.size() - 4, 4, "/mcp") == 0)
    resource.replace(resource.size() - 4, 4, "/sse");
  return resource;
}

std::string ResourceServer::metadata_url(std::string_view host, std::string_view path) const {
  const auto [origin, resource_path] = split_origin(resource_for(host, path));
  return origin + std::string(metadata_prefix) + resource_path;
}

bool ResourceServer::is_metadata_path(std::string_view path) const {
  if (path == metadata_prefix) return true;
  for (const std::string_view endpoint : {"/mcp", "/sse"}) {
    const auto [origin, resource_path] = split_origin(resource_for("localhost", endpoint));
    if (!resource_path.empty() && path == std::string(metadata_prefix) + resource_path) return true;
  }
  return false;
}

json ResourceServer::metadata(std::string_view host, std::string_view path) const {
  json scopes = json::array();
  for (const auto* scope : {&options_.scopes.read, &options_.scopes.write})
    if (!scope->empty()) scopes.push_back(*scope);
  return json{{"resource", resource_for(host, path)},
              {"authorization_servers", json::array({options_.keys.issuer})},
              {"scopes_supported", std::move(scopes)},
              {"bearer_methods_supported", json::array({"header"})},
              {"resource_name", "mcpgate"}};
}

std::string ResourceServer::challenge(std::string_view host, std::string_view path,
                                      std::string_view error, std::string_view scope,
                                      std::string_view description) const {
  std::string header = "Bearer resource_metadata=\"" + quotable(metadata_url(host, path)) + "\"";
  if (!scope.empty()) header += ", scope=\"" + quotable(scope) + "\"";
  if (!error.empty()) header += ", error=\"" + std::string(error) + "\"";
  if (!description.empty()) header += ", error_description=\"" + quotable(description) + "\"";
  return header;
}

TokenClaims ResourceServer::validate(std::string_view token, const TokenPolicy& policy) {
  const auto now = std::chrono::system_clock::now();
  if (!looks_like_jwt(token)) {
    if (!introspection_) throw TokenError("the token is not a JWT and no introspection endpoint is configured");
    return introspection_->check(token, policy, now);
  }
  try {
    return verify_jwt(token, *keys_.keys(), policy, now);
  } catch (const TokenError& e) {
    if (!e.unknown_key()) throw;
    // The issuer may have rotated its keys since the last fetch.
    auto fresh = keys_.refresh_for_unknown_key();
    if (!fresh) throw;
    return verify_jwt(token, *fresh, policy, now);
  }
}

ResourceServer::Verdict ResourceServer::check(std::string_view authorization,
                                              std::string_view host, std::string_view path) {
  std::string every_scope;
  for (const auto* scope : {&options_.scopes.read, &options_.scopes.write})
    if (!scope->empty()) every_scope += (every_scope.empty() ? "" : " ") + *scope;
  const std::string_view token = bearer_token(authorization);
  if (token.empty())
    return Verdict{.status = 401,
                   .access = {},
                   .www_authenticate = challenge(host, path, "", every_scope, ""),
                   .message = "Unauthorized: send 'Authorization: Bearer <access token>' (the "
                              "resource metadata names the authorization server)"};
  const TokenPolicy policy{.issuer = options_.keys.issuer,
                           .audiences = {resource_for(host, "/mcp"), resource_for(host, "/sse")},
                           .leeway = options_.leeway,
                           .max_token_bytes = options_.max_token_bytes};
  TokenClaims claims;
  try {
    claims = validate(token, policy);
  } catch (const TokenError& e) {
    return Verdict{.status = 401,
                   .access = {},
                   .www_authenticate = challenge(host, path, "invalid_token", every_scope, e.what()),
                   .message = std::string("Unauthorized: ") + e.what()};
  }
  protocol::Access access{.subject = claims.subject, .scopes = claims.scopes, .every_scope = false};
  // Every MCP request reads at least (listing tools is reading); a tool that writes is checked
  // at its call.
  if (!options_.scopes.holds(access, options_.scopes.read)) {
    return Verdict{.status = 403,
                   .access = {},
                   .www_authenticate = challenge(host, path, "insufficient_scope", options_.scopes.read,
                                                 "this server needs the scope " + options_.scopes.read),
                   .message = "Forbidden: the access token lacks the scope " + options_.scopes.read};
  }
  return Verdict{.status = 200, .access = std::move(access), .www_authenticate = {}, .message = {}};
}

}  // namespace mcpgate::server
