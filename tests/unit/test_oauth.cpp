// mcpgate as an OAuth resource server, its parts alone: JWT checks (jwt.hpp), the issuer's keys
// and their refreshes (issuer_keys.hpp, over a fake fetcher), introspection and its cache, the
// scope each tool needs (protocol/access.hpp), and the verdicts with their challenges
// (resource_server.hpp).
#include "mcpgate/protocol/access.hpp"
#include "mcpgate/server/issuer_keys.hpp"
#include "mcpgate/server/jwt.hpp"
#include "mcpgate/server/resource_server.hpp"
#include "mcpgate/server/token_introspection.hpp"

#include "test_issuer.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace mcpgate::server;
using mcpgate::protocol::Access;
using mcpgate::protocol::ToolScopes;
using nlohmann::json;
using test_support::SigningKey;
using test_support::unix_now;

namespace {

const std::string oauth_issuer = "https://issuer.test/realms/x";
const std::string oauth_resource = "https://mcp.test/mcp";

json oauth_claims(const std::string& sub = "alice") {
  const auto now = unix_now();
  return {{"iss", oauth_issuer}, {"aud", oauth_resource}, {"sub", sub}, {"exp", now + 600},
          {"scope", "mcpgate:read"}};
}

JwkSet set_of(const std::vector<const SigningKey*>& keys) {
  json doc{{"keys", json::array()}};
  for (const auto* key : keys) doc["keys"].push_back(key->jwk());
  return parse_jwk_set(doc, 32);
}

TokenPolicy oauth_policy() {
  return TokenPolicy{.issuer = oauth_issuer, .audiences = {oauth_resource},
                     .leeway = std::chrono::seconds(60), .max_token_bytes = 8192};
}

std::string reason_of(const std::string& token, const JwkSet& set) {
  try {
    (void)verify_jwt(token, set, oauth_policy(), std::chrono::system_clock::now());
    return "accepted";
  } catch (const TokenError& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("jwt: RS256, ES256 and EdDSA tokens verify; subject and scopes are read") {
  for (const char* alg : {"RS256", "ES256", "EdDSA"}) {
    CAPTURE(alg);
    const SigningKey key(alg, std::string("k-") + alg);
    const auto set = set_of({&key});
    REQUIRE(set.keys.size() == 1);
    const auto claims = verify_jwt(key.sign(oauth_claims()), set, oauth_policy(),
                                   std::chrono::system_clock::now());
    CHECK(claims.subject == "alice");
    CHECK(claims.scopes == std::vector<std::string>{"mcpgate:read"});
  }
}

TEST_CASE("jwt: alg none, HMAC keyed with the public key, and forged signatures are refused") {
  const SigningKey key("ES256", "k1");
  const auto set = set_of({&key});
  const std::string good = key.sign(oauth_claims());
  const auto dot = good.rfind('.');
  // alg none: the header says none, the signature is empty.
  const std::string header_none = mcpgate::util::base64url_encode(R"({"alg":"none","kid":"k1"})");
  const std::string body = good.substr(good.find('.') + 1, dot - good.find('.') - 1);
  CHECK(reason_of(header_none + "." + body + ".", set).find("not accepted") != std::string::npos);
  // HS256 with the public JWK as its secret: the classic key-confusion attack.
  CHECK(reason_of(key.sign(oauth_claims(), json{{"alg", "HS256"}}), set).find("not accepted") !=
        std::string::npos);
  // A changed payload under the old signature.
  json other = oauth_claims("mallory");
  const std::string forged = good.substr(0, good.find('.') + 1) +
                             mcpgate::util::base64url_encode(other.dump()) + good.substr(dot);
  CHECK(reason_of(forged, set) == "the token's signature does not verify");
  // Signed by a key the set does not hold, under a kid it does hold.
  const SigningKey stranger("ES256", "k1");
  CHECK(reason_of(stranger.sign(oauth_claims()), set) == "the token's signature does not verify");
}

TEST_CASE("jwt: iss, aud (RFC 8707), exp and nbf with leeway, sub, size") {
  const SigningKey key("EdDSA", "k1");
  const auto set = set_of({&key});
  const auto now = unix_now();
  auto with = [&](const char* name, json value) {
    json c = oauth_claims();
    if (value.is_null()) c.erase(name);
    else c[name] = std::move(value);
    return reason_of(key.sign(c), set);
  };
  CHECK(with("iss", "https://other.test") == "the token was not issued by " + oauth_issuer);
  CHECK(with("aud", "https://other.test/mcp").find("not for this resource") != std::string::npos);
  CHECK(with("aud", json::array({"a", oauth_resource})) == "accepted");
  CHECK(with("aud", nullptr).find("not for this resource") != std::string::npos);
  CHECK(with("exp", now - 30) == "accepted");  // within the 60 s leeway: clock skew
  CHECK(with("exp", now - 120) == "the token has expired");
  CHECK(with("exp", nullptr) == "the token has no exp");
  CHECK(with("nbf", now + 30) == "accepted");
  CHECK(with("nbf", now + 120) == "the token is not valid yet (nbf)");
  CHECK(with("sub", nullptr) == "the token has no sub");
  json big = oauth_claims();
  big["pad"] = std::string(9000, 'x');
  CHECK(reason_of(key.sign(big), set).find("longer than 8192") != std::string::npos);
}

TEST_CASE("jwt: an unknown kid is told apart (the caller may refetch the keys)") {
  const SigningKey key("ES256", "old");
  const SigningKey rotated("ES256", "new");
  const auto set = set_of({&key});
  try {
    (void)verify_jwt(rotated.sign(oauth_claims()), set, oauth_policy(), std::chrono::system_clock::now());
    FAIL("accepted");
  } catch (const TokenError& e) {
    CHECK(e.unknown_key());
  }
}

TEST_CASE("jwk set: budgets and unusable keys") {
  const SigningKey key("ES256", "k1");
  json doc{{"keys", json::array()}};
  for (int i = 0; i < 33; ++i) doc["keys"].push_back(key.jwk());
  CHECK_THROWS_AS((void)parse_jwk_set(doc, 32), std::invalid_argument);
  json mixed{{"keys", json::array({key.jwk(), json{{"kty", "oct"}, {"k", "c2VjcmV0"}},
                                   json{{"kty", "EC"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}}})}};
  const auto set = parse_jwk_set(mixed, 32);
  CHECK(set.keys.size() == 1);
  CHECK(set.skipped == 2);
}

namespace {

// A fake issuer for IssuerKeys: metadata at the RFC 8414 URL, a JWK Set, a switch to go down.
struct FakeIssuerWeb {
  std::vector<std::shared_ptr<SigningKey>> keys;
  bool down = false;
  int jwks_fetches = 0;
  FetchAnswer answer(const FetchRequest& request) {
    if (down) throw std::runtime_error("connection refused");
    if (request.url == "https://issuer.test/.well-known/oauth-authorization-server/realms/x")
      return {200, json{{"issuer", oauth_issuer}, {"jwks_uri", "https://issuer.test/jwks"}}.dump()};
    if (request.url == "https://issuer.test/jwks") {
      ++jwks_fetches;
      json doc{{"keys", json::array()}};
      for (const auto& key : keys) doc["keys"].push_back(key->jwk());
      return {200, doc.dump()};
    }
    return {404, ""};
  }
};

}  // namespace

TEST_CASE("issuer keys: discovery, rotation on an unknown kid (rate-limited), issuer down") {
  FakeIssuerWeb web;
  web.keys.push_back(std::make_shared<SigningKey>("ES256", "k1"));
  IssuerKeys keys(IssuerKeysOptions{.issuer = oauth_issuer,
                                    .refresh = std::chrono::seconds(3600),
                                    .min_refresh = std::chrono::seconds(0),
                                    .max_jwks_bytes = 65536,
                                    .max_keys = 8,
                                    .timeout = std::chrono::milliseconds(1000),
                                    .fetch = [&](const FetchRequest& r) { return web.answer(r); }});
  REQUIRE(keys.start());
  CHECK(keys.keys()->keys.size() == 1);
  CHECK(keys.metadata()["jwks_uri"] == "https://issuer.test/jwks");
  web.keys.push_back(std::make_shared<SigningKey>("RS256", "k2"));
  auto fresh = keys.refresh_for_unknown_key();
  REQUIRE(fresh);
  CHECK(fresh->keys.size() == 2);
  // Down: the refresh fails, the keys held stay.
  web.down = true;
  CHECK(!keys.refresh_for_unknown_key());
  CHECK(keys.keys()->keys.size() == 2);
}

TEST_CASE("issuer keys: an unknown kid refetches at most once per min_refresh") {
  FakeIssuerWeb web;
  web.keys.push_back(std::make_shared<SigningKey>("ES256", "k1"));
  IssuerKeys keys(IssuerKeysOptions{.issuer = oauth_issuer,
                                    .refresh = std::chrono::seconds(3600),
                                    .min_refresh = std::chrono::seconds(3600),
                                    .max_jwks_bytes = 65536,
                                    .max_keys = 8,
                                    .timeout = std::chrono::milliseconds(1000),
                                    .fetch = [&](const FetchRequest& r) { return web.answer(r); }});
  REQUIRE(keys.start());
  for (int i = 0; i < 100; ++i) CHECK(!keys.refresh_for_unknown_key());
  CHECK(web.jwks_fetches == 1);
}

TEST_CASE("issuer keys: a scheduled refresh picks up a rotated key; metadata of another issuer is refused") {
  FakeIssuerWeb web;
  web.keys.push_back(std::make_shared<SigningKey>("ES256", "k1"));
  std::mutex web_mutex;  // the refresh thread reads `web` while the test changes it
  const auto test_thread = std::this_thread::get_id();
  int fetches_on_test_thread = 0;  // guarded by web_mutex
  IssuerKeys keys(IssuerKeysOptions{.issuer = oauth_issuer,
                                    .refresh = std::chrono::seconds(1),
                                    .min_refresh = std::chrono::seconds(0),
                                    .max_jwks_bytes = 65536,
                                    .max_keys = 8,
                                    .timeout = std::chrono::milliseconds(1000),
                                    .fetch = [&](const FetchRequest& r) {
                                      std::lock_guard lock(web_mutex);
                                      if (std::this_thread::get_id() == test_thread)
                                        ++fetches_on_test_thread;
                                      return web.answer(r);
                                    }});
  REQUIRE(keys.start());
  {
    std::lock_guard lock(web_mutex);
    web.keys = {std::make_shared<SigningKey>("EdDSA", "k2")};
    fetches_on_test_thread = 0;  // start()'s own
  }
  // The refresh thread picks it up by itself, without a token asking (bounded wait).
  bool rotated = false;
  for (int i = 0; i < 200 && !rotated; ++i) {
    rotated = keys.keys()->keys.at(0).kid == "k2";
    if (!rotated) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(rotated);
  {
    // No reader of the keys waited on the schedule: the refresh thread fetched.
    std::lock_guard lock(web_mutex);
    CHECK(fetches_on_test_thread == 0);
  }

  IssuerKeys wrong(IssuerKeysOptions{.issuer = "https://issuer.test/realms/y",
                                     .refresh = std::chrono::seconds(60),
                                     .min_refresh = std::chrono::seconds(0),
                                     .max_jwks_bytes = 65536,
                                     .max_keys = 8,
                                     .timeout = std::chrono::milliseconds(1000),
                                     .fetch = [&](const FetchRequest& r) {
                                       auto copy = r;
                                       if (copy.url.find("/realms/y") != std::string::npos)
                                         copy.url.replace(copy.url.find("/realms/y"), 9, "/realms/x");
                                       return web.answer(copy);
                                     }});
  CHECK(!wrong.start());
  CHECK(wrong.keys()->keys.empty());
}

TEST_CASE("introspection: active tokens, cache bounded in entries, inactive and foreign tokens") {
  int calls = 0;
  TokenIntrospection introspection(IntrospectionOptions{
      .url = "https://issuer.test/introspect",
      .client_id = "mcpgate",
      .client_secret = "s3cret",
      .ttl = std::chrono::seconds(60),
      .max_entries = 2,
      .timeout = std::chrono::milliseconds(1000),
      .fetch = [&](const FetchRequest& r) -> FetchAnswer {
        ++calls;
        CHECK(r.basic_user == "mcpgate");
        if (r.form_body.find("token=good") == 0)
          return {200, json{{"active", true}, {"sub", "bob"}, {"scope", "mcpgate:read"},
                            {"aud", oauth_resource}, {"exp", unix_now() + 600}}.dump()};
        if (r.form_body.find("token=foreign") == 0)
          return {200, json{{"active", true}, {"sub", "bob"}, {"aud", "https://other"}}.dump()};
        return {200, R"({"active":false})"};
      }});
  const auto now = std::chrono::system_clock::now();
  CHECK(introspection.check("good", oauth_policy(), now).subject == "bob");
  CHECK(introspection.check("good", oauth_policy(), now).scopes == std::vector<std::string>{"mcpgate:read"});
  CHECK(calls == 1);  // the second came from the cache
  CHECK_THROWS_AS((void)introspection.check("revoked", oauth_policy(), now), TokenError);
  CHECK_THROWS_AS((void)introspection.check("foreign", oauth_policy(), now), TokenError);
  CHECK(calls == 3);
  // Refusals are kept too: a client repeating a bad token does not make us repeat the call.
  CHECK_THROWS_AS((void)introspection.check("revoked", oauth_policy(), now), TokenError);
  CHECK(calls == 3);
  // Two entries at most: the oldest ("good") made room, and is asked about again.
  CHECK(introspection.check("good", oauth_policy(), now).subject == "bob");
  CHECK(calls == 4);
}

TEST_CASE("tool scopes: manage_* writes, the rest reads, write implies read, static token is unscoped") {
  const ToolScopes scopes;
  CHECK(scopes.needed_for("manage_task") == "mcpgate:write");
  CHECK(scopes.needed_for("find_tasks") == "mcpgate:read");
  CHECK(scopes.needed_for("session_info") == "mcpgate:read");
  const Access reader{.subject = "a", .scopes = {"mcpgate:read"}, .every_scope = false};
  const Access writer{.subject = "a", .scopes = {"mcpgate:write"}, .every_scope = false};
  const Access none{.subject = "a", .scopes = {"openid"}, .every_scope = false};
  const Access token{.subject = "", .scopes = {}, .every_scope = true};
  CHECK(scopes.holds(reader, "mcpgate:read"));
  CHECK(!scopes.holds(reader, "mcpgate:write"));
  CHECK(scopes.holds(writer, "mcpgate:read"));
  CHECK(!scopes.holds(none, "mcpgate:read"));
  CHECK(scopes.holds(token, "mcpgate:write"));
  const ToolScopes open{.read = "", .write = ""};
  CHECK(open.holds(none, open.needed_for("manage_task")));
}

TEST_CASE("issuer keys: destruction cancels a fetch under way (shutdown does not wait out a stalled issuer)") {
  FakeIssuerWeb web;
  web.keys.push_back(std::make_shared<SigningKey>("ES256", "k1"));
  std::atomic<int> calls{0};
  std::atomic<bool> stalled{false};
  std::atomic<bool> saw_cancel{false};
  {
    IssuerKeys keys(IssuerKeysOptions{
        .issuer = oauth_issuer,
        .refresh = std::chrono::seconds(1),
        .min_refresh = std::chrono::seconds(0),
        .max_jwks_bytes = 65536,
        .max_keys = 8,
        .timeout = std::chrono::milliseconds(1000),
        .fetch = [&](const FetchRequest& r) -> FetchAnswer {
          if (++calls <= 2) return web.answer(r);  // start(): metadata and keys
          // The scheduled refresh: a stalled issuer, until the fetch is cancelled (bounded).
          stalled = true;
          for (int i = 0; i < 3000 && !(r.cancelled && r.cancelled->load()); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          saw_cancel = r.cancelled && r.cancelled->load();
          throw std::runtime_error("cancelled");
        }});
    REQUIRE(keys.start());
    for (int i = 0; i < 500 && !stalled; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(stalled);
  }  // ~IssuerKeys
  CHECK(saw_cancel);
}
