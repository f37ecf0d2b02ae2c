#include "mcpgate/tools/argument_coercion.hpp"

#include "mcpgate/util/text.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <string>

namespace mcpgate::tools {

namespace {

using json = nlohmann::json;

std::set<std::string> declared_types(const json& property) {
  std::set<std::string> types;
  auto add = [&](const json& type) {
    if (type.is_string()) types.insert(type.get<std::string>());
    if (type.is_array())
      for (const auto& t : type)
        if (t.is_string()) types.insert(t.get<std::string>());
  };
  if (!property.is_object()) return types;
  if (auto it = property.find("type"); it != property.end()) add(*it);
  if (auto it = property.find("anyOf"); it != property.end() && it->is_array())
    for (const auto& alternative : *it)
      if (alternative.is_object() && alternative.contains("type")) add(alternative["type"]);
  return types;
}

std::optional<long long> integer_literal(const std::string& text) {
  std::string t = util::trim(text);
  // "5.0" and "5.00" name an integer as well as the JSON number 5.0 does (pydantic takes both).
  if (const auto dot = t.find('.'); dot != std::string::npos && dot + 1 < t.size() &&
                                    t.find_first_not_of('0', dot + 1) == std::string::npos)
    t.resize(dot);
  const char* first = t.data();
  const char* last = t.data() + t.size();
  if (first != last && *first == '+') ++first;
  long long value = 0;
  const auto [end, error] = std::from_chars(first, last, value);
  if (error != std::errc() || end != last || first == last) return std::nullopt;
  return value;
}

std::optional<double> number_literal(const std::string& text) {
  const std::string t = util::trim(text);
  const char* first = t.data();
  const char* last = t.data() + t.size();
  if (first != last && *first == '+') ++first;  // as for integers
  double value = 0;
  const auto [end, error] = std::from_chars(first, last, value);
  if (error != std::errc() || end != last || first == last || !std::isfinite(value))
    return std::nullopt;
  return value;
}

// pydantic's list for a lax bool, compared case-insensitively.
std::optional<bool> boolean_literal(const std::string& text) {
  const std::string t = util::ascii_lower(util::trim(text));
  if (t == "true" || t == "t" || t == "yes" || t == "y" || t == "on" || t == "1") return true;
  if (t == "false" || t == "f" || t == "no" || t == "n" || t == "off" || t == "0") return false;
  return std::nullopt;
}

// Whether the value's JSON type is one the parameter declares (then it is never converted).
bool accepted_as_is(const std::set<std::string>& types, const json& value) {
  switch (value.type()) {
    case json::value_t::string: return types.count("string") > 0;
    case json::value_t::boolean: return types.count("boolean") > 0;
    case json::value_t::null: return types.count("null") > 0;
    case json::value_t::object: return types.count("object") > 0;
    case json::value_t::array: return types.count("array") > 0;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return types.count("integer") || types.count("number");
    case json::value_t::number_float: return types.count("number") > 0;
    default: return true;
  }
}

std::optional<json> from_number(const std::set<std::string>& types, const json& value) {
  const double d = value.get<double>();
  if (value.is_number_float() && types.count("integer")) {
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15)
      return json(static_cast<long long>(d));
  }
  // 1 and 0 (or 1.0 and 0.0) for a boolean, as pydantic's lax bool; 2 or 0.5 stay refused.
  if (types.count("boolean") && (d == 1.0 || d == 0.0)) return json(d == 1.0);
  return std::nullopt;
}

std::optional<json> from_string(const std::set<std::string>& types, const std::string& text) {
  if (types.count("integer"))
    if (auto v = integer_literal(text)) return json(*v);
  if (types.count("number"))
    if (auto v = number_literal(text)) return json(*v);
  if (types.count("boolean"))
    if (auto v = boolean_literal(text)) return json(*v);
  if (types.count("object") || types.count("array")) {
    json parsed = json::parse(text, nullptr, false);
    if ((parsed.is_object() && types.count("object")) || (parsed.is_array() && types.count("array")))
      return parsed;
  }
  return std::nullopt;
}

// The converted value, or nullopt to leave the argument alone.
std::optional<json> coerce(const std::set<std::string>& types, const json& value) {
  if (types.empty() || accepted_as_is(types, value)) return std::nullopt;
  if (value.is_number()) return from_number(types, value);
  if (value.is_string()) return from_string(types, value.get_ref<const std::string&>());
  return std::nullopt;
}

}  // namespace

json coerce_arguments(const json& schema, json arguments) {
  if (!arguments.is_object() || !schema.is_object()) return arguments;
  const auto properties = schema.find("properties");
  if (properties == schema.end() || !properties->is_object()) return arguments;
  for (auto& [name, value] : arguments.items()) {
    const auto property = properties->find(name);
    if (property == properties->end()) continue;
    if (auto converted = coerce(declared_types(*property), value)) value = std::move(*converted);
  }
  return arguments;
}

}  // namespace mcpgate::tools
