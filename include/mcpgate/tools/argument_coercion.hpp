// Lenient tool arguments, the way Archon's Python server (FastMCP + pydantic in lax mode)
// accepts them: assistants often send a number, a boolean, an object or a list as a string
// ("5", "true", "{\"a\":1}"), or 1 and 0 for a boolean. Before validation, a top-level argument
// whose JSON type its parameter does not accept is converted to a type the parameter declares,
// when the value is an exact literal of that type. Anything else is left as it is, so the
// validator names it ("limit: expected an integer, got \"ten\"").
//
// The whole table (the README's "Lenient arguments" table says the same):
//
//   parameter  value sent          accepted as            refused (left for the validator)
//   ---------  ------------------  ---------------------  ---------------------------------
//   integer    string "5", " -5 ", the integer            "5 apples", "5.5", "1e3", "0x10",
//              "+5", "5.0", "5.00"                        "", out of the 64-bit range
//   integer    number 2.0          2                      2.5, beyond +-9e15 (not exact)
//   number     string "2.5", "-1", the number             "2.5kg", "nan", "inf", "", "0x1p3"
//              "1e3", " 7 "
//   boolean    string "true" "t"   true                   "maybe", "2", "", "yes please"
//              "yes" "y" "on" "1"
//   boolean    string "false" "f"  false
//              "no" "n" "off" "0"  (any case, spaces around ignored: pydantic's list)
//   boolean    number 1 or 1.0     true                   2, -1, 0.5
//   boolean    number 0 or 0.0     false
//   object     string "{...}"      the parsed object      text that is not a JSON object
//   array      string "[...]"      the parsed array       text that is not a JSON array
//   string     number, boolean,    never converted: "expected a string, got 5" (pydantic v2
//              object, array       does not turn 5 into "5" either)
//   integer,   boolean true/false  never converted (pydantic would take True as 1; a boolean
//   number                         for a count or a limit is a slip, not a number)
//   null       anything            never converted ("null" stays a string)
//
// A value the parameter already accepts is never touched (a string for a parameter that also
// takes strings, 1 for one that takes integers and booleans). When a parameter declares several
// types, the first that fits in the order integer, number, boolean, object/array wins ("1" for
// integer-or-boolean is 1). Only top-level arguments are converted; nested values are checked
// as sent.
#pragma once

#include <nlohmann/json.hpp>

namespace mcpgate::tools {

// `schema` is the tool's input schema (type "object" with "properties"); each property's types
// come from its "type" (a name or a list) or the "type"s of its "anyOf" alternatives.
[[nodiscard]] nlohmann::json coerce_arguments(const nlohmann::json& schema, nlohmann::json arguments);

}  // namespace mcpgate::tools
