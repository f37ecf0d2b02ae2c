// Helpers for the EventStream tests: deadlines, options, and reading a stream's frames back.
#pragma once

#include "mcpgate/transport/event_stream.hpp"

#include "sse_parse.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace mcpgate::test {

using transport::EventStream;

inline EventStream::Clock::time_point soon(std::chrono::milliseconds d = std::chrono::milliseconds(2000)) {
  return EventStream::Clock::now() + d;
}

inline transport::EventStreamOptions options(
    std::size_t replay_events, bool with_ids = true,
    std::size_t max_bytes = transport::default_max_stream_bytes) {
  transport::EventStreamOptions out;
  out.replay_events = replay_events;
  out.with_ids = with_ids;
  out.max_bytes = max_bytes;
  return out;
}

// Parse a batch's frames back into events.
inline std::vector<SseEvent> events_of(const EventStream::Batch& batch) {
  std::string all;
  for (const auto& f : batch.frames) all += *f;
  return parse_sse(all).events;
}

// Drains every event after `after` with wait(), slice by slice; marks them delivered when asked.
inline std::vector<SseEvent> drain(EventStream& s, std::uint64_t gen, std::uint64_t after,
                                  bool mark = false, EventStream::Batch* last = nullptr) {
  std::vector<SseEvent> out;
  for (int round = 0; round < 10000; ++round) {
    auto batch = s.wait(gen, after, soon(std::chrono::milliseconds(100)));
    for (auto& event : events_of(batch)) out.push_back(std::move(event));
    if (mark && !batch.frames.empty()) s.mark_delivered(batch.last_seq);
    const bool done = batch.frames.empty();
    after = batch.last_seq;
    if (last) *last = batch;
    if (done) break;
  }
  return out;
}

inline std::size_t counted(const std::atomic<std::uint64_t>& counter) {
  return static_cast<std::size_t>(counter.load());
}

}  // namespace mcpgate::test
