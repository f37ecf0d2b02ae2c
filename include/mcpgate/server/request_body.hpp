// Reads a request's body off the connection with one byte budget for every framing.
//
// cpp-httplib 0.11.4 caps only a body with a Content-Length: a chunked body, or a gzip body it
// inflates, grows without limit. mcpgate reads bodies itself, before httplib would: the budget
// (--max-body) holds for the bytes on the wire and again for the bytes a Content-Encoding inflates
// them to, and is checked before anything past it is buffered, so a 500 KB gzip bomb costs at most
// the budget. Over it: 413, and the connection is closed (its remaining bytes are never read).
#pragma once

#include "mcpgate/server/request_head.hpp"

#include <httplib.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mcpgate::server {

// Whether a body can be read, before any of it is: nullopt when its encoding is known (none,
// identity, gzip, x-gzip, deflate) and its declared length within `max_body`; else a 415 naming
// the encoding or a 413.
[[nodiscard]] std::optional<Refusal> check_body(const BodyFraming& framing,
                                                std::string_view content_encoding,
                                                std::size_t max_body);

// Reads the body `framing` describes from `stream` into `body`, decoded per `content_encoding`
// (accepted by check_body). nullopt when it is whole and within `max_body`;
// else 413 (over the budget, on the wire or inflated), 400 (bad chunked framing, a body that does
// not inflate, a connection that ended early).
[[nodiscard]] std::optional<Refusal> read_request_body(httplib::Stream& stream,
                                                       const BodyFraming& framing,
                                                       std::string_view content_encoding,
                                                       std::size_t max_body, std::string& body);

}  // namespace mcpgate::server
