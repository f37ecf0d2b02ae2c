// What is wrong with a tool's arguments, in the tool's own words: one line per bad parameter,
// naming it, what it got and what it accepts —
//
//   task_order: expected an integer, got "high"
//   status: expected one of todo, doing, review, done, got "finished"
//   title: required
//   limit: expected at most 100, got 500
//   unknown parameter "foo" (this tool takes: project_id, title)
//
// It reads the input schema's keywords a tool uses (type, enum, const, anyOf/oneOf/allOf, local
// $ref, minimum/maximum and their exclusive forms, multipleOf, minLength/maxLength,
// minItems/maxItems, items, properties, required, additionalProperties) and follows them into
// nested objects and arrays ("content.tags[1]: expected a string, got 5"). It is not the judge:
// SchemaValidator asks valijson first and calls this only for arguments valijson refused, and
// names in valijson's words whatever this cannot explain (a pattern, say).
//
// Everything a client sent is shown bounded and escaped, so a client cannot make the message
// huge or put control characters into a log or a terminal: at most `quoted_characters_max` of a
// string (then the length), arrays and objects by kind only, at most `lines_max` lines.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::tools {

// The longest piece of a string argument an error quotes (in characters): enough to recognise a
// value, short enough that a 4 MB argument costs the message nothing.
inline constexpr std::size_t quoted_characters_max = 60;
// The most problem lines one answer lists: a client that gets ten wrong values has enough to fix.
inline constexpr std::size_t lines_max = 10;
// The most enum values or parameter names one line lists.
inline constexpr std::size_t listed_names_max = 20;
// How deep the explanation follows nested schemas (and $ref chains) before it stops.
inline constexpr int schema_depth_max = 16;

struct ArgumentProblem {
  std::string parameter;  // the top-level parameter it concerns; empty for the arguments as a whole
  std::string text;       // one line, without a trailing newline
};

// The problems found in `arguments` against `schema` (the tool's input schema, "$ref"s resolved
// against it), in the arguments' key order, then missing required parameters in the schema's
// order. Empty when nothing this understands is wrong. At most lines_max + 1 entries: past the
// limit, one last line says how many more there were.
[[nodiscard]] std::vector<ArgumentProblem> explain_argument_problems(const nlohmann::json& schema,
                                                                      const nlohmann::json& arguments);

// A value the way an error line shows it: a string quoted and escaped (control and invisible
// formatting characters as \uXXXX, bytes that are not UTF-8 as \xNN), cut at
// quoted_characters_max characters with its length; numbers, booleans and null as JSON; an
// object or array by kind ("an object", "an array of 3 items").
[[nodiscard]] std::string shown_value(const nlohmann::json& value);

// The same escaping for text of any kind, without quotes: at most `characters_max` characters,
// then "...".
[[nodiscard]] std::string escaped_text(std::string_view text, std::size_t characters_max);

}  // namespace mcpgate::tools
