#include "mcpgate/transport/event_stream.hpp"

#include "mcpgate/transport/sse.hpp"

#include <charconv>

namespace mcpgate::transport {

EventStream::EventStream(std::string stream_id, std::size_t replay_capacity, bool with_ids,
                         std::shared_ptr<EventCounters> counters)
    : id_(std::move(stream_id)), capacity_(replay_capacity == 0 ? 1 : replay_capacity),
      with_ids_(with_ids), counters_(std::move(counters)) {}

bool EventStream::push(std::string_view event_name, std::string data) {
  {
    std::lock_guard lock(mutex_);
    if (finished_ || closed_) return false;
    const std::uint64_t seq = next_seq_++;
    std::string event_id = with_ids_ ? id_ + "." + std::to_string(seq) : std::string();
    buffer_.push_back(Stored{seq, sse::event(event_name, event_id, data)});
    std::uint64_t dropped = 0;
    while (buffer_.size() > capacity_) {
      if (buffer_.front().seq > delivered_) ++dropped;
      buffer_.pop_front();
    }
    if (counters_) {
      counters_->queued.fetch_add(1, std::memory_order_relaxed);
      if (dropped) counters_->dropped.fetch_add(dropped, std::memory_order_relaxed);
    }
  }
  changed_.notify_all();
  return true;
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

void EventStream::mark_delivered(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  if (seq > delivered_) delivered_ = seq;
}

std::uint64_t EventStream::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

bool EventStream::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

bool EventStream::fully_delivered(std::uint64_t delivered_seq) const {
  std::lock_guard lock(mutex_);
  return finished_ && delivered_seq + 1 >= next_seq_;
}

EventStream::Batch EventStream::wait(std::uint64_t generation, std::uint64_t after_seq,
                                     Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  auto ready = [&] {
    return closed_ || generation != generation_ || disconnect_ || gone_generation_ == generation ||
           next_seq_ - 1 > after_seq || finished_;
  };
  changed_.wait_until(lock, deadline, ready);

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
  if (!buffer_.empty() && buffer_.front().seq > after_seq + 1) batch.gap = true;
  for (const auto& stored : buffer_) {
    if (stored.seq <= after_seq) continue;
    batch.frames.push_back(stored.frame);
    batch.last_seq = stored.seq;
  }
  batch.finished = finished_ && batch.last_seq + 1 >= next_seq_;
  return batch;
}

std::optional<std::string> EventStream::take_finished(std::uint64_t generation,
                                                      std::uint64_t after_seq,
                                                      Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] {
    return finished_ || closed_ || disconnect_ || generation != generation_ ||
           gone_generation_ == generation || next_seq_ - 1 > after_seq;
  });
  if (!finished_ || closed_ || disconnect_ || generation != generation_) return std::nullopt;
  if (!buffer_.empty() && buffer_.front().seq > after_seq + 1) return std::nullopt;  // a gap
  std::string body;
  for (const auto& stored : buffer_)
    if (stored.seq > after_seq) body += stored.frame;
  if (next_seq_ - 1 > delivered_) delivered_ = next_seq_ - 1;
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
