#include "mcpgate/transport/event_stream.hpp"

#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/transport/sse.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

namespace mcpgate::transport {

EventStream::EventStream(std::string stream_id, EventStreamOptions options)
    : id_(std::move(stream_id)), options_(std::move(options)) {}

std::uint64_t EventStream::first_held() const {
  return buffer_.empty() ? next_seq_ : buffer_.front().seq;
}

void EventStream::trim_replay() {
  std::uint64_t delivered_held = delivered_ >= first_held() ? delivered_ - first_held() + 1 : 0;
  while (!buffer_.empty() && buffer_.front().seq <= delivered_ &&
         (delivered_held > options_.replay_events || held_bytes_ > options_.max_bytes)) {
    held_bytes_ -= buffer_.front().frame->size();
    buffer_.pop_front();
    --delivered_held;
  }
}

bool EventStream::can_borrow(std::uint64_t seq, bool last) const {
  // Only the writer's next event, alone (nothing ahead of it waits), to a writer still current
  // and wanted; one borrower at a time; an event that ends the stream wakes its writer anyway.
  return loan_ != nullptr && !borrowed_ && !reclaiming_ && !flush_owed_ && !last && !closed_ &&
         !disconnect_ && generation_ == loan_generation_ &&
         gone_generation_ != loan_generation_ && loan_cursor_ + 1 == seq;
}

bool EventStream::write_through_loan(ConnectionLoan& loan, std::uint64_t seq, const Frame& frame) {
  const auto written = loan.write_now(*frame);
  std::lock_guard lock(mutex_);
  borrowed_ = false;
  switch (written) {
    case ConnectionLoan::Write::sent:
      loan_cursor_ = seq;
      deliver_up_to(seq);
      break;
    case ConnectionLoan::Write::partial:
      loan_cursor_ = seq;
      deliver_up_to(seq);
      flush_owed_ = true;
      break;
    case ConnectionLoan::Write::declined:
      break;  // still after the writer's cursor: it writes it
    case ConnectionLoan::Write::gone:
      gone_generation_ = loan_generation_;
      break;
  }
  return written != ConnectionLoan::Write::sent || reclaiming_;
}

bool EventStream::push(std::string_view event_name, std::string data, bool last) {
  std::size_t outbox_bytes = 0;
  ConnectionLoan* loan = nullptr;
  Frame borrowed;
  std::uint64_t borrowed_seq = 0;
  {
    std::lock_guard lock(mutex_);
    if (finished_ || closed_) return false;
    if (overflowed_) {
      if (options_.counters) options_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    const std::uint64_t seq = next_seq_;
    std::string event_id = options_.with_ids ? id_ + "." + std::to_string(seq) : std::string();
    auto frame = std::make_shared<const std::string>(sse::event(event_name, event_id, data));
    if (pending_bytes_ > 0 && pending_bytes_ + frame->size() > options_.max_bytes) {
      // The client is not reading: refuse, and end the stream once what it holds is out.
      overflowed_ = true;
      outbox_bytes = pending_bytes_;
      if (options_.counters) {
        options_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
        options_.counters->overflowed.fetch_add(1, std::memory_order_relaxed);
      }
    } else {
      ++next_seq_;
      held_bytes_ += frame->size();
      pending_bytes_ += frame->size();
      buffer_.push_back(Stored{seq, std::move(frame)});
      trim_replay();
      if (last) finished_ = true;
      if (options_.counters) options_.counters->queued.fetch_add(1, std::memory_order_relaxed);
      if (can_borrow(seq, last)) {
        borrowed_ = true;
        loan = loan_;
        borrowed = buffer_.back().frame;
        borrowed_seq = seq;
      }
    }
  }
  // The waiting writer's connection takes the event from this thread: the writer sleeps on,
  // unless the write left it something to do.
  if (loan != nullptr) {
    if (write_through_loan(*loan, borrowed_seq, borrowed)) changed_.notify_all();
    return true;
  }
  changed_.notify_all();
  if (outbox_bytes > 0) {
    spdlog::warn("session {}: SSE stream {} has {} bytes its client has not read and the next "
                 "message would pass the {}-byte budget (--max-stream-bytes); the stream ends "
                 "once what it holds is delivered, and later messages for it are dropped",
                 options_.owner.empty() ? "-" : options_.owner, id_, outbox_bytes,
                 options_.max_bytes);
    return false;
  }
  return true;
}

bool EventStream::send(const nlohmann::json& message) {
  return push("message", jsonrpc::dump(message));
}

void EventStream::finish() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  changed_.notify_all();
}

void EventStream::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    finished_ = true;
  }
  changed_.notify_all();
}

void EventStream::request_disconnect() {
  {
    std::lock_guard lock(mutex_);
    disconnect_ = true;
  }
  changed_.notify_all();
}

void EventStream::client_gone(std::uint64_t generation) {
  {
    std::lock_guard lock(mutex_);
    gone_generation_ = generation;
  }
  changed_.notify_all();
}

std::string EventStream::cursor_id() const {
  std::lock_guard lock(mutex_);
  return id_ + "." + std::to_string(next_seq_ - 1);
}

std::uint64_t EventStream::attach() {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    generation = ++generation_;
    writer_ = true;
    disconnect_ = false;
  }
  changed_.notify_all();  // wakes a superseded writer
  return generation;
}

std::optional<std::uint64_t> EventStream::try_attach_exclusive() {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    if (writer_) return std::nullopt;
    generation = ++generation_;
    writer_ = true;
    disconnect_ = false;
  }
  changed_.notify_all();
  return generation;
}

void EventStream::detach(std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation == generation_) writer_ = false;
}

bool EventStream::has_writer() const {
  std::lock_guard lock(mutex_);
  return writer_;
}

EventStream::Resume EventStream::resume_from(std::uint64_t after_seq) const {
  std::lock_guard lock(mutex_);
  if (first_held() > after_seq + 1) return Resume::evicted;
  if (overflowed_ && after_seq + 1 >= next_seq_) return Resume::overflowed;
  return Resume::complete;
}

void EventStream::mark_delivered(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  deliver_up_to(seq);
}

void EventStream::deliver_up_to(std::uint64_t seq) {
  seq = std::min(seq, next_seq_ - 1);
  if (seq <= delivered_) return;
  // Seqs are contiguous from first_held(): the newly delivered frames leave the outbox.
  const std::uint64_t first = first_held();
  for (std::uint64_t s = std::max(delivered_ + 1, first); s <= seq; ++s)
    pending_bytes_ -= buffer_[static_cast<std::size_t>(s - first)].frame->size();
  delivered_ = seq;
  trim_replay();
}

std::uint64_t EventStream::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

bool EventStream::finished() const {
  std::lock_guard lock(mutex_);
  return finished_ || overflowed_;
}

bool EventStream::overflowed() const {
  std::lock_guard lock(mutex_);
  return overflowed_;
}

bool EventStream::fully_delivered(std::uint64_t delivered_seq) const {
  std::lock_guard lock(mutex_);
  return finished_ && !overflowed_ && delivered_seq + 1 >= next_seq_;
}

std::size_t EventStream::held_bytes() const {
  std::lock_guard lock(mutex_);
  return held_bytes_;
}

bool EventStream::lent() const {
  std::lock_guard lock(mutex_);
  return loan_ != nullptr;
}

EventStream::Batch EventStream::wait(std::uint64_t generation, std::uint64_t after_seq,
                                     Clock::time_point deadline, ConnectionLoan* loan) {
  std::unique_lock lock(mutex_);
  // One loan at a time: a writer that supersedes another lends once the other's loan is over.
  const bool lending = loan != nullptr && loan_ == nullptr && !borrowed_ &&
                       generation == generation_ && next_seq_ - 1 == after_seq;
  if (lending) {
    loan_ = loan;
    loan_generation_ = generation;
    loan_cursor_ = after_seq;
    flush_owed_ = false;
  }
  auto ready = [&] {
    return closed_ || generation != generation_ || disconnect_ || gone_generation_ == generation ||
           next_seq_ - 1 > (lending ? loan_cursor_ : after_seq) || finished_ || overflowed_ ||
           (lending && flush_owed_);
  };
  changed_.wait_until(lock, deadline, ready);
  if (lending) {
    // Take the connection back, once a write through it is over.
    reclaiming_ = true;
    changed_.wait(lock, [&] { return !borrowed_; });
    reclaiming_ = false;
    loan_ = nullptr;
    flush_owed_ = false;  // the writer sends what is left before it waits again
    after_seq = loan_cursor_;
  }

  Batch batch;
  batch.last_seq = after_seq;
  if (generation != generation_) {
    batch.superseded = true;
    return batch;
  }
  if (closed_) {
    batch.closed = true;
    return batch;
  }
  if (gone_generation_ == generation) {
    batch.client_gone = true;
    return batch;
  }
  if (disconnect_) {
    disconnect_ = false;
    batch.disconnect = true;
    return batch;
  }
  const std::uint64_t first = first_held();
  if (first > after_seq + 1) {
    // Never hand out a stream with a hole in it: the writer ends, and a resume is refused.
    batch.gap = true;
    return batch;
  }
  std::size_t bytes = 0;
  for (auto i = static_cast<std::size_t>(after_seq + 1 - first); i < buffer_.size(); ++i) {
    const auto& stored = buffer_[i];
    if (!batch.frames.empty() && bytes + stored.frame->size() > max_batch_bytes) break;
    bytes += stored.frame->size();
    batch.frames.push_back(stored.frame);
    batch.last_seq = stored.seq;
  }
  const bool all_out = batch.last_seq + 1 >= next_seq_;
  batch.finished = finished_ && !overflowed_ && all_out;
  batch.overflowed = overflowed_ && all_out && batch.frames.empty();
  return batch;
}

std::optional<std::string> EventStream::take_finished(std::uint64_t generation,
                                                      std::uint64_t after_seq,
                                                      Clock::time_point deadline,
                                                      std::size_t max_body_bytes) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] {
    return finished_ || closed_ || overflowed_ || disconnect_ || generation != generation_ ||
           gone_generation_ == generation || next_seq_ - 1 > after_seq;
  });
  if (!finished_ || closed_ || overflowed_ || disconnect_ || generation != generation_)
    return std::nullopt;
  const std::uint64_t first = first_held();
  if (first > after_seq + 1) return std::nullopt;  // a gap: the writer reports it
  std::size_t size = 0;
  const auto from = static_cast<std::size_t>(after_seq + 1 - first);
  for (auto i = from; i < buffer_.size(); ++i) size += buffer_[i].frame->size();
  if (size > max_body_bytes) return std::nullopt;  // large: streamed a slice at a time
  std::string body;
  body.reserve(size);
  for (auto i = from; i < buffer_.size(); ++i) body += *buffer_[i].frame;
  deliver_up_to(next_seq_ - 1);
  return body;
}

std::optional<EventStream::Position> EventStream::parse_event_id(std::string_view event_id) {
  const auto dot = event_id.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= event_id.size() ||
      event_id.size() > 128)
    return std::nullopt;
  Position pos;
  pos.stream_id = std::string(event_id.substr(0, dot));
  for (char c : pos.stream_id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return std::nullopt;
  const char* first = event_id.data() + dot + 1;
  const char* last = event_id.data() + event_id.size();
  auto [ptr, ec] = std::from_chars(first, last, pos.seq);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return pos;
}

}  // namespace mcpgate::transport
