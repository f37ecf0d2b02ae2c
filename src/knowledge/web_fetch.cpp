#include "mcpgate/knowledge/web_fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#ifndef MCPGATE_VERSION
#define MCPGATE_VERSION "dev"
#endif

namespace mcpgate::knowledge {

namespace {

using FetchClock = std::chrono::steady_clock;

template <typename T>
void fetch_setopt(CURL* handle, CURLoption option, T value) {
  if (curl_easy_setopt(handle, option, value) != CURLE_OK)
    throw std::runtime_error("libcurl refused an option of the web fetcher");
}

struct HandleDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using Handle = std::unique_ptr<CURL, HandleDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What one transfer collects: the last response's headers and its body up to the cap.
struct Download {
  std::size_t max_bytes = 0;
  bool over = false;
  std::string body;
  std::string location, etag, last_modified, retry_after;

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) {
    auto& d = *static_cast<Download*>(self);
    const std::size_t n = size * count;
    if (d.body.size() + n > d.max_bytes) {
      d.over = true;
      return 0;  // CURLE_WRITE_ERROR: the transfer stops here
    }
    d.body.append(data, n);
    return n;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) {
    auto& d = *static_cast<Download*>(self);
    const std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {  // a new response (after a 100 Continue, say)
      d.location.clear();
      d.etag.clear();
      d.last_modified.clear();
      d.retry_after.clear();
      return line.size();
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return line.size();
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "location") d.location = value;
    else if (name == "etag") d.etag = value;
    else if (name == "last-modified") d.last_modified = value;
    else if (name == "retry-after") d.retry_after = value;
    return line.size();
  }
};

// Retry-After: delta-seconds or an HTTP date; nullopt when unreadable.
std::optional<std::chrono::milliseconds> retry_after_value(const std::string& value) {
  if (value.empty()) return std::nullopt;
  long long seconds = 0;
  const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error == std::errc{} && ptr == value.data() + value.size() && seconds >= 0)
    return std::chrono::milliseconds(seconds * 1000);
  const time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const long long delta = static_cast<long long>(when) - static_cast<long long>(std::time(nullptr));
  return std::chrono::milliseconds(std::max(0LL, delta) * 1000);
}

}  // namespace

std::string web_user_agent() { return "mcpgate/" MCPGATE_VERSION " (+ingest)"; }

std::string failure_reason(const FetchResult& result) {
  switch (result.outcome) {
    case FetchOutcome::ok: return "ok";
    case FetchOutcome::not_modified: return "not modified";
    case FetchOutcome::http_error: return "HTTP " + std::to_string(result.status);
    case FetchOutcome::too_large: return "over the size cap";
    case FetchOutcome::timeout: return "timeout";
    case FetchOutcome::network: return "network error";
    case FetchOutcome::redirect_off_site: return "redirect not followed (off the site or disallowed)";
    case FetchOutcome::too_many_redirects: return "too many redirects";
  }
  return "error";
}

// Per-origin politeness, and the pool of easy handles (each keeps its connection alive).
struct Fetcher::Impl {
  struct Host {
    int in_flight = 0;
    FetchClock::time_point next_start{};
    std::chrono::milliseconds delay{0};
  };
  std::mutex mutex;
  std::condition_variable slot_freed;
  std::map<std::string, Host> hosts;
  std::vector<CURL*> idle;  // owned: cleaned up with the fetcher

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    for (CURL* h : idle) curl_easy_cleanup(h);
  }

  Handle take_handle() {
    {
      const std::lock_guard lock(mutex);
      if (!idle.empty()) {
        Handle h(idle.back());
        idle.pop_back();
        curl_easy_reset(h.get());  // options cleared, connection and caches kept
        return h;
      }
    }
    Handle h(curl_easy_init());
    if (!h) throw std::runtime_error("libcurl could not create a handle");
    return h;
  }
  void give_back(Handle h) {
    const std::lock_guard lock(mutex);
    idle.push_back(h.get());
    (void)h.release();
  }

  // Waits for a slot at `origin` and for its next start time; the slot is held until release.
  void acquire(const std::string& origin, const FetchOptions& options) {
    FetchClock::time_point start;
    {
      std::unique_lock lock(mutex);
      Host& host = hosts[origin];
      if (host.delay < options.delay) host.delay = options.delay;
      slot_freed.wait(lock, [&] { return host.in_flight < options.per_host; });
      ++host.in_flight;
      start = std::max(FetchClock::now(), host.next_start);
      host.next_start = start + host.delay;
    }
    std::this_thread::sleep_until(start);
  }
  void release(const std::string& origin) {
    {
      const std::lock_guard lock(mutex);
      --hosts[origin].in_flight;
    }
    slot_freed.notify_all();
  }
  // The whole origin waits `pause` (a 429 / 503 with Retry-After).
  void back_off(const std::string& origin, std::chrono::milliseconds pause) {
    const std::lock_guard lock(mutex);
    Host& host = hosts[origin];
    host.next_start = std::max(host.next_start, FetchClock::now() + pause);
  }
};

Fetcher::Fetcher(FetchOptions options, MayFollow may_follow)
    : options_(std::move(options)), may_follow_(std::move(may_follow)), impl_(std::make_unique<Impl>()) {
  if (options_.user_agent.empty()) options_.user_agent = web_user_agent();
  if (options_.per_host < 1) options_.per_host = 1;
}

Fetcher::~Fetcher() = default;

void Fetcher::raise_delay(const std::string& origin, std::chrono::milliseconds delay) {
  const std::lock_guard lock(impl_->mutex);
  Impl::Host& host = impl_->hosts[origin];
  host.delay = std::max({host.delay, delay, options_.delay});
}

FetchResult Fetcher::fetch(const FetchRequest& request) {
  FetchResult result;
  WebUrl url = request.url;
  int redirects = 0, retries = 0;
  for (;;) {
    const std::string origin = url.origin();
    const std::string target = url.text();
    Download download;
    download.max_bytes = options_.max_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {};
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add_header = [&](const std::string& line) {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (next == nullptr) throw std::bad_alloc();
      (void)headers.release();
      headers.reset(next);
    };
    if (!request.etag.empty()) add_header("If-None-Match: " + request.etag);
    if (!request.last_modified.empty()) add_header("If-Modified-Since: " + request.last_modified);

    impl_->acquire(origin, options_);
    Handle handle = impl_->take_handle();
    CURL* h = handle.get();
    fetch_setopt(h, CURLOPT_URL, target.c_str());
    fetch_setopt(h, CURLOPT_NOSIGNAL, 1L);
    fetch_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    fetch_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // by hand: each hop is checked against the site
    fetch_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    fetch_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl decodes; the cap is on decoded bytes
    fetch_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    fetch_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    fetch_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    fetch_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    fetch_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_bytes));
    fetch_setopt(h, CURLOPT_WRITEFUNCTION, &Download::on_body);
    fetch_setopt(h, CURLOPT_WRITEDATA, static_cast<void*>(&download));
    fetch_setopt(h, CURLOPT_HEADERFUNCTION, &Download::on_header);
    fetch_setopt(h, CURLOPT_HEADERDATA, static_cast<void*>(&download));
    const CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    const char* content_type = nullptr;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &content_type);
    result.content_type = content_type != nullptr ? content_type : "";
    impl_->give_back(std::move(handle));
    impl_->release(origin);

    result.status = status;
    result.final_url = url;
    if (rc != CURLE_OK) {
      if (download.over || rc == CURLE_FILESIZE_EXCEEDED) {
        result.outcome = FetchOutcome::too_large;
      } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        result.outcome = FetchOutcome::timeout;
      } else {
        result.outcome = FetchOutcome::network;
      }
      result.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
      return result;
    }
    if (status >= 300 && status < 400 && status != 304 && !download.location.empty()) {
      const auto next = resolve_url(url, download.location);
      if (!next || !may_follow_(*next)) {
        result.outcome = FetchOutcome::redirect_off_site;
        result.error = "redirected to " + download.location;
        return result;
      }
      if (++redirects > options_.max_redirects) {
        result.outcome = FetchOutcome::too_many_redirects;
        return result;
      }
      url = *next;
      continue;
    }
    if ((status == 429 || status == 503) && retries < options_.max_retries) {
      ++retries;
      auto pause = retry_after_value(download.retry_after)
                       .value_or(std::max(options_.delay, std::chrono::milliseconds(500)) * retries);
      pause = std::min(pause, options_.max_retry_after);
      impl_->back_off(origin, pause);
      continue;
    }
    if (status == 304) {
      result.outcome = FetchOutcome::not_modified;
      return result;
    }
    if (status < 200 || status >= 300) {
      result.outcome = FetchOutcome::http_error;
      return result;
    }
    result.outcome = FetchOutcome::ok;
    result.body = std::move(download.body);
    result.etag = std::move(download.etag);
    result.last_modified = std::move(download.last_modified);
    return result;
  }
}

}  // namespace mcpgate::knowledge
