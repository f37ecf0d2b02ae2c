#include "mcpgate/transport/sse_writer.hpp"

#include "mcpgate/transport/connection_hooks.hpp"
#include "mcpgate/transport/sse.hpp"

#include <spdlog/spdlog.h>

#include <optional>

namespace mcpgate::transport {

namespace {

bool write_all(httplib::DataSink& sink, const std::string& frame) {
  return sink.write(frame.data(), frame.size());
}

bool write_all(httplib::DataSink& sink, const EventStream::Frame& frame) {
  return write_all(sink, *frame);
}

// The largest event a pushing thread writes through a waiting writer's connection: half the
// connection's gather buffer (64 KiB), past which a write is sent at once and could wait for
// the client. Answers are mostly far smaller; a larger one wakes the writer, as before.
constexpr std::size_t max_lent_frame_bytes = 32 * 1024;

// The connection of a writer waiting in EventStream::wait(), for the threads that push events.
class LentConnection final : public ConnectionLoan {
 public:
  LentConnection(httplib::DataSink& sink, ConnectionHooks& connection) noexcept
      : sink_(sink), connection_(connection) {}

  Write write_now(const std::string& frame) noexcept override {
    if (frame.size() > max_lent_frame_bytes) return Write::declined;
    try {
      // Gathered by the connection (no wait, the frame being small), then sent without waiting.
      if (!write_all(sink_, frame)) return Write::gone;
      switch (connection_.flush_now()) {
        case ConnectionHooks::SendNow::sent:
          return Write::sent;
        case ConnectionHooks::SendNow::partial:
          return Write::partial;
        case ConnectionHooks::SendNow::gone:
          return Write::gone;
      }
    } catch (const std::exception& e) {
      spdlog::error("SSE event written for a waiting writer: {}", e.what());
    }
    return Write::gone;
  }

 private:
  httplib::DataSink& sink_;
  ConnectionHooks& connection_;
};

}  // namespace

WriteOutcome pump_stream(httplib::DataSink& sink, EventStream& stream, std::uint64_t generation,
                         std::uint64_t after_seq, const WriterOptions& options) noexcept {
  using Clock = EventStream::Clock;
  try {
    // A client that closes is reported at once (the writer is woken); one that vanishes without
    // closing is found by the heartbeat's write. The watch is set up only once the writer has
    // to wait: a stream whose events are all there ends before it would matter.
    auto* connection = current_connection_hooks();
    std::optional<LentConnection> loan;
    if (connection) loan.emplace(sink, *connection);
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
      // While it sleeps, the connection (all of it sent) is lent to the threads that push.
      auto batch = stream.wait(generation, cursor, watching ? next_ping : Clock::time_point::min(),
                               watching && loan ? &*loan : nullptr);
      if (options.on_activity) options.on_activity();
      if (batch.superseded) return WriteOutcome::superseded;
      if (batch.closed) return WriteOutcome::closed;
      if (batch.client_gone) return WriteOutcome::client_gone;
      if (batch.disconnect) return WriteOutcome::disconnect;
      if (batch.gap || batch.overflowed) return WriteOutcome::cut_off;
      for (const auto& frame : batch.frames)
        if (!write_all(sink, frame)) return WriteOutcome::client_gone;
      cursor = batch.last_seq;  // past events written through the loan too
      if (!batch.frames.empty()) {
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
