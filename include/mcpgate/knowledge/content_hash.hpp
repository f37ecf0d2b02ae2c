// Content hashes for the ingester: SHA-256 decides whether a file changed since the last run,
// and stable ids derived from it give a page the same id every time the same file is indexed
// (so links to a page survive a re-ingest that leaves it unchanged).
#pragma once

#include <string>
#include <string_view>

namespace mcpgate::knowledge {

// Lower-case hex SHA-256 (FIPS 180-4) of the bytes.
[[nodiscard]] std::string sha256_hex(std::string_view data);

// A UUID-shaped id (8-4-4-4-12 hex, version 5 and RFC 4122 variant bits) derived from the
// SHA-256 of `key`: the same key always gives the same id.
[[nodiscard]] std::string stable_uuid(std::string_view key);

}  // namespace mcpgate::knowledge
