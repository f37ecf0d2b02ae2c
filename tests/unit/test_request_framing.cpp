// The request head's meter and parser, and the body reader: the byte budgets and the framing
// rules that keep mcpgate and a proxy in front of it reading the same requests.
#include "mcpgate/server/request_body.hpp"
#include "mcpgate/server/request_head.hpp"
#include "request_bytes.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace mcpgate::server;
using mcpgate::test::BytesStream;
using mcpgate::test::gzip;

namespace {

std::optional<Refusal> parse(const std::string& header_lines, httplib::Headers& headers,
                             BodyFraming& framing, const char* version = "HTTP/1.1") {
  return parse_request_head("POST /mcp HTTP/1.1\r\n" + header_lines + "\r\n", version, headers, framing);
}

int refusal_status(const std::string& header_lines) {
  httplib::Headers headers;
  BodyFraming framing;
  const auto refusal = parse(header_lines, headers, framing);
  return refusal ? refusal->status : 0;
}

HeadMeter::Verdict meter(HeadMeter& m, std::string_view bytes) {
  m.begin();
  for (const char c : bytes)
    if (const auto verdict = m.feed(c); verdict != HeadMeter::Verdict::within) return verdict;
  return HeadMeter::Verdict::within;
}

std::string chunked(const std::string& data, std::size_t chunk) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += chunk) {
    const std::string part = data.substr(i, chunk);
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

}  // namespace

TEST_CASE("header values are kept as sent: never percent-decoded, only trimmed") {
  httplib::Headers headers;
  BodyFraming framing;
  REQUIRE_FALSE(parse("Host: 127.0.0.1\r\nAuthorization:   Bearer abc%41%0A  \r\n", headers, framing));
  CHECK(headers.find("authorization")->second == "Bearer abc%41%0A");
  CHECK_FALSE(framing.has_body());
}

TEST_CASE("the body's framing comes from Content-Length or chunked, and nothing else") {
  httplib::Headers headers;
  BodyFraming framing;
  REQUIRE_FALSE(parse("Host: h\r\nContent-Length: 42\r\n", headers, framing));
  CHECK(framing.kind == BodyFraming::Kind::length);
  CHECK(framing.length == 42);
  REQUIRE_FALSE(parse("Host: h\r\nTransfer-Encoding: Chunked\r\n", headers, framing));
  CHECK(framing.kind == BodyFraming::Kind::chunked);
  // No length: no body (RFC 9112 6.3), rather than everything until the client closes.
  REQUIRE_FALSE(parse("Host: h\r\n", headers, framing));
  CHECK_FALSE(framing.has_body());
}

TEST_CASE("framing two implementations could read differently is refused") {
  const std::vector<std::pair<std::string, int>> cases = {
      {"Host: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400},
      {"Host: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n", 400},
      {"Host: h\r\nContent-Length: 5, 5\r\n", 400},
      {"Host: h\r\nContent-Length: +5\r\n", 400},
      {"Host: h\r\nContent-Length: 0x10\r\n", 400},
      {"Host: h\r\nContent-Length: 99999999999999999999\r\n", 400},
      {"Host: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400},
      {"Host: h\r\nTransfer-Encoding: gzip, chunked\r\n", 501},
      {"Host: a\r\nHost: b\r\n", 400},
      {"Content-Length: 0\r\n", 400},                    // no Host on HTTP/1.1
      {"Host: h\nContent-Length: 5\r\n", 400},            // bare LF
      {"Host: h\r\n Content-Length: 5\r\n", 400},         // folded line
      {"Host: h\r\nContent-Length : 5\r\n", 400},         // space before the colon
      {"Host: h\r\nX-Note: a\rb\r\n", 400},               // lone CR
      {"Host: h\r\nX-Note: a\x01" "b\r\n", 400},          // control character
  };
  for (const auto& test_case : cases) {
    INFO(test_case.first);
    CHECK(refusal_status(test_case.first) == test_case.second);
  }
  httplib::Headers headers;
  BodyFraming framing;
  CHECK_FALSE(parse("Content-Length: 0\r\n", headers, framing, "HTTP/1.0"));  // 1.0 needs no Host
}

TEST_CASE("the head meter stops a line or a head over its budget as it arrives") {
  HeadMeter m(HeadLimits{.request_line = 64, .header_line = 32, .header_bytes = 100, .header_count = 3});
  CHECK(meter(m, "GET / HTTP/1.1\r\nHost: h\r\n\r\n") == HeadMeter::Verdict::within);
  CHECK(m.raw() == "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK(meter(m, "GET /" + std::string(100, 'a')) == HeadMeter::Verdict::uri_too_long);
  CHECK(m.raw().size() <= 64);
  CHECK(meter(m, "GET / HTTP/1.1\r\nX: " + std::string(1000, 'a')) == HeadMeter::Verdict::headers_too_large);
  CHECK(meter(m, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n") == HeadMeter::Verdict::within);
  CHECK(meter(m, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n") == HeadMeter::Verdict::headers_too_large);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 5; ++i) many += "X-" + std::to_string(i) + ": " + std::string(20, 'v') + "\r\n";
  CHECK(meter(m, many) == HeadMeter::Verdict::headers_too_large);
  CHECK(m.refusal(HeadMeter::Verdict::uri_too_long).status == 414);
  CHECK(m.refusal(HeadMeter::Verdict::headers_too_large).status == 431);
}

TEST_CASE("a body within the budget is read whole, whatever its framing") {
  const std::string data = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  std::string body;
  SUBCASE("Content-Length") {
    BytesStream stream(data + "NEXT REQUEST", 7);
    CHECK_FALSE(read_request_body(stream, {BodyFraming::Kind::length, data.size()}, "", 1024, body));
    CHECK(body == data);
    CHECK(stream.consumed() == data.size());  // not a byte of what follows
  }
  SUBCASE("chunked, with an extension and a trailer") {
    std::string wire = chunked(data, 5);
    wire.insert(wire.find("\r\n"), ";ext=1");
    wire.insert(wire.size() - 2, "X-Trailer: 1\r\n");
    BytesStream stream(wire + "NEXT", 3);
    CHECK_FALSE(read_request_body(stream, {BodyFraming::Kind::chunked, 0}, "", 1024, body));
    CHECK(body == data);
    CHECK(stream.consumed() == wire.size());
  }
  SUBCASE("gzip, chunked") {
    BytesStream stream(chunked(gzip(data), 4));
    CHECK_FALSE(read_request_body(stream, {BodyFraming::Kind::chunked, 0}, "gzip", 1024, body));
    CHECK(body == data);
  }
}

TEST_CASE("a body over the budget is refused before it is buffered, on the wire or inflated") {
  std::string body;
  SUBCASE("a declared length over the budget: 413 without reading a byte") {
    BytesStream stream(std::string(10, 'x'));
    const auto refusal = read_request_body(stream, {BodyFraming::Kind::length, 1u << 30}, "", 1024, body);
    REQUIRE(refusal);
    CHECK(refusal->status == 413);
    CHECK(stream.consumed() == 0);
  }
  SUBCASE("chunked: 413 as soon as the chunk sizes add up past it") {
    const std::string wire = chunked(std::string(4096, 'x'), 1000);
    BytesStream stream(wire);
    const auto refusal = read_request_body(stream, {BodyFraming::Kind::chunked, 0}, "", 1024, body);
    REQUIRE(refusal);
    CHECK(refusal->status == 413);
    CHECK(stream.consumed() < 2100);
    CHECK(body.empty());
  }
  SUBCASE("a gzip bomb: 413 once the inflated bytes pass the budget") {
    const std::string bomb = gzip(std::string(64u << 20, '\0'));  // 64 MiB in ~64 KB
    BytesStream stream(bomb);
    const auto refusal =
        read_request_body(stream, {BodyFraming::Kind::length, bomb.size()}, "gzip", 1u << 20, body);
    REQUIRE(refusal);
    CHECK(refusal->status == 413);
    CHECK(body.capacity() < (2u << 20));
  }
  SUBCASE("an encoding it cannot read: 415 before reading") {
    BodyFraming framing{BodyFraming::Kind::length, 4};
    const auto refusal = check_body(framing, "br", 1024);
    REQUIRE(refusal);
    CHECK(refusal->status == 415);
  }
  SUBCASE("bad chunked framing and cut-short bodies: 400") {
    for (const std::string& wire : {std::string("zz\r\nabc\r\n0\r\n\r\n"), std::string("3\r\nabcX\r\n0\r\n\r\n"),
                                   std::string("3\r\nab")}) {
      BytesStream stream(wire);
      const auto refusal = read_request_body(stream, {BodyFraming::Kind::chunked, 0}, "", 1024, body);
      REQUIRE(refusal);
      CHECK(refusal->status == 400);
    }
    BytesStream garbage("not gzip at all");
    const auto refusal = read_request_body(garbage, {BodyFraming::Kind::length, 15}, "gzip", 1024, body);
    REQUIRE(refusal);
    CHECK(refusal->status == 400);
  }
}
