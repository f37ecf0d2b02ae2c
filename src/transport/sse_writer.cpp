#include "mcpgate/transport/sse_writer.hpp"

#include "mcpgate/transport/connection_hooks.hpp"
#include "mcpgate/transport/sse.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::transport {

namespace {

bool write_all(httplib::DataSink& sink, const std::string& frame) {
  return sink.write(frame.data(), frame.size());
}

bool write_all(httplib::DataSink& sink, const EventStream::Frame& frame) {
  return write_all(sink, *frame);
}

}  // namespace

WriteOutcome pump_stream(httplib::DataSink& sink, EventStream& stream, std::uint64_t generation,
                         std::uint64_t after_seq, const WriterOptions& options) noexcept {
  using Clock = EventStream::Clock;
  try {
    // A client that closes is reported at once (the writer is woken); one that vanishes without
    // closing is found by the heartbeat's write. The watch is set up only once the writer has
    // to wait: a stream whose events are all there ends before it would matter.
    auto* connection = current_connection_hooks();
    std::shared_ptr<void> hangup;
    bool watching = false;
    if (!options.first_frame.empty() && !write_all(sink, options.first_frame))
      return WriteOutcome::client_gone;
    auto next_ping = Clock::now() + options.heartbeat;
    std::uint64_t cursor = after_seq;
    for (;;) {
      // What was written goes out before the writer sleeps.
      if (watching && connection && !connection->flush()) return WriteOutcome::client_gone;
      // An idle stream wakes only for its heartbeat: with 10,000 streams open, a shorter
      // liveness check would be thousands of wake-ups a second for nothing.
      auto batch = stream.wait(generation, cursor, watching ? next_ping : Clock::time_point::min());
      if (options.on_activity) options.on_activity();
      if (batch.superseded) return WriteOutcome::superseded;
      if (batch.closed) return WriteOutcome::closed;
      if (batch.client_gone) return WriteOutcome::client_gone;
      if (batch.disconnect) return WriteOutcome::disconnect;
      if (batch.gap || batch.overflowed) return WriteOutcome::cut_off;
      for (const auto& frame : batch.frames)
        if (!write_all(sink, frame)) return WriteOutcome::client_gone;
      if (!batch.frames.empty()) {
        cursor = batch.last_seq;
        stream.mark_delivered(cursor);
        next_ping = Clock::now() + options.heartbeat;
      }
      if (batch.finished) return WriteOutcome::finished;
      if (!watching) {
        watching = true;
        if (connection)
          hangup = connection->watch_hangup([&stream, generation] { stream.client_gone(generation); });
        continue;
      }
      if (batch.frames.empty() && Clock::now() >= next_ping) {
        // A write to a client that has closed still succeeds once; looking first (is_writable
        // peeks for the close) notices it within this one heartbeat interval.
        if (!sink.is_writable() || !write_all(sink, sse::comment("ping")))
          return WriteOutcome::client_gone;
        next_ping = Clock::now() + options.heartbeat;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("SSE stream {}: {}", stream.id(), e.what());
  } catch (...) {
    spdlog::error("SSE stream {}: unknown exception", stream.id());
  }
  return WriteOutcome::client_gone;
}

std::function<bool(std::size_t, httplib::DataSink&)> whole_stream_provider(
    std::shared_ptr<EventStream> stream, std::uint64_t generation, WriterOptions options) {
  return [stream = std::move(stream), generation, options = std::move(options)](
             std::size_t, httplib::DataSink& sink) {
    const auto outcome = pump_stream(sink, *stream, generation, 0, options);
    if (outcome == WriteOutcome::client_gone) return false;
    sink.done();
    return true;
  };
}

}  // namespace mcpgate::transport
