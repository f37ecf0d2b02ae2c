#include "mcpgate/transport/stream_set.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace mcpgate::transport {

namespace {

// "p7" -> 7; nullopt for anything that is not a request stream id.
std::optional<std::uint64_t> request_stream_number(const std::string& id) {
  if (id.size() < 2 || id[0] != 'p') return std::nullopt;
  std::uint64_t number = 0;
  auto [ptr, ec] = std::from_chars(id.data() + 1, id.data() + id.size(), number);
  if (ec != std::errc() || ptr != id.data() + id.size()) return std::nullopt;
  return number;
}

}  // namespace

StreamSet::StreamSet(std::string session_id, sessions::Transport transport, StreamOptions options)
    : owner_(std::move(session_id)), options_(std::move(options)),
      // Legacy SSE has no resumability, so its events carry no ids.
      main_(std::make_shared<EventStream>(
          transport == sessions::Transport::streamable_http ? "g" : "l",
          stream_options(transport == sessions::Transport::streamable_http))) {}

EventStreamOptions StreamSet::stream_options(bool with_ids) const {
  // Events without ids cannot be asked for again: a stream without them (legacy SSE's) keeps
  // nothing once it is written, or every session would hold its answers (an initialize result
  // with the server's instructions among them) for as long as it stays open.
  return EventStreamOptions{.replay_events = with_ids ? options_.replay_events : 0,
                            .max_bytes = options_.max_stream_bytes,
                            .with_ids = with_ids,
                            .owner = owner_,
                            .counters = options_.counters};
}

std::shared_ptr<EventStream> StreamSet::open_request_stream() {
  std::lock_guard lock(mutex_);
  const std::uint64_t number = next_stream_++;
  auto stream = std::make_shared<EventStream>("p" + std::to_string(number), stream_options(true));
  if (closed_) {
    stream->close();
    return stream;
  }
  // Keep the stream count bounded: drop the oldest finished ones first.
  while (request_streams_.size() >= options_.retained_streams) {
    auto victim = request_streams_.end();
    for (auto it = request_streams_.begin(); it != request_streams_.end(); ++it)
      if (it->second->finished() && !it->second->has_writer()) {
        victim = it;
        break;
      }
    if (victim == request_streams_.end()) break;
    request_streams_.erase(victim);
  }
  request_streams_[number] = stream;
  return stream;
}

std::shared_ptr<EventStream> StreamSet::find_stream(const std::string& id) const {
  if (id == main_->id()) return main_;
  const auto number = request_stream_number(id);
  if (!number) return nullptr;
  std::lock_guard lock(mutex_);
  auto it = request_streams_.find(*number);
  return it == request_streams_.end() ? nullptr : it->second;
}

void StreamSet::retire_stream(const std::string& id) {
  const auto number = request_stream_number(id);
  if (!number) return;
  std::lock_guard lock(mutex_);
  request_streams_.erase(*number);
}

bool StreamSet::busy() const {
  if (main_->has_writer()) return true;
  std::lock_guard lock(mutex_);
  return std::any_of(request_streams_.begin(), request_streams_.end(),
                     [](const auto& entry) { return entry.second->has_writer(); });
}

void StreamSet::close() {
  std::map<std::uint64_t, std::shared_ptr<EventStream>> streams;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    streams.swap(request_streams_);
  }
  main_->close();
  for (auto& [id, stream] : streams) stream->close();
}

StreamSet& streams_of(const sessions::Session& session) {
  auto* streams = dynamic_cast<StreamSet*>(session.streams());
  if (streams == nullptr)
    throw std::logic_error("session " + session.id() + " has no transport streams");
  return *streams;
}

std::function<std::unique_ptr<sessions::SessionStreams>(const std::string&, sessions::Transport)>
make_streams(StreamOptions options) {
  return [options = std::move(options)](const std::string& session_id,
                                        sessions::Transport transport) {
    return std::make_unique<StreamSet>(session_id, transport, options);
  };
}

}  // namespace mcpgate::transport
