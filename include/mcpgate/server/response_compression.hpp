// Which responses go out gzip-compressed: mcpgate's rule, not cpp-httplib's.
//
// httplib compresses every text/* or JSON body whenever the client accepts gzip or br, however
// small: a legacy POST's 8-byte "Accepted" went out as 28 bytes. So admission takes
// Accept-Encoding off each request (httplib then never compresses), remembers whether gzip was
// accepted, and compress_if_it_pays() runs once the response is complete: only bodies of at
// least min_compressed_body bytes, of a type that compresses (JSON, text other than SSE), with
// no encoding or range of their own. Streams (SSE) are never compressed: each event must reach
// the client when it is written.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <string_view>

namespace mcpgate::server {

// Below 1 KiB the gzip header and trailer (18 bytes) and a round of deflate buy next to
// nothing; JSON-RPC errors, 202s and small results are all under it, while tools/list as JSON
// (about 30 KiB) and /metrics (about 8 KiB) shrink to a fifth.
inline constexpr std::size_t min_compressed_body = 1024;

// Whether an Accept-Encoding value accepts gzip: "gzip", "x-gzip" or "*", unless with q=0.
[[nodiscard]] bool accepts_gzip(std::string_view accept_encoding);

// Gzip res.body in place (Content-Encoding, Content-Length and Vary set) when the rule above
// says it pays; otherwise leaves the response as it is.
void compress_if_it_pays(httplib::Response& res);

}  // namespace mcpgate::server
