// protocol::TaskStore: the tasks extension's task lifecycle, its budgets (tasks held, result
// bytes, ttl after the end), and cancellation reaching a handler waiting for input.
#include "mcpgate/protocol/task_store.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <regex>
#include <set>
#include <thread>

namespace task_store_test {

using namespace mcpgate;
using namespace std::chrono_literals;
using json = nlohmann::json;
using protocol::TaskStore;
using protocol::TaskStoreOptions;
using test_support::eventually;

// A clock the test moves by hand, so expiry is tested without waiting.
struct FakeClock {
  std::shared_ptr<std::atomic<std::chrono::steady_clock::rep>> ticks =
      std::make_shared<std::atomic<std::chrono::steady_clock::rep>>(0);
  void advance(std::chrono::milliseconds by) {
    ticks->fetch_add(std::chrono::duration_cast<std::chrono::steady_clock::duration>(by).count());
  }
  std::function<std::chrono::steady_clock::time_point()> function() const {
    return [ticks = ticks] {
      return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ticks->load()));
    };
  }
};

TaskStoreOptions options_with(const FakeClock& clock, std::size_t max_tasks = 8,
                              std::size_t max_result_bytes = 4096) {
  return TaskStoreOptions{.max_tasks = max_tasks,
                          .max_result_bytes = max_result_bytes,
                          .ttl = 60000ms,
                          .poll_interval = 500ms,
                          .clock = clock.function(),
                          .share = nullptr};
}

tools::InputRequest elicit(const std::string& key) {
  return tools::InputRequest{
      .key = key,
      .method = "elicitation/create",
      .params = {{"message", "?"}, {"requestedSchema", {{"type", "object"}, {"properties", json::object()}}}}};
}

const json accepted = {{"action", "accept"}, {"content", {{"confirm", true}}}};

}  // namespace task_store_test

using namespace task_store_test;

TEST_CASE("a new task is working and found at once; its CreateTaskResult is flat") {
  FakeClock clock;
  TaskStore store(options_with(clock));
  auto task = store.create();
  REQUIRE(task);
  const json created = store.created_result(*task);
  CHECK(created["resultType"] == "task");
  CHECK(created["taskId"] == task->id());
  CHECK(created["status"] == "working");
  CHECK(created["ttlMs"] == 60000);
  CHECK(created["pollIntervalMs"] == 500);
  const std::regex iso(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  CHECK(std::regex_match(created["createdAt"].get<std::string>(), iso));
  CHECK(std::regex_match(created["lastUpdatedAt"].get<std::string>(), iso));
  for (const char* key : {"result", "error", "inputRequests", "requestState", "task", "ttl"})
    CHECK_FALSE(created.contains(key));

  const auto got = store.get(task->id());
  REQUIRE(got);
  CHECK((*got)["status"] == "working");
  CHECK_FALSE(got->contains("resultType"));  // the dispatcher adds "complete"
}

TEST_CASE("task ids are 128 random bits, 22 URL-safe characters, never repeated") {
  FakeClock clock;
  TaskStore store(options_with(clock, 1000));
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    auto task = store.create();
    REQUIRE(task);
    CHECK(task->id().size() == 22);
    CHECK(task->id().find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    ids.insert(task->id());
  }
  CHECK(ids.size() == 200);
}

TEST_CASE("a completed task shows its result; a failed one its error and no result") {
  FakeClock clock;
  TaskStore store(options_with(clock));
  auto done = store.create();
  auto broken = store.create();
  store.complete(*done, {{"content", {{{"type", "text"}, {"text", "ok"}}}}, {"isError", true}});
  store.fail(*broken, {{"code", -32603}, {"message", "Internal error: boom"}});
  const auto a = store.get(done->id());
  CHECK((*a)["status"] == "completed");
  CHECK((*a)["result"]["isError"] == true);
  CHECK_FALSE(a->contains("error"));
  const auto b = store.get(broken->id());
  CHECK((*b)["status"] == "failed");
  CHECK((*b)["error"]["code"] == -32603);
  CHECK_FALSE(b->contains("result"));
  // The first end is the end: a later one is ignored.
  store.complete(*broken, {{"content", json::array()}});
  CHECK((*store.get(broken->id()))["status"] == "failed");
}

TEST_CASE("at most max_tasks are held; a finished one is kept for the ttl, then dropped") {
  FakeClock clock;
  TaskStore store(options_with(clock, 2));
  auto first = store.create();
  auto second = store.create();
  REQUIRE(first);
  REQUIRE(second);
  CHECK_FALSE(store.create());  // full: both held

  store.complete(*first, {{"content", json::array()}});
  clock.advance(59999ms);
  CHECK(store.get(first->id()));  // kept at least its ttlMs
  CHECK_FALSE(store.create());    // and still counts
  clock.advance(1ms);
  CHECK_FALSE(store.get(first->id()));  // then gone: an unknown id
  CHECK(store.create());                // and its room free again
  CHECK(store.size() == 2);
  // A running task never expires, however long it runs.
  clock.advance(10 * 60000ms);
  CHECK(store.get(second->id()));
}

TEST_CASE("a result larger than max_result_bytes fails the task with -32603") {
  FakeClock clock;
  TaskStore store(options_with(clock, 8, 1024));
  auto task = store.create();
  store.complete(*task, {{"content", {{{"type", "text"}, {"text", std::string(2000, 'x')}}}}});
  const auto got = store.get(task->id());
  CHECK((*got)["status"] == "failed");
  CHECK((*got)["error"]["code"] == -32603);
  CHECK_FALSE(got->contains("result"));
}

TEST_CASE("ask waits in input_required until tasks/update answers every key") {
  FakeClock clock;
  TaskStore store(options_with(clock));
  auto task = store.create();
  auto asked = std::async(std::launch::async, [&] {
    return store.ask(*task, {elicit("first"), elicit("second")});
  });
  REQUIRE(eventually([&] { return (*store.get(task->id()))["status"] == "input_required"; }));
  auto got = *store.get(task->id());
  CHECK(got["inputRequests"].size() == 2);
  CHECK(got["inputRequests"]["first"]["method"] == "elicitation/create");

  // Unknown keys and non-object answers are ignored; a subset is taken.
  CHECK(store.update(task->id(), {{"unknown-key", {{"ignored", true}}}, {"second", 12345}}) ==
        TaskStore::Update::accepted);
  CHECK(store.update(task->id(), {{"first", accepted}}) == TaskStore::Update::accepted);
  got = *store.get(task->id());
  CHECK(got["status"] == "input_required");
  CHECK(got["inputRequests"].size() == 1);
  CHECK(got["inputRequests"].contains("second"));
  CHECK(asked.wait_for(50ms) == std::future_status::timeout);  // still waiting on "second"

  CHECK(store.update(task->id(), {{"second", accepted}}) == TaskStore::Update::accepted);
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  const auto answers = asked.get();
  CHECK(answers.at("first") == accepted);
  CHECK(answers.at("second") == accepted);
  CHECK((*store.get(task->id()))["status"] == "working");
  // A key names one answer for the task's life: asked again, it comes back without a wait.
  CHECK(store.ask(*task, {elicit("first")}).at("first") == accepted);
  // Answers given before the task (multi round-trip) count as given.
  store.preset_answers(*task, {{"before", accepted}});
  CHECK(store.ask(*task, {elicit("before")}).at("before") == accepted);
}

TEST_CASE("cancel ends the task at once, fires its Cancellation and wakes a waiting ask") {
  FakeClock clock;
  TaskStore store(options_with(clock));
  auto task = store.create();
  std::atomic<bool> hook_ran{false};
  auto hook = task->cancellation().on_cancel([&] { hook_ran = true; });
  auto asked = std::async(std::launch::async, [&] {
    try {
      (void)store.ask(*task, {elicit("confirm")});
      return std::string("answered");
    } catch (const tools::ClientRequestError& e) {
      return std::string(e.what());
    }
  });
  REQUIRE(eventually([&] { return (*store.get(task->id()))["status"] == "input_required"; }));
  CHECK(store.cancel(task->id()));
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  CHECK(asked.get() == "the task was cancelled");
  CHECK(hook_ran);
  CHECK(task->cancellation().cancelled());
  const auto got = *store.get(task->id());
  CHECK(got["status"] == "cancelled");
  CHECK_FALSE(got.contains("inputRequests"));
  // Idempotent, and a late result does not undo it.
  CHECK(store.cancel(task->id()));
  store.complete(*task, {{"content", json::array()}});
  CHECK((*store.get(task->id()))["status"] == "cancelled");
  CHECK_FALSE(store.cancel("no-such-task"));
  CHECK(store.update("no-such-task", json::object()) == TaskStore::Update::unknown_task);
}

TEST_CASE("an ask with no answer gives up after the ttl") {
  TaskStore store(TaskStoreOptions{.max_tasks = 4, .max_result_bytes = 200, .ttl = 100ms,
                                   .poll_interval = 100ms, .clock = nullptr, .share = nullptr});
  auto task = store.create();
  CHECK_THROWS_AS((void)store.ask(*task, {elicit("never")}), tools::ClientRequestError);
  const auto got = *store.get(task->id());
  CHECK(got["status"] == "working");
  CHECK_FALSE(got.contains("inputRequests"));
}

TEST_CASE("answers past max_result_bytes are refused, and nothing of them is taken") {
  FakeClock clock;
  TaskStore store(options_with(clock, 8, 200));
  auto task = store.create();
  auto asked = std::async(std::launch::async, [&] {
    try {
      return store.ask(*task, {elicit("big")}).size();
    } catch (const tools::ClientRequestError&) {
      return std::size_t{0};
    }
  });
  REQUIRE(eventually([&] { return (*store.get(task->id()))["status"] == "input_required"; }));
  CHECK(store.update(task->id(), {{"big", {{"text", std::string(500, 'x')}}}}) ==
        TaskStore::Update::too_large);
  CHECK((*store.get(task->id()))["inputRequests"].contains("big"));
  CHECK(store.cancel(task->id()));
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  CHECK(asked.get() == 0);
}

TEST_CASE("cancel_all cancels every running task and leaves finished ones as they are") {
  FakeClock clock;
  TaskStore store(options_with(clock));
  auto running = store.create();
  auto done = store.create();
  store.complete(*done, {{"content", json::array()}});
  store.cancel_all("shutting down");
  CHECK((*store.get(running->id()))["status"] == "cancelled");
  CHECK((*store.get(running->id()))["statusMessage"] == "shutting down");
  CHECK(running->cancellation().cancelled());
  CHECK((*store.get(done->id()))["status"] == "completed");
}
