// JWT access tokens (RFC 9068) checked offline against the issuer's published keys (a JWK Set,
// RFC 7517): the signature with OpenSSL 3's EVP interface (RS256, ES256 on P-256, EdDSA on
// Ed25519; never `none`, never an HMAC, whose "secret" would be the public key), then the
// claims: `iss` exactly the issuer, `aud` naming this resource (RFC 8707), `exp` and `nbf` within
// a leeway for clock skew, and a `sub`.
//
// Pure: no I/O, no clock of its own; IssuerKeys (issuer_keys.hpp) fetches and caches the keys.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpgate::server {

// A token that is not acceptable. `unknown_key`: it names a key (`kid`) the set does not hold:
// the issuer may have rotated its keys, so the caller may fetch the set again and retry.
class TokenError : public std::runtime_error {
 public:
  TokenError(std::string why, bool unknown_key = false)
      : std::runtime_error(std::move(why)), unknown_key_(unknown_key) {}
  [[nodiscard]] bool unknown_key() const noexcept { return unknown_key_; }

 private:
  bool unknown_key_;
};

// One verification key of the set: its id, algorithm and OpenSSL key.
struct Jwk {
  std::string kid;  // "" when the issuer gives none
  std::string alg;  // the JWS algorithm it verifies: RS256, ES256 or EdDSA
  std::shared_ptr<void> key;  // EVP_PKEY, freed with EVP_PKEY_free
};

struct JwkSet {
  std::vector<Jwk> keys;
  // Keys the set held that cannot verify tokens here (encryption keys, other curves, symmetric
  // keys): skipped, counted for the log.
  std::size_t skipped = 0;
};

// The usable signing keys of a JWK Set document. Throws std::invalid_argument when it is not a
// JWK Set, or holds more than `max_keys` keys (a budget: every token may be tried against each
// key without a kid).
[[nodiscard]] JwkSet parse_jwk_set(const nlohmann::json& document, std::size_t max_keys);

struct TokenPolicy {
  std::string issuer;                 // `iss` must equal it
  std::vector<std::string> audiences; // `aud` must name one of them (the resource)
  std::chrono::seconds leeway{60};    // allowed clock skew on exp and nbf
  std::size_t max_token_bytes = 8 * 1024;
};

// What a valid token says.
struct TokenClaims {
  std::string subject;
  std::vector<std::string> scopes;  // `scope` (space-separated, RFC 9068) or `scp` (an array)
  std::string client_id;            // `client_id` or `azp`, for the log; may be empty
  std::chrono::system_clock::time_point expires;
};

// Whether `token` looks like a JWS in compact form (three base64url parts): opaque tokens go to
// introspection instead.
[[nodiscard]] bool looks_like_jwt(std::string_view token);

// Check `token` (compact JWS) against `keys` and `policy` at `now`. Throws TokenError naming the
// first rule it breaks.
[[nodiscard]] TokenClaims verify_jwt(std::string_view token, const JwkSet& keys,
                                     const TokenPolicy& policy,
                                     std::chrono::system_clock::time_point now);

// `scope` (space-separated) or `scp` (array or string) of a token's claims or an introspection
// answer.
[[nodiscard]] std::vector<std::string> scopes_of(const nlohmann::json& claims);

}  // namespace mcpgate::server
