// The SSE streams of one session, kept by the transport: the session stream (the GET stream of
// Streamable HTTP, or legacy SSE's one stream) and the streams of its POSTs, found again by id
// for a resume (Last-Event-ID) and bounded in number. The session holds it as its
// sessions::SessionStreams, and closes it when it ends.
#pragma once

#include "mcpgate/sessions/session.hpp"
#include "mcpgate/transport/event_stream.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace mcpgate::transport {

struct StreamOptions {
  std::size_t replay_events = 256;      // delivered events kept per stream for Last-Event-ID
  std::size_t max_stream_bytes = default_max_stream_bytes;  // per stream, see there
  std::size_t retained_streams = 32;    // finished POST streams kept for a late resume
  std::shared_ptr<EventCounters> counters;  // server-wide SSE tallies; may be null
};

class StreamSet final : public sessions::SessionStreams {
 public:
  // `session_id` names the streams' owner in their log lines.
  StreamSet(std::string session_id, sessions::Transport transport, StreamOptions options);

  // sessions::SessionStreams
  [[nodiscard]] std::shared_ptr<protocol::Outbox> session_outbox() const override { return main_; }
  [[nodiscard]] bool busy() const override;
  void close() override;

  // Streamable HTTP: a new stream for one POST that carries requests (closed at once when the
  // set is closed).
  [[nodiscard]] std::shared_ptr<EventStream> open_request_stream();
  // The stream for messages not tied to a request.
  [[nodiscard]] const std::shared_ptr<EventStream>& session_stream() const { return main_; }
  [[nodiscard]] std::shared_ptr<EventStream> find_stream(const std::string& id) const;
  // Forget a POST stream whose every event reached the client.
  void retire_stream(const std::string& id);

 private:
  // The options a stream of this session is made with ("g", "l" or "p<n>").
  [[nodiscard]] EventStreamOptions stream_options(bool with_ids) const;

  const std::string owner_;
  const StreamOptions options_;
  const std::shared_ptr<EventStream> main_;

  mutable std::mutex mutex_;
  bool closed_ = false;
  // POST streams by number ("p7" is 7), so iteration goes oldest first.
  std::map<std::uint64_t, std::shared_ptr<EventStream>> request_streams_;
  std::uint64_t next_stream_ = 1;
};

// The streams of a session made by a registry with make_streams(): its StreamSet.
[[nodiscard]] StreamSet& streams_of(const sessions::Session& session);

// The factory a SessionRegistry makes each session's streams with (RegistryOptions).
[[nodiscard]] std::function<std::unique_ptr<sessions::SessionStreams>(const std::string&,
                                                                      sessions::Transport)>
make_streams(StreamOptions options);

}  // namespace mcpgate::transport
