#include "mcpgate/server/token_introspection.hpp"

#include "mcpgate/util/json_nesting.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace mcpgate::server {

using json = nlohmann::json;

namespace {

std::string digest_of(std::string_view token) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), out, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("cannot hash the token");
  return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace

TokenClaims TokenIntrospection::ask(std::string_view token, const TokenPolicy& policy,
                                    std::chrono::system_clock::time_point now) const {
  FetchAnswer answer;
  try {
    answer = options_.fetch(FetchRequest{
        .url = options_.url,
        .form_body = "token=" + form_escape(token) + "&token_type_hint=access_token",
        .basic_user = form_escape(options_.client_id),  // RFC 6749 2.3.1: form-encoded first
        .basic_password = form_escape(options_.client_secret),
        .max_bytes = 64 * 1024,
        .timeout = options_.timeout,
        .cancelled = nullptr});
  } catch (const std::exception& e) {
    throw TokenError(std::string("the token could not be introspected: ") + e.what());
  }
  if (answer.status != 200)
    throw TokenError("the introspection endpoint answered HTTP " + std::to_string(answer.status));
  if (!util::json_nesting_within(answer.body)) throw TokenError("the introspection answer nests too deep");
  const json body = json::parse(answer.body, nullptr, false);
  if (!body.is_object()) throw TokenError("the introspection answer is not a JSON object");
  if (body.value("active", json()) != true) throw TokenError("the token is not active");
  if (body.contains("iss") && body["iss"] != policy.issuer)
    throw TokenError("the token was not issued by " + policy.issuer);
  if (body.contains("aud")) {
    const json& aud = body["aud"];
    const auto names_us = [&](const json& a) {
      return a.is_string() && std::find(policy.audiences.begin(), policy.audiences.end(),
                                        a.get<std::string>()) != policy.audiences.end();
    };
    if (!(aud.is_array() ? std::any_of(aud.begin(), aud.end(), names_us) : names_us(aud)))
      throw TokenError("the token is not for this resource");
  }
  TokenClaims claims;
  claims.expires = now + std::chrono::hours(24 * 365);
  if (body.contains("exp") && body["exp"].is_number()) {
    claims.expires = std::chrono::system_clock::time_point(
        std::chrono::seconds(body["exp"].get<std::int64_t>()));
    if (now > claims.expires + policy.leeway) throw TokenError("the token has expired");
  }
  const json sub = body.value("sub", json());
  const json username = body.value("username", json());
  claims.subject = sub.is_string() ? sub.get<std::string>()
                                   : (username.is_string() ? username.get<std::string>() : "");
  if (claims.subject.empty()) throw TokenError("the introspection answer names no sub");
  claims.scopes = scopes_of(body);
  if (body.value("client_id", json()).is_string()) claims.client_id = body["client_id"];
  return claims;
}

TokenClaims TokenIntrospection::check(std::string_view token, const TokenPolicy& policy,
                                      std::chrono::system_clock::time_point now) {
  if (token.size() > policy.max_token_bytes)
    throw TokenError("the token is longer than " + std::to_string(policy.max_token_bytes) + " bytes");
  const std::string digest = digest_of(token);
  const auto steady_now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    const auto found = cache_.find(digest);
    if (found != cache_.end()) {
      const Entry& entry = found->second;
      if (steady_now < entry.until && !entry.refusal.empty()) throw TokenError(entry.refusal);
      if (steady_now < entry.until && now <= entry.claims.expires + policy.leeway) return entry.claims;
      order_.erase(entry.age);
      cache_.erase(found);
    }
  }
  TokenClaims claims;
  std::string refusal;
  try {
    claims = ask(token, policy, now);  // no lock across the call
  } catch (const TokenError& e) {
    refusal = e.what();
    if (refusal.rfind("the token could not be introspected", 0) == 0 ||
        refusal.rfind("the introspection endpoint answered", 0) == 0)
      throw;  // the endpoint's trouble, not the token's: ask again next time
  }
  {
    std::lock_guard lock(mutex_);
    if (cache_.count(digest) == 0 && options_.max_entries > 0) {
      while (cache_.size() >= options_.max_entries && !order_.empty()) {
        cache_.erase(order_.front());
        order_.pop_front();
      }
      order_.push_back(digest);
      cache_.emplace(digest, Entry{claims, refusal, steady_now + options_.ttl, std::prev(order_.end())});
    }
  }
  if (!refusal.empty()) throw TokenError(refusal);
  return claims;
}

}  // namespace mcpgate::server
