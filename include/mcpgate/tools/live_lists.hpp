// The tools, resources and prompts a server offers, as they are now, and the changes to them.
//
// A request reads one snapshot (current()) and keeps it while it runs, so it sees one
// consistent set of lists however they change meanwhile; taking one is a short lock and a
// reference count, never a copy. A change (from any thread) edits a copy, publishes it in one
// swap and then tells the observer, the composition's change feed, which sends the
// notifications (listen streams, sessions). Archon's own lists never change: only lists that
// something declared changeable (allow_changes(); the conformance fixtures do) are declared
// `listChanged: true` to clients, so a client is never told to expect notifications that can
// never come.
#pragma once

#include "mcpgate/tools/catalog.hpp"
#include "mcpgate/tools/registry.hpp"

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace mcpgate::tools {

// The lists a client can be told have changed.
enum class ListKind { tools, prompts, resources };
inline constexpr std::size_t list_kinds = 3;

// What the server offers at one moment.
struct Lists {
  ToolRegistry tools;
  Catalog catalog;
};

// One change for the observer: a list, or the content of one resource.
struct Change {
  enum class What { list, resource };
  What what = What::list;
  ListKind list = ListKind::tools;  // What::list
  std::string uri;                  // What::resource
};

class LiveLists {
 public:
  using Observer = std::function<void(const Change&)>;

  explicit LiveLists(Lists lists = {});
  LiveLists(const LiveLists&) = delete;
  LiveLists& operator=(const LiveLists&) = delete;

  // The lists as they are now; keep the pointer for the whole request.
  [[nodiscard]] std::shared_ptr<const Lists> current() const;

  // At start-up, before any request is served and before anyone observes: the lists to begin
  // with (no change is reported).
  void start_with(Lists lists);

  // Declare that `kind` may change at run time (before serving): capabilities then say
  // listChanged.
  void allow_changes(ListKind kind) noexcept;
  [[nodiscard]] bool may_change(ListKind kind) const noexcept;

  // Change list `kind`: `edit` gets a copy of the current lists to change; the result is
  // published, then the observer is told. Changes are applied one at a time. Throws
  // std::logic_error for a kind not declared changeable; what `edit` throws leaves the lists
  // as they were.
  void change(ListKind kind, const std::function<void(Lists&)>& edit);
  // The content of resource `uri` changed (its listing did not): the observer is told.
  void resource_updated(const std::string& uri);

  // Who hears of changes (the composition root sets it once, before serving).
  void set_observer(Observer observer);

 private:
  void tell(const Change& change) const;

  mutable std::mutex mutex_;  // guards current_ and observer_: held for a pointer copy only
  std::shared_ptr<const Lists> current_;
  std::shared_ptr<const Observer> observer_;
  std::mutex change_mutex_;  // one change at a time (an edit works on a copy of current_)
  std::array<std::atomic<bool>, list_kinds> changeable_{};
};

}  // namespace mcpgate::tools
