// Test helpers for request bodies: an httplib::Stream over fixed bytes, and gzip.
#pragma once

#include "mcpgate/server/httplib_compat.hpp"

#include <httplib.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mcpgate::test {

// A Stream over fixed bytes, handed out `step` bytes at a time at most; writes are dropped.
class BytesStream final : public server::httplib_compat::Stream<> {
 public:
  explicit BytesStream(std::string bytes, std::size_t step = 1 << 20)
      : bytes_(std::move(bytes)), step_(step) {}
  ssize_t read(char* ptr, size_t size) override {
    const std::size_t n = std::min({size, step_, bytes_.size() - offset_});
    std::memcpy(ptr, bytes_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
  void get_remote_ip_and_port(std::string&, int&) const override {}
  void get_local_ip_and_port(std::string&, int&) const override {}
  socket_t socket() const override { return -1; }
  [[nodiscard]] std::size_t consumed() const noexcept { return offset_; }

 private:
  bool has_buffered() const override { return offset_ < bytes_.size(); }
  bool wait_for_bytes() const override { return true; }
  bool wait_for_room() const override { return true; }

  std::string bytes_;
  std::size_t step_;
  std::size_t offset_ = 0;
};

// `data` compressed as gzip (what a client sends with Content-Encoding: gzip).
inline std::string gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

}  // namespace mcpgate::test
