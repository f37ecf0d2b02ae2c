// The per-stream outbox with its replay buffer (transport/event_stream.hpp): order and ids,
// writers and their generations, the byte budget, eviction of delivered events only, refused
// resumes. Concurrency: test_event_stream_concurrency.cpp.
#include "mcpgate/transport/event_stream.hpp"

#include "event_stream_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace mcpgate;
using namespace std::chrono_literals;
using transport::EventStream;
using test::drain;
using test::events_of;
using test::options;
using test::parse_sse;
using test::soon;

TEST_CASE("EventStream: pushed events are delivered in order with ids <stream>.<seq>") {
  EventStream s("s3", options(16, true));
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
  EventStream s("l", options(4, false));
  s.push("message", "x");
  const auto gen = s.attach();
  const auto batch = s.wait(gen, 0, soon());
  REQUIRE(batch.frames.size() == 1);
  CHECK(batch.frames[0]->find("id:") == std::string::npos);
  CHECK(batch.last_seq == 1);
}

TEST_CASE("EventStream: wait with nothing new returns empty at the deadline") {
  EventStream s("s", options(4, true));
  const auto gen = s.attach();
  const auto start = EventStream::Clock::now();
  const auto batch = s.wait(gen, 0, start + 50ms);
  CHECK(batch.frames.empty());
  CHECK(batch.last_seq == 0);
  CHECK_FALSE(batch.finished);
  CHECK(EventStream::Clock::now() - start >= 45ms);
}

TEST_CASE("EventStream: replay from a seq returns only later events") {
  EventStream s("s", options(16, true));
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


TEST_CASE("EventStream: undelivered events are never evicted, however far the writer is behind") {
  // The replay limit applies to delivered events only: a 2025-03-26 batch of 1,000 pings used to
  // get the last 256 answers of 1,000 (the rest evicted before any writer saw them).
  EventStream s("p1", options(2, true));
  for (int i = 1; i <= 1000; ++i) REQUIRE(s.push("message", "e" + std::to_string(i)));
  s.finish();
  CHECK(s.resume_from(0) == EventStream::Resume::complete);
  const auto gen = s.attach();
  EventStream::Batch last;
  const auto events = drain(s, gen, 0, false, &last);
  REQUIRE(events.size() == 1000);
  CHECK(events.front().data == "e1");
  CHECK(events.back().data == "e1000");
  CHECK(last.finished);
  CHECK_FALSE(last.gap);
}

TEST_CASE("EventStream: only delivered events leave the replay buffer, oldest first") {
  EventStream s("s", options(2, true));
  for (int i = 1; i <= 5; ++i) s.push("message", "e" + std::to_string(i));
  s.mark_delivered(3);  // 1..3 delivered: 2 and 3 stay for a resume, 1 goes
  CHECK(s.resume_from(0) == EventStream::Resume::evicted);
  CHECK(s.resume_from(1) == EventStream::Resume::complete);
  CHECK(s.resume_from(3) == EventStream::Resume::complete);

  const auto gen = s.attach();
  SUBCASE("a writer from before the first held event gets nothing and a gap: never a hole") {
    const auto batch = s.wait(gen, 0, soon());
    CHECK(batch.gap);
    CHECK(batch.frames.empty());
  }
  SUBCASE("a writer from just before the first held event gets them all") {
    const auto events = drain(s, gen, 1);
    REQUIRE(events.size() == 4);
    CHECK(events[0].data == "e2");
    CHECK(events[3].data == "e5");
  }
  SUBCASE("delivering the rest evicts down to the limit again") {
    s.mark_delivered(5);
    CHECK(s.resume_from(2) == EventStream::Resume::evicted);
    CHECK(s.resume_from(3) == EventStream::Resume::complete);
    CHECK(drain(s, gen, 3).size() == 2);
  }
}

TEST_CASE("EventStream: the outbox is bounded in bytes; past it the stream ends, never with a hole") {
  auto counters = std::make_shared<transport::EventCounters>();
  auto limited = options(4, true, 4096);
  limited.owner = "session-under-test";
  limited.counters = counters;
  EventStream s("p1", limited);
  const std::string payload(200, 'x');
  std::size_t accepted = 0;
  while (accepted < 1000 && s.push("message", payload)) ++accepted;
  INFO("accepted " << accepted);
  CHECK(accepted > 10);
  CHECK(accepted < 30);
  CHECK(s.held_bytes() <= 4096);
  CHECK(s.overflowed());
  CHECK(s.finished());  // it takes no more
  CHECK_FALSE(s.push("message", payload));
  CHECK_FALSE(s.push("message", payload));
  CHECK(test::counted(counters->queued) == accepted);
  CHECK(test::counted(counters->dropped) == 3);
  CHECK(test::counted(counters->overflowed) == 1);

  // A writer still gets every event held, in order, then the end: the client is told.
  const auto gen = s.attach();
  EventStream::Batch last;
  const auto events = drain(s, gen, 0, true, &last);
  CHECK(events.size() == accepted);
  CHECK(last.overflowed);
  CHECK_FALSE(last.finished);
  CHECK_FALSE(s.fully_delivered(accepted));
  // A resume with nothing left to give is refused; one with events left is served them first.
  CHECK(s.resume_from(accepted) == EventStream::Resume::overflowed);
  CHECK(s.resume_from(accepted - 1) == EventStream::Resume::complete);
  const auto rest = s.wait(gen, accepted - 1, soon());
  CHECK(rest.frames.size() == 1);
  CHECK_FALSE(rest.overflowed);
}

TEST_CASE("EventStream: one message larger than the budget goes through when nothing waits") {
  EventStream s("p1", options(256, true, 100));
  CHECK(s.push("message", std::string(1000, 'a')));
  CHECK_FALSE(s.overflowed());
  CHECK_FALSE(s.push("message", "b"));  // but nothing may queue behind it
  CHECK(s.overflowed());
}

TEST_CASE("EventStream: delivered events are bounded in bytes too") {
  EventStream s("s", options(1000, true, 4096));
  const auto gen = s.attach();
  std::uint64_t after = 0;
  for (int i = 0; i < 100; ++i) {
    REQUIRE(s.push("message", std::string(300, 'x')));
    const auto batch = s.wait(gen, after, soon());
    REQUIRE(batch.frames.size() == 1);
    after = batch.last_seq;
    s.mark_delivered(after);
    CHECK(s.held_bytes() <= 4096);
  }
  CHECK_FALSE(s.overflowed());  // a client that reads is never cut off
  CHECK(s.resume_from(0) == EventStream::Resume::evicted);
  CHECK(s.resume_from(99) == EventStream::Resume::complete);
}

TEST_CASE("EventStream: wait hands out bounded slices of shared frames") {
  EventStream s("s", options(256));
  const std::string payload(100 * 1024, 'x');
  for (int i = 0; i < 10; ++i) REQUIRE(s.push("message", payload));
  const auto gen = s.attach();
  const auto first = s.wait(gen, 0, soon());
  std::size_t bytes = 0;
  for (const auto& frame : first.frames) bytes += frame->size();
  CHECK(first.frames.size() == 2);
  CHECK(bytes <= EventStream::max_batch_bytes);
  // The same frame again, not a copy of it.
  const auto again = s.wait(gen, 0, soon());
  REQUIRE_FALSE(again.frames.empty());
  CHECK(again.frames.front().get() == first.frames.front().get());
  CHECK(drain(s, gen, 0).size() == 10);
}

TEST_CASE("EventStream: take_finished gives a complete answer as one body only up to a size") {
  EventStream s("p1", options(256));
  s.push("message", std::string(1000, 'a'));
  s.push("message", std::string(1000, 'b'));
  s.finish();
  const auto gen = s.attach();
  CHECK_FALSE(s.take_finished(gen, 0, soon(), 1500).has_value());
  const auto body = s.take_finished(gen, 0, soon(), 4096);
  REQUIRE(body.has_value());
  CHECK(parse_sse(*body).events.size() == 2);
  CHECK(s.delivered() == 2);
}

TEST_CASE("EventStream: finish ends the stream after the last frame") {
  EventStream s("p1", options(8, true));
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
  EventStream s("p1", options(8, true));
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
  EventStream s("p1", options(8, true));
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
  EventStream s("s", options(8, true));
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
    EventStream t("t", options(8, true));
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
  EventStream s("s", options(8, true));
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
  EventStream s("s", options(8, true));
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
  EventStream s("s", options(8, true));
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
  EventStream s("s", options(8, true));
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
  EventStream s("g", options(8, true));
  CHECK(s.delivered() == 0);
  for (int i = 0; i < 4; ++i) s.push("message", "x");
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
    EventStream s("p42", options(4, true));
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
  EventStream s("s", options(0, true));
  s.push("message", "a");
  s.push("message", "b");
  const auto gen = s.attach();
  const auto batch = s.wait(gen, 1, soon());
  REQUIRE(batch.frames.size() == 1);
  CHECK(events_of(batch)[0].data == "b");
}
