// The tasks extension (io.modelcontextprotocol/tasks, SEP-2663): a tools/call started as a task,
// what its handler sees while it runs on a task thread (TaskScope), and tasks/get, tasks/update
// and tasks/cancel.
#include "input_rounds.hpp"
#include "method_handlers.hpp"

#include "mcpgate/logging.hpp"
#include "mcpgate/protocol/client_state.hpp"
#include "mcpgate/protocol/dispatch_observer.hpp"
#include "mcpgate/protocol/task_store.hpp"
#include "mcpgate/protocol/versions.hpp"
#include "mcpgate/shared_context.hpp"
#include "mcpgate/util/text.hpp"
#include "mcpgate/util/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace mcpgate::protocol::handlers {

using json = nlohmann::json;
using jsonrpc::Error;
namespace code = jsonrpc::code;

namespace {

json extension_required_data() {
  return json{{"requiredCapabilities", {{"extensions", {{tasks_extension, json::object()}}}}}};
}

// What a tool handler sees while it runs as a task: no stream to the client, so its input
// requests wait in the task (input_required) for tasks/update, its progress messages become the
// task's statusMessage, and its logs go nowhere (notifications/tasks are not sent).
class TaskScope final : public tools::ToolContext {
 public:
  TaskScope(std::shared_ptr<TaskStore> store, std::shared_ptr<Task> task, json capabilities)
      : store_(std::move(store)), task_(std::move(task)), capabilities_(std::move(capabilities)) {}

  bool cancelled() const override { return task_->cancellation().cancelled(); }

  void progress(double, std::optional<double>, std::string_view message) override {
    if (!message.empty()) store_->set_status_message(*task_, std::string(message));
  }

  void log(tools::LogLevel, json, std::string_view) override {}

  bool client_supports(std::string_view capability) const override {
    const auto it = capabilities_.find(std::string(capability));
    return it != capabilities_.end() && !it->is_null() && *it != false;
  }

  json request_client(std::string_view method, json params, std::chrono::milliseconds) override {
    // A key of its own for every request: keys are never reused over a task's life.
    const std::string key = "request-" + std::to_string(++requests_);
    return ask({tools::InputRequest{.key = key, .method = std::string(method),
                                    .params = std::move(params)}})
        .at(key);
  }

  tools::InputAnswers ask(const std::vector<tools::InputRequest>& requests) override {
    for (const auto& request : requests) {
      const auto capability = capability_for(request.method);
      if (!capability.empty() && !client_supports(capability))
        throw tools::MissingClientCapability(std::string(capability));
    }
    return store_->ask(*task_, requests);
  }

  void drop_connection() override {}
  const std::string& session_id() const override { return task_->id(); }
  const std::string& protocol_version() const override { return version_; }

 private:
  std::shared_ptr<TaskStore> store_;
  std::shared_ptr<Task> task_;
  json capabilities_;
  std::string version_{modern_version};
  std::atomic<unsigned> requests_{0};
};

// Run the tool's handler to the task's end, on a task thread.
void run_task(const std::shared_ptr<TaskStore>& store, const std::shared_ptr<Task>& task,
              const std::shared_ptr<const SharedContext>& context, const std::string& name,
              const json& arguments, const json& capabilities,
              const std::shared_ptr<DispatchObserver>& observer) {
  const LogScope log_scope(task->id());
  const util::CancellationScope cancellation_scope(&task->cancellation());
  const auto started = std::chrono::steady_clock::now();
  auto observe = [&](std::string_view outcome) {
    if (observer)
      observer->tool_call_finished(name, outcome, std::chrono::steady_clock::now() - started);
  };
  const auto lists = context->lists->current();  // held while the tool runs
  const auto* entry = lists->tools.find(name);
  if (entry == nullptr) {  // taken off the list since the call was accepted
    store->fail(*task, {{"code", code::invalid_params},
                        {"message", "Tool " + name + " is no longer offered"}});
    return;
  }
  TaskScope scope(store, task, capabilities);
  try {
    tools::ToolResult result = entry->tool.handler(arguments, scope);
    if (entry->tool.output_schema && !result.is_error && !result.structured) {
      observe("exception");
      store->fail(*task, {{"code", code::internal_error},
                          {"message", "Internal error: tool " + name +
                                          " returned no structured content"}});
      return;
    }
    observe(result.is_error ? "error" : "ok");
    json out = std::move(result).to_json();
    out["resultType"] = "complete";  // a whole CallToolResult, as the request would have had it
    store->complete(*task, out);
  } catch (const Error& e) {
    // A JSON-RPC error is the one way a task fails; a failing tool completes with isError.
    observe("exception");
    json error{{"code", e.code()}, {"message", e.what()}};
    if (!e.data().is_null()) error["data"] = e.data();
    store->fail(*task, error);
  } catch (const tools::MissingClientCapability& e) {
    observe("missing_capability");
    store->fail(*task, {{"code", code::missing_client_capability},
                        {"message", "Missing required client capability: tool " + name +
                                        " needs '" + e.capability() +
                                        "', which the request's clientCapabilities do not declare"},
                        {"data", {{"requiredCapabilities", {{e.capability(), json::object()}}}}}});
  } catch (const std::exception& e) {
    observe(scope.cancelled() ? "cancelled" : "exception");
    if (!scope.cancelled()) spdlog::warn("task {}: tool {} failed: {}", task->id(), name, e.what());
    store->complete(*task, [&] {
      json out = tools::ToolResult::error("Tool " + name + " failed: " + e.what()).to_json();
      out["resultType"] = "complete";
      return out;
    }());
  }
}

TaskStore& store_of(const MethodCall& call) {
  // Without a store there are no tasks: every id is unknown.
  if (!call.options.tasks)
    throw Error(code::invalid_params, "Invalid params: no such task (tasks are not enabled)");
  return *call.options.tasks;
}

std::string task_id(const MethodCall& call) { return required_string(call.params(), "taskId"); }

[[noreturn]] void unknown_task(const std::string& id) {
  throw Error(code::invalid_params,
              "Invalid params: no task '" + util::printable(id) + "' (unknown, or expired)");
}

}  // namespace

bool runs_as_task(const MethodCall& call, const tools::Tool& tool) {
  if (tool.task_support == tools::TaskSupport::never) return false;
  // The extension exists on the modern era only; a session runs the tool in the request.
  if (!is_modern(call.client.protocol_version())) return false;
  if (call.client.declares_extension(tasks_extension) && call.options.tasks &&
      call.options.task_threads)
    return true;
  if (tool.task_support == tools::TaskSupport::optional) return false;
  throw Error(code::missing_client_capability,
              "Missing required client capability: tool " + tool.name +
                  " runs only as a task, and the request's clientCapabilities do not declare "
                  "the extension " + tasks_extension,
              extension_required_data());
}

std::optional<json> start_task(MethodCall& call, const tools::Tool& tool, json arguments,
                               tools::InputAnswers answers) {
  const auto& store = call.options.tasks;
  auto refuse = [&]() -> std::optional<json> {
    if (tool.task_support == tools::TaskSupport::optional) return std::nullopt;
    throw Error(code::too_many_requests,
                "Too many tasks: " + std::to_string(store->options().max_tasks) +
                    " are held already (--max-tasks); try again later");
  };
  auto task = store->create(call.client.access().subject);
  if (!task) return refuse();
  if (!answers.empty()) store->preset_answers(*task, answers);
  const bool submitted = call.options.task_threads->try_submit(
      [store, task, context = call.client.shared_context(), name = tool.name,
       arguments = std::move(arguments), capabilities = call.client.client_capabilities(),
       observer = call.options.observer] {
        run_task(store, task, context, name, arguments, capabilities, observer);
      });
  if (!submitted) {
    store->discard(task->id());
    return refuse();
  }
  spdlog::debug("tool {} runs as task {}", tool.name, task->id());
  return store->created_result(*task);
}

json get_task(MethodCall& call) {
  const auto id = task_id(call);
  auto task = store_of(call).get(id, call.client.access().subject);
  if (!task) unknown_task(id);
  return std::move(*task);
}

json update_task(MethodCall& call) {
  const auto id = task_id(call);
  const auto responses = call.params().find("inputResponses");
  if (responses == call.params().end() || !responses->is_object())
    throw Error(code::invalid_params, "Invalid params: inputResponses must be an object");
  switch (store_of(call).update(id, *responses, call.client.access().subject)) {
    case TaskStore::Update::accepted:
      break;
    case TaskStore::Update::unknown_task:
      unknown_task(id);
    case TaskStore::Update::too_large:
      throw Error(code::invalid_params,
                  "Invalid params: the answers are larger than a task may keep (" +
                      std::to_string(store_of(call).options().max_result_bytes) +
                      " bytes, --max-task-result-bytes)");
    case TaskStore::Update::not_handed_over:
      throw Error(code::internal_error,
                  "Internal error: task '" + util::printable(id) +
                      "' runs on another instance, and the answers could not be handed to it "
                      "(too large to pass between instances, or too many at once); nothing was "
                      "taken: send them again, smaller or later");
  }
  return json::object();  // an empty acknowledgement
}

json cancel_task(MethodCall& call) {
  const auto id = task_id(call);
  try {
    if (!store_of(call).cancel(id, call.client.access().subject)) unknown_task(id);
  } catch (const TaskHandOverFailed& e) {
    throw Error(code::internal_error, std::string("Internal error: ") + e.what() +
                                          "; nothing was cancelled: send it again later");
  }
  return json::object();  // an empty acknowledgement, also when the task had ended
}

}  // namespace mcpgate::protocol::handlers
