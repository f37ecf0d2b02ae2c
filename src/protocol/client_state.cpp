#include "mcpgate/protocol/client_state.hpp"

#include "mcpgate/util/compact_json.hpp"

#include <algorithm>

namespace mcpgate::protocol {

ClientState::ClientState(std::string id, std::shared_ptr<const SharedContext> context,
                         std::shared_ptr<Outbox> outbox, std::size_t max_inflight)
    : id_(std::move(id)), context_(std::move(context)), outbox_(std::move(outbox)),
      inflight_(max_inflight) {}

bool ClientState::initialize(const Negotiated& negotiated) {
  // Serialised before taking the lock: the work is proportional to what the client sent.
  std::string capabilities = util::compact_json(negotiated.client_capabilities);
  std::string info = util::compact_json(negotiated.client_info);
  std::vector<std::string> declared;
  if (negotiated.client_capabilities.is_object())
    for (const auto& [name, value] : negotiated.client_capabilities.items())
      if (!value.is_null() && value != false) declared.push_back(name);
  std::lock_guard lock(mutex_);
  if (initialized_ && !implicit_) return false;
  initialized_ = true;
  implicit_ = false;
  protocol_version_ = negotiated.protocol_version;
  client_capabilities_ = std::move(capabilities);
  client_info_ = std::move(info);
  declared_ = std::move(declared);
  return true;
}

bool ClientState::initialize_implicitly(std::string_view revision) {
  std::lock_guard lock(mutex_);
  if (initialized_) return false;
  initialized_ = true;
  implicit_ = true;
  client_ready_ = true;  // no notifications/initialized will come
  protocol_version_ = revision;
  return true;
}

bool ClientState::initialized() const {
  std::lock_guard lock(mutex_);
  return initialized_;
}

bool ClientState::implicitly_initialized() const {
  std::lock_guard lock(mutex_);
  return implicit_;
}

void ClientState::mark_client_ready() {
  std::lock_guard lock(mutex_);
  client_ready_ = true;
}

bool ClientState::client_ready() const {
  std::lock_guard lock(mutex_);
  return client_ready_;
}

std::string ClientState::protocol_version() const {
  std::lock_guard lock(mutex_);
  return protocol_version_;
}

bool ClientState::client_supports(std::string_view capability) const {
  std::lock_guard lock(mutex_);
  return std::find(declared_.begin(), declared_.end(), capability) != declared_.end();
}

bool ClientState::declares_extension(std::string_view name) const {
  const auto capabilities = client_capabilities();
  const auto extensions = capabilities.find("extensions");
  if (extensions == capabilities.end() || !extensions->is_object()) return false;
  const auto extension = extensions->find(std::string(name));
  return extension != extensions->end() && extension->is_object();
}

nlohmann::json ClientState::client_capabilities() const {
  std::unique_lock lock(mutex_);
  const std::string text = client_capabilities_;
  lock.unlock();
  return nlohmann::json::parse(text);
}

nlohmann::json ClientState::client_info() const {
  std::unique_lock lock(mutex_);
  const std::string text = client_info_;
  lock.unlock();
  return nlohmann::json::parse(text);
}

std::size_t ClientState::client_data_bytes() const {
  std::lock_guard lock(mutex_);
  return client_capabilities_.size() + client_info_.size() + subscription_bytes_;
}

void ClientState::set_access(Access access) {
  std::lock_guard lock(mutex_);
  access_ = std::move(access);
}

Access ClientState::access() const {
  std::lock_guard lock(mutex_);
  return access_;
}

void ClientState::set_log_level(tools::LogLevel level) {
  load_log_level(level);
  if (level_set_) level_set_();
}

void ClientState::load_log_level(tools::LogLevel level) {
  std::lock_guard lock(mutex_);
  log_level_ = level;
}

tools::LogLevel ClientState::log_level() const {
  std::lock_guard lock(mutex_);
  return log_level_;
}

bool ClientState::subscribe(const std::string& uri, std::size_t budget) {
  std::lock_guard lock(mutex_);
  if (subscriptions_.count(uri)) return true;
  const std::size_t kept =
      client_capabilities_.size() + client_info_.size() + subscription_bytes_ + uri.size();
  if (kept > budget) return false;
  subscriptions_.insert(uri);
  subscription_bytes_ += uri.size();
  return true;
}

void ClientState::unsubscribe(const std::string& uri) {
  std::lock_guard lock(mutex_);
  if (subscriptions_.erase(uri) > 0) subscription_bytes_ -= uri.size();
}

bool ClientState::subscribed(const std::string& uri) const {
  std::lock_guard lock(mutex_);
  return subscriptions_.count(uri) > 0;
}

void ClientState::notify(const nlohmann::json& message) {
  if (outbox_) outbox_->send(message);
}

void ClientState::end() {
  if (ended_.exchange(true)) return;
  inflight_.cancel_all();
  replies_.abort_all();
}

std::shared_ptr<ClientState> make_stateless_client(const RequestMeta& meta,
                                                   std::shared_ptr<const SharedContext> context) {
  auto client = std::make_shared<ClientState>("stateless", std::move(context), nullptr);
  client->initialize({.protocol_version = meta.protocol_version,
                      .client_capabilities = meta.client_capabilities,
                      .client_info = meta.client_info});
  client->mark_client_ready();
  client->set_log_level(meta.log_level);
  return client;
}

}  // namespace mcpgate::protocol
