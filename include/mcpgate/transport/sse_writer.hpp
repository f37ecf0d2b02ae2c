// Drains one EventStream into one HTTP response, on the connection's own thread: it blocks only
// on that stream (with a deadline), sends a heartbeat comment when idle, notices at once a
// client that closes its connection (through the thread's ConnectionHooks, when there are any)
// and within the heartbeat interval one that vanished without closing. It flushes what it wrote
// (ConnectionHooks::flush) before every wait. While it waits, it lends the connection to the
// threads that push events (EventStream::wait's ConnectionLoan): a small event is then written
// by the thread that pushed it, without waking the writer, and never waiting for the client.
#pragma once

#include "mcpgate/transport/event_stream.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace mcpgate::transport {

struct WriterOptions {
  std::chrono::milliseconds heartbeat{15000};
  std::string first_frame;                  // written before any event (priming, endpoint)
  std::function<void()> on_activity;        // called on each wake (keeps the session alive)
};

enum class WriteOutcome {
  finished,     // every event delivered and the stream ended normally
  client_gone,  // a write failed or the socket closed
  disconnect,   // the server asked to drop the connection (resume later)
  superseded,   // another connection took over the stream
  closed,       // the stream or the server ended
  cut_off,      // the stream cannot go on without a hole (over its byte budget, or events
                // evicted before this writer sent them): it ends here; a resume is refused
};

// Returns when the stream is over for this connection. Never throws.
WriteOutcome pump_stream(httplib::DataSink& sink, EventStream& stream, std::uint64_t generation,
                         std::uint64_t after_seq, const WriterOptions& options) noexcept;

// A chunked content provider that writes `stream` (writer `generation`, from its first event)
// until it is over: a client that closed fails the response, any other end finishes it cleanly.
[[nodiscard]] std::function<bool(std::size_t, httplib::DataSink&)> whole_stream_provider(
    std::shared_ptr<EventStream> stream, std::uint64_t generation, WriterOptions options);

}  // namespace mcpgate::transport
