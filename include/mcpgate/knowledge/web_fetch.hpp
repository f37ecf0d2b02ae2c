// The crawler's HTTP client: one GET at a time per call, safe to call from several threads.
//
// Polite by construction, whatever the caller does:
//   - at most `per_host` requests in flight to one origin, and `delay` between the starts of two
//     requests to it (robots.txt's Crawl-delay raises it through raise_delay);
//   - 429 and 503 are retried after their Retry-After (seconds or an HTTP date, at most
//     max_retry_after; `delay` doubled when absent), at most max_retries times, and the whole
//     origin waits, not only the request that got it;
//   - redirects are followed by hand, at most max_redirects, and only where `may_follow` says
//     (the crawl's site): a redirect elsewhere ends the fetch as redirect_off_site;
//   - a body over max_bytes (after decompression) ends the transfer: too_large;
//   - connect and whole-request timeouts; a user agent naming mcpgate and its version.
// Conditional requests: the previous ETag / Last-Modified go out as If-None-Match /
// If-Modified-Since, and a 304 is not_modified.
#pragma once

#include "mcpgate/knowledge/web_url.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace mcpgate::knowledge {

struct FetchOptions {
  std::string user_agent;                                // web_user_agent() by default
  std::chrono::milliseconds timeout{30000};              // a whole request, redirects apart
  std::chrono::milliseconds connect_timeout{10000};
  std::size_t max_bytes = 8 * 1024 * 1024;               // per response body
  int max_redirects = 5;
  int per_host = 4;                                      // requests in flight per origin
  std::chrono::milliseconds delay{100};                  // between request starts per origin
  int max_retries = 3;                                   // on 429 / 503
  std::chrono::milliseconds max_retry_after{60000};
};

// "mcpgate/<version> (+ingest)".
[[nodiscard]] std::string web_user_agent();

struct FetchRequest {
  WebUrl url;
  std::string etag, last_modified;  // validators from the previous run, "" when none
};

enum class FetchOutcome {
  ok,                  // 2xx with a body
  not_modified,        // 304 to a conditional request
  http_error,          // any other status (status says which)
  too_large,
  timeout,
  network,             // DNS, connection refused, reset…
  redirect_off_site,   // to where may_follow says no
  too_many_redirects,
};

struct FetchResult {
  FetchOutcome outcome = FetchOutcome::network;
  long status = 0;
  WebUrl final_url;  // after redirects
  std::string body, content_type, etag, last_modified;
  std::string error;  // a short reason for failures
};

// "timeout", "HTTP 500", "over the size cap"… for summaries (failures grouped by reason).
[[nodiscard]] std::string failure_reason(const FetchResult& result);

class Fetcher {
 public:
  using MayFollow = std::function<bool(const WebUrl&)>;
  Fetcher(FetchOptions options, MayFollow may_follow);
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  [[nodiscard]] FetchResult fetch(const FetchRequest& request);
  // Never lowers the delay for `origin` below what it is.
  void raise_delay(const std::string& origin, std::chrono::milliseconds delay);
  [[nodiscard]] const FetchOptions& options() const { return options_; }

 private:
  struct Impl;
  FetchOptions options_;
  MayFollow may_follow_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpgate::knowledge
