#include "mcpgate/server/jwt.hpp"

#include "mcpgate/util/base64.hpp"
#include "mcpgate/util/json_nesting.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>

namespace mcpgate::server {

using json = nlohmann::json;

namespace {

// RAII for the OpenSSL objects used here.
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

std::string member_b64(const json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) throw std::invalid_argument(std::string("no ") + name);
  auto bytes = util::base64url_decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) throw std::invalid_argument(std::string(name) + " is not base64url");
  return std::move(*bytes);
}

Bn to_bn(const std::string& bytes) {
  Bn bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()), nullptr));
  if (!bn) throw std::runtime_error("out of memory");
  return bn;
}

// A public key from OSSL_PARAMs (the OpenSSL 3 way to build one from its parts).
Pkey from_params(const char* type, OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    throw std::invalid_argument(std::string("not a valid ") + type + " public key");
  return Pkey(key);
}

Pkey rsa_key(const json& jwk) {
  const Bn n = to_bn(member_b64(jwk, "n"));
  const Bn e = to_bn(member_b64(jwk, "e"));
  // Below 2048 bits an RSA signature no longer protects anything (NIST SP 800-131A).
  if (BN_num_bits(n.get()) < 2048) throw std::invalid_argument("RSA key shorter than 2048 bits");
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()))
    throw std::runtime_error("out of memory");
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) throw std::runtime_error("out of memory");
  return from_params("RSA", params.get());
}

Pkey p256_key(const json& jwk) {
  if (jwk.value("crv", "") != "P-256") throw std::invalid_argument("EC curve other than P-256");
  const std::string x = member_b64(jwk, "x");
  const std::string y = member_b64(jwk, "y");
  if (x.size() != 32 || y.size() != 32) throw std::invalid_argument("P-256 coordinates not 32 bytes");
  std::string point = "\x04" + x + y;  // uncompressed SEC1 point
  char group[] = "P-256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  return from_params("EC", params);
}

Pkey ed25519_key(const json& jwk) {
  if (jwk.value("crv", "") != "Ed25519") throw std::invalid_argument("OKP curve other than Ed25519");
  const std::string x = member_b64(jwk, "x");
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
  if (!key) throw std::invalid_argument("not a valid Ed25519 public key");
  return Pkey(key);
}

// The one algorithm a key of this type verifies here ("" for none).
std::string algorithm_for(const std::string& kty) {
  if (kty == "RSA") return "RS256";
  if (kty == "EC") return "ES256";
  if (kty == "OKP") return "EdDSA";
  return "";
}

std::vector<std::string> split_dots(std::string_view token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = token.find('.', start);
    parts.emplace_back(token.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
    if (parts.size() > 3) break;
  }
  return parts;
}

// JWS ES256 signatures are r || s (32 bytes each); OpenSSL verifies DER.
std::string es256_to_der(const std::string& raw) {
  if (raw.size() != 64) throw TokenError("the ES256 signature is not 64 bytes");
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    throw std::runtime_error("out of memory");
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) throw std::runtime_error("cannot encode the ECDSA signature");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

bool verify_signature(const Jwk& key, std::string_view signed_part, const std::string& signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::runtime_error("out of memory");
  auto* pkey = static_cast<EVP_PKEY*>(key.key.get());
  // EdDSA hashes internally (no digest); RS256 and ES256 use SHA-256.
  const EVP_MD* digest = key.alg == "EdDSA" ? nullptr : EVP_sha256();
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, pkey) != 1) return false;
  const std::string sig = key.alg == "ES256" ? es256_to_der(signature) : signature;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signed_part.data()),
                          signed_part.size()) == 1;
}

json decode_part(const std::string& part, const char* what) {
  auto bytes = util::base64url_decode(part);
  if (!bytes) throw TokenError(std::string("the token's ") + what + " is not base64url");
  // Parsing recurses once per level: deeper JSON is refused unparsed, as a client's body is.
  if (!util::json_nesting_within(*bytes, 8)) throw TokenError(std::string("the token's ") + what + " nests too deep");
  json value = json::parse(*bytes, nullptr, false);
  if (!value.is_object()) throw TokenError(std::string("the token's ") + what + " is not a JSON object");
  return value;
}

std::chrono::system_clock::time_point time_claim(const json& claims, const char* name) {
  const auto& value = claims.at(name);
  if (!value.is_number()) throw TokenError(std::string("the token's ") + name + " is not a number");
  const double seconds = value.get<double>();
  if (!(seconds > 0 && seconds < 1e11)) throw TokenError(std::string("the token's ") + name + " is out of range");
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(seconds)));
}

}  // namespace

JwkSet parse_jwk_set(const json& document, std::size_t max_keys) {
  if (!document.is_object() || !document.contains("keys") || !document["keys"].is_array())
    throw std::invalid_argument("not a JWK Set (no \"keys\" array)");
  const auto& keys = document["keys"];
  if (keys.size() > max_keys)
    throw std::invalid_argument("the JWK Set holds " + std::to_string(keys.size()) +
                                " keys, more than the " + std::to_string(max_keys) + " allowed");
  JwkSet set;
  for (const auto& jwk : keys) {
    try {
      if (!jwk.is_object()) throw std::invalid_argument("not an object");
      if (jwk.value("use", "sig") != "sig") throw std::invalid_argument("not a signing key");
      const std::string kty = jwk.value("kty", "");
      const std::string alg = algorithm_for(kty);
      if (alg.empty()) throw std::invalid_argument("key type not used here");
      // A key that names its algorithm verifies that one only.
      if (jwk.contains("alg") && jwk["alg"] != alg) throw std::invalid_argument("algorithm not used here");
      Pkey key = kty == "RSA" ? rsa_key(jwk) : kty == "EC" ? p256_key(jwk) : ed25519_key(jwk);
      set.keys.push_back(Jwk{.kid = jwk.value("kid", ""),
                             .alg = alg,
                             .key = std::shared_ptr<void>(key.release(), [](void* k) {
                               EVP_PKEY_free(static_cast<EVP_PKEY*>(k));
                             })});
    } catch (const std::invalid_argument&) {
      ++set.skipped;
    } catch (const json::exception&) {
      ++set.skipped;
    }
  }
  return set;
}

bool looks_like_jwt(std::string_view token) {
  return std::count(token.begin(), token.end(), '.') == 2 && token.substr(0, 2) == "ey";
}

TokenClaims verify_jwt(std::string_view token, const JwkSet& keys, const TokenPolicy& policy,
                       std::chrono::system_clock::time_point now) {
  if (token.size() > policy.max_token_bytes)
    throw TokenError("the token is longer than " + std::to_string(policy.max_token_bytes) + " bytes");
  const auto parts = split_dots(token);
  if (parts.size() != 3) throw TokenError("the token is not a JWS in compact form");
  const json header = decode_part(parts[0], "header");
  const auto alg_it = header.find("alg");
  if (alg_it == header.end() || !alg_it->is_string()) throw TokenError("the token names no algorithm");
  const std::string alg = *alg_it;
  if (alg != "RS256" && alg != "ES256" && alg != "EdDSA")
    throw TokenError("the token's algorithm " + alg + " is not accepted (RS256, ES256, EdDSA)");
  if (header.contains("crit")) throw TokenError("the token has critical header parameters");
  const std::string kid = header.value("kid", "");
  auto signature = util::base64url_decode(parts[2]);
  if (!signature || signature->empty()) throw TokenError("the token's signature is not base64url");

  const std::string_view signed_part = token.substr(0, parts[0].size() + 1 + parts[1].size());
  bool known = false;
  bool verified = false;
  for (const auto& key : keys.keys) {
    if (key.alg != alg || (!kid.empty() && key.kid != kid)) continue;
    known = true;
    if (verify_signature(key, signed_part, *signature)) {
      verified = true;
      break;
    }
  }
  if (!known)
    throw TokenError(kid.empty() ? "no " + alg + " key to verify the token with"
                                 : "the token's key " + kid + " is not among the issuer's keys",
                     !kid.empty());
  if (!verified) throw TokenError("the token's signature does not verify");

  const json claims = decode_part(parts[1], "payload");
  try {
    if (!claims.contains("iss") || claims["iss"] != policy.issuer)
      throw TokenError("the token was not issued by " + policy.issuer);
    const auto names_us = [&](const json& aud) {
      return aud.is_string() && std::find(policy.audiences.begin(), policy.audiences.end(),
                                          aud.get<std::string>()) != policy.audiences.end();
    };
    const json aud = claims.value("aud", json());
    const bool for_us = aud.is_array() ? std::any_of(aud.begin(), aud.end(), names_us) : names_us(aud);
    if (!for_us)
      throw TokenError("the token is not for this resource (its aud does not name " +
                       (policy.audiences.empty() ? std::string("it") : policy.audiences.front()) + ")");
    if (!claims.contains("exp")) throw TokenError("the token has no exp");
    const auto expires = time_claim(claims, "exp");
    if (now > expires + policy.leeway) throw TokenError("the token has expired");
    if (claims.contains("nbf") && now + policy.leeway < time_claim(claims, "nbf"))
      throw TokenError("the token is not valid yet (nbf)");
    const auto sub = claims.find("sub");
    if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty())
      throw TokenError("the token has no sub");
    std::string client = claims.value("client_id", json()).is_string()
                             ? claims["client_id"].get<std::string>()
                             : (claims.value("azp", json()).is_string() ? claims["azp"].get<std::string>() : "");
    return TokenClaims{.subject = *sub, .scopes = scopes_of(claims), .client_id = std::move(client),
                       .expires = expires};
  } catch (const json::exception& e) {
    throw TokenError(std::string("the token's claims are malformed: ") + e.what());
  }
}

std::vector<std::string> scopes_of(const json& claims) {
  std::vector<std::string> scopes;
  auto add_words = [&](const std::string& text) {
    std::size_t start = 0;
    while (start < text.size()) {
      const auto space = text.find(' ', start);
      const auto end = space == std::string::npos ? text.size() : space;
      if (end > start) scopes.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  };
  for (const char* name : {"scope", "scp"}) {
    const auto it = claims.find(name);
    if (it == claims.end()) continue;
    if (it->is_string()) add_words(*it);
    if (it->is_array())
      for (const auto& item : *it)
        if (item.is_string()) scopes.push_back(item);
  }
  return scopes;
}

}  // namespace mcpgate::server
