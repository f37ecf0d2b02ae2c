// requestState of multi round-trip requests (2026-07-28): the token a call that ended with
// resultType "input_required" hands its client, to come back with the retry. It passes through
// the client, so it is attacker-controlled input (mrtr.mdx, "Security Considerations"): it is
// sealed with HMAC-SHA256 under a key every instance behind a load balancer shares
// (--state-key-file), and bound to the request it belongs to and to an expiry. A retry may land
// on any instance holding the key; none keeps anything between the rounds.
//
//   token   = "s1." base64url(payload) "." base64url(HMAC-SHA256(key, "s1." base64url(payload)))
//   payload = JSON {m: method, n: tool/prompt name or resource URI, d: arguments digest,
//                   e: expiry (Unix ms), r: round, i: nonce, a: the answers of earlier rounds}
//
// open() checks the size first, then the MAC (in constant time), and decodes or parses nothing
// before the MAC matched. The payload is signed, not encrypted: it holds only what the client
// sent itself (its earlier answers, the request it is retrying), and its integrity is what
// matters. The nonce makes every token differ, even for the same answers in the same round.
// A token can be presented again until it expires: a handler whose input must be used once
// has to enforce that itself (the revision says so too).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mcpgate::protocol {

// The shortest key accepted: HMAC-SHA256's full strength needs 256 bits of secret.
inline constexpr std::size_t min_state_key_bytes = 32;

// The request a token belongs to: a token is accepted only by the same method on the same
// tool, prompt or resource with the same arguments.
struct StateBinding {
  std::string method;            // tools/call, prompts/get, resources/read
  std::string name;              // the tool's or prompt's name, the resource's URI
  std::string arguments_digest;  // arguments_digest() of the request's arguments
};

// SHA-256 of the arguments' JSON text, base64url. nlohmann::json keeps object members sorted,
// so the same arguments give the same digest whatever order the client sent them in.
[[nodiscard]] std::string arguments_digest(const nlohmann::json& arguments);

// Why a presented token was refused; what() is the message the client gets (-32602).
class StateRejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RequestStateCodec {
 public:
  using Clock = std::chrono::system_clock;  // expiry is wall time: instances share it

  struct Options {
    // How long a client has to answer and retry. A person reads an elicitation form and
    // types: minutes, not seconds; ten bound how long a token copied elsewhere stays usable.
    std::chrono::seconds ttl{600};
    // The longest token minted or accepted (--max-request-state). It carries the earlier
    // rounds' answers (a sampling answer is the model's whole reply): 256 KiB holds dozens,
    // and stays far below --max-body's 4 MiB, so a retry carrying it always fits.
    std::size_t max_bytes = 256 * 1024;
  };

  // Throws std::invalid_argument when the key is shorter than min_state_key_bytes.
  RequestStateCodec(std::string key, Options options);

  // A token for `binding` carrying `answers` (an object) as round `round`. Throws
  // std::length_error when it would be longer than Options::max_bytes.
  [[nodiscard]] std::string seal(const StateBinding& binding, const nlohmann::json& answers,
                                 unsigned round, Clock::time_point now = Clock::now()) const;

  struct Opened {
    nlohmann::json answers;  // an object
    unsigned round = 0;
  };
  // The contents of a token minted by seal() under the same key for the same binding, before
  // its expiry. Throws StateRejected naming what is wrong: too long, malformed, failing the
  // integrity check (changed, or sealed under another key), expired, or another request's.
  [[nodiscard]] Opened open(std::string_view token, const StateBinding& binding,
                            Clock::time_point now = Clock::now()) const;

  [[nodiscard]] const Options& options() const noexcept { return options_; }

 private:
  [[nodiscard]] std::string mac(std::string_view signed_part) const;

  std::string key_;
  Options options_;
};

}  // namespace mcpgate::protocol
