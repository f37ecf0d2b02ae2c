#include "mcpgate/tools/task_fixtures.hpp"

#include "mcpgate/jsonrpc.hpp"

#include <chrono>
#include <thread>

namespace mcpgate::tools {

namespace {

const json no_arguments = json{{"type", "object"}, {"additionalProperties", false}};

// Sleep `duration`, waking every 50 ms to see whether the call was cancelled (tasks/cancel must
// take effect promptly). False when it was.
bool sleep_unless_cancelled(ToolContext& context, std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    if (context.cancelled()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
  return !context.cancelled();
}

InputRequest elicit(std::string key, std::string message, json properties, json required) {
  return InputRequest{.key = std::move(key),
                      .method = "elicitation/create",
                      .params = {{"mode", "form"},
                                 {"message", std::move(message)},
                                 {"requestedSchema",
                                  {{"type", "object"},
                                   {"properties", std::move(properties)},
                                   {"required", std::move(required)}}}}};
}

bool accepted(const json& answer) { return answer.value("action", std::string()) == "accept"; }

// An accepted answer's content[field] as text ("" when declined or absent).
std::string answered_text(const json& answer, const char* field) {
  if (!accepted(answer)) return {};
  const auto content = answer.find("content");
  if (content == answer.end() || !content->is_object()) return {};
  const auto value = content->find(field);
  if (value == content->end()) return {};
  return value->is_string() ? value->get<std::string>() : value->dump();
}

Tool fixture(const char* name, const char* description, json schema, TaskSupport support,
             ToolHandler handler) {
  Tool tool{.name = name,
            .title = "",
            .description = description,
            .input_schema = std::move(schema),
            .output_schema = std::nullopt,
            .annotations = nullptr,
            .handler = std::move(handler),
            .style = CallStyle::interactive,
            .task_support = support,
            .ask_before_task = {}};
  return tool;
}

const InputRequest user_name_request =
    elicit("user_name", "What is your name?",
           {{"name", {{"type", "string"}, {"description", "Your name"}}}}, json::array({"name"}));

}  // namespace

void register_task_fixtures(ToolRegistry& tools) {
  tools.add(fixture(
      "greet", "Greets someone by name, at once (never a task).",
      json{{"type", "object"},
           {"properties", {{"name", {{"type", "string"}, {"description", "Who to greet"}}}}},
           {"required", json::array({"name"})}},
      TaskSupport::never, [](const json& arguments, ToolContext&) {
        return ToolResult::text("Hello, " + arguments.value("name", std::string()) + "!");
      }));
  tools.add(fixture(
      "slow_compute",
      "Computes for the given number of seconds: a task when the client takes tasks, else in "
      "the request.",
      json{{"type", "object"},
           {"properties",
            {{"seconds",
              {{"type", "integer"}, {"minimum", 0}, {"maximum", 600},
               {"description", "How long to compute"}}},
             {"label", {{"type", "string"}, {"description", "Names the computation"}}}}},
           {"required", json::array({"seconds"})}},
      TaskSupport::optional, [](const json& arguments, ToolContext& context) {
        const auto seconds = arguments.value("seconds", 0);
        const auto label = arguments.value("label", std::string("computation"));
        context.progress(0, seconds, "computing " + label);
        if (!sleep_unless_cancelled(context, std::chrono::seconds(seconds)))
          return ToolResult::error("Computation " + label + " was cancelled");
        return ToolResult::text("Computed " + label + " in " + std::to_string(seconds) + " s");
      }));
  tools.add(fixture("failing_job", "Runs only as a task, and ends with a tool error after 1 s.",
                    no_arguments, TaskSupport::required,
                    [](const json&, ToolContext& context) {
                      (void)sleep_unless_cancelled(context, std::chrono::seconds(1));
                      return ToolResult::error("The job failed: the input could not be processed");
                    }));
  tools.add(fixture("protocol_error_job", "Ends with a JSON-RPC error (as a task: failed).",
                    no_arguments, TaskSupport::optional,
                    [](const json&, ToolContext& context) -> ToolResult {
                      (void)sleep_unless_cancelled(context, std::chrono::milliseconds(200));
                      throw jsonrpc::Error(jsonrpc::code::internal_error,
                                           "Internal error: the job's worker crashed");
                    }));
  tools.add(fixture(
      "confirm_delete", "Asks the user to confirm before it deletes a file (nothing is deleted).",
      json{{"type", "object"},
           {"properties",
            {{"filename", {{"type", "string"}, {"description", "The file to delete"}}}}},
           {"required", json::array({"filename"})}},
      TaskSupport::optional, [](const json& arguments, ToolContext& context) {
        const auto filename = arguments.value("filename", std::string());
        const auto answers = context.ask({elicit(
            "confirm", "Delete " + filename + "?",
            {{"confirm", {{"type", "boolean"}, {"description", "Delete the file"}}}},
            json::array({"confirm"}))});
        const auto& answer = answers.at("confirm");
        const bool confirmed = accepted(answer) && answer.contains("content") &&
                               answer["content"].is_object() &&
                               answer["content"].value("confirm", false);
        return ToolResult::text(confirmed ? "Deleted " + filename : "Kept " + filename);
      }));
  tools.add(fixture(
      "multi_input", "Asks two questions at once, then answers with both.", no_arguments,
      TaskSupport::optional, [](const json&, ToolContext& context) {
        const auto answers = context.ask(
            {user_name_request,
             elicit("favorite_color", "What is your favourite colour?",
                    {{"color", {{"type", "string"}, {"description", "A colour"}}}},
                    json::array({"color"}))});
        return ToolResult::text("Name: " + answered_text(answers.at("user_name"), "name") +
                                "; colour: " +
                                answered_text(answers.at("favorite_color"), "color"));
      }));
  Tool with_task = fixture(
      "test_tool_with_task",
      "Asks for a name in the request (multi round-trip), then greets as a task.", no_arguments,
      TaskSupport::required, [](const json&, ToolContext& context) {
        const auto answers = context.ask({user_name_request});
        (void)sleep_unless_cancelled(context, std::chrono::milliseconds(500));
        return ToolResult::text("Hello, " + answered_text(answers.at("user_name"), "name") +
                                "! The task is done.");
      });
  with_task.ask_before_task = {user_name_request};
  tools.add(std::move(with_task));
}

}  // namespace mcpgate::tools
