// SSE framing (transport/sse.hpp) and the per-stream outbox with replay (transport/event_stream.hpp).
#include "mcpgate/transport/event_stream.hpp"
#include "mcpgate/transport/sse.hpp"

#include "sse_parse.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace mcpgate;
using namespace std::chrono_literals;
using transport::EventStream;
namespace sse = transport::sse;
using test::parse_sse;

namespace {

EventStream::Clock::time_point soon(std::chrono::milliseconds d = 2000ms) {
  return EventStream::Clock::now() + d;
}

// Parse a batch's frames back into events.
std::vector<test::SseEvent> events_of(const EventStream::Batch& batch) {
  std::string all;
  for (const auto& f : batch.frames) all += f;
  return parse_sse(all).events;
}

}  // namespace

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

// ---------------------------------------------------------------------------------------------
// EventStream

TEST_CASE("EventStream: pushed events are delivered in order with ids <stream>.<seq>") {
  EventStream s("s3", 16, true);
  CHECK(s.id() == "s3");
  CHECK(s.cursor_id() == "s3.0");
  CHECK(s.push("message", "one"));
  CHECK(s.push("message", "two"));
  CHECK(s.push("message", "three"));
  CHECK(s.cursor_id() == "s3.3");

  const auto gen = s.attach();
  const auto batch = s.wait(gen, 0, soon());
  CHECK_FALSE(batch.gap);
  CHECK_FALSE(batch.finished);
  CHECK_FALSE(batch.closed);
  CHECK(batch.last_seq == 3);
  const auto events = events_of(batch);
  REQUIRE(events.size() == 3);
  CHECK(events[0].data == "one");
  CHECK(events[0].id == "s3.1");
  CHECK(events[1].data == "two");
  CHECK(events[2].data == "three");
  CHECK(events[2].id == "s3.3");
  CHECK(events[2].event == "message");
}

TEST_CASE("EventStream without ids frames events without an id line") {
  EventStream s("l", 4, false);
  s.push("message", "x");
  const auto gen = s.attach();
  const auto batch = s.wait(gen, 0, soon());
  REQUIRE(batch.frames.size() == 1);
  CHECK(batch.frames[0].find("id:") == std::string::npos);
  CHECK(batch.last_seq == 1);
}

TEST_CASE("EventStream: wait with nothing new returns empty at the deadline") {
  EventStream s("s", 4, true);
  const auto gen = s.attach();
  const auto start = EventStream::Clock::now();
  const auto batch = s.wait(gen, 0, start + 50ms);
  CHECK(batch.frames.empty());
  CHECK(batch.last_seq == 0);
  CHECK_FALSE(batch.finished);
  CHECK(EventStream::Clock::now() - start >= 45ms);
}

TEST_CASE("EventStream: replay from a seq returns only later events") {
  EventStream s("s", 16, true);
  for (int i = 1; i <= 5; ++i) s.push("message", "e" + std::to_string(i));
  const auto gen = s.attach();
  auto batch = s.wait(gen, 3, soon());
  auto events = events_of(batch);
  REQUIRE(events.size() == 2);
  CHECK(events[0].data == "e4");
  CHECK(events[0].id == "s.4");
  CHECK(events[1].data == "e5");
  CHECK(batch.last_seq == 5);
  CHECK_FALSE(batch.gap);

  // Replaying again from 0 still works (events are kept for a resume).
  batch = s.wait(gen, 0, soon());
  CHECK(batch.frames.size() == 5);
}

TEST_CASE("EventStream: evicted events are reported as a gap") {
  EventStream s("s", 2, true);
  for (int i = 1; i <= 5; ++i) s.push("message", "e" + std::to_string(i));
  const auto gen = s.attach();

  auto batch = s.wait(gen, 0, soon());
  CHECK(batch.gap);
  auto events = events_of(batch);
  REQUIRE(events.size() == 2);
  CHECK(events[0].data == "e4");
  CHECK(events[1].data == "e5");

  batch = s.wait(gen, 2, soon());
  CHECK(batch.gap);

  // Resuming right after the last evicted event is not a gap.
  batch = s.wait(gen, 3, soon());
  CHECK_FALSE(batch.gap);
  CHECK(batch.frames.size() == 2);

  batch = s.wait(gen, 4, soon());
  CHECK_FALSE(batch.gap);
  CHECK(batch.frames.size() == 1);
}

TEST_CASE("EventStream: finish ends the stream after the last frame") {
  EventStream s("p1", 8, true);
  s.push("message", "a");
  s.push("message", "b");
  CHECK_FALSE(s.finished());
  s.finish();
  CHECK(s.finished());
  CHECK_FALSE(s.push("message", "dropped"));
  CHECK(s.cursor_id() == "p1.2");

  const auto gen = s.attach();
  SUBCASE("a writer behind gets the frames and the finished flag together") {
    const auto batch = s.wait(gen, 0, soon());
    CHECK(batch.frames.size() == 2);
    CHECK(batch.last_seq == 2);
    CHECK(batch.finished);
    CHECK_FALSE(batch.closed);
  }
  SUBCASE("a writer that has everything gets finished at once") {
    const auto start = EventStream::Clock::now();
    const auto batch = s.wait(gen, 2, soon(5000ms));
    CHECK(batch.frames.empty());
    CHECK(batch.finished);
    CHECK(EventStream::Clock::now() - start < 2000ms);
  }
  CHECK(s.fully_delivered(2));
  CHECK_FALSE(s.fully_delivered(1));
}

TEST_CASE("EventStream: a batch before finish() is not finished") {
  EventStream s("p1", 8, true);
  s.push("message", "a");
  const auto gen = s.attach();
  auto batch = s.wait(gen, 0, soon());
  CHECK_FALSE(batch.finished);
  CHECK_FALSE(s.fully_delivered(1));
  s.push("message", "b");
  s.finish();
  batch = s.wait(gen, 1, soon());
  CHECK(batch.frames.size() == 1);
  CHECK(batch.finished);
}

TEST_CASE("EventStream: finish wakes a blocked writer") {
  EventStream s("p1", 8, true);
  const auto gen = s.attach();
  EventStream::Batch batch;
  std::thread writer([&] { batch = s.wait(gen, 0, soon(10000ms)); });
  std::this_thread::sleep_for(50ms);
  const auto start = EventStream::Clock::now();
  s.push("message", "last");
  s.finish();
  writer.join();
  CHECK(EventStream::Clock::now() - start < 5000ms);
  // Either the push or the finish woke it; in both cases what it got is consistent.
  CHECK(batch.frames.size() <= 1);
  if (batch.frames.size() == 1 && batch.finished) CHECK(batch.last_seq == 1);
  // Draining the rest always ends with finished.
  const auto rest = s.wait(gen, batch.last_seq, soon());
  CHECK(rest.finished);
  CHECK(rest.last_seq == 1);
}

TEST_CASE("EventStream: close ends the stream now and drops further pushes") {
  EventStream s("s", 8, true);
  s.push("message", "queued");
  const auto gen = s.attach();
  s.close();
  CHECK(s.finished());
  CHECK_FALSE(s.push("message", "late"));
  const auto start = EventStream::Clock::now();
  const auto batch = s.wait(gen, 0, soon(5000ms));
  CHECK(batch.closed);
  CHECK(EventStream::Clock::now() - start < 2000ms);

  SUBCASE("close wakes a blocked writer") {
    EventStream t("t", 8, true);
    const auto g = t.attach();
    EventStream::Batch b;
    std::thread writer([&] { b = t.wait(g, 0, soon(10000ms)); });
    std::this_thread::sleep_for(30ms);
    const auto t0 = EventStream::Clock::now();
    t.close();
    writer.join();
    CHECK(b.closed);
    CHECK(EventStream::Clock::now() - t0 < 5000ms);
  }
}

TEST_CASE("EventStream: request_disconnect tells the writer to drop once, keeping the events") {
  EventStream s("s", 8, true);
  s.push("message", "a");
  const auto gen = s.attach();
  s.request_disconnect();
  auto batch = s.wait(gen, 0, soon());
  CHECK(batch.disconnect);
  CHECK(batch.frames.empty());
  CHECK_FALSE(batch.closed);

  // The flag is consumed; the events are still there for the resuming writer.
  const auto gen2 = s.attach();
  batch = s.wait(gen2, 0, soon());
  CHECK_FALSE(batch.disconnect);
  REQUIRE(batch.frames.size() == 1);
  CHECK(events_of(batch)[0].data == "a");

  SUBCASE("a fresh attach clears a pending disconnect request") {
    s.request_disconnect();
    const auto gen3 = s.attach();
    const auto b = s.wait(gen3, 0, soon());
    CHECK_FALSE(b.disconnect);
    CHECK(b.frames.size() == 1);
  }
}

TEST_CASE("EventStream: a later attach supersedes the earlier writer") {
  EventStream s("s", 8, true);
  const auto first = s.attach();
  const auto second = s.attach();
  CHECK(second != first);
  s.push("message", "x");

  auto batch = s.wait(first, 0, soon());
  CHECK(batch.superseded);
  CHECK(batch.frames.empty());

  batch = s.wait(second, 0, soon());
  CHECK_FALSE(batch.superseded);
  CHECK(batch.frames.size() == 1);

  // The superseded writer detaching does not detach the current one.
  s.detach(first);
  CHECK(s.has_writer());
  s.detach(second);
  CHECK_FALSE(s.has_writer());
}

TEST_CASE("EventStream: attach wakes a superseded writer that is blocked in wait") {
  EventStream s("s", 8, true);
  const auto first = s.attach();
  EventStream::Batch batch;
  std::thread writer([&] { batch = s.wait(first, 0, soon(10000ms)); });
  std::this_thread::sleep_for(30ms);
  const auto t0 = EventStream::Clock::now();
  (void)s.attach();
  writer.join();
  CHECK(batch.superseded);
  CHECK(EventStream::Clock::now() - t0 < 5000ms);
}

TEST_CASE("EventStream: try_attach_exclusive only when no writer is attached") {
  EventStream s("s", 8, true);
  CHECK_FALSE(s.has_writer());
  const auto gen = s.try_attach_exclusive();
  REQUIRE(gen.has_value());
  CHECK(s.has_writer());
  CHECK_FALSE(s.try_attach_exclusive().has_value());
  s.detach(*gen);
  CHECK_FALSE(s.has_writer());
  const auto again = s.try_attach_exclusive();
  REQUIRE(again.has_value());
  CHECK(*again != *gen);
  // A regular attach still takes over.
  const auto forced = s.attach();
  CHECK(s.wait(*again, 0, soon()).superseded);
  s.detach(forced);
}

TEST_CASE("EventStream: mark_delivered only moves forward") {
  EventStream s("g", 8, true);
  CHECK(s.delivered() == 0);
  s.mark_delivered(3);
  s.mark_delivered(2);
  CHECK(s.delivered() == 3);
}

TEST_CASE("EventStream::parse_event_id accepts <alnum>.<seq> only") {
  SUBCASE("valid") {
    auto pos = EventStream::parse_event_id("s3.17");
    REQUIRE(pos.has_value());
    CHECK(pos->stream_id == "s3");
    CHECK(pos->seq == 17);

    pos = EventStream::parse_event_id("g.0");
    REQUIRE(pos.has_value());
    CHECK(pos->stream_id == "g");
    CHECK(pos->seq == 0);

    pos = EventStream::parse_event_id("p12.18446744073709551615");
    REQUIRE(pos.has_value());
    CHECK(pos->seq == UINT64_MAX);
  }
  SUBCASE("round trip with what the stream emits") {
    EventStream s("p42", 4, true);
    s.push("message", "x");
    s.push("message", "y");
    const auto pos = EventStream::parse_event_id(s.cursor_id());
    REQUIRE(pos.has_value());
    CHECK(pos->stream_id == "p42");
    CHECK(pos->seq == 2);
  }
  SUBCASE("invalid") {
    const std::vector<std::string> bad = {
        "",           "garbage",    ".",         ".5",        "s.",       "s.x",
        "s.1x",       "s.x1",       "s. 1",      "s.+1",      "s.-1",     "s-1.2",
        "a.b.3",      "s_1.2",      "s/1.2",     "é.1",       "s.1.",     "s.0x10",
        "s.18446744073709551616",   "s.99999999999999999999999", std::string("s\0.1", 4),
        std::string(130, 'a') + ".1"};
    for (const auto& id : bad) {
      CAPTURE(id);
      CHECK_FALSE(EventStream::parse_event_id(id).has_value());
    }
  }
}

TEST_CASE("EventStream: a replay capacity of 0 still keeps the newest event") {
  EventStream s("s", 0, true);
  s.push("message", "a");
  s.push("message", "b");
  const auto gen = s.attach();
  const auto batch = s.wait(gen, 1, soon());
  REQUIRE(batch.frames.size() == 1);
  CHECK(events_of(batch)[0].data == "b");
}

// ---------------------------------------------------------------------------------------------
// Concurrency (run under ThreadSanitizer in the tsan suite)

TEST_CASE("EventStream stress: a producer and a writer lose or duplicate nothing") {
  constexpr int total = 20000;
  EventStream s("s", total, true);
  const auto gen = s.attach();

  std::vector<std::string> received;
  received.reserve(total);
  bool finished = false, gap = false, out_of_order = false, bad_id = false;
  std::uint64_t last = 0;

  std::thread writer([&] {
    const auto give_up = EventStream::Clock::now() + 60s;
    while (EventStream::Clock::now() < give_up) {
      auto batch = s.wait(gen, last, EventStream::Clock::now() + 200ms);
      if (batch.gap) gap = true;
      std::string all;
      for (const auto& f : batch.frames) all += f;
      for (const auto& ev : parse_sse(all).events) {
        const auto pos = EventStream::parse_event_id(ev.id);
        if (!pos || pos->stream_id != "s") {
          bad_id = true;
          continue;
        }
        if (pos->seq != last + 1) out_of_order = true;
        last = pos->seq;
        received.push_back(ev.data);
      }
      if (batch.last_seq != last) out_of_order = true;
      if (batch.finished || batch.closed) {
        finished = batch.finished;
        break;
      }
    }
  });

  std::thread producer([&] {
    for (int i = 0; i < total; ++i) {
      (void)s.push("message", std::to_string(i));
      if (i % 1000 == 0) std::this_thread::yield();
    }
    s.finish();
  });

  producer.join();
  writer.join();

  CHECK(finished);
  CHECK_FALSE(gap);
  CHECK_FALSE(out_of_order);
  CHECK_FALSE(bad_id);
  REQUIRE(received.size() == static_cast<std::size_t>(total));
  bool all_match = true;
  for (int i = 0; i < total; ++i)
    if (received[static_cast<std::size_t>(i)] != std::to_string(i)) all_match = false;
  CHECK(all_match);
}

TEST_CASE("EventStream stress: several producers, one writer, every event exactly once") {
  constexpr int producers = 4;
  constexpr int per_producer = 3000;
  EventStream s("m", producers * per_producer, true);
  const auto gen = s.attach();

  std::vector<int> next_expected(producers, 0);
  std::size_t received = 0;
  bool order_ok = true, finished = false;
  std::uint64_t last = 0;

  std::thread writer([&] {
    const auto give_up = EventStream::Clock::now() + 60s;
    while (EventStream::Clock::now() < give_up) {
      auto batch = s.wait(gen, last, EventStream::Clock::now() + 200ms);
      std::string all;
      for (const auto& f : batch.frames) all += f;
      for (const auto& ev : parse_sse(all).events) {
        const auto slash = ev.data.find('/');
        const int p = std::stoi(ev.data.substr(0, slash));
        const int n = std::stoi(ev.data.substr(slash + 1));
        if (n != next_expected[static_cast<std::size_t>(p)]) order_ok = false;
        next_expected[static_cast<std::size_t>(p)] = n + 1;
        ++received;
      }
      last = batch.last_seq;
      if (batch.finished || batch.closed) {
        finished = batch.finished;
        break;
      }
    }
  });

  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (int n = 0; n < per_producer; ++n)
        (void)s.push("message", std::to_string(p) + "/" + std::to_string(n));
      if (done.fetch_add(1) + 1 == producers) s.finish();
    });
  for (auto& t : threads) t.join();
  writer.join();

  CHECK(finished);
  CHECK(order_ok);
  CHECK(received == static_cast<std::size_t>(producers * per_producer));
  for (int p = 0; p < producers; ++p) CHECK(next_expected[static_cast<std::size_t>(p)] == per_producer);
}

TEST_CASE("EventStream stress: resuming writers taking over each other see every event once") {
  // A client that reconnects with Last-Event-ID: each new writer attaches and resumes from the
  // last seq the previous one delivered.
  constexpr int total = 5000;
  EventStream s("r", total, true);
  std::atomic<bool> producer_done{false};
  std::thread producer([&] {
    for (int i = 0; i < total; ++i) (void)s.push("message", std::to_string(i));
    s.finish();
    producer_done = true;
  });

  std::uint64_t last = 0;
  std::size_t received = 0;
  bool in_order = true, finished = false;
  const auto give_up = EventStream::Clock::now() + 60s;
  while (!finished && EventStream::Clock::now() < give_up) {
    const auto gen = s.attach();  // a new connection
    for (int round = 0; round < 3; ++round) {
      auto batch = s.wait(gen, last, EventStream::Clock::now() + 200ms);
      for (const auto& ev : events_of(batch)) {
        const auto pos = EventStream::parse_event_id(ev.id);
        if (!pos || pos->seq != last + 1 || ev.data != std::to_string(pos->seq - 1)) in_order = false;
        if (pos) last = pos->seq;
        ++received;
      }
      if (batch.finished) {
        finished = true;
        break;
      }
    }
    s.detach(gen);
  }
  producer.join();
  CHECK(producer_done);
  CHECK(finished);
  CHECK(in_order);
  CHECK(received == static_cast<std::size_t>(total));
}
