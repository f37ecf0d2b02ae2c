#include "mcpgate/protocol/task_store.hpp"

#include "mcpgate/util/secure_random.hpp"

#include <ctime>

namespace mcpgate::protocol {

using json = nlohmann::json;

namespace {

constexpr int internal_error = -32603;

json error_object(int code, std::string message) {
  return json{{"code", code}, {"message", std::move(message)}};
}

}  // namespace

std::string_view to_string(TaskStatus status) noexcept {
  switch (status) {
    case TaskStatus::working:
      return "working";
    case TaskStatus::input_required:
      return "input_required";
    case TaskStatus::completed:
      return "completed";
    case TaskStatus::failed:
      return "failed";
    case TaskStatus::cancelled:
      return "cancelled";
  }
  return "working";
}

bool is_terminal(TaskStatus status) noexcept {
  return status == TaskStatus::completed || status == TaskStatus::failed ||
         status == TaskStatus::cancelled;
}

std::string iso8601(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const auto n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms.count() % 1000));
  return std::string(buffer, n) + millis;
}

TaskStore::TaskStore(TaskStoreOptions options) : options_(std::move(options)) {}

TaskStore::Clock::time_point TaskStore::now() const {
  return options_.clock ? options_.clock() : Clock::now();
}

void TaskStore::sweep_locked() {
  const auto at = now();
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    if (it->second->expires_ && *it->second->expires_ <= at)
      it = tasks_.erase(it);
    else
      ++it;
  }
}

std::shared_ptr<Task> TaskStore::create(std::string subject) {
  auto task = std::make_shared<Task>(util::random_id(), std::move(subject));
  task->created_ = task->updated_ = std::chrono::system_clock::now();
  std::optional<Snapshot> snapshot;
  {
    const std::lock_guard lock(mutex_);
    sweep_locked();
    if (tasks_.size() >= options_.max_tasks) return nullptr;
    tasks_.emplace(task->id(), task);
    snapshot = snapshot_locked(*task);
  }
  // Before the client has the id: a poll that lands on another instance finds the task.
  publish(snapshot);
  return task;
}

std::optional<TaskStore::Snapshot> TaskStore::snapshot_locked(Task& task) {
  if (!options_.share) return std::nullopt;
  // A task that has not ended is kept twice its ttl after its last change: long enough for a
  // handler waiting for input (ask() waits one ttl), short enough that the state of a task
  // whose instance died does not stay for ever.
  const auto keep_for = is_terminal(task.status_) ? options_.ttl : 2 * options_.ttl;
  return Snapshot{.id = task.id(),
                  .subject = task.subject_,
                  .version = ++task.version_,
                  .detail = detail_locked(task),
                  .keep_for = keep_for};
}

void TaskStore::publish(const std::optional<Snapshot>& snapshot) {
  if (snapshot)
    options_.share->publish(snapshot->id, snapshot->subject, snapshot->version, snapshot->detail,
                            snapshot->keep_for);
}

std::shared_ptr<Task> TaskStore::held_locked(const std::string& id, const std::string& subject) {
  sweep_locked();
  const auto it = tasks_.find(id);
  if (it == tasks_.end() || it->second->subject_ != subject) return nullptr;
  return it->second;
}

void TaskStore::discard(const std::string& id) {
  const std::lock_guard lock(mutex_);
  tasks_.erase(id);
}

json TaskStore::describe_locked(const Task& task) const {
  json out{{"taskId", task.id()},
           {"status", to_string(task.status_)},
           {"createdAt", iso8601(task.created_)},
           {"lastUpdatedAt", iso8601(task.updated_)},
           {"ttlMs", options_.ttl.count()},
           {"pollIntervalMs", options_.poll_interval.count()}};
  if (!task.status_message_.empty()) out["statusMessage"] = task.status_message_;
  return out;
}

json TaskStore::created_result(const Task& task) const {
  json out;
  {
    const std::lock_guard lock(mutex_);
    out = describe_locked(task);
  }
  out["resultType"] = "task";
  return out;
}

std::optional<json> TaskStore::get(const std::string& id, const std::string& subject) {
  {
    const std::lock_guard lock(mutex_);
    if (const auto task = held_locked(id, subject)) return detail_locked(*task);
  }
  if (options_.share) return options_.share->find(id, subject);
  return std::nullopt;
}

json TaskStore::detail_locked(const Task& task) const {
  json out = describe_locked(task);
  switch (task.status_) {
    case TaskStatus::input_required: {
      json requests = json::object();
      for (const auto& [key, request] : task.pending_) requests[key] = request;
      out["inputRequests"] = std::move(requests);
      break;
    }
    case TaskStatus::completed:
      out["result"] = json::parse(task.outcome_);
      break;
    case TaskStatus::failed:
      out["error"] = json::parse(task.outcome_);
      break;
    case TaskStatus::working:
    case TaskStatus::cancelled:
      break;
  }
  return out;
}

TaskStore::Update TaskStore::update(const std::string& id, const json& input_responses,
                                    const std::string& subject) {
  std::optional<Snapshot> snapshot;
  Update outcome = Update::unknown_task;
  {
    const std::lock_guard lock(mutex_);
    if (const auto task = held_locked(id, subject)) {
      bool changed = false;
      outcome = update_locked(*task, input_responses, changed);
      if (changed) snapshot = snapshot_locked(*task);
    }
  }
  publish(snapshot);
  if (outcome != Update::unknown_task || !options_.share) return outcome;
  // Perhaps another instance's: checked against its published state, then handed over.
  const auto detail = options_.share->find(id, subject);
  if (!detail) return Update::unknown_task;
  if (input_responses.is_object() && input_responses.dump().size() > options_.max_result_bytes)
    return Update::too_large;
  if (detail->value("status", std::string()) == to_string(TaskStatus::input_required) &&
      !options_.share->forward_update(id, input_responses))
    return Update::not_handed_over;
  return Update::accepted;
}

bool TaskStore::update_here(const std::string& id, const json& input_responses) {
  std::optional<Snapshot> snapshot;
  {
    const std::lock_guard lock(mutex_);
    sweep_locked();
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) return false;
    bool changed = false;
    (void)update_locked(*it->second, input_responses, changed);
    if (changed) snapshot = snapshot_locked(*it->second);
  }
  publish(snapshot);
  return true;
}

TaskStore::Update TaskStore::update_locked(Task& task, const json& input_responses, bool& changed) {
  changed = false;
  if (!input_responses.is_object() || task.pending_.empty()) return Update::accepted;
  std::size_t bytes = task.answer_bytes_;
  std::map<std::string, json> taken;
  for (const auto& [key, answer] : input_responses.items()) {
    if (!answer.is_object() || !task.pending_.contains(key)) continue;
    bytes += key.size() + answer.dump().size();
    if (bytes > options_.max_result_bytes) return Update::too_large;
    taken.emplace(key, answer);
  }
  if (taken.empty()) return Update::accepted;
  task.answer_bytes_ = bytes;
  for (auto& [key, answer] : taken) {
    task.pending_.erase(key);
    task.answers_.insert_or_assign(key, std::move(answer));
  }
  task.updated_ = std::chrono::system_clock::now();
  if (task.pending_.empty()) {
    task.status_ = TaskStatus::working;
    task.changed_.notify_all();
  }
  changed = true;
  return Update::accepted;
}

void TaskStore::finish_locked(Task& task, TaskStatus status, std::string outcome,
                              std::string message) {
  task.status_ = status;
  task.outcome_ = std::move(outcome);
  if (!message.empty()) task.status_message_ = std::move(message);
  task.pending_.clear();
  task.answers_.clear();
  task.answer_bytes_ = 0;
  task.updated_ = std::chrono::system_clock::now();
  task.expires_ = now() + options_.ttl;
  task.changed_.notify_all();
}

bool TaskStore::cancel(const std::string& id, const std::string& subject) {
  std::shared_ptr<Task> task;
  {
    const std::lock_guard lock(mutex_);
    task = held_locked(id, subject);
  }
  if (task) return cancel_held(task);
  if (!options_.share) return false;
  const auto detail = options_.share->find(id, subject);
  if (!detail) return false;
  // Nothing left to stop once it has ended (idempotent, as here).
  const auto status = detail->value("status", std::string());
  if ((status == to_string(TaskStatus::working) ||
       status == to_string(TaskStatus::input_required)) &&
      !options_.share->forward_cancel(id))
    throw TaskHandOverFailed("the cancellation of task " + id +
                             " could not be handed to the instance running it");
  return true;
}

bool TaskStore::cancel_here(const std::string& id) {
  std::shared_ptr<Task> task;
  {
    const std::lock_guard lock(mutex_);
    sweep_locked();
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) return false;
    task = it->second;
  }
  return cancel_held(task);
}

bool TaskStore::cancel_held(const std::shared_ptr<Task>& task) {
  std::optional<Snapshot> snapshot;
  {
    const std::lock_guard lock(mutex_);
    if (is_terminal(task->status_)) return true;  // idempotent: nothing left to stop
    finish_locked(*task, TaskStatus::cancelled, {}, "Cancelled by the client");
    snapshot = snapshot_locked(*task);
  }
  publish(snapshot);
  task->cancellation().cancel();  // outside the lock: its hooks may take a while
  return true;
}

void TaskStore::cancel_all(std::string_view reason) {
  std::vector<std::shared_ptr<Task>> running;
  std::vector<std::optional<Snapshot>> snapshots;
  {
    const std::lock_guard lock(mutex_);
    for (auto& [id, task] : tasks_) {
      if (is_terminal(task->status_)) continue;
      finish_locked(*task, TaskStatus::cancelled, {}, std::string(reason));
      snapshots.push_back(snapshot_locked(*task));
      running.push_back(task);
    }
  }
  for (auto& task : running) task->cancellation().cancel();
  // The other instances see the end too, rather than a task working until its state expires.
  for (const auto& snapshot : snapshots) publish(snapshot);
}

std::size_t TaskStore::size() {
  const std::lock_guard lock(mutex_);
  sweep_locked();
  return tasks_.size();
}

tools::InputAnswers TaskStore::ask(Task& task, const std::vector<tools::InputRequest>& requests) {
  std::unique_lock lock(mutex_);
  tools::InputAnswers answers;
  for (const auto& request : requests) {
    if (auto it = task.answers_.find(request.key); it != task.answers_.end()) {
      answers[request.key] = it->second;
      continue;
    }
    task.pending_.insert_or_assign(request.key,
                                   json{{"method", request.method}, {"params", request.params}});
  }
  if (task.pending_.empty()) return answers;
  if (!is_terminal(task.status_)) {
    task.status_ = TaskStatus::input_required;
    task.updated_ = std::chrono::system_clock::now();
    if (auto snapshot = snapshot_locked(task)) {
      // The answers may come through another instance: it must see what is asked first.
      lock.unlock();
      publish(snapshot);
      lock.lock();
    }
  }
  // Bounded like the task: a client that stops polling leaves no thread waiting for ever.
  const auto deadline = now() + options_.ttl;
  const auto waited = [&] { return is_terminal(task.status_) || task.pending_.empty(); };
  while (!waited()) {
    const auto left = deadline - now();
    if (left <= Clock::duration::zero()) break;
    task.changed_.wait_for(lock, left, waited);
  }
  if (is_terminal(task.status_)) throw tools::ClientRequestError("the task was cancelled");
  if (!task.pending_.empty()) {
    task.pending_.clear();
    task.status_ = TaskStatus::working;
    task.updated_ = std::chrono::system_clock::now();
    throw tools::ClientRequestError("the client did not answer within the task's ttl");
  }
  for (const auto& request : requests) answers[request.key] = task.answers_.at(request.key);
  return answers;
}

void TaskStore::preset_answers(Task& task, const tools::InputAnswers& answers) {
  const std::lock_guard lock(mutex_);
  for (const auto& [key, answer] : answers) task.answers_.insert_or_assign(key, answer);
}

void TaskStore::set_status_message(Task& task, std::string message) {
  std::optional<Snapshot> snapshot;
  {
    const std::lock_guard lock(mutex_);
    if (is_terminal(task.status_)) return;
    task.status_message_ = std::move(message);
    task.updated_ = std::chrono::system_clock::now();
    snapshot = snapshot_locked(task);
  }
  publish(snapshot);
}

void TaskStore::complete(Task& task, const json& result) {
  std::string text = result.dump();
  std::optional<Snapshot> snapshot;
  {
    const std::lock_guard lock(mutex_);
    if (is_terminal(task.status_)) return;
    if (text.size() > options_.max_result_bytes) {
      const std::string why = "the tool's result of " + std::to_string(text.size()) +
                              " bytes is larger than a task may keep (" +
                              std::to_string(options_.max_result_bytes) +
                              " bytes, --max-task-result-bytes)";
      finish_locked(task, TaskStatus::failed,
                    error_object(internal_error, "Internal error: " + why).dump(), why);
    } else {
      finish_locked(task, TaskStatus::completed, std::move(text), {});
    }
    snapshot = snapshot_locked(task);
  }
  publish(snapshot);
}

void TaskStore::fail(Task& task, const json& error) {
  std::string text = error.dump();
  std::optional<Snapshot> snapshot;
  {
    const std::lock_guard lock(mutex_);
    if (is_terminal(task.status_)) return;
    if (text.size() > options_.max_result_bytes)
      text = error_object(error.value("code", internal_error), "the error was too large to keep").dump();
    finish_locked(task, TaskStatus::failed, std::move(text), error.value("message", std::string()));
    snapshot = snapshot_locked(task);
  }
  publish(snapshot);
}

}  // namespace mcpgate::protocol
