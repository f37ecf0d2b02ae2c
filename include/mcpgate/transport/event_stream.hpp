// One SSE stream of a session: an outbox that producers append to and one writer drains, and a
// bounded replay buffer so a client can resume with Last-Event-ID after its connection drops.
// It is the protocol layer's protocol::Outbox: messages sent to it become SSE events here.
//
// Producers (request handlers, the session) never block on I/O: push() appends and notifies.
// The writer (the connection's own thread) blocks only here, in wait(), with a deadline.
//
// What a stream holds, and the promise it keeps: no message is ever lost without the client
// being told.
//
//   seq:  first_held ......... delivered ......................... newest
//         [ replay buffer: delivered ][ outbox: not yet delivered        ]
//
// - The outbox (events no writer has handed to a connection yet) is never evicted. It is
//   bounded in bytes by `max_bytes`: a push that would take it past the budget (a client that
//   stopped reading) is refused, and the stream is over budget from then on ("overflowed"):
//   it takes no more events, its writer delivers what is held and then ends the connection, and
//   a resume that would have nothing left to give is refused (resume_from() says why). One
//   message always fits into an empty outbox, however large: the budget bounds what waits
//   behind the message being written, not the size of an answer.
// - The replay buffer keeps delivered events for a resume, at most `replay_events` of them, and
//   gives up its oldest when the stream holds more than `max_bytes` in all. A resume from
//   before its first event is refused rather than served with a hole.
#pragma once

#include "mcpgate/protocol/outbox.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mcpgate::transport {

// Server-wide tallies of SSE events, shared by every stream (for /metrics).
struct EventCounters {
  std::atomic<std::uint64_t> queued{0};      // events accepted by a stream
  std::atomic<std::uint64_t> dropped{0};     // events refused because their stream was over budget
  std::atomic<std::uint64_t> overflowed{0};  // streams ended for going over their byte budget
};

// 16 MiB: four times the largest request body (--max-body, 4 MiB), so that a batch whose
// answers are as large as itself fits with room to spare, and 64 concurrent answers of 256 KB
// each; a client that reads its stream never comes near it, and one that stopped reading pins
// no more than this (and one message) per stream.
inline constexpr std::size_t default_max_stream_bytes = 16 * 1024 * 1024;

// A waiting writer's connection, lent to the threads that push events (EventStream::wait).
class ConnectionLoan {
 public:
  enum class Write {
    sent,      // the event is on its way
    partial,   // the event is written but the client made no room for all of it: the writer
               // must send the rest (flush) when it wakes
    declined,  // not written (too large to write without waiting): the writer writes it
    gone,      // the client is gone
  };
  virtual ~ConnectionLoan() = default;
  // Called from a pushing thread, never while the writer writes; must not wait for the client.
  [[nodiscard]] virtual Write write_now(const std::string& frame) noexcept = 0;
};

struct EventStreamOptions {
  std::size_t replay_events = 256;                      // delivered events kept for a resume
  std::size_t max_bytes = default_max_stream_bytes;     // undelivered (and all held) bytes
  bool with_ids = true;                                 // events carry "<stream_id>.<seq>"
  std::string owner;                                    // the session id, for the log line
  std::shared_ptr<EventCounters> counters;              // may be null
};

class EventStream final : public protocol::Outbox {
 public:
  using Clock = std::chrono::steady_clock;
  // A formatted SSE event, shared between the buffer and a writer: handing it out copies no bytes.
  using Frame = std::shared_ptr<const std::string>;

  // `stream_id` is [A-Za-z0-9].
  EventStream(std::string stream_id, EventStreamOptions options);

  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  [[nodiscard]] const std::string& id() const noexcept { return id_; }

  // Append one SSE event (a JSON-RPC message as `data`). Returns false when it was not taken:
  // the stream is finished, closed, or over its byte budget (this push may be the one that
  // puts it over; that is logged once, as a warning).
  // With `last`, the stream is finished with this event, in one step: a writer waiting for the
  // stream's first event or its end (take_finished) sees both at once.
  bool push(std::string_view event_name, std::string data, bool last = false);

  // protocol::Outbox: the message as one "message" event (push()).
  bool send(const nlohmann::json& message) override;
  // No more events will be pushed; the writer ends the stream after delivering what is queued.
  void finish() override;
  // End the stream now, queued or not (session ended, server shutting down).
  void close() override;
  // Ask the current writer to drop its connection while keeping the events for a resume.
  void request_disconnect() override;
  // The client of writer `generation` closed its connection: that writer (only) stops now.
  void client_gone(std::uint64_t generation);

  // The id of the last event pushed so far (for a priming event), e.g. "s3.0".
  [[nodiscard]] std::string cursor_id() const;

  struct Batch {
    std::vector<Frame> frames;        // formatted SSE events, in order (a bounded slice)
    std::uint64_t last_seq = 0;       // seq of the last frame returned
    bool finished = false;            // nothing more will come after these frames
    bool closed = false;              // the stream was closed: stop now
    bool disconnect = false;          // drop the connection, keep the events
    bool superseded = false;          // another writer took over this stream
    bool client_gone = false;         // this writer's client closed its connection
    bool gap = false;                 // events after `after_seq` were evicted: end, send none
    bool overflowed = false;          // over budget and everything held was handed out: end
  };

  // Writers: attach() returns a generation; a later attach() supersedes earlier writers.
  [[nodiscard]] std::uint64_t attach();
  // attach() only when no writer is attached; nullopt otherwise.
  [[nodiscard]] std::optional<std::uint64_t> try_attach_exclusive();
  void detach(std::uint64_t generation);
  [[nodiscard]] bool has_writer() const;

  // Whether a writer starting after `after_seq` can be given every event that follows.
  enum class Resume {
    complete,    // yes (possibly nothing yet)
    evicted,     // events after it already left the replay buffer
    overflowed,  // the stream went over budget and has nothing more it can deliver
  };
  [[nodiscard]] Resume resume_from(std::uint64_t after_seq) const;

  // Block until there are events after `after_seq`, the stream ends, or `deadline` passes.
  // Returns at most `max_batch_bytes` of frames (at least one frame when there are any).
  // With `loan` (the writer's connection, nothing of it unsent), events pushed meanwhile may be
  // written through it by the pushing thread: they count as delivered, and the batch's
  // last_seq is past them (the writer's cursor) even when it carries no frame. The loan ends
  // before wait() returns.
  [[nodiscard]] Batch wait(std::uint64_t generation, std::uint64_t after_seq,
                           Clock::time_point deadline, ConnectionLoan* loan = nullptr);

  // Waits until `deadline` for the stream to finish, for a first event after `after_seq`, or
  // for anything that ends writer `generation`. When it finished, every event after
  // `after_seq` is still held and they come to at most `max_body_bytes`: all of them,
  // concatenated and marked delivered, so that the answer goes out as one complete body.
  // nullopt otherwise: the writer streams with wait().
  [[nodiscard]] std::optional<std::string> take_finished(std::uint64_t generation,
                                                         std::uint64_t after_seq,
                                                         Clock::time_point deadline,
                                                         std::size_t max_body_bytes);

  // The newest seq a writer has handed to a connection; a fresh (non-resuming) writer of the
  // session stream starts after it. Delivered events may then leave for the replay buffer.
  void mark_delivered(std::uint64_t seq);
  [[nodiscard]] std::uint64_t delivered() const;

  // No more events will be taken (finished, closed or over budget).
  [[nodiscard]] bool finished() const;
  [[nodiscard]] bool overflowed() const;
  [[nodiscard]] bool fully_delivered(std::uint64_t delivered_seq) const;
  // Bytes of events held (outbox and replay buffer), for tests and accounting.
  [[nodiscard]] std::size_t held_bytes() const;
  // Whether a waiting writer lends its connection now (for tests).
  [[nodiscard]] bool lent() const;

  // The most a batch from wait() carries: a writer comes back between slices to see whether its
  // stream was closed or superseded, and never holds more than this beyond the buffer.
  static constexpr std::size_t max_batch_bytes = 256 * 1024;

  // Parse "<stream_id>.<seq>" (the format of our event ids).
  struct Position {
    std::string stream_id;
    std::uint64_t seq = 0;
  };
  [[nodiscard]] static std::optional<Position> parse_event_id(std::string_view event_id);

 private:
  struct Stored {
    std::uint64_t seq;
    Frame frame;
  };
  // Evict delivered events beyond the replay limits. Caller holds mutex_.
  void trim_replay();
  // Move the delivered mark to `seq`; those events leave the outbox. Caller holds mutex_.
  void deliver_up_to(std::uint64_t seq);
  // The seq of the first held event, or next_seq_ when none is held. Caller holds mutex_.
  [[nodiscard]] std::uint64_t first_held() const;
  // Whether the event just stored as `seq` can be written through the loan. Caller holds mutex_.
  [[nodiscard]] bool can_borrow(std::uint64_t seq, bool last) const;
  // Writes `frame` (event `seq`) through the loan, outside mutex_; true when the writer must
  // be woken (the write was not completed, or it waits for the loan to end).
  [[nodiscard]] bool write_through_loan(ConnectionLoan& loan, std::uint64_t seq,
                                        const Frame& frame);

  const std::string id_;
  const EventStreamOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Stored> buffer_;       // contiguous seqs: replay buffer, then outbox
  std::size_t held_bytes_ = 0;      // frames in buffer_
  std::size_t pending_bytes_ = 0;   // frames in buffer_ with seq > delivered_
  std::uint64_t next_seq_ = 1;
  bool finished_ = false;
  bool closed_ = false;
  bool overflowed_ = false;
  bool disconnect_ = false;
  std::uint64_t gone_generation_ = 0;  // a writer whose client closed (0: none)
  std::uint64_t generation_ = 0;
  std::uint64_t delivered_ = 0;
  bool writer_ = false;
  // The loan of the writer waiting in wait() (null: none), to writer `loan_generation_`, whose
  // cursor is at `loan_cursor_` (moved on by each event written through it).
  ConnectionLoan* loan_ = nullptr;
  std::uint64_t loan_generation_ = 0;
  std::uint64_t loan_cursor_ = 0;
  bool borrowed_ = false;        // a producer is writing through the loan now
  bool reclaiming_ = false;      // the writer waits for that write to end
  bool flush_owed_ = false;      // a write through the loan left bytes for the writer to send
};

}  // namespace mcpgate::transport
