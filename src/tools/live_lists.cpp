#include "mcpgate/tools/live_lists.hpp"

#include <stdexcept>

namespace mcpgate::tools {

LiveLists::LiveLists(Lists lists) : current_(std::make_shared<const Lists>(std::move(lists))) {}

std::shared_ptr<const Lists> LiveLists::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void LiveLists::start_with(Lists lists) {
  auto next = std::make_shared<const Lists>(std::move(lists));
  std::lock_guard lock(mutex_);
  current_ = std::move(next);
}

void LiveLists::allow_changes(ListKind kind) noexcept {
  changeable_[static_cast<std::size_t>(kind)].store(true);
}

bool LiveLists::may_change(ListKind kind) const noexcept {
  return changeable_[static_cast<std::size_t>(kind)].load();
}

void LiveLists::change(ListKind kind, const std::function<void(Lists&)>& edit) {
  if (!may_change(kind)) throw std::logic_error("this list was not declared changeable");
  {
    std::lock_guard changing(change_mutex_);
    auto next = std::make_shared<Lists>(*current());  // copies entries, shares validators
    edit(*next);
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }
  tell(Change{.what = Change::What::list, .list = kind, .uri = {}});
}

void LiveLists::resource_updated(const std::string& uri) {
  tell(Change{.what = Change::What::resource, .list = ListKind::resources, .uri = uri});
}

void LiveLists::set_observer(Observer observer) {
  auto next = std::make_shared<const Observer>(std::move(observer));
  std::lock_guard lock(mutex_);
  observer_ = std::move(next);
}

void LiveLists::tell(const Change& change) const {
  std::shared_ptr<const Observer> observer;
  {
    std::lock_guard lock(mutex_);
    observer = observer_;
  }
  if (observer && *observer) (*observer)(change);
}

}  // namespace mcpgate::tools
