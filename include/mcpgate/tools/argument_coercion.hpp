// Lenient tool arguments, the way Archon's Python server (FastMCP + pydantic in lax mode)
// accepts them: assistants often send a number, a boolean, an object or a list as a string
// ("5", "true", "{\"a\":1}"). Before validation, a top-level string argument whose parameter does
// not accept strings is converted to the type the parameter declares when the text is an exact
// literal of that type; a float with an integral value is accepted for an integer parameter.
// Anything else is left as it is, so the validator reports it as before.
#pragma once

#include <nlohmann/json.hpp>

namespace mcpgate::tools {

// `schema` is the tool's input schema (type "object" with "properties"); each property's types
// come from its "type" (a name or a list) or the "type"s of its "anyOf" alternatives.
[[nodiscard]] nlohmann::json coerce_arguments(const nlohmann::json& schema, nlohmann::json arguments);

}  // namespace mcpgate::tools
