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

std::shared_ptr<Task> TaskStore::create() {
  auto task = std::make_shared<Task>(util::random_id());
  task->created_ = task->updated_ = std::chrono::system_clock::now();
  const std::lock_guard lock(mutex_);
  sweep_locked();
  if (tasks_.size() >= options_.max_tasks) return nullptr;
  tasks_.emplace(task->id(), task);
  return task;
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

std::optional<json> TaskStore::get(const std::string& id) {
  const std::lock_guard lock(mutex_);
  sweep_locked();
  const auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  const Task& task = *it->second;
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

TaskStore::Update TaskStore::update(const std::string& id, const json& input_responses) {
  const std::lock_guard lock(mutex_);
  sweep_locked();
  const auto it = tasks_.find(id);
  if (it == tasks_.end()) return Update::unknown_task;
  Task& task = *it->second;
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

bool TaskStore::cancel(const std::string& id) {
  std::shared_ptr<Task> task;
  {
    const std::lock_guard lock(mutex_);
    sweep_locked();
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) return false;
    task = it->second;
    if (is_terminal(task->status_)) return true;  // idempotent: nothing left to stop
    finish_locked(*task, TaskStatus::cancelled, {}, "Cancelled by the client");
  }
  task->cancellation().cancel();  // outside the lock: its hooks may take a while
  return true;
}

void TaskStore::cancel_all(std::string_view reason) {
  std::vector<std::shared_ptr<Task>> running;
  {
    const std::lock_guard lock(mutex_);
    for (auto& [id, task] : tasks_) {
      if (is_terminal(task->status_)) continue;
      finish_locked(*task, TaskStatus::cancelled, {}, std::string(reason));
      running.push_back(task);
    }
  }
  for (auto& task : running) task->cancellation().cancel();
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
  const std::lock_guard lock(mutex_);
  if (is_terminal(task.status_)) return;
  task.status_message_ = std::move(message);
  task.updated_ = std::chrono::system_clock::now();
}

void TaskStore::complete(Task& task, const json& result) {
  std::string text = result.dump();
  const std::lock_guard lock(mutex_);
  if (is_terminal(task.status_)) return;
  if (text.size() > options_.max_result_bytes) {
    const std::string why = "the tool's result of " + std::to_string(text.size()) +
                            " bytes is larger than a task may keep (" +
                            std::to_string(options_.max_result_bytes) +
                            " bytes, --max-task-result-bytes)";
    finish_locked(task, TaskStatus::failed, error_object(internal_error, "Internal error: " + why).dump(),
                  why);
    return;
  }
  finish_locked(task, TaskStatus::completed, std::move(text), {});
}

void TaskStore::fail(Task& task, const json& error) {
  std::string text = error.dump();
  const std::lock_guard lock(mutex_);
  if (is_terminal(task.status_)) return;
  if (text.size() > options_.max_result_bytes)
    text = error_object(error.value("code", internal_error), "the error was too large to keep").dump();
  finish_locked(task, TaskStatus::failed, std::move(text), error.value("message", std::string()));
}

}  // namespace mcpgate::protocol
