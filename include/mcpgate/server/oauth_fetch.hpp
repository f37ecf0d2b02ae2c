// The few HTTP calls mcpgate makes to an authorization server (its metadata, its JWK Set, token
// introspection), over libcurl: bounded in time and in bytes, redirects not followed (an issuer
// publishes its URLs in its metadata), proxies from the environment as libcurl reads them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace mcpgate::server {

struct FetchRequest {
  std::string url;
  std::string form_body;  // POST application/x-www-form-urlencoded when set, else GET
  std::string basic_user, basic_password;  // HTTP Basic authentication when basic_user is set
  std::size_t max_bytes = 256 * 1024;
  std::chrono::milliseconds timeout{5000};  // the whole call, connecting included
  // When set and true, the call ends at once (shutdown must not wait out a stalled issuer).
  const std::atomic<bool>* cancelled = nullptr;
};

struct FetchAnswer {
  long status = 0;
  std::string body;
};

// Throws std::runtime_error naming the URL when no answer could be had (connection refused,
// timeout, a body over max_bytes).
using Fetcher = std::function<FetchAnswer(const FetchRequest&)>;
[[nodiscard]] FetchAnswer curl_fetch(const FetchRequest& request);

// application/x-www-form-urlencoded escaping of one value.
[[nodiscard]] std::string form_escape(std::string_view value);

}  // namespace mcpgate::server
