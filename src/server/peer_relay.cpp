#include "mcpgate/server/peer_relay.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <optional>
#include <string_view>

namespace mcpgate::server {

namespace {

using sessions::PeerEvent;
using tools::ListKind;

constexpr std::array<std::pair<ListKind, std::string_view>, tools::list_kinds> list_names{{
    {ListKind::tools, "tools"},
    {ListKind::prompts, "prompts"},
    {ListKind::resources, "resources"},
}};

std::string_view name_of(ListKind kind) {
  for (const auto& [k, name] : list_names)
    if (k == kind) return name;
  return "tools";
}

std::optional<ListKind> list_named(std::string_view name) {
  for (const auto& [k, n] : list_names)
    if (n == name) return k;
  return std::nullopt;
}

}  // namespace

PeerRelay::PeerRelay(std::unique_ptr<sessions::PeerBus> bus, Deps deps)
    : bus_(std::move(bus)), deps_(std::move(deps)) {
  bus_->start([this](const PeerEvent& event) { apply(event); });
}

PeerRelay::~PeerRelay() { bus_->stop(); }

void PeerRelay::session_deleted(const std::string& id) {
  bus_->publish({.kind = PeerEvent::Kind::session_ended, .session_id = id, .body = {}});
}

void PeerRelay::session_changed(const std::string& id) {
  bus_->publish({.kind = PeerEvent::Kind::session_changed, .session_id = id, .body = {}});
}

void PeerRelay::changed(const tools::Change& change) {
  if (change.what == tools::Change::What::resource)
    bus_->publish({.kind = PeerEvent::Kind::resource_updated, .session_id = {}, .body = change.uri});
  else
    bus_->publish({.kind = PeerEvent::Kind::list_changed,
                   .session_id = {},
                   .body = std::string(name_of(change.list))});
}

void PeerRelay::unclaimed(const sessions::Session& session, const nlohmann::json& message) {
  bus_->publish({.kind = PeerEvent::Kind::client_message,
                 .session_id = session.id(),
                 .body = message.dump()});
}

bool PeerRelay::forward(const PeerEvent& event) { return bus_->publish(event); }

void PeerRelay::apply(const PeerEvent& event) {
  switch (event.kind) {
    case PeerEvent::Kind::session_ended:
      if (deps_.sessions.end_here(event.session_id))
        spdlog::info("session {} ended by another process on the store", event.session_id);
      return;
    case PeerEvent::Kind::session_changed:
      (void)deps_.sessions.reload_here(event.session_id);
      return;
    case PeerEvent::Kind::list_changed:
      if (const auto kind = list_named(event.body))
        deps_.deliver_change({.what = tools::Change::What::list, .list = *kind, .uri = {}});
      return;
    case PeerEvent::Kind::resource_updated:
      deps_.deliver_change(
          {.what = tools::Change::What::resource, .list = ListKind::resources, .uri = event.body});
      return;
    case PeerEvent::Kind::task_update:
      if (deps_.tasks) {
        const auto responses = nlohmann::json::parse(event.body, nullptr, false);
        if (responses.is_object()) (void)deps_.tasks->update_here(event.session_id, responses);
      }
      return;
    case PeerEvent::Kind::task_cancel:
      if (deps_.tasks && deps_.tasks->cancel_here(event.session_id))
        spdlog::info("task {} cancelled through another process on the store", event.session_id);
      return;
    case PeerEvent::Kind::client_message:
      break;
  }
  auto session = deps_.sessions.held(event.session_id);
  if (!session) return;
  const auto value = nlohmann::json::parse(event.body, nullptr, false);
  const auto item = jsonrpc::classify(value);
  const auto* message = std::get_if<jsonrpc::Message>(&item);
  if (!message) return;
  if (const auto* response = std::get_if<jsonrpc::Response>(message))
    deps_.dispatcher.handle_response(*session, *response);
  else if (const auto* notification = std::get_if<jsonrpc::Notification>(message))
    deps_.dispatcher.handle_notification(*session, *notification);
}

}  // namespace mcpgate::server
