// Test support: an OAuth authorization server for mcpgate's tests, in-process on loopback. It
// holds signing keys made with OpenSSL (RS256, ES256, EdDSA), signs access tokens with whatever
// claims and header a test chooses, and serves RFC 8414 metadata and its JWK Set over HTTP on an
// ephemeral port; a test rotates its keys, takes it down and brings it back, and counts the
// fetches of its JWK Set. An introspection endpoint answers what the test registered.
#pragma once

#include "mcpgate/util/base64.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace test_support {

// One signing key: its private key, its kid and its public JWK.
class SigningKey {
 public:
  // alg: "RS256", "ES256" or "EdDSA"
  SigningKey(std::string alg, std::string kid) : alg_(std::move(alg)), kid_(std::move(kid)) {
    EVP_PKEY* key = nullptr;
    if (alg_ == "RS256") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
    else if (alg_ == "ES256") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    else if (alg_ == "EdDSA") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key) throw std::runtime_error("cannot make a " + alg_ + " key");
    key_.reset(key, EVP_PKEY_free);
  }

  [[nodiscard]] const std::string& alg() const { return alg_; }
  [[nodiscard]] const std::string& kid() const { return kid_; }

  [[nodiscard]] nlohmann::json jwk() const {
    nlohmann::json out{{"kid", kid_}, {"use", "sig"}, {"alg", alg_}};
    if (alg_ == "RS256") {
      out["kty"] = "RSA";
      out["n"] = b64(bn_param(OSSL_PKEY_PARAM_RSA_N, 0));
      out["e"] = b64(bn_param(OSSL_PKEY_PARAM_RSA_E, 0));
    } else if (alg_ == "ES256") {
      out["kty"] = "EC";
      out["crv"] = "P-256";
      out["x"] = b64(bn_param(OSSL_PKEY_PARAM_EC_PUB_X, 32));
      out["y"] = b64(bn_param(OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    } else {
      out["kty"] = "OKP";
      out["crv"] = "Ed25519";
      unsigned char raw[32];
      size_t length = sizeof raw;
      EVP_PKEY_get_raw_public_key(key_.get(), raw, &length);
      out["x"] = b64(std::string(reinterpret_cast<char*>(raw), length));
    }
    return out;
  }

  // A compact JWS of `claims`, with this key's alg and kid unless `header` says otherwise.
  [[nodiscard]] std::string sign(const nlohmann::json& claims, nlohmann::json header = {}) const {
    if (!header.contains("alg")) header["alg"] = alg_;
    if (!header.contains("kid")) header["kid"] = kid_;
    if (!header.contains("typ")) header["typ"] = "at+jwt";
    const std::string input = b64(header.dump()) + "." + b64(claims.dump());
    return input + "." + b64(signature(input));
  }

  [[nodiscard]] std::string signature(const std::string& input) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(ctx.get(), nullptr, alg_ == "EdDSA" ? nullptr : EVP_sha256(), nullptr,
                       key_.get());
    size_t length = 0;
    EVP_DigestSign(ctx.get(), nullptr, &length,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string out(length, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &length,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    out.resize(length);
    if (alg_ != "ES256") return out;
    // DER -> r || s, as JWS wants it.
    const auto* p = reinterpret_cast<const unsigned char*>(out.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(out.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
  }

 private:
  static std::string b64(const std::string& bytes) { return mcpgate::util::base64url_encode(bytes); }

  std::string bn_param(const char* name, int pad) const {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key_.get(), name, &bn) != 1) throw std::runtime_error(name);
    const int size = pad > 0 ? pad : BN_num_bytes(bn);
    std::string out(static_cast<std::size_t>(size), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size);
    BN_free(bn);
    return out;
  }

  std::string alg_, kid_;
  std::shared_ptr<EVP_PKEY> key_;
};

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The authorization server on 127.0.0.1.
class TestIssuer {
 public:
  TestIssuer() {
    keys_.push_back(std::make_shared<SigningKey>("ES256", "key-1"));
    server_.Get("/.well-known/oauth-authorization-server",
                [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(metadata().dump(), "application/json");
                });
    server_.Get("/jwks", [this](const httplib::Request&, httplib::Response& res) {
      ++jwks_fetches_;
      nlohmann::json keys = nlohmann::json::array();
      {
        std::lock_guard lock(mutex_);
        for (const auto& key : keys_) keys.push_back(key->jwk());
      }
      res.set_content(nlohmann::json{{"keys", keys}}.dump(), "application/json");
    });
    server_.Post("/introspect", [this](const httplib::Request& req, httplib::Response& res) {
      ++introspections_;
      if (req.get_header_value("Authorization").rfind("Basic ", 0) != 0) {
        res.status = 401;
        return;
      }
      const std::string token = req.get_param_value("token");
      std::lock_guard lock(mutex_);
      const auto found = opaque_.find(token);
      res.set_content(found == opaque_.end() ? R"({"active":false})" : found->second.dump(),
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("the test issuer cannot bind");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bounded: listen_after_bind() sets is_running() at once.
    for (int i = 0; i < 500 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~TestIssuer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  TestIssuer(const TestIssuer&) = delete;
  TestIssuer& operator=(const TestIssuer&) = delete;

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] nlohmann::json metadata() const {
    return {{"issuer", url()},
            {"jwks_uri", url() + "/jwks"},
            {"token_endpoint", url() + "/token"},
            {"authorization_endpoint", url() + "/authorize"},
            {"introspection_endpoint", url() + "/introspect"}};
  }

  // The key tokens are signed with now (the newest).
  [[nodiscard]] std::shared_ptr<SigningKey> key() const {
    std::lock_guard lock(mutex_);
    return keys_.back();
  }
  // A new key, published beside (or instead of) the others.
  std::shared_ptr<SigningKey> rotate(const std::string& alg, const std::string& kid,
                                     bool drop_old = false) {
    auto key = std::make_shared<SigningKey>(alg, kid);
    std::lock_guard lock(mutex_);
    if (drop_old) keys_.clear();
    keys_.push_back(key);
    return key;
  }
  // The claims of a token for `resource`, valid for an hour, from this issuer.
  [[nodiscard]] nlohmann::json claims(const std::string& resource, const std::string& sub = "alice",
                                      const std::string& scope = "mcpgate:read mcpgate:write") const {
    const auto now = unix_now();
    return {{"iss", url()}, {"aud", resource}, {"sub", sub},        {"scope", scope},
            {"iat", now},   {"exp", now + 3600}, {"client_id", "test-client"}};
  }
  [[nodiscard]] std::string token(const std::string& resource, const std::string& sub = "alice",
                                  const std::string& scope = "mcpgate:read mcpgate:write") const {
    return key()->sign(claims(resource, sub, scope));
  }
  void add_opaque(const std::string& token, nlohmann::json answer) {
    std::lock_guard lock(mutex_);
    opaque_[token] = std::move(answer);
  }

  [[nodiscard]] int jwks_fetches() const { return jwks_fetches_.load(); }
  [[nodiscard]] int introspections() const { return introspections_.load(); }

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<SigningKey>> keys_;
  std::map<std::string, nlohmann::json> opaque_;
  std::atomic<int> jwks_fetches_{0};
  std::atomic<int> introspections_{0};
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace test_support
