#include "mcpgate/sessions/session.hpp"

namespace mcpgate::sessions {

std::string_view to_string(Transport transport) {
  return transport == Transport::streamable_http ? "streamable_http" : "legacy_sse";
}

Session::Session(std::string id, Transport transport, std::shared_ptr<const SharedContext> context,
                 std::unique_ptr<SessionStreams> streams, std::size_t max_inflight)
    : protocol::ClientState(std::move(id), std::move(context),
                            streams ? streams->session_outbox() : nullptr, max_inflight),
      transport_(transport), streams_(std::move(streams)),
      last_active_(Clock::now().time_since_epoch().count()) {}

Session::~Session() { end(); }

void Session::touch() noexcept { last_active_.store(Clock::now().time_since_epoch().count()); }

Session::Clock::time_point Session::last_active() const noexcept {
  return Clock::time_point(Clock::duration(last_active_.load()));
}

bool Session::busy() const {
  return inflight().size() > 0 || (streams_ && streams_->busy());
}

void Session::record_written(Clock::time_point now) noexcept {
  record_written_.store(now.time_since_epoch().count());
  recorded_level_.store(static_cast<int>(log_level()));
  has_record_.store(true);
}

bool Session::claim_record_use(Clock::time_point now, Clock::duration interval) {
  if (!has_record_.load()) return false;
  auto written = record_written_.load();
  const int level = static_cast<int>(log_level());
  const bool level_changed = recorded_level_.load() != level;
  if (!level_changed && now - Clock::time_point(Clock::duration(written)) < interval) return false;
  if (!record_written_.compare_exchange_strong(written, now.time_since_epoch().count()))
    return false;  // another thread claimed it
  recorded_level_.store(level);
  return true;
}

void Session::end() {
  if (ended()) return;
  // Streams first, as before the split: a request cancelled below finds them closed.
  if (streams_) streams_->close();
  protocol::ClientState::end();
}

}  // namespace mcpgate::sessions
