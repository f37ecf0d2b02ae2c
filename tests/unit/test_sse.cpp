// SSE framing (transport/sse.hpp). The per-stream outbox is tested in test_event_stream.cpp.
#include "mcpgate/transport/sse.hpp"

#include "sse_parse.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mcpgate;
namespace sse = transport::sse;
using test::parse_sse;

// ---------------------------------------------------------------------------------------------
// Framing

TEST_CASE("sse::event frames name, id and single-line data") {
  const std::string frame = sse::event("message", "s1.3", R"({"a":1})");
  CHECK(frame == "event: message\nid: s1.3\ndata: {\"a\":1}\n\n");
  const auto parsed = parse_sse(frame);
  REQUIRE(parsed.events.size() == 1);
  CHECK(parsed.events[0].event == "message");
  CHECK(parsed.events[0].id == "s1.3");
  CHECK(parsed.events[0].data == R"({"a":1})");
}

TEST_CASE("sse::event omits an empty name and id") {
  CHECK(sse::event("", "", "x") == "data: x\n\n");
  const auto parsed = parse_sse(sse::event("", "", "x"));
  REQUIRE(parsed.events.size() == 1);
  CHECK(parsed.events[0].event.empty());
  CHECK(parsed.events[0].id.empty());
}

TEST_CASE("sse::event splits multi-line data on LF, CR and CRLF into data: lines") {
  SUBCASE("LF") {
    const auto frame = sse::event("m", "", "a\nb\nc");
    CHECK(frame == "event: m\ndata: a\ndata: b\ndata: c\n\n");
    const auto parsed = parse_sse(frame);
    REQUIRE(parsed.events.size() == 1);
    CHECK(parsed.events[0].data == "a\nb\nc");
  }
  SUBCASE("CR alone is a line terminator too") {
    const auto frame = sse::event("m", "", "a\rb");
    CHECK(frame.find('\r') == std::string::npos);
    const auto parsed = parse_sse(frame);
    REQUIRE(parsed.events.size() == 1);
    CHECK(parsed.events[0].data == "a\nb");
  }
  SUBCASE("CRLF counts as one terminator") {
    const auto frame = sse::event("m", "", "a\r\nb");
    CHECK(frame == "event: m\ndata: a\ndata: b\n\n");
    const auto parsed = parse_sse(frame);
    REQUIRE(parsed.events.size() == 1);
    CHECK(parsed.events[0].data == "a\nb");
  }
  SUBCASE("blank lines inside data do not end the event") {
    const auto frame = sse::event("m", "1", "a\n\n\nb\r\n\r\nc\n");
    const auto parsed = parse_sse(frame);
    REQUIRE(parsed.events.size() == 1);
    CHECK(parsed.events[0].data == "a\n\n\nb\n\nc\n");
  }
  SUBCASE("data that looks like fields stays data") {
    const auto frame = sse::event("m", "7", "x\n\nevent: evil\nid: 999\nretry: 1\n\ndata: y");
    const auto parsed = parse_sse(frame);
    REQUIRE(parsed.events.size() == 1);
    CHECK(parsed.events[0].event == "m");
    CHECK(parsed.events[0].id == "7");
    CHECK_FALSE(parsed.events[0].retry.has_value());
    for (const auto& f : parsed.fields) CHECK((f == "event" || f == "id" || f == "data"));
  }
  SUBCASE("empty data is one empty data line (the event is still dispatched)") {
    const auto frame = sse::event("m", "", "");
    CHECK(frame == "event: m\ndata: \n\n");
    REQUIRE(parse_sse(frame).events.size() == 1);
  }
  SUBCASE("NUL bytes are dropped wherever they are; the text around them is kept") {
    const auto frame = sse::event("m", "", std::string("\0a\0\0b\nc\0\r\0", 11));
    CHECK(frame == "event: m\ndata: ab\ndata: c\ndata: \n\n");
  }
  SUBCASE("a trailing line break gives a last, empty data line") {
    CHECK(sse::event("", "", "a\r") == "data: a\ndata: \n\n");
    CHECK(sse::event("", "", "a\r\n") == "data: a\ndata: \n\n");
    CHECK(sse::event("", "", "\n") == "data: \ndata: \n\n");
  }
}

TEST_CASE("CR/LF/NUL in the event name or id cannot inject a field or an event") {
  const std::vector<std::string> attacks = {
      "x\n\ndata: injected\n\nevent: y", "x\r\rdata: injected\r\r", "x\r\n\r\nid: 666\r\n",
      std::string("x\0\ndata: z", 10), "\n", "\r\n\r\n"};
  for (const auto& attack : attacks) {
    CAPTURE(attack);
    {  // in the name
      const auto frame = sse::event(attack, "1", "payload");
      const auto parsed = parse_sse(frame);
      REQUIRE(parsed.events.size() == 1);
      CHECK(parsed.events[0].data == "payload");
      CHECK(parsed.events[0].id == "1");
      CHECK(parsed.events[0].event.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
      // event, id, data: nothing else.
      CHECK(parsed.fields.size() == 3);
    }
    {  // in the id
      const auto frame = sse::event("message", attack, "payload");
      const auto parsed = parse_sse(frame);
      REQUIRE(parsed.events.size() == 1);
      CHECK(parsed.events[0].event == "message");
      CHECK(parsed.events[0].data == "payload");
      CHECK(parsed.events[0].id.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
      CHECK(parsed.fields.size() == 3);
    }
  }
}

TEST_CASE("sse::single_line removes CR, LF and NUL only") {
  CHECK(sse::single_line(std::string("a\rb\nc\0d e", 9)) == "abcd e");
  CHECK(sse::single_line("plain: text") == "plain: text");
}

TEST_CASE("sse::priming carries an id, a retry hint and empty data") {
  const auto frame = sse::priming("g.0", 3000);
  const auto parsed = parse_sse(frame);
  REQUIRE(parsed.events.size() == 1);
  CHECK(parsed.events[0].id == "g.0");
  REQUIRE(parsed.events[0].retry.has_value());
  CHECK(*parsed.events[0].retry == 3000);
  CHECK(parsed.events[0].data.empty());

  SUBCASE("no retry line when retry_ms <= 0") {
    const auto no_retry = sse::priming("p1.4", 0);
    CHECK(no_retry.find("retry:") == std::string::npos);
    const auto p = parse_sse(no_retry);
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].id == "p1.4");
  }
  SUBCASE("an id with line breaks stays one field") {
    const auto p = parse_sse(sse::priming("a\n\ndata: x\n", 10));
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].data.empty());
  }
}

TEST_CASE("sse::comment is ignored by clients, even with line breaks in the text") {
  const auto c = sse::comment("heartbeat");
  CHECK(c == ": heartbeat\n\n");
  auto parsed = parse_sse(c);
  CHECK(parsed.events.empty());
  CHECK(parsed.comments == 1);

  parsed = parse_sse(sse::comment("x\n\ndata: injected\n\n"));
  CHECK(parsed.events.empty());
  CHECK(parsed.comments == 1);
  CHECK(parsed.fields.empty());
}
