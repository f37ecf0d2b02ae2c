// The secret the modern era's requestState is sealed with (protocol/request_state.hpp), and
// where it comes from. Every instance behind one load balancer must hold the same one, or a
// retry that lands on another instance is refused: --state-key-file names a file they share.
//
// The file holds the key's bytes as they are (any bytes, at least 32: `head -c 32
// /dev/urandom`, or a secret a deployment tool writes). When it does not exist it is created
// with 32 random bytes, mode 0600, without ever being seen half-written: the bytes go to a
// temporary file first, which is then hard-linked to the name. link() refuses to replace a
// file, so of instances starting together exactly one creates it and the others read that
// one's key.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace mcpgate::server {

// A key file larger than this is not one (a path given by mistake, a certificate bundle).
inline constexpr std::size_t max_state_key_file_bytes = 4096;

struct StateKey {
  enum class Origin { file, created, random };
  std::string bytes = {};
  Origin origin = Origin::random;
  // What the operator should hear about (a key file others can read), for the log.
  std::vector<std::string> warnings = {};
};

// The key in `path`, created first when the file does not exist. Throws std::runtime_error
// naming the path: unreadable, not a regular file, shorter than 32 bytes or longer than
// max_state_key_file_bytes, or not creatable.
[[nodiscard]] StateKey load_or_create_state_key(const std::filesystem::path& path);

// 32 random bytes, for an instance that serves alone.
[[nodiscard]] StateKey random_state_key();

}  // namespace mcpgate::server
