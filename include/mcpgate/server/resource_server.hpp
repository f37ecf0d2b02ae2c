// mcpgate as an OAuth 2.1 resource server (the MCP authorization spec, 2025-06-18 onward and
// 2026-07-28): it publishes Protected Resource Metadata (RFC 9728) naming its authorization
// server, and checks the bearer token of every request to an MCP endpoint:
//
//   no token, or a bad one     -> 401, WWW-Authenticate: Bearer resource_metadata="…", scope="…"
//                                 (error="invalid_token" when one was sent)
//   valid, lacks the read scope -> 403, WWW-Authenticate: Bearer error="insufficient_scope", …
//   valid                       -> the request goes on with its Access (subject, scopes)
//
// JWTs are checked offline (jwt.hpp) against the issuer's keys (issuer_keys.hpp); other tokens
// are introspected (token_introspection.hpp) when an introspection endpoint is configured.
#pragma once

#include "mcpgate/protocol/access.hpp"
#include "mcpgate/server/issuer_keys.hpp"
#include "mcpgate/server/token_introspection.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace mcpgate::server {

struct ResourceServerOptions {
  // The resource's URL (RFC 8707 `aud`, RFC 9728 `resource`). Empty: http://<Host>/mcp of each
  // request (loopback use; a deployment names it, or --public-url does).
  std::string resource;
  protocol::ToolScopes scopes;
  std::chrono::seconds leeway{60};
  std::size_t max_token_bytes = 8 * 1024;
  IssuerKeysOptions keys;  // keys.issuer: the authorization server
  std::optional<IntrospectionOptions> introspection;
};

class ResourceServer {
 public:
  explicit ResourceServer(ResourceServerOptions options);

  // Fetch the issuer's metadata and keys now (logged; a failure is retried on use).
  void start() { keys_.start(); }

  struct Verdict {
    int status = 200;              // 200: allowed; 401 or 403: refused
    protocol::Access access;       // when allowed
    std::string www_authenticate;  // when refused
    std::string message;           // when refused: for the client and the log
  };
  // The answer for a request to `path` with this Authorization header, sent to this Host.
  [[nodiscard]] Verdict check(std::string_view authorization, std::string_view host,
                              std::string_view path);

  // Two resources, one server: /mcp, and the legacy /sse with its /messages (the SDKs insist
  // that a resource's URL be a prefix of the endpoint they connect to, so /sse cannot be
  // described by /mcp's document). A token for either serves both.
  //
  // The Protected Resource Metadata document at `path` (the root one describes /mcp), and the
  // URL of the document describing the endpoint at `path`, as seen through `host`.
  [[nodiscard]] nlohmann::json metadata(std::string_view host, std::string_view path) const;
  [[nodiscard]] std::string metadata_url(std::string_view host, std::string_view path) const;
  // Its paths: /.well-known/oauth-protected-resource, and with a resource's path appended
  // (RFC 9728 section 3.1): /.well-known/oauth-protected-resource/mcp, …/sse.
  [[nodiscard]] bool is_metadata_path(std::string_view path) const;

 private:
  // The resource the endpoint at `path` belongs to.
  [[nodiscard]] std::string resource_for(std::string_view host, std::string_view path = "/mcp") const;
  [[nodiscard]] std::string challenge(std::string_view host, std::string_view path, std::string_view error,
                                      std::string_view scope, std::string_view description) const;
  [[nodiscard]] TokenClaims validate(std::string_view token, const TokenPolicy& policy);

  const ResourceServerOptions options_;
  IssuerKeys keys_;
  std::unique_ptr<TokenIntrospection> introspection_;
};

}  // namespace mcpgate::server
