// The tasks of the tasks extension (io.modelcontextprotocol/tasks, SEP-2663) that this instance
// runs or still keeps: a tools/call answered with a task handle goes on running, and the client
// polls tasks/get for its status, answers its input requests with tasks/update, or cancels it
// with tasks/cancel. The store keeps each task's state and hands it between the thread that runs
// the tool and the requests that look at it; it runs nothing itself.
//
// Budgets: at most `max_tasks` tasks held at once (running or finished), a finished task's
// result at most `max_result_bytes` (as compact JSON text: a parsed tree takes up to 20 times its
// text), a finished task kept `ttl` after it finished and then dropped (so at least ttl after it
// was created, as its ttlMs promises), and a handler that waits for input waits at most `ttl`.
// Task ids are 128 random bits: the id is all that lets a client see a task (there is no
// tasks/list), so it must not be guessable.
//
// A task runs in the instance that created it. With a TaskShare (the composition gives one when
// the instances share a store), each change of a task is written where the other instances see
// it, and a tasks/get, tasks/update or tasks/cancel that lands on another instance than the
// task's (a round-robin proxy, no affinity) is served there: get from the shared state,
// update and cancel handed to the task's instance. A task belongs to the subject that created it
// (the OAuth token's `sub`; "" without OAuth): for anyone else its id is unknown.
#pragma once

#include "mcpgate/tools/tool.hpp"
#include "mcpgate/util/cancellation.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mcpgate::protocol {

inline constexpr const char* tasks_extension = "io.modelcontextprotocol/tasks";

enum class TaskStatus { working, input_required, completed, failed, cancelled };
[[nodiscard]] std::string_view to_string(TaskStatus status) noexcept;
[[nodiscard]] bool is_terminal(TaskStatus status) noexcept;

// The other instances' view of this one's tasks, and the way to theirs (server/shared_tasks.hpp
// implements it over the store and the peer events). Calls never throw; a store that fails is
// logged and the task is then seen only where it runs.
class TaskShare {
 public:
  virtual ~TaskShare() = default;
  // A task's state changed: `detail` is what tasks/get shows; `version` increases with each
  // change of one task, and a lower one never replaces a higher one; the state is kept
  // `keep_for` from now.
  virtual void publish(const std::string& id, const std::string& subject, std::uint64_t version,
                       const nlohmann::json& detail, std::chrono::milliseconds keep_for) = 0;
  // Another instance's task as it last published it, when it belongs to `subject`.
  [[nodiscard]] virtual std::optional<nlohmann::json> find(const std::string& id,
                                                           const std::string& subject) = 0;
  // Hand the client's answers, or its cancellation, to the instance running the task; false
  // when they could not be sent (too large for the way between instances, over its rate, the
  // store failed), which the client is then told.
  virtual bool forward_update(const std::string& id, const nlohmann::json& input_responses) = 0;
  virtual bool forward_cancel(const std::string& id) = 0;
};

struct TaskStoreOptions {
  std::size_t max_tasks = 256;                // --max-tasks
  std::size_t max_result_bytes = 1024 * 1024;  // --max-task-result-bytes
  std::chrono::milliseconds ttl{300000};       // --task-ttl
  std::chrono::milliseconds poll_interval{1000};
  // The clock expiry and input waits follow; steady_clock::now when null (tests move time).
  std::function<std::chrono::steady_clock::time_point()> clock;
  // Where the other instances on the store see this one's tasks; null: tasks are seen only here.
  std::shared_ptr<TaskShare> share;
};

// One task. Its state is guarded by its store; the thread that runs it holds it through a
// shared_ptr, so a task dropped from the store while its handler still runs stays valid.
class Task {
 public:
  Task(std::string id, std::string subject) : id_(std::move(id)), subject_(std::move(subject)) {}
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  // Fires on tasks/cancel and at shutdown: the handler's cancelled() turns true and its backend
  // calls end (run it under a util::CancellationScope of this).
  [[nodiscard]] util::Cancellation& cancellation() noexcept { return cancellation_; }

 private:
  friend class TaskStore;
  using SystemTime = std::chrono::system_clock::time_point;

  const std::string id_;
  const std::string subject_;
  util::Cancellation cancellation_;
  // Guarded by the store's mutex:
  TaskStatus status_ = TaskStatus::working;
  std::string status_message_;
  SystemTime created_{};
  SystemTime updated_{};
  std::string outcome_;                     // compact JSON: the result, or the error
  std::map<std::string, nlohmann::json> pending_;  // inputRequests waiting: key -> {method, params}
  std::map<std::string, nlohmann::json> answers_;  // every answer given, by key
  std::size_t answer_bytes_ = 0;
  std::optional<std::chrono::steady_clock::time_point> expires_;  // set once terminal
  std::uint64_t version_ = 0;  // counts the changes the TaskShare is told of
  std::condition_variable changed_;  // an answer came, or the task ended
};

// A request for another instance's task could not be handed to it.
class TaskHandOverFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TaskStore {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TaskStore(TaskStoreOptions options);
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  [[nodiscard]] const TaskStoreOptions& options() const noexcept { return options_; }

  // --- the requests (tasks/get, tasks/update, tasks/cancel) ---

  // A new task of `subject`, working, held from now on (a tasks/get finds it at once, here and,
  // with a TaskShare, on the other instances); null when max_tasks are held already.
  [[nodiscard]] std::shared_ptr<Task> create(std::string subject = {});
  // Forget a task that never ran (its thread could not be had).
  void discard(const std::string& id);
  // The CreateTaskResult for a task just created: resultType "task" and the Task fields.
  [[nodiscard]] nlohmann::json created_result(const Task& task) const;
  // The task as tasks/get shows it (a DetailedTask: with inputRequests, result or error as its
  // status has them); nullopt for an unknown (or expired) id, or another subject's task. A task
  // of another instance is shown as it last published it.
  [[nodiscard]] std::optional<nlohmann::json> get(const std::string& id,
                                                  const std::string& subject = {});

  enum class Update { accepted, unknown_task, too_large, not_handed_over };
  // Answers to the task's input requests: those for keys it waits on are taken (values that are
  // not objects are no answers), others ignored; a subset is fine. too_large when the answers
  // would hold more than max_result_bytes for the task. Another instance's task gets them
  // through the TaskShare (accepted: handed over; not_handed_over: they could not be sent).
  [[nodiscard]] Update update(const std::string& id, const nlohmann::json& input_responses,
                              const std::string& subject = {});
  // Cancel the task unless it has ended already: it turns cancelled at once, its handler's
  // Cancellation fires and an ask() it waits in returns. False for an unknown id. Another
  // instance's task is cancelled there, through the TaskShare (throws TaskHandOverFailed when
  // the cancellation could not be sent).
  bool cancel(const std::string& id, const std::string& subject = {});
  // What another instance handed over (TaskShare::forward_*): applied to a task held here,
  // whoever's it is (the instance that took the request checked the subject); false when no
  // such task is held here.
  bool update_here(const std::string& id, const nlohmann::json& input_responses);
  bool cancel_here(const std::string& id);
  // Cancel every task (shutdown).
  void cancel_all(std::string_view reason);
  [[nodiscard]] std::size_t size();

  // --- the thread that runs the task ---

  // Wait for the client's answers to `requests`: the task is input_required with the ones not
  // answered yet until tasks/update brings them all. A key names one answer for the task's
  // life: asked again, its earlier answer comes back at once. Throws tools::ClientRequestError
  // when the task is cancelled or no answer comes within the ttl.
  [[nodiscard]] tools::InputAnswers ask(Task& task, const std::vector<tools::InputRequest>& requests);
  // Answers that came before the task existed (multi round-trip requests on tools/call).
  void preset_answers(Task& task, const tools::InputAnswers& answers);
  void set_status_message(Task& task, std::string message);
  // The task ended with `result` (a CallToolResult), or `error` (a JSON-RPC error object:
  // code, message, data). Ignored once the task has ended (it was cancelled). A result over
  // max_result_bytes fails the task with -32603 instead.
  void complete(Task& task, const nlohmann::json& result);
  void fail(Task& task, const nlohmann::json& error);

 private:
  [[nodiscard]] Clock::time_point now() const;
  void sweep_locked();
  void finish_locked(Task& task, TaskStatus status, std::string outcome, std::string message);
  [[nodiscard]] nlohmann::json describe_locked(const Task& task) const;
  [[nodiscard]] nlohmann::json detail_locked(const Task& task) const;
  // Find a task held here for a request of `subject`: null when unknown or another's.
  [[nodiscard]] std::shared_ptr<Task> held_locked(const std::string& id, const std::string& subject);
  [[nodiscard]] Update update_locked(Task& task, const nlohmann::json& input_responses,
                                     bool& changed);
  bool cancel_held(const std::shared_ptr<Task>& task);

  // What to tell the TaskShare of a change, taken under the lock and published after it.
  struct Snapshot {
    std::string id;
    std::string subject;
    std::uint64_t version = 0;
    nlohmann::json detail;
    std::chrono::milliseconds keep_for{0};
  };
  [[nodiscard]] std::optional<Snapshot> snapshot_locked(Task& task);
  void publish(const std::optional<Snapshot>& snapshot);

  const TaskStoreOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Task>> tasks_;
};

// ISO 8601 in UTC with milliseconds: 2026-12-06T10:45:32.123Z.
[[nodiscard]] std::string iso8601(std::chrono::system_clock::time_point time);

}  // namespace mcpgate::protocol
