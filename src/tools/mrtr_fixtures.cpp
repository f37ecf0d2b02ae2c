#include "mrtr_fixtures.hpp"

namespace mcpgate::tools {

namespace {

const json mrtr_no_arguments = json{{"type", "object"}, {"additionalProperties", false}};

Tool mrtr_fixture(const char* name, const char* description, ToolHandler handler) {
  return Tool{.name = name,
              .title = "",
              .description = description,
              .input_schema = mrtr_no_arguments,
              .output_schema = std::nullopt,
              .annotations = nullptr,
              .handler = std::move(handler)};
}

// An elicitation/create request for a form of one required field.
InputRequest ask_form(const char* key, const char* message, const char* field, const char* type) {
  return InputRequest{
      .key = key,
      .method = "elicitation/create",
      .params = {{"message", message},
                 {"requestedSchema",
                  {{"type", "object"},
                   {"properties", {{field, {{"type", type}}}}},
                   {"required", json::array({field})}}}}};
}

InputRequest ask_model(const char* key, const char* question, int max_tokens) {
  return InputRequest{
      .key = key,
      .method = "sampling/createMessage",
      .params = {{"messages",
                  json::array({{{"role", "user"},
                                {"content", {{"type", "text"}, {"text", question}}}}})},
                 {"maxTokens", max_tokens}}};
}

InputRequest ask_roots(const char* key) {
  return InputRequest{.key = key, .method = "roots/list", .params = json::object()};
}

// An accepted elicitation's field as text; what the user did instead otherwise.
std::string accepted_field(const json& answer, const char* field) {
  if (answer.value("action", "") != "accept") return "(" + answer.value("action", "no answer") + ")";
  const json content = answer.value("content", json::object());
  const json value = content.is_object() ? content.value(field, json()) : json();
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string model_text(const json& answer) {
  const json content = answer.value("content", json::object());
  if (content.is_object() && content.value("text", json()).is_string())
    return content["text"].get<std::string>();
  return "(no text)";
}

std::string roots_text(const json& answer) {
  const json roots = answer.value("roots", json::array());
  std::string text = "Found " + std::to_string(roots.size()) + " root(s)";
  for (const auto& root : roots)
    if (root.is_object() && root.value("uri", json()).is_string())
      text += (&root == &roots.front() ? ": " : ", ") + root["uri"].get<std::string>();
  return text;
}

void add_mrtr_tools(ToolRegistry& tools) {
  tools.add(mrtr_fixture("test_input_required_result_elicitation",
                    "Asks the user's name (elicitation), then greets them.",
                    [](const json&, ToolContext& ctx) {
                      auto answers = ctx.ask({ask_form("user_name", "What is your name?", "name", "string")});
                      return ToolResult::text("Hello, " + accepted_field(answers["user_name"], "name") + "!");
                    }));
  tools.add(mrtr_fixture("test_input_required_result_sampling",
                    "Asks the client's model a question (sampling), then reports its answer.",
                    [](const json&, ToolContext& ctx) {
                      auto answers = ctx.ask({ask_model("capital_question", "What is the capital of France?", 100)});
                      return ToolResult::text("Sampling result: " + model_text(answers["capital_question"]));
                    }));
  tools.add(mrtr_fixture("test_input_required_result_list_roots",
                    "Asks the client for its roots, then lists them.",
                    [](const json&, ToolContext& ctx) {
                      auto answers = ctx.ask({ask_roots("client_roots")});
                      return ToolResult::text(roots_text(answers["client_roots"]));
                    }));
  tools.add(mrtr_fixture("test_input_required_result_request_state",
                    "Asks for a confirmation; the retry brings it back with the requestState.",
                    [](const json&, ToolContext& ctx) {
                      auto answers = ctx.ask({ask_form("confirm", "Please confirm", "ok", "boolean")});
                      return ToolResult::text("state-ok: requestState validated, ok=" +
                                              accepted_field(answers["confirm"], "ok"));
                    }));
  tools.add(mrtr_fixture("test_input_required_result_multiple_inputs",
                    "Asks for a name, a sampled greeting and the client's roots at once.",
                    [](const json&, ToolContext& ctx) {
                      auto answers = ctx.ask({ask_form("user_name", "What is your name?", "name", "string"),
                                              ask_model("greeting", "Generate a greeting", 50),
                                              ask_roots("client_roots")});
                      return ToolResult::text(model_text(answers["greeting"]) + " " +
                                              accepted_field(answers["user_name"], "name") + ". " +
                                              roots_text(answers["client_roots"]));
                    }));
  tools.add(mrtr_fixture("test_input_required_result_multi_round",
                    "Asks for a name, then (in a second round) for a favourite colour.",
                    [](const json&, ToolContext& ctx) {
                      auto first = ctx.ask({ask_form("step1", "Step 1: What is your name?", "name", "string")});
                      auto second = ctx.ask(
                          {ask_form("step2", "Step 2: What is your favorite color?", "color", "string")});
                      return ToolResult::text("Multi-round complete for " +
                                              accepted_field(first["step1"], "name") + " who likes " +
                                              accepted_field(second["step2"], "color"));
                    }));
  tools.add(mrtr_fixture("test_input_required_result_tampered_state",
                    "Asks for a confirmation; a retry whose requestState was changed is refused.",
                    [](const json&, ToolContext& ctx) {
                      (void)ctx.ask({ask_form("confirm", "Please confirm", "ok", "boolean")});
                      return ToolResult::text("integrity-ok: state verified");
                    }));
  tools.add(mrtr_fixture("test_input_required_result_capabilities",
                    "Asks only for the inputs whose capabilities the request declares.",
                    [](const json&, ToolContext& ctx) {
                      std::vector<InputRequest> wanted;
                      if (ctx.client_supports("elicitation"))
                        wanted.push_back(ask_form("elicit_input", "Elicitation input", "value", "string"));
                      if (ctx.client_supports("sampling"))
                        wanted.push_back(ask_model("sample_input", "Sample request", 50));
                      if (wanted.empty()) return ToolResult::text("No supported capabilities declared");
                      std::string keys;
                      for (const auto& [key, answer] : ctx.ask(wanted)) keys += (keys.empty() ? "" : ",") + key;
                      return ToolResult::text("capabilities-ok: received " + keys);
                    }));
  tools.add(mrtr_fixture("test_missing_capability",
                    "Needs sampling: refused with -32021 when the request does not declare it.",
                    [](const json&, ToolContext& ctx) {
                      (void)ctx.ask({ask_model("sample", "Say anything", 10)});
                      return ToolResult::text("Success");
                    }));
  tools.add(mrtr_fixture("test_streaming_elicitation",
                    "Reports progress, then asks for a confirmation: on 2026-07-28 its stream "
                    "carries no request, the question comes back as input_required.",
                    [](const json&, ToolContext& ctx) {
                      ctx.progress(50, 100, "half way");
                      auto answers = ctx.ask({ask_form("go_on", "Continue streaming?", "ok", "boolean")});
                      return ToolResult::text("Streaming complete (" + accepted_field(answers["go_on"], "ok") + ")");
                    }));
}

void add_mrtr_prompts(Catalog& catalog) {
  catalog.add(Prompt{
      .name = "test_input_required_result_prompt",
      .title = "",
      .description = "Asks the user what context to use, then returns a prompt with it.",
      .arguments = {},
      .get = nullptr,
      .get_with_input = [](const std::map<std::string, std::string>&, ToolContext& ctx) {
        auto answers = ctx.ask({ask_form("user_context", "What context should the prompt use?",
                                       "context", "string")});
        const std::string text = "Prompt with context: " + accepted_field(answers["user_context"], "context");
        return json{{"messages", json::array({{{"role", "user"},
                                               {"content", {{"type", "text"}, {"text", text}}}}})}};
      }});
}

}  // namespace

void register_mrtr_fixtures(ToolRegistry& tools, Catalog& catalog) {
  add_mrtr_tools(tools);
  add_mrtr_prompts(catalog);
}

}  // namespace mcpgate::tools
