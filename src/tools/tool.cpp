#include "mcpgate/tools/tool.hpp"

namespace mcpgate::tools {

namespace content {
json text(std::string_view text) { return {{"type", "text"}, {"text", text}}; }
json image(std::string_view data, std::string_view mime_type) {
  return {{"type", "image"}, {"data", data}, {"mimeType", mime_type}};
}
json audio(std::string_view data, std::string_view mime_type) {
  return {{"type", "audio"}, {"data", data}, {"mimeType", mime_type}};
}
json resource_text(std::string_view uri, std::string_view mime_type, std::string_view text) {
  return {{"type", "resource"},
          {"resource", {{"uri", uri}, {"mimeType", mime_type}, {"text", text}}}};
}
json resource_blob(std::string_view uri, std::string_view mime_type, std::string_view blob) {
  return {{"type", "resource"},
          {"resource", {{"uri", uri}, {"mimeType", mime_type}, {"blob", blob}}}};
}
json resource_link(std::string_view uri, std::string_view name, std::string_view mime_type) {
  json link{{"type", "resource_link"}, {"uri", uri}, {"name", name}};
  if (!mime_type.empty()) link["mimeType"] = mime_type;
  return link;
}
}  // namespace content

ToolResult ToolResult::text(std::string_view text) {
  ToolResult result;
  result.content.push_back(content::text(text));
  return result;
}

ToolResult ToolResult::error(std::string_view message) {
  ToolResult result = text(message);
  result.is_error = true;
  return result;
}

json ToolResult::to_json() const& { return ToolResult(*this).to_json(); }

json ToolResult::to_json() && {
  json out{{"content", std::move(content)}};
  if (structured) out["structuredContent"] = std::move(*structured);
  if (is_error) out["isError"] = true;
  return out;
}

InputAnswers ToolContext::ask(const std::vector<InputRequest>& requests) {
  InputAnswers answers;
  for (const auto& request : requests)
    answers[request.key] = request_client(request.method, request.params, std::chrono::milliseconds(0));
  return answers;
}

}  // namespace mcpgate::tools
