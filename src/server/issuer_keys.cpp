#include "mcpgate/server/issuer_keys.hpp"

#include "mcpgate/util/json_nesting.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace mcpgate::server {

using json = nlohmann::json;

namespace {

// RFC 8414 section 3: the well-known segment goes between the host and the issuer's path.
std::string path_inserted(const std::string& issuer, std::string_view well_known) {
  const auto scheme_end = issuer.find("://");
  const auto path_start = issuer.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos) return issuer + "/.well-known/" + std::string(well_known);
  std::string path = issuer.substr(path_start);
  if (path == "/") path.clear();
  return issuer.substr(0, path_start) + "/.well-known/" + std::string(well_known) + path;
}

std::string without_trailing_slash(std::string url) {
  if (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

IssuerKeys::IssuerKeys(IssuerKeysOptions options)
    : options_(std::move(options)), keys_(std::make_shared<const JwkSet>()) {}

json IssuerKeys::get_json(const std::string& url) const {
  const auto answer = options_.fetch(FetchRequest{.url = url,
                                                  .form_body = {},
                                                  .basic_user = {},
                                                  .basic_password = {},
                                                  .max_bytes = options_.max_jwks_bytes,
                                                  .timeout = options_.timeout,
                                                  .cancelled = &cancel_});
  if (answer.status != 200)
    throw std::runtime_error(url + " answered HTTP " + std::to_string(answer.status));
  if (!util::json_nesting_within(answer.body))
    throw std::runtime_error(url + " answered JSON nested too deep");
  json document = json::parse(answer.body, nullptr, false);
  if (!document.is_object()) throw std::runtime_error(url + " answered no JSON object");
  return document;
}

json IssuerKeys::discover() const {
  // RFC 8414 first; then OpenID Connect Discovery, appended (what Keycloak, Auth0, Okta and
  // Entra serve) and path-inserted (RFC 8414's form of it).
  const std::string candidates[] = {
      path_inserted(options_.issuer, "oauth-authorization-server"),
      without_trailing_slash(options_.issuer) + "/.well-known/openid-configuration",
      path_inserted(options_.issuer, "openid-configuration")};
  std::string failures;
  for (const auto& url : candidates) {
    try {
      json metadata = get_json(url);
      // RFC 8414 section 3.3: a document for another issuer must not be used.
      if (metadata.value("issuer", json()) != options_.issuer)
        throw std::runtime_error(url + " describes another issuer (" +
                                 metadata.value("issuer", json()).dump() + ")");
      if (!metadata.value("jwks_uri", json()).is_string())
        throw std::runtime_error(url + " names no jwks_uri");
      return metadata;
    } catch (const std::exception& e) {
      failures += (failures.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  throw std::runtime_error("no authorization server metadata: " + failures);
}

bool IssuerKeys::fetch(std::string_view why) {
  {
    std::lock_guard lock(mutex_);
    last_attempt_ = Clock::now();
  }
  try {
    json metadata;
    std::string jwks_uri;
    {
      std::lock_guard lock(mutex_);
      metadata = metadata_;
      jwks_uri = jwks_uri_;
    }
    if (jwks_uri.empty()) {
      metadata = discover();
      jwks_uri = metadata["jwks_uri"].get<std::string>();
    }
    auto set = std::make_shared<const JwkSet>(parse_jwk_set(get_json(jwks_uri), options_.max_keys));
    std::string algorithms;
    for (const auto& key : set->keys)
      algorithms += (algorithms.empty() ? "" : ", ") + key.alg + (key.kid.empty() ? "" : " " + key.kid);
    spdlog::info("OAuth: {} keys of {} from {} ({}){}{}", set->keys.size(), options_.issuer,
                 jwks_uri, why, algorithms.empty() ? "" : ": " + algorithms,
                 set->skipped > 0 ? " (" + std::to_string(set->skipped) + " not usable, skipped)" : "");
    std::lock_guard lock(mutex_);
    metadata_ = std::move(metadata);
    jwks_uri_ = std::move(jwks_uri);
    keys_ = std::move(set);
    last_success_ = Clock::now();
    return true;
  } catch (const std::exception& e) {
    std::size_t held = 0;
    {
      std::lock_guard lock(mutex_);
      held = keys_->keys.size();
    }
    spdlog::warn("OAuth: cannot fetch the keys of {} ({}): {}; serving on the {} keys held",
                 options_.issuer, why, e.what(), held);
    return false;
  }
}

IssuerKeys::~IssuerKeys() {
  cancel_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

bool IssuerKeys::start() {
  fetching_ = true;
  const bool ok = fetch("start-up");
  fetching_ = false;
  refresher_ = std::thread([this, ok] { refresh_loop(ok); });
  return ok;
}

void IssuerKeys::refresh_loop(bool last_ok) {
  // After a failure the next try comes sooner, but never in a spin.
  const auto retry = std::max<std::chrono::seconds>(options_.min_refresh, std::chrono::seconds(1));
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_for(lock, last_ok ? std::chrono::seconds(options_.refresh) : retry,
                       [this] { return stopping_; }))
      return;
    lock.unlock();
    if (!fetching_.exchange(true)) {  // an unknown kid's fetch may be under way
      last_ok = fetch(last_ok ? "scheduled refresh" : "retry");
      fetching_ = false;
    }
    lock.lock();
  }
}

std::shared_ptr<const JwkSet> IssuerKeys::keys() const {
  std::lock_guard lock(mutex_);
  return keys_;
}

std::shared_ptr<const JwkSet> IssuerKeys::refresh_for_unknown_key() {
  {
    std::lock_guard lock(mutex_);
    if (Clock::now() - last_attempt_ < options_.min_refresh) return nullptr;
  }
  if (fetching_.exchange(true)) return nullptr;
  const bool ok = fetch("a token named an unknown key");
  fetching_ = false;
  if (!ok) return nullptr;
  std::lock_guard lock(mutex_);
  return keys_;
}

json IssuerKeys::metadata() const {
  std::lock_guard lock(mutex_);
  return metadata_;
}

}  // namespace mcpgate::server
