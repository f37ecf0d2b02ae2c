#include "mcpgate/transport/sse_writer.hpp"

#include "mcpgate/transport/sse.hpp"

#include <spdlog/spdlog.h>

namespace mcpgate::transport {

namespace {

bool write_all(httplib::DataSink& sink, const std::string& frame) {
  return sink.write(frame.data(), frame.size());
}

}  // namespace

WriteOutcome pump_stream(httplib::DataSink& sink, EventStream& stream, std::uint64_t generation,
                         std::uint64_t after_seq, const WriterOptions& options) noexcept {
  using Clock = EventStream::Clock;
  // How often an idle stream checks that its client is still there.
  const auto liveness = std::min(options.heartbeat, std::chrono::milliseconds(1000));
  try {
    if (!options.first_frame.empty() && !write_all(sink, options.first_frame))
      return WriteOutcome::client_gone;
    auto next_ping = Clock::now() + options.heartbeat;
    std::uint64_t cursor = after_seq;
    for (;;) {
      const auto deadline = std::min(next_ping, Clock::now() + liveness);
      auto batch = stream.wait(generation, cursor, deadline);
      if (options.on_activity) options.on_activity();
      if (batch.superseded) return WriteOutcome::superseded;
      if (batch.closed) return WriteOutcome::closed;
      if (batch.disconnect) return WriteOutcome::disconnect;
      for (const auto& frame : batch.frames)
        if (!write_all(sink, frame)) return WriteOutcome::client_gone;
      if (!batch.frames.empty()) {
        cursor = batch.last_seq;
        stream.mark_delivered(cursor);
        next_ping = Clock::now() + options.heartbeat;
      }
      if (batch.finished) return WriteOutcome::finished;
      if (batch.frames.empty()) {
        if (Clock::now() >= next_ping) {
          if (!write_all(sink, sse::comment("ping"))) return WriteOutcome::client_gone;
          next_ping = Clock::now() + options.heartbeat;
        } else if (!sink.is_writable()) {
          return WriteOutcome::client_gone;
        }
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("SSE stream {}: {}", stream.id(), e.what());
  } catch (...) {
    spdlog::error("SSE stream {}: unknown exception", stream.id());
  }
  return WriteOutcome::client_gone;
}

}  // namespace mcpgate::transport
