// Which responses go out gzip'd (mcpgate/server/response_compression.hpp): large JSON and text
// when the client accepts gzip; never small bodies, event streams, or bodies already encoded.
#include "mcpgate/server/response_compression.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <utility>

using namespace mcpgate::server;

namespace {

httplib::Response response(std::string body, const std::string& type) {
  httplib::Response res;
  res.set_content(std::move(body), type.c_str());
  res.set_header("Content-Length", std::to_string(res.body.size()));  // as httplib sets it
  return res;
}

bool gzipped(const httplib::Response& res) {
  return res.get_header_value("Content-Encoding") == "gzip" && res.body.size() > 2 &&
         static_cast<unsigned char>(res.body[0]) == 0x1f &&
         static_cast<unsigned char>(res.body[1]) == 0x8b;
}

}  // namespace

TEST_CASE("accepts_gzip: gzip, x-gzip or *, unless q=0") {
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("gzip, deflate, br"));
  CHECK(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  CHECK(accepts_gzip("x-gzip"));
  CHECK(accepts_gzip("*"));
  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("deflate, br"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
  CHECK_FALSE(accepts_gzip("gzip; q=0.000, identity"));
  CHECK_FALSE(accepts_gzip("gzipx"));
}

TEST_CASE("compress_if_it_pays: large JSON and text only") {
  const std::string large_json = "{\"items\":[" + std::string(4000, ' ') + "]}";

  auto json_res = response(large_json, "application/json");
  compress_if_it_pays(json_res);
  CHECK(gzipped(json_res));
  CHECK(json_res.body.size() < large_json.size() / 4);
  CHECK(json_res.get_header_value("Content-Length") == std::to_string(json_res.body.size()));
  CHECK(json_res.get_header_value_count("Content-Length") == 1);
  CHECK(json_res.get_header_value("Vary") == "Accept-Encoding");

  auto text_res = response(std::string(2000, 'a'), "text/plain; version=0.0.4; charset=utf-8");
  compress_if_it_pays(text_res);
  CHECK(gzipped(text_res));

  // Left as they are: small bodies (a 202's "Accepted", a JSON-RPC error), event streams, other
  // types, and bodies with an encoding or a range of their own.
  for (const auto& [body_, type_] : std::initializer_list<std::pair<std::string, std::string>>{
           {"Accepted", "text/plain"},
           {std::string(1023, 'x'), "application/json"},
           {std::string(4000, 'x'), "text/event-stream"},
           {std::string(4000, 'x'), "image/png"}}) {
    const std::string body = body_;  // doctest's CAPTURE cannot take a structured binding (clang 14)
    const std::string type = type_;
    CAPTURE(type);
    auto res = response(body, type);
    compress_if_it_pays(res);
    CHECK(res.body == body);
    CHECK_FALSE(res.has_header("Content-Encoding"));
  }
  auto encoded = response(large_json, "application/json");
  encoded.set_header("Content-Encoding", "br");
  compress_if_it_pays(encoded);
  CHECK(encoded.body == large_json);
  auto ranged = response(large_json, "application/json");
  ranged.set_header("Content-Range", "bytes 0-4011/4012");
  compress_if_it_pays(ranged);
  CHECK(ranged.body == large_json);
}
