// protocol::TaskStore with a TaskShare: tasks belong to the subject that created it, each change
// is told to the other instances in order, and a task is polled, answered and cancelled through
// another instance's store. The share here is two stores wired to one map, as the store's
// tasks table and the peer events wire instances (server/shared_tasks.hpp; the integration test
// test_shared_tasks.cpp runs that over a real store).
#include "mcpgate/protocol/task_store.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>

namespace task_share_test {

using namespace mcpgate;
using namespace std::chrono_literals;
using json = nlohmann::json;
using protocol::TaskStore;
using protocol::TaskStoreOptions;
using test_support::eventually;

struct Published {
  std::string subject;
  std::uint64_t version = 0;
  json detail;
  std::chrono::milliseconds keep_for{0};
};

// What every instance sees: the last state published of each task (a lower version never
// replaces a higher one, as in the store), and the stores a forwarded request reaches.
struct Board {
  std::mutex mutex;
  std::map<std::string, Published> tasks;
  std::vector<std::pair<std::string, std::uint64_t>> log;  // id, version, in publish order
  std::vector<TaskStore*> instances;
};

class BoardShare final : public protocol::TaskShare {
 public:
  explicit BoardShare(std::shared_ptr<Board> board) : board_(std::move(board)) {}
  void publish(const std::string& id, const std::string& subject, std::uint64_t version,
               const json& detail, std::chrono::milliseconds keep_for) override {
    const std::lock_guard lock(board_->mutex);
    board_->log.emplace_back(id, version);
    auto& slot = board_->tasks[id];
    if (slot.version < version) slot = Published{subject, version, detail, keep_for};
  }
  std::optional<json> find(const std::string& id, const std::string& subject) override {
    const std::lock_guard lock(board_->mutex);
    const auto it = board_->tasks.find(id);
    if (it == board_->tasks.end() || it->second.subject != subject) return std::nullopt;
    return it->second.detail;
  }
  bool forward_update(const std::string& id, const json& input_responses) override {
    if (!handing_over) return false;
    for (auto* store : instances()) (void)store->update_here(id, input_responses);
    return true;
  }
  bool forward_cancel(const std::string& id) override {
    if (!handing_over) return false;
    for (auto* store : instances()) (void)store->cancel_here(id);
    return true;
  }
  // False: the way between instances refuses everything (too large, over its rate).
  std::atomic<bool> handing_over{true};

 private:
  std::vector<TaskStore*> instances() {
    const std::lock_guard lock(board_->mutex);
    return board_->instances;
  }
  std::shared_ptr<Board> board_;
};

TaskStoreOptions shared_options(const std::shared_ptr<Board>& board) {
  return TaskStoreOptions{.max_tasks = 8,
                          .max_result_bytes = 4096,
                          .ttl = 60000ms,
                          .poll_interval = 500ms,
                          .clock = nullptr,
                          .share = std::make_shared<BoardShare>(board)};
}

tools::InputRequest confirm_request() {
  return tools::InputRequest{
      .key = "confirm",
      .method = "elicitation/create",
      .params = {{"message", "Sure?"},
                 {"requestedSchema", {{"type", "object"}, {"properties", json::object()}}}}};
}

const json yes = {{"action", "accept"}, {"content", {{"confirm", true}}}};

}  // namespace task_share_test

using namespace task_share_test;

TEST_CASE("a task is unknown to every subject but the one that created it") {
  TaskStore store(TaskStoreOptions{.max_tasks = 4, .max_result_bytes = 4096, .ttl = 60000ms,
                                   .poll_interval = 500ms, .clock = nullptr, .share = nullptr});
  auto task = store.create("alice");
  CHECK(store.get(task->id(), "bob") == std::nullopt);
  CHECK(store.get(task->id()) == std::nullopt);  // no token is no one, not anyone
  CHECK(store.update(task->id(), {{"confirm", yes}}, "bob") == TaskStore::Update::unknown_task);
  CHECK_FALSE(store.cancel(task->id(), "bob"));
  CHECK_FALSE(task->cancellation().cancelled());
  REQUIRE(store.get(task->id(), "alice").has_value());
  CHECK((*store.get(task->id(), "alice"))["status"] == "working");
  CHECK(store.cancel(task->id(), "alice"));
  CHECK(task->cancellation().cancelled());
}

TEST_CASE("each change of a task is shared, in order, before the client can ask for it") {
  auto board = std::make_shared<Board>();
  TaskStore store(shared_options(board));
  auto task = store.create("alice");
  {
    const std::lock_guard lock(board->mutex);
    REQUIRE(board->tasks.contains(task->id()));  // published before the id reaches the client
    CHECK(board->tasks[task->id()].detail["status"] == "working");
    CHECK(board->tasks[task->id()].subject == "alice");
    CHECK(board->tasks[task->id()].keep_for == 120000ms);  // twice the ttl while it runs
  }
  auto asked = std::async(std::launch::async, [&] { return store.ask(*task, {confirm_request()}); });
  REQUIRE(eventually([&] {
    const std::lock_guard lock(board->mutex);
    return board->tasks[task->id()].detail["status"] == "input_required";
  }));
  {
    const std::lock_guard lock(board->mutex);
    CHECK(board->tasks[task->id()].detail["inputRequests"].contains("confirm"));
  }
  CHECK(store.update(task->id(), {{"confirm", yes}}, "alice") == TaskStore::Update::accepted);
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  CHECK(asked.get().at("confirm") == yes);
  store.complete(*task, {{"content", json::array({{{"type", "text"}, {"text", "done"}}})}});
  const std::lock_guard lock(board->mutex);
  const auto& last = board->tasks[task->id()];
  CHECK(last.detail["status"] == "completed");
  CHECK(last.detail["result"]["content"][0]["text"] == "done");
  CHECK(last.keep_for == 60000ms);  // the ttl once it ended
  std::uint64_t previous = 0;
  for (const auto& [id, version] : board->log) {
    CHECK(version > previous);  // one task, one writer here: versions only grow
    previous = version;
  }
  CHECK(board->log.size() == 4);  // created, input_required, answered, completed
}

TEST_CASE("another instance polls, answers and cancels a task it does not run") {
  auto board = std::make_shared<Board>();
  TaskStore runs(shared_options(board));
  TaskStore other(shared_options(board));
  {
    const std::lock_guard lock(board->mutex);
    board->instances = {&runs, &other};
  }
  auto task = runs.create("alice");
  REQUIRE(other.get(task->id(), "alice").has_value());
  CHECK((*other.get(task->id(), "alice"))["status"] == "working");
  CHECK(other.get(task->id(), "bob") == std::nullopt);
  CHECK(other.get("no-such-task", "alice") == std::nullopt);

  auto asked = std::async(std::launch::async, [&] { return runs.ask(*task, {confirm_request()}); });
  REQUIRE(eventually([&] {
    const auto seen = other.get(task->id(), "alice");
    return seen && (*seen)["status"] == "input_required";
  }));
  CHECK((*other.get(task->id(), "alice"))["inputRequests"].contains("confirm"));
  CHECK(other.update(task->id(), {{"confirm", yes}}, "bob") == TaskStore::Update::unknown_task);
  CHECK(other.update(task->id(), {{"confirm", {{"text", std::string(5000, 'x')}}}}, "alice") ==
        TaskStore::Update::too_large);
  CHECK(other.update(task->id(), {{"confirm", yes}}, "alice") == TaskStore::Update::accepted);
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  CHECK(asked.get().at("confirm") == yes);

  CHECK_FALSE(other.cancel(task->id(), "bob"));
  CHECK_FALSE(task->cancellation().cancelled());
  CHECK(other.cancel(task->id(), "alice"));
  CHECK(task->cancellation().cancelled());
  CHECK((*runs.get(task->id(), "alice"))["status"] == "cancelled");
  CHECK((*other.get(task->id(), "alice"))["status"] == "cancelled");
  CHECK(other.cancel(task->id(), "alice"));  // idempotent once it has ended
  CHECK_FALSE(other.cancel("no-such-task", "alice"));
}

TEST_CASE("answers or a cancellation that cannot reach the task's instance are refused, not lost") {
  auto board = std::make_shared<Board>();
  TaskStore runs(shared_options(board));
  auto share = std::make_shared<BoardShare>(board);
  auto options = shared_options(board);
  options.share = share;
  TaskStore other(options);
  {
    const std::lock_guard lock(board->mutex);
    board->instances = {&runs, &other};
  }
  auto task = runs.create("alice");
  auto asked = std::async(std::launch::async, [&] { return runs.ask(*task, {confirm_request()}); });
  REQUIRE(eventually([&] {
    const auto seen = other.get(task->id(), "alice");
    return seen && (*seen)["status"] == "input_required";
  }));
  share->handing_over = false;
  CHECK(other.update(task->id(), {{"confirm", yes}}, "alice") == TaskStore::Update::not_handed_over);
  CHECK_THROWS_AS(other.cancel(task->id(), "alice"), protocol::TaskHandOverFailed);
  CHECK_FALSE(task->cancellation().cancelled());
  CHECK((*runs.get(task->id(), "alice"))["status"] == "input_required");  // still waiting
  share->handing_over = true;  // the client sends them again
  CHECK(other.update(task->id(), {{"confirm", yes}}, "alice") == TaskStore::Update::accepted);
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  CHECK(asked.get().at("confirm") == yes);
}
