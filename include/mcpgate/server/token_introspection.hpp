// Opaque access tokens, asked about at the authorization server's introspection endpoint
// (RFC 7662) with this resource server's client credentials, and the answers kept a short time:
// a token is asked about once per `ttl` at most (and never kept past its own exp), in a cache
// bounded in entries that holds SHA-256 digests of tokens, never the tokens. Refusals (inactive,
// foreign) are kept too, so that a client repeating a bad token does not make us repeat the
// call; failures to reach the endpoint are not.
#pragma once

#include "mcpgate/server/jwt.hpp"
#include "mcpgate/server/oauth_fetch.hpp"

#include <chrono>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mcpgate::server {

struct IntrospectionOptions {
  std::string url;
  std::string client_id, client_secret;
  // How long an answer is trusted: a revoked token keeps working this long at most. 30 s
  // spares the issuer a call per request of a busy client and bounds that window.
  std::chrono::seconds ttl{30};
  std::size_t max_entries = 10000;  // each about 200 bytes
  std::chrono::milliseconds timeout{5000};
  Fetcher fetch = curl_fetch;
};

class TokenIntrospection {
 public:
  explicit TokenIntrospection(IntrospectionOptions options) : options_(std::move(options)) {}

  // The claims of an active token issued for `policy` (issuer and audience checked when the
  // answer names them). Throws TokenError for an inactive or foreign token, and when the
  // endpoint cannot be reached (the request is then refused: 401, its client may retry).
  [[nodiscard]] TokenClaims check(std::string_view token, const TokenPolicy& policy,
                                  std::chrono::system_clock::time_point now);

 private:
  struct Entry {
    TokenClaims claims;
    std::string refusal;  // why the token is refused; "" for an active one
    std::chrono::steady_clock::time_point until;
    std::list<std::string>::iterator age;
  };

  TokenClaims ask(std::string_view token, const TokenPolicy& policy,
                  std::chrono::system_clock::time_point now) const;

  const IntrospectionOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;  // by digest; guarded by mutex_
  std::list<std::string> order_;                  // digests, oldest first; guarded by mutex_
};

}  // namespace mcpgate::server
