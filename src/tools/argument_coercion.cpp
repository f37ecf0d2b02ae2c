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
  const std::string t = util::trim(text);
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
  double value = 0;
  const auto [end, error] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (error != std::errc() || end != t.data() + t.size() || t.empty() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::optional<bool> boolean_literal(const std::string& text) {
  const std::string t = util::ascii_lower(util::trim(text));
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return std::nullopt;
}

// The converted value, or nullopt to leave the argument alone.
std::optional<json> coerce(const std::set<std::string>& types, const json& value) {
  if (value.is_number_float() && types.count("integer") && !types.count("number")) {
    const double d = value.get<double>();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15)
      return json(static_cast<long long>(d));
    return std::nullopt;
  }
  if (!value.is_string() || types.empty() || types.count("string")) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
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
