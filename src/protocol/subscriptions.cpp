#include "mcpgate/protocol/subscriptions.hpp"

#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/request_meta.hpp"
#include "mcpgate/protocol/versions.hpp"

#include <algorithm>

namespace mcpgate::protocol {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

namespace {

const char* list_changed_method(tools::ListKind kind) {
  switch (kind) {
    case tools::ListKind::tools:
      return "notifications/tools/list_changed";
    case tools::ListKind::prompts:
      return "notifications/prompts/list_changed";
    case tools::ListKind::resources:
      break;
  }
  return "notifications/resources/list_changed";
}

// A boolean member of the filter: absent is false.
bool filter_flag(const json& filter, const char* key) {
  const auto it = filter.find(key);
  if (it == filter.end() || it->is_null()) return false;
  if (!it->is_boolean())
    throw Error(code::invalid_params,
                std::string("Invalid params: notifications.") + key + " must be a boolean");
  return it->get<bool>();
}

// The message `change` sends on listen stream `id`.
json listen_message(const tools::Change& change, const json& id) {
  json params{{"_meta", {{meta_key::subscription_id, id}}}};
  if (change.what == tools::Change::What::resource) {
    params["uri"] = change.uri;
    return jsonrpc::make_notification("notifications/resources/updated", std::move(params));
  }
  return jsonrpc::make_notification(list_changed_method(change.list), std::move(params));
}

}  // namespace

bool ListenFilter::hears(const tools::Change& change) const {
  if (change.what == tools::Change::What::resource)
    return std::find(uris.begin(), uris.end(), change.uri) != uris.end();
  switch (change.list) {
    case tools::ListKind::tools:
      return tools;
    case tools::ListKind::prompts:
      return prompts;
    case tools::ListKind::resources:
      break;
  }
  return resources;
}

json ListenFilter::to_json() const {
  json out = json::object();
  if (tools) out["toolsListChanged"] = true;
  if (prompts) out["promptsListChanged"] = true;
  if (resources) out["resourcesListChanged"] = true;
  if (!uris.empty()) out["resourceSubscriptions"] = uris;
  return out;
}

ListenFilter honoured_filter(const json& params, const tools::LiveLists& lists,
                             const ListenLimits& limits) {
  const auto filter = params.find("notifications");
  if (filter == params.end() || !filter->is_object())
    throw Error(code::invalid_params, "Invalid params: \"notifications\" must be an object");
  ListenFilter honoured;
  honoured.tools = filter_flag(*filter, "toolsListChanged") &&
                   lists.may_change(tools::ListKind::tools);
  honoured.prompts = filter_flag(*filter, "promptsListChanged") &&
                     lists.may_change(tools::ListKind::prompts);
  honoured.resources = filter_flag(*filter, "resourcesListChanged") &&
                       lists.may_change(tools::ListKind::resources);
  const auto uris = filter->find("resourceSubscriptions");
  if (uris == filter->end() || uris->is_null()) return honoured;
  if (!uris->is_array())
    throw Error(code::invalid_params,
                "Invalid params: notifications.resourceSubscriptions must be an array of URIs");
  // Bounded before anything is kept: the stream keeps these for as long as it is open.
  if (uris->size() > limits.max_uris)
    throw Error(code::invalid_params,
                "Invalid params: " + std::to_string(uris->size()) +
                    " resourceSubscriptions; one listen stream keeps at most " +
                    std::to_string(limits.max_uris) + " (--max-listen-uris)",
                {{"limit", limits.max_uris}, {"size", uris->size()}});
  std::size_t bytes = 0;
  for (const auto& uri : *uris) {
    if (!uri.is_string())
      throw Error(code::invalid_params,
                  "Invalid params: notifications.resourceSubscriptions must be an array of URIs");
    bytes += uri.get_ref<const std::string&>().size();
  }
  if (bytes > limits.max_uri_bytes)
    throw Error(code::invalid_params,
                "Invalid params: resourceSubscriptions take " + std::to_string(bytes) +
                    " bytes; one listen stream keeps at most " +
                    std::to_string(limits.max_uri_bytes) + " (--max-session-data)",
                {{"limit", limits.max_uri_bytes}, {"size", bytes}});
  const auto now = lists.current();
  for (const auto& uri : *uris) {
    const auto& text = uri.get_ref<const std::string&>();
    // Only resources that exist are honoured (the acknowledgement leaves the others out).
    if (!now->catalog.is_known_resource(text)) continue;
    if (std::find(honoured.uris.begin(), honoured.uris.end(), text) == honoured.uris.end())
      honoured.uris.push_back(text);
  }
  return honoured;
}

Subscriptions::Handle::Handle(std::shared_ptr<Subscriptions> owner, std::uint64_t key)
    : owner_(std::move(owner)), key_(key) {}

Subscriptions::Handle::~Handle() { owner_->close(key_); }

std::unique_ptr<Subscriptions::Handle> Subscriptions::open(const json& id, ListenFilter filter,
                                                           std::shared_ptr<Outbox> out,
                                                           json server_info) {
  auto entry = std::make_shared<Entry>();
  entry->id = id;
  entry->filter = std::move(filter);
  entry->out = std::move(out);
  entry->server_info = std::move(server_info);
  // The acknowledgement before the entry can be found: nothing can come before it.
  entry->out->send(jsonrpc::make_notification(
      "notifications/subscriptions/acknowledged",
      {{"_meta", {{meta_key::subscription_id, id}}},
       {"notifications", entry->filter.to_json()}}));
  std::uint64_t key = 0;
  bool stopped = false;
  {
    std::lock_guard lock(mutex_);
    key = next_key_++;
    stopped = stopped_;
    if (!stopped) entries_.emplace(key, entry);
  }
  if (stopped) finish(*entry);
  return std::make_unique<Handle>(shared_from_this(), key);
}

void Subscriptions::close(std::uint64_t key) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    entry = std::move(it->second);
    entries_.erase(it);
  }
  std::lock_guard lock(entry->mutex);
  entry->ended = true;
}

void Subscriptions::deliver(const tools::Change& change) {
  std::vector<std::shared_ptr<Entry>> hearing;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, entry] : entries_)
      if (entry->filter.hears(change)) hearing.push_back(entry);
  }
  for (const auto& entry : hearing) {
    const json message = listen_message(change, entry->id);
    std::lock_guard lock(entry->mutex);
    if (!entry->ended) entry->out->send(message);
  }
}

void Subscriptions::finish(Entry& entry) {
  json meta{{meta_key::subscription_id, entry.id}, {meta_key::server_info, entry.server_info}};
  const json result = jsonrpc::make_result(
      entry.id, {{"resultType", "complete"}, {"_meta", std::move(meta)}});
  std::lock_guard lock(entry.mutex);
  if (entry.ended) return;
  entry.ended = true;
  entry.out->send(result);
  entry.out->finish();
}

void Subscriptions::end_all() {
  std::map<std::uint64_t, std::shared_ptr<Entry>> ending;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    ending.swap(entries_);
  }
  for (auto& [key, entry] : ending) finish(*entry);
}

std::size_t Subscriptions::open_count() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void notify_session(ClientState& client, const tools::Change& change) {
  if (!client.initialized() || client.ended() || is_modern(client.protocol_version())) return;
  if (change.what == tools::Change::What::resource) {
    if (!client.subscribed(change.uri)) return;
    client.notify(jsonrpc::make_notification("notifications/resources/updated",
                                             {{"uri", change.uri}}));
    return;
  }
  client.notify(jsonrpc::make_notification(list_changed_method(change.list), nullptr));
}

}  // namespace mcpgate::protocol
