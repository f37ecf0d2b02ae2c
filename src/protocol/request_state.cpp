#include "mcpgate/protocol/request_state.hpp"

#include "mcpgate/util/base64.hpp"
#include "mcpgate/util/secure_random.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace mcpgate::protocol {

using json = nlohmann::json;

namespace {

constexpr std::string_view version_prefix = "s1.";
constexpr std::size_t nonce_bytes = 12;
constexpr std::size_t mac_bytes = 32;  // SHA-256

std::string_view as_chars(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

long long unix_ms(RequestStateCodec::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string arguments_digest(const json& arguments) {
  const std::string text = arguments.dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return util::base64url_encode(as_chars(digest, sizeof digest));
}

RequestStateCodec::RequestStateCodec(std::string key, Options options)
    : key_(std::move(key)), options_(options) {
  if (key_.size() < min_state_key_bytes)
    throw std::invalid_argument("the requestState key must be at least " +
                                std::to_string(min_state_key_bytes) + " bytes");
}

std::string RequestStateCodec::mac(std::string_view signed_part) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), out,
           &size) == nullptr ||
      size != mac_bytes)
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(as_chars(out, size));
}

std::string RequestStateCodec::seal(const StateBinding& binding, const json& answers,
                                    unsigned round, Clock::time_point now) const {
  const json payload{{"m", binding.method},
                     {"n", binding.name},
                     {"d", binding.arguments_digest},
                     {"e", unix_ms(now + options_.ttl)},
                     {"r", round},
                     {"i", util::base64url_encode(util::secure_random_bytes(nonce_bytes))},
                     {"a", answers.is_object() ? answers : json::object()}};
  std::string token(version_prefix);
  token += util::base64url_encode(payload.dump());
  const std::string tag = util::base64url_encode(mac(token));
  token += '.';
  token += tag;
  if (token.size() > options_.max_bytes)
    throw std::length_error("the answers gathered so far take " + std::to_string(token.size()) +
                            " bytes as requestState; this server carries at most " +
                            std::to_string(options_.max_bytes) + " (--max-request-state)");
  return token;
}

RequestStateCodec::Opened RequestStateCodec::open(std::string_view token,
                                                  const StateBinding& binding,
                                                  Clock::time_point now) const {
  // 1. Size and shape, without decoding anything.
  if (token.size() > options_.max_bytes)
    throw StateRejected("requestState is longer than this server ever mints (" +
                        std::to_string(options_.max_bytes) + " bytes)");
  const auto dot = token.rfind('.');
  if (token.substr(0, version_prefix.size()) != version_prefix || dot == std::string_view::npos ||
      dot < version_prefix.size())
    throw StateRejected("requestState is malformed (not one this server minted)");
  const std::string_view signed_part = token.substr(0, dot);
  // 2. The MAC, in constant time; nothing of the payload is read before it matched.
  const auto tag = util::base64url_decode(token.substr(dot + 1));
  const std::string expected = mac(signed_part);
  if (!tag || tag->size() != expected.size() ||
      CRYPTO_memcmp(tag->data(), expected.data(), expected.size()) != 0)
    throw StateRejected(
        "requestState integrity check failed: it was changed, or minted with another key "
        "(instances behind one load balancer need the same --state-key-file)");
  // 3. Our own payload from here on; still checked, as a key shared with an older version
  // could have minted another shape.
  json payload;
  try {
    const auto text = util::base64url_decode(signed_part.substr(version_prefix.size()));
    if (!text) throw StateRejected("payload is not base64url");
    payload = json::parse(*text);
    if (!payload.is_object() || !payload.value("e", json()).is_number_integer() ||
        !payload.value("r", json()).is_number_unsigned() ||
        !payload.value("a", json()).is_object() || !payload.value("m", json()).is_string() ||
        !payload.value("n", json()).is_string() || !payload.value("d", json()).is_string())
      throw StateRejected("payload lacks a field");
  } catch (const std::exception&) {
    throw StateRejected("requestState is malformed (not one this server minted)");
  }
  if (payload["e"].get<long long>() <= unix_ms(now))
    throw StateRejected("requestState has expired (it is good for " +
                        std::to_string(options_.ttl.count()) +
                        " s, --state-ttl): run the request again without it");
  if (payload["m"] != binding.method || payload["n"] != binding.name)
    throw StateRejected("requestState belongs to another request (" +
                        payload["m"].get<std::string>() + " of '" +
                        payload["n"].get<std::string>() + "')");
  if (payload["d"] != binding.arguments_digest)
    throw StateRejected("requestState belongs to the same " + binding.method +
                        " with other arguments");
  return Opened{.answers = std::move(payload["a"]), .round = payload["r"].get<unsigned>()};
}

}  // namespace mcpgate::protocol
