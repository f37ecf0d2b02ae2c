#include "mcpgate/server/response_compression.hpp"

#include "mcpgate/util/text.hpp"

#include <zlib.h>

#include <cstdlib>
#include <string>

namespace mcpgate::server {

namespace {

// "application/json", "text/plain; …" and the like; never an event stream.
bool compressible(std::string_view content_type) {
  const std::string type = util::trim(content_type.substr(0, content_type.find(';')));
  if (util::iequals(type, "text/event-stream")) return false;
  return util::iequals(type, "application/json") ||
         (type.size() > 5 && util::iequals(std::string_view(type).substr(0, 5), "text/"));
}

// The whole body as one gzip member; false if zlib fails (the body then goes out as it is).
bool gzip(const std::string& in, std::string& out) {
  z_stream zs{};
  // 15 window bits + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return false;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&zs, Z_FINISH);
  const auto written = zs.total_out;
  deflateEnd(&zs);
  if (result != Z_STREAM_END) return false;
  out.resize(written);
  return true;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view{}
                                                      : accept_encoding.substr(comma + 1);
    const auto semicolon = item.find(';');
    const std::string coding = util::trim(item.substr(0, semicolon));
    if (!util::iequals(coding, "gzip") && !util::iequals(coding, "x-gzip") && coding != "*")
      continue;
    if (semicolon == std::string_view::npos) return true;
    const std::string param = util::trim(item.substr(semicolon + 1));
    if (param.size() < 2 || !util::iequals(std::string_view(param).substr(0, 2), "q=")) return true;
    const std::string q = util::trim(std::string_view(param).substr(2));
    if (std::strtod(q.c_str(), nullptr) > 0) return true;
  }
  return false;
}

void compress_if_it_pays(httplib::Response& res) {
  if (res.body.size() < min_compressed_body) return;
  if (res.has_header("Content-Encoding") || res.has_header("Content-Range")) return;
  if (!compressible(res.get_header_value("Content-Type"))) return;
  std::string compressed;
  if (!gzip(res.body, compressed) || compressed.size() >= res.body.size()) return;
  res.body.swap(compressed);
  // httplib set the length of the uncompressed body before this runs.
  res.headers.erase("Content-Length");
  res.set_header("Content-Length", std::to_string(res.body.size()));
  res.set_header("Content-Encoding", "gzip");
  res.set_header("Vary", "Accept-Encoding");
}

}  // namespace mcpgate::server
