#include "mcpgate/sessions/session.hpp"

#include "mcpgate/util/compact_json.hpp"

#include <algorithm>

#include <charconv>
#include <optional>

namespace mcpgate::sessions {

std::string_view to_string(Transport transport) {
  return transport == Transport::streamable_http ? "streamable_http" : "legacy_sse";
}

Session::Session(std::string id, Transport transport, std::shared_ptr<const SharedContext> context,
                 StreamOptions options, std::size_t max_inflight)
    : id_(std::move(id)), transport_(transport), context_(std::move(context)), options_(options),
      // Legacy SSE has no resumability, so its events carry no ids.
      main_(std::make_shared<transport::EventStream>(
          transport == Transport::streamable_http ? "g" : "l",
          stream_options(transport == Transport::streamable_http))),
      inflight_(max_inflight),
      last_active_(Clock::now().time_since_epoch().count()) {}

Session::~Session() { end(); }

transport::EventStreamOptions Session::stream_options(bool with_ids) const {
  return transport::EventStreamOptions{.replay_events = options_.replay_events,
                                       .max_bytes = options_.max_stream_bytes,
                                       .with_ids = with_ids,
                                       .owner = id_,
                                       .counters = options_.counters};
}

bool Session::initialize(const Negotiated& negotiated) {
  // Serialised before taking the lock: the work is proportional to what the client sent.
  std::string capabilities = util::compact_json(negotiated.client_capabilities);
  std::string info = util::compact_json(negotiated.client_info);
  std::vector<std::string> declared;
  if (negotiated.client_capabilities.is_object())
    for (const auto& [name, value] : negotiated.client_capabilities.items())
      if (!value.is_null() && value != false) declared.push_back(name);
  std::lock_guard lock(mutex_);
  if (initialized_) return false;
  initialized_ = true;
  protocol_version_ = negotiated.protocol_version;
  client_capabilities_ = std::move(capabilities);
  client_info_ = std::move(info);
  declared_ = std::move(declared);
  return true;
}

bool Session::initialized() const {
  std::lock_guard lock(mutex_);
  return initialized_;
}

void Session::mark_client_ready() {
  std::lock_guard lock(mutex_);
  client_ready_ = true;
}

bool Session::client_ready() const {
  std::lock_guard lock(mutex_);
  return client_ready_;
}

std::string Session::protocol_version() const {
  std::lock_guard lock(mutex_);
  return protocol_version_;
}

bool Session::client_supports(std::string_view capability) const {
  std::lock_guard lock(mutex_);
  return std::find(declared_.begin(), declared_.end(), capability) != declared_.end();
}

nlohmann::json Session::client_capabilities() const {
  std::unique_lock lock(mutex_);
  const std::string text = client_capabilities_;
  lock.unlock();
  return nlohmann::json::parse(text);
}

nlohmann::json Session::client_info() const {
  std::unique_lock lock(mutex_);
  const std::string text = client_info_;
  lock.unlock();
  return nlohmann::json::parse(text);
}

std::size_t Session::client_data_bytes() const {
  std::lock_guard lock(mutex_);
  return client_capabilities_.size() + client_info_.size() + subscription_bytes_;
}

void Session::set_log_level(tools::LogLevel level) {
  std::lock_guard lock(mutex_);
  log_level_ = level;
}

tools::LogLevel Session::log_level() const {
  std::lock_guard lock(mutex_);
  return log_level_;
}

bool Session::subscribe(const std::string& uri, std::size_t budget) {
  std::lock_guard lock(mutex_);
  if (subscriptions_.count(uri)) return true;
  const std::size_t kept =
      client_capabilities_.size() + client_info_.size() + subscription_bytes_ + uri.size();
  if (kept > budget) return false;
  subscriptions_.insert(uri);
  subscription_bytes_ += uri.size();
  return true;
}

void Session::unsubscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  if (subscriptions_.erase(uri) > 0) subscription_bytes_ -= uri.size();
}

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

std::shared_ptr<transport::EventStream> Session::open_request_stream() {
  std::lock_guard lock(mutex_);
  const std::uint64_t number = next_stream_++;
  auto stream = std::make_shared<transport::EventStream>("p" + std::to_string(number),
                                                         stream_options(true));
  if (ended_) {
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

std::shared_ptr<transport::EventStream> Session::find_stream(const std::string& id) const {
  if (id == main_->id()) return main_;
  const auto number = request_stream_number(id);
  if (!number) return nullptr;
  std::lock_guard lock(mutex_);
  auto it = request_streams_.find(*number);
  return it == request_streams_.end() ? nullptr : it->second;
}

void Session::retire_stream(const std::string& id) {
  const auto number = request_stream_number(id);
  if (!number) return;
  std::lock_guard lock(mutex_);
  request_streams_.erase(*number);
}

void Session::notify(const nlohmann::json& message) {
  main_->send(message);
}

void Session::touch() noexcept { last_active_.store(Clock::now().time_since_epoch().count()); }

Session::Clock::time_point Session::last_active() const noexcept {
  return Clock::time_point(Clock::duration(last_active_.load()));
}

bool Session::busy() const {
  if (inflight_.size() > 0 || main_->has_writer()) return true;
  std::lock_guard lock(mutex_);
  return std::any_of(request_streams_.begin(), request_streams_.end(),
                     [](const auto& entry) { return entry.second->has_writer(); });
}

void Session::end() {
  if (ended_.exchange(true)) return;
  std::map<std::uint64_t, std::shared_ptr<transport::EventStream>> streams;
  {
    std::lock_guard lock(mutex_);
    streams.swap(request_streams_);
  }
  main_->close();
  for (auto& [id, stream] : streams) stream->close();
  inflight_.cancel_all();
  replies_.abort_all();
}

}  // namespace mcpgate::sessions
