// The authorization server's signing keys, as this resource server knows them: found through
// its metadata (RFC 8414 /.well-known/oauth-authorization-server, else OpenID Connect's
// /.well-known/openid-configuration), fetched from its jwks_uri, and kept:
//
//   start() ── discovery + JWK Set ──> keys()      (a set; empty while the issuer was never reached)
//       ├─ a thread of its own fetches the set again every `refresh` (after a failure, every
//       │  `min_refresh`, at least a second): no request ever waits on the schedule
//       └─ a token names an unknown kid: refresh_for_unknown_key() fetches again, at most once
//          per `min_refresh` (a stream of forged kids cannot make us hammer the issuer)
//
// A failed fetch keeps the cached set: tokens signed with known keys stay valid while the
// issuer is down. No lock is held across a fetch; at most one fetch runs at a time.
#pragma once

#include "mcpgate/server/jwt.hpp"
#include "mcpgate/server/oauth_fetch.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace mcpgate::server {

struct IssuerKeysOptions {
  std::string issuer;
  // Fetch the set again this often: issuers publish a new key well before they sign with it,
  // and rotate over hours or days; 10 minutes picks one up long before its first token.
  std::chrono::seconds refresh{600};
  // A token naming an unknown key fetches the set again at most this often.
  std::chrono::seconds min_refresh{30};
  std::size_t max_jwks_bytes = 256 * 1024;  // metadata documents too
  std::size_t max_keys = 32;
  std::chrono::milliseconds timeout{5000};
  Fetcher fetch = curl_fetch;
};

class IssuerKeys {
 public:
  using Clock = std::chrono::steady_clock;

  explicit IssuerKeys(IssuerKeysOptions options);
  ~IssuerKeys();  // stops and joins the refresh thread
  IssuerKeys(const IssuerKeys&) = delete;
  IssuerKeys& operator=(const IssuerKeys&) = delete;

  // Discovery and the first fetch, logged either way, then the refresh thread. False when the
  // issuer could not be reached or answered nonsense: tokens are refused until a later fetch
  // succeeds.
  bool start();
  // The keys now (never null; empty before any fetch succeeded).
  [[nodiscard]] std::shared_ptr<const JwkSet> keys() const;
  // A token named a key the set lacks. The set fetched again, or null when it was fetched
  // within min_refresh (or is being fetched by another caller) or the fetch failed.
  [[nodiscard]] std::shared_ptr<const JwkSet> refresh_for_unknown_key();
  // The issuer's metadata document (null before discovery succeeded).
  [[nodiscard]] nlohmann::json metadata() const;

 private:
  // Discovery when needed, then the JWK Set; false when either failed (logged).
  bool fetch(std::string_view why);
  [[nodiscard]] nlohmann::json get_json(const std::string& url) const;
  nlohmann::json discover() const;
  void refresh_loop(bool started_ok);

  const IssuerKeysOptions options_;
  std::atomic<bool> fetching_{false};
  mutable std::mutex mutex_;
  std::shared_ptr<const JwkSet> keys_;        // guarded by mutex_
  nlohmann::json metadata_;                   // guarded by mutex_
  std::string jwks_uri_;                      // guarded by mutex_
  Clock::time_point last_attempt_{};          // guarded by mutex_
  Clock::time_point last_success_{};          // guarded by mutex_
  std::condition_variable wake_;              // with mutex_: stopping_ set
  bool stopping_ = false;                     // guarded by mutex_
  std::atomic<bool> cancel_{false};           // ends a fetch under way at destruction
  std::thread refresher_;
};

}  // namespace mcpgate::server
