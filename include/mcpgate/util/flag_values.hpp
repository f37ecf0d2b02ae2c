// Checks for the values of duration and size flags (and of their environment variables), shared
// by the server's command line and `mcpgate ingest`. Each returns why a value is refused, or
// nullopt when it is fine; the command line turns a refusal into exit code 2 naming the flag.
//
// Why not CLI11's own conversions: they take "nan" and "inf" as numbers of seconds (nan passed
// every `< 0` check and then disabled the timeout it set), and integers through strtoull with
// base 0, so " 1024", "+1024", "0x400" and "01024" (octal, 532) were all sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::util {

// Seconds as a decimal number ("20", "0.5", "1e3"): finite, within [min, max], nothing else
// in the text (no spaces, no sign but '-', no hex).
[[nodiscard]] std::optional<std::string> refuse_seconds(std::string_view text, double min,
                                                        double max);

// A whole number in decimal digits only (no sign, spaces, 0x or suffix), within [min, max].
[[nodiscard]] std::optional<std::string> refuse_whole_number(std::string_view text,
                                                             std::uint64_t min, std::uint64_t max);

}  // namespace mcpgate::util
