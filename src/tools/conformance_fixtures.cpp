#include "mcpgate/tools/conformance_fixtures.hpp"

#include "mcpgate/tools/change_fixtures.hpp"
#include "mcpgate/tools/task_fixtures.hpp"
#include "mrtr_fixtures.hpp"

#include <thread>

namespace mcpgate::tools {

namespace {

// A 1x1 PNG and a silent 16-sample WAV.
constexpr const char* png_1x1 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
constexpr const char* wav_silence =
    "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA";

const json closed_empty_schema = json{{"type", "object"}, {"additionalProperties", false}};

json string_argument_schema(const char* name, const char* description) {
  return json{{"type", "object"},
              {"properties", {{name, {{"type", "string"}, {"description", description}}}}},
              {"required", json::array({name})}};
}

Tool simple(const char* name, const char* description, ToolHandler handler,
            json schema = closed_empty_schema) {
  return Tool{name, "", description, std::move(schema), std::nullopt, nullptr, std::move(handler)};
}

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::string describe_elicitation(const json& answer) {
  return "User response: action=" + answer.value("action", std::string("unknown")) +
         ", content=" + (answer.contains("content") ? answer["content"].dump() : "{}");
}

void add_tools(ToolRegistry& tools) {
  tools.add(simple("test_simple_text", "Returns a fixed line of text.", [](const json&, ToolContext&) {
    return ToolResult::text("This is a simple text response for testing.");
  }));
  tools.add(simple("test_image_content", "Returns a 1x1 PNG image.", [](const json&, ToolContext&) {
    ToolResult r;
    r.content.push_back(content::image(png_1x1, "image/png"));
    return r;
  }));
  tools.add(simple("test_audio_content", "Returns a short silent WAV clip.", [](const json&, ToolContext&) {
    ToolResult r;
    r.content.push_back(content::audio(wav_silence, "audio/wav"));
    return r;
  }));
  tools.add(simple("test_embedded_resource", "Returns an embedded text resource.",
                   [](const json&, ToolContext&) {
                     ToolResult r;
                     r.content.push_back(content::resource_text(
                         "test://embedded-resource", "text/plain",
                         "This is an embedded resource content."));
                     return r;
                   }));
  tools.add(simple("test_multiple_content_types", "Returns text, an image and a resource together.",
                   [](const json&, ToolContext&) {
                     ToolResult r;
                     r.content.push_back(content::text("Multiple content types test:"));
                     r.content.push_back(content::image(png_1x1, "image/png"));
                     r.content.push_back(content::resource_text(
                         "test://mixed-content-resource", "application/json",
                         R"({"test":"data","value":123})"));
                     return r;
                   }));
  tools.add(simple("test_tool_with_logging", "Sends three log messages while it runs.",
                   [](const json&, ToolContext& ctx) {
                     ctx.log(tools::LogLevel::info, "Tool execution started");
                     pause_ms(50);
                     ctx.log(tools::LogLevel::info, "Tool processing data");
                     pause_ms(50);
                     ctx.log(tools::LogLevel::info, "Tool execution completed");
                     return ToolResult::text("Tool with logging executed successfully");
                   }));
  tools.add(simple("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100.",
                   [](const json&, ToolContext& ctx) {
                     for (int step = 0; step <= 100; step += 50) {
                       if (ctx.cancelled()) break;
                       ctx.progress(step, 100, "step " + std::to_string(step / 50 + 1) + " of 3");
                       if (step < 100) pause_ms(50);
                     }
                     return ToolResult::text("Tool with progress executed successfully");
                   }));
  tools.add(simple("test_error_handling", "Always fails, to test error reporting.",
                   [](const json&, ToolContext&) {
                     return ToolResult::error("This tool intentionally returns an error for testing");
                   }));
  tools.add(simple(
      "test_sampling", "Asks the client's model to answer a prompt (sampling).",
      [](const json& args, ToolContext& ctx) {
        const json answer = ctx.request_client(
            "sampling/createMessage",
            {{"messages",
              json::array({{{"role", "user"},
                            {"content", {{"type", "text"}, {"text", args.at("prompt")}}}}})},
             {"maxTokens", 100}},
            std::chrono::milliseconds(0));
        std::string text = "(no text)";
        if (answer.contains("content") && answer["content"].is_object())
          text = answer["content"].value("text", text);
        return ToolResult::text("LLM response: " + text);
      },
      string_argument_schema("prompt", "The prompt to send to the client's model")));
  tools.add(simple(
      "test_elicitation", "Asks the user for input through the client (elicitation).",
      [](const json& args, ToolContext& ctx) {
        const json answer = ctx.request_client(
            "elicitation/create",
            {{"message", args.at("message")},
             {"requestedSchema",
              {{"type", "object"},
               {"properties",
                {{"username", {{"type", "string"}, {"description", "Your name"}}},
                 {"email", {{"type", "string"}, {"description", "Your e-mail address"}}}}},
               {"required", json::array({"username", "email"})}}}},
            std::chrono::milliseconds(0));
        return ToolResult::text(describe_elicitation(answer));
      },
      string_argument_schema("message", "What to ask the user")));
  tools.add(simple(
      "test_elicitation_sep1034_defaults", "Elicits a form whose fields all have defaults.",
      [](const json&, ToolContext& ctx) {
        const json answer = ctx.request_client(
            "elicitation/create",
            {{"message", "Please review and update the form fields with defaults"},
             {"requestedSchema",
              {{"type", "object"},
               {"properties",
                {{"name", {{"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
                 {"age", {{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
                 {"score", {{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
                 {"status",
                  {{"type", "string"},
                   {"description", "User status"},
                   {"enum", json::array({"active", "inactive", "pending"})},
                   {"default", "active"}}},
                 {"verified",
                  {{"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}}},
               {"required", json::array()}}}},
            std::chrono::milliseconds(0));
        return ToolResult::text(describe_elicitation(answer));
      }));
  tools.add(simple(
      "test_elicitation_sep1330_enums", "Elicits a form with every kind of enum field.",
      [](const json&, ToolContext& ctx) {
        const json options = json::array({"option1", "option2", "option3"});
        const json titled = json::array({{{"const", "value1"}, {"title", "First Option"}},
                                         {{"const", "value2"}, {"title", "Second Option"}},
                                         {{"const", "value3"}, {"title", "Third Option"}}});
        const json answer = ctx.request_client(
            "elicitation/create",
            {{"message", "Please select options from the enum fields"},
             {"requestedSchema",
              {{"type", "object"},
               {"properties",
                {{"untitledSingle",
                  {{"type", "string"}, {"description", "Select one option"}, {"enum", options}}},
                 {"titledSingle",
                  {{"type", "string"}, {"description", "Select one option with titles"},
                   {"oneOf", titled}}},
                 {"legacyEnum",
                  {{"type", "string"},
                   {"description", "Select one option (legacy)"},
                   {"enum", options},
                   {"enumNames", json::array({"Option One", "Option Two", "Option Three"})}}},
                 {"untitledMulti",
                  {{"type", "array"},
                   {"description", "Select multiple options"},
                   {"items", {{"type", "string"}, {"enum", options}}}}},
                 {"titledMulti",
                  {{"type", "array"},
                   {"description", "Select multiple options with titles"},
                   {"items", {{"anyOf", titled}}}}}}},
               {"required", json::array()}}}},
            std::chrono::milliseconds(0));
        return ToolResult::text(describe_elicitation(answer));
      }));
  tools.add(Tool{
      "json_schema_2020_12_tool", "", "Takes arguments described by a JSON Schema 2020-12 document.",
      // Kept as the suite sends it: composition, conditionals, $defs with an $anchor.
      json::parse(R"({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"address": {"$anchor": "addressDef", "type": "object",
                              "properties": {"street": {"type": "string"},
                                             "city": {"type": "string"}}}},
        "properties": {"name": {"type": "string"},
                       "address": {"$ref": "#/$defs/address"},
                       "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                       "phone": {"type": "string"},
                       "email": {"type": "string"}},
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}},
               "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false
      })"),
      std::nullopt, nullptr,
      [](const json& args, ToolContext&) {
        return ToolResult::text("Received: " + args.dump());
      }});
  // Logs on every era; on the modern era only when the request's _meta names a log level.
  tools.add(simple("test_logging_tool", "Sends two log messages, then answers.",
                   [](const json&, ToolContext& ctx) {
                     ctx.log(tools::LogLevel::info, "logging tool started");
                     ctx.log(tools::LogLevel::warning, "logging tool finished");
                     return ToolResult::text("Logged two messages");
                   }));
  // Its region argument is mirrored into an Mcp-Param-Region header on the modern era, which
  // the server checks against the body.
  tools.add(simple("test_custom_header", "Echoes a region that also travels as a header.",
                   [](const json& args, ToolContext&) {
                     return ToolResult::text("Region: " + args.value("region", std::string()));
                   },
                   json{{"type", "object"},
                        {"properties",
                         {{"region",
                           {{"type", "string"},
                            {"description", "A region name"},
                            {"x-mcp-header", "Region"}}}}},
                        {"required", json::array({"region"})}}));
  tools.add(simple("test_reconnection",
                   "Closes its stream's connection before answering; the answer arrives when the "
                   "client resumes with Last-Event-ID.",
                   [](const json&, ToolContext& ctx) {
                     ctx.drop_connection();
                     pause_ms(200);
                     return ToolResult::text("Reconnection test completed");
                   }));
}

void add_resources(tools::Catalog& catalog) {
  catalog.add(tools::Resource{
      "test://static-text", "Static text", "A plain text resource that never changes.",
      "text/plain", false, [] {
        return json::array({{{"uri", "test://static-text"},
                             {"mimeType", "text/plain"},
                             {"text", "This is the content of the static text resource."}}});
      }});
  catalog.add(tools::Resource{
      "test://static-binary", "Static binary", "A small PNG image.", "image/png", false, [] {
        return json::array(
            {{{"uri", "test://static-binary"}, {"mimeType", "image/png"}, {"blob", png_1x1}}});
      }});
  catalog.add(tools::Resource{
      "test://watched-resource", "Watched resource", "A resource clients may subscribe to.",
      "text/plain", true, [] {
        return json::array({{{"uri", "test://watched-resource"},
                             {"mimeType", "text/plain"},
                             {"text", "Watched resource content"}}});
      }});
  catalog.add(tools::ResourceTemplate{
      "test://template/{id}/data", "Template data", "Data for any id, generated on read.",
      "application/json",
      [](const std::string& uri, const std::map<std::string, std::string>& vars) {
        const std::string& id = vars.at("id");
        const json body{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
        return json::array(
            {{{"uri", uri}, {"mimeType", "application/json"}, {"text", body.dump()}}});
      }});
}

json user_text(const std::string& text) {
  return {{"role", "user"}, {"content", {{"type", "text"}, {"text", text}}}};
}

void add_prompts(tools::Catalog& catalog) {
  catalog.add(tools::Prompt{
      "test_simple_prompt", "", "A prompt without arguments.", {}, [](const auto&) {
        return json{{"messages", json::array({user_text("This is a simple prompt for testing.")})}};
      }});
  catalog.add(tools::Prompt{
      "test_prompt_with_arguments", "", "A prompt that fills in two arguments.",
      {{"arg1", "First argument", true}, {"arg2", "Second argument", true}},
      [](const std::map<std::string, std::string>& args) {
        return json{{"messages", json::array({user_text("Prompt with arguments: arg1='" +
                                                        args.at("arg1") + "', arg2='" +
                                                        args.at("arg2") + "'")})}};
      }});
  catalog.add(tools::Prompt{
      "test_prompt_with_embedded_resource", "", "A prompt that embeds a resource.",
      {{"resourceUri", "URI of the resource to embed", true}},
      [](const std::map<std::string, std::string>& args) {
        const std::string& uri = args.at("resourceUri");
        return json{
            {"messages",
             json::array({{{"role", "user"},
                           {"content",
                            {{"type", "resource"},
                             {"resource",
                              {{"uri", uri},
                               {"mimeType", "text/plain"},
                               {"text", "Embedded resource content for testing."}}}}}},
                          user_text("Please process the embedded resource above.")})}};
      }});
  catalog.add(tools::Prompt{
      "test_prompt_with_image", "", "A prompt that includes an image.", {}, [](const auto&) {
        return json{{"messages",
                     json::array({{{"role", "user"},
                                   {"content",
                                    {{"type", "image"}, {"data", png_1x1}, {"mimeType", "image/png"}}}},
                                  user_text("Please analyze the image above.")})}};
      }});
  catalog.set_completer([](const json&, const json&) { return std::vector<std::string>{}; });
}

}  // namespace

void register_conformance_fixtures(ToolRegistry& tools, tools::Catalog& catalog,
                                   const std::shared_ptr<LiveLists>& live) {
  add_tools(tools);
  add_resources(catalog);
  add_prompts(catalog);
  register_change_fixtures(tools, catalog, live);
  register_task_fixtures(tools);  // the tasks extension's, after all the others
  register_mrtr_fixtures(tools, catalog);  // multi round-trip requests (2026-07-28)
}

}  // namespace mcpgate::tools
