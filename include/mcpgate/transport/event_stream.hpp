// One SSE stream of a session: an outbox that producers append to and one writer drains, with a
// bounded replay buffer so a client can resume with Last-Event-ID after its connection drops.
//
// Producers (request handlers, the session) never block on I/O: push() appends and notifies.
// The writer (the connection's own thread) blocks only here, in wait(), with a deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mcpgate::transport {

// Server-wide tallies of SSE events, shared by every stream (for /metrics).
struct EventCounters {
  std::atomic<std::uint64_t> queued{0};   // events pushed to a stream
  std::atomic<std::uint64_t> dropped{0};  // pushed out of a replay buffer before any delivery
};

class EventStream {
 public:
  using Clock = std::chrono::steady_clock;

  // `stream_id` is [A-Za-z0-9]; `with_ids` gives every event an id "<stream_id>.<seq>".
  EventStream(std::string stream_id, std::size_t replay_capacity, bool with_ids,
              std::shared_ptr<EventCounters> counters = nullptr);

  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  [[nodiscard]] const std::string& id() const noexcept { return id_; }

  // Append one SSE event (a JSON-RPC message as `data`). Returns false once the stream is
  // finished or closed: the event is dropped.
  bool push(std::string_view event_name, std::string data);

  // No more events will be pushed; the writer ends the stream after delivering what is queued.
  void finish();
  // End the stream now, queued or not (session ended, server shutting down).
  void close();
  // Ask the current writer to drop its connection while keeping the events for a resume.
  void request_disconnect();
  // The client of writer `generation` closed its connection: that writer (only) stops now.
  void client_gone(std::uint64_t generation);

  // The id of the last event pushed so far (for a priming event), e.g. "s3.0".
  [[nodiscard]] std::string cursor_id() const;

  struct Batch {
    std::vector<std::string> frames;  // formatted SSE events, in order
    std::uint64_t last_seq = 0;       // seq of the last frame returned
    bool finished = false;            // nothing more will come after these frames
    bool closed = false;              // the stream was closed: stop now
    bool disconnect = false;          // drop the connection, keep the events
    bool superseded = false;          // another writer took over this stream
    bool client_gone = false;         // this writer's client closed its connection
    bool gap = false;                 // events after `after_seq` were already evicted
  };

  // Writers: attach() returns a generation; a later attach() supersedes earlier writers.
  [[nodiscard]] std::uint64_t attach();
  // attach() only when no writer is attached; nullopt otherwise.
  [[nodiscard]] std::optional<std::uint64_t> try_attach_exclusive();
  void detach(std::uint64_t generation);
  [[nodiscard]] bool has_writer() const;

  // Block until there are events after `after_seq`, the stream ends, or `deadline` passes.
  [[nodiscard]] Batch wait(std::uint64_t generation, std::uint64_t after_seq,
                           Clock::time_point deadline);

  // Waits until `deadline` for the stream to finish, for a first event after `after_seq`, or
  // for anything that ends writer `generation`. When it finished and every event after
  // `after_seq` is still buffered: all of them, concatenated and marked delivered, so that the
  // answer goes out as one complete body. nullopt otherwise: the writer streams with wait().
  [[nodiscard]] std::optional<std::string> take_finished(std::uint64_t generation,
                                                         std::uint64_t after_seq,
                                                         Clock::time_point deadline);

  // The newest seq a writer has handed to a connection; a fresh (non-resuming) writer of the
  // session stream starts after it.
  void mark_delivered(std::uint64_t seq);
  [[nodiscard]] std::uint64_t delivered() const;

  [[nodiscard]] bool finished() const;
  [[nodiscard]] bool fully_delivered(std::uint64_t delivered_seq) const;

  // Parse "<stream_id>.<seq>" (the format of our event ids).
  struct Position {
    std::string stream_id;
    std::uint64_t seq = 0;
  };
  [[nodiscard]] static std::optional<Position> parse_event_id(std::string_view event_id);

 private:
  struct Stored {
    std::uint64_t seq;
    std::string frame;
  };
  const std::string id_;
  const std::size_t capacity_;
  const bool with_ids_;
  const std::shared_ptr<EventCounters> counters_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Stored> buffer_;  // the newest `capacity_` events
  std::uint64_t next_seq_ = 1;
  bool finished_ = false;
  bool closed_ = false;
  bool disconnect_ = false;
  std::uint64_t gone_generation_ = 0;  // a writer whose client closed (0: none)
  std::uint64_t generation_ = 0;
  std::uint64_t delivered_ = 0;
  bool writer_ = false;
};

}  // namespace mcpgate::transport
