#include "mcpgate/tools/argument_errors.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mcpgate::tools {

namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Showing what the client sent

// The code point starting at text[i] and its length in bytes; nullopt for a byte that does not
// start a well-formed UTF-8 sequence (overlong forms and surrogates included).
struct CodePoint {
  std::uint32_t value;
  std::size_t length;
};
std::optional<CodePoint> decode_utf8(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return CodePoint{lead, 1};
  std::size_t length = 0;
  std::uint32_t value = 0;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2, value = lead & 0x1f;
  else if (lead >= 0xe0 && lead <= 0xef) length = 3, value = lead & 0x0f;
  else if (lead >= 0xf0 && lead <= 0xf4) length = 4, value = lead & 0x07;
  else return std::nullopt;
  if (i + length > text.size()) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return std::nullopt;
    value = (value << 6) | (byte(i + k) & 0x3f);
  }
  const std::uint32_t smallest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  if (value < smallest || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
    return std::nullopt;
  return CodePoint{value, length};
}

// Characters that would act on a terminal or a log, or hide or reorder text, rather than show.
bool needs_escape(std::uint32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) ||
         (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

void append_hex(std::string& out, std::uint32_t value, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += hex[(value >> shift) & 0xf];
}

std::size_t count_characters(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text)
    if ((c & 0xc0) != 0x80) ++count;
  return count;
}

}  // namespace

std::string escaped_text(std::string_view text, std::size_t characters_max) {
  std::string out;
  std::size_t shown = 0, i = 0;
  while (i < text.size() && shown < characters_max) {
    const auto cp = decode_utf8(text, i);
    if (!cp) {
      out += "\\x";
      append_hex(out, static_cast<unsigned char>(text[i]), 2);
      ++i, ++shown;
      continue;
    }
    const std::uint32_t c = cp->value;
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (needs_escape(c)) out += "\\u", append_hex(out, c, 4);
    else out.append(text.substr(i, cp->length));
    i += cp->length;
    ++shown;
  }
  if (i < text.size()) out += "...";
  return out;
}

namespace {

std::string in_quotes(std::string_view text) {
  const std::size_t length = count_characters(text);
  std::string out = "\"" + escaped_text(text, quoted_characters_max) + "\"";
  if (length > quoted_characters_max) out += " (" + std::to_string(length) + " characters)";
  return out;
}

// A key in a path: bare when it is a plain name, else quoted like a value.
std::string key_in_path(const std::string& key) {
  const bool plain = !key.empty() && key.size() <= quoted_characters_max &&
                     key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_-") == std::string::npos;
  return plain ? key : in_quotes(key);
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// A schema literal (enum member, const, bound) as a line names it: strings bare, as Archon's
// documentation lists them ("one of todo, doing").
std::string literal(const json& value) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    bool plain = text.size() <= quoted_characters_max;
    for (unsigned char c : text) plain = plain && c >= 0x20 && c < 0x7f;
    return plain && !text.empty() ? text : in_quotes(text);
  }
  if (value.is_object() || value.is_array()) return shown_value(value);
  return value.dump();
}

// ---------------------------------------------------------------------------------------------
// Reading the schema

bool has_type(const json& value, std::string_view type) {
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "null") return value.is_null();
  return true;  // a type this does not know: not this component's to refuse
}

std::string type_phrase(std::string_view type) {
  if (type == "integer") return "an integer";
  if (type == "number") return "a number";
  if (type == "string") return "a string";
  if (type == "boolean") return "a boolean (true or false)";
  if (type == "object") return "an object";
  if (type == "array") return "an array";
  if (type == "null") return "null";
  return std::string(type);
}

std::vector<std::string> type_names(const json& schema) {
  std::vector<std::string> names;
  const auto it = schema.find("type");
  if (it == schema.end()) return names;
  if (it->is_string()) names.push_back(it->get<std::string>());
  if (it->is_array())
    for (const auto& t : *it)
      if (t.is_string()) names.push_back(t.get<std::string>());
  return names;
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator,
                   std::string_view last_separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += (i + 1 == parts.size()) ? last_separator : separator;
    out += parts[i];
  }
  return out;
}

std::string listed(const json& values) {
  std::vector<std::string> parts;
  for (const auto& v : values) {
    if (parts.size() == listed_names_max) {
      parts.push_back("...");
      break;
    }
    parts.push_back(literal(v));
  }
  return joined(parts, ", ", ", ");
}

class Explainer {
 public:
  Explainer(const json& root, std::vector<ArgumentProblem>& out) : root_(root), out_(out) {}

  void arguments(const json& value) {
    const json* schema = resolve(root_);
    if (!schema) return;
    if (!value.is_object()) {
      add("", "arguments: expected an object, got " + shown_value(value));
      return;
    }
    object_members(*schema, value, Where{}, 0);
  }

  void finish() {
    if (truncated_) out_.push_back({"", "(stopped after " + std::to_string(lines_max) + " problems)"});
  }

 private:
  // Follows local "$ref"s ("#/$defs/item"); nullptr when one cannot be followed.
  const json* resolve(const json& schema) const {
    const json* at = &schema;
    for (int hops = 0; at->is_object() && at->contains("$ref"); ++hops) {
      const json& ref = (*at)["$ref"];
      if (hops == schema_depth_max || !ref.is_string()) return nullptr;
      const std::string& text = ref.get_ref<const std::string&>();
      if (text.empty() || text[0] != '#') return nullptr;
      try {
        at = &root_.at(json::json_pointer(text.substr(1)));
      } catch (const json::exception&) {
        return nullptr;
      }
    }
    return at->is_object() ? at : nullptr;
  }

  void add(const std::string& parameter, std::string text) {
    if (full()) {
      truncated_ = true;
      return;
    }
    out_.push_back({parameter, std::move(text)});
  }

  bool full() const { return out_.size() >= lines_max; }

  // One line for `path`; `parameter` is the top-level name it belongs to.
  struct Where {
    std::string parameter;
    std::string path;
  };

  // Checks one value against one (sub)schema; true when it added a line.
  bool check(const json& raw_schema, const json& value, const Where& where, int depth) {
    if (depth > schema_depth_max) return false;
    const json* found = resolve(raw_schema);
    if (!found) return false;
    const json& schema = *found;
    const auto expected = [&](const std::string& what) {
      add(where.parameter, where.path + ": expected " + what + ", got " + shown_value(value));
      return true;
    };

    if (const auto types = type_names(schema); !types.empty()) {
      bool fits = false;
      for (const auto& t : types) fits = fits || has_type(value, t);
      if (!fits) {
        std::vector<std::string> phrases;
        for (const auto& t : types) phrases.push_back(type_phrase(t));
        return expected(joined(phrases, ", ", " or "));
      }
    }
    if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
      bool member = false;
      for (const auto& v : *it) member = member || v == value;
      if (!member) return expected("one of " + listed(*it));
    }
    if (auto it = schema.find("const"); it != schema.end() && *it != value)
      return expected(literal(*it));
    for (const char* keyword : {"anyOf", "oneOf"})
      if (auto it = schema.find(keyword); it != schema.end() && it->is_array())
        if (alternatives(*it, value, where, depth)) return true;
    bool any = false;
    if (auto it = schema.find("allOf"); it != schema.end() && it->is_array())
      for (const auto& part : *it) any = check(part, value, where, depth + 1) || any;
    if (value.is_number()) any = number_bounds(schema, value, where) || any;
    if (value.is_string()) any = string_bounds(schema, value, where) || any;
    if (value.is_array()) any = array_members(schema, value, where, depth) || any;
    if (value.is_object()) any = object_members(schema, value, where, depth) || any;
    return any;
  }

  // Whether an alternative could hold the value at all, by its type, enum or const.
  bool could_hold(const json& raw_alternative, const json& value) const {
    const json* alternative = resolve(raw_alternative);
    if (!alternative) return true;
    if (const auto types = type_names(*alternative); !types.empty()) {
      bool fits = false;
      for (const auto& t : types) fits = fits || has_type(value, t);
      if (!fits) return false;
    }
    if (auto it = alternative->find("enum"); it != alternative->end() && it->is_array()) {
      bool member = false;
      for (const auto& v : *it) member = member || v == value;
      if (!member) return false;
    }
    if (auto it = alternative->find("const"); it != alternative->end() && *it != value) return false;
    return true;
  }

  // anyOf/oneOf: when no alternative can hold the value, says what they accept together; when
  // exactly one can, explains the value against that one.
  bool alternatives(const json& list, const json& value, const Where& where, int depth) {
    std::vector<const json*> candidates;
    for (const auto& alternative : list)
      if (could_hold(alternative, value)) candidates.push_back(&alternative);
    if (candidates.size() == 1) return check(*candidates.front(), value, where, depth + 1);
    if (!candidates.empty()) return false;
    std::vector<std::string> phrases;
    json literals = json::array();
    for (const auto& raw : list) {
      const json* alternative = resolve(raw);
      if (!alternative) return false;
      if (auto it = alternative->find("const"); it != alternative->end()) {
        literals.push_back(*it);
      } else if (auto e = alternative->find("enum"); e != alternative->end() && e->is_array()) {
        for (const auto& v : *e) literals.push_back(v);
      } else if (const auto types = type_names(*alternative); !types.empty()) {
        for (const auto& t : types) phrases.push_back(type_phrase(t));
      } else {
        return false;  // an alternative this cannot put in words
      }
    }
    if (!literals.empty()) phrases.insert(phrases.begin(), "one of " + listed(literals));
    add(where.parameter,
        where.path + ": expected " + joined(phrases, ", ", " or ") + ", got " + shown_value(value));
    return true;
  }

  bool number_bounds(const json& schema, const json& value, const Where& where) {
    const double v = value.get<double>();
    const auto bound = [&](const char* keyword) -> const json* {
      const auto it = schema.find(keyword);
      return it != schema.end() && it->is_number() ? &*it : nullptr;
    };
    const auto boolean = [&](const char* keyword) {
      const auto it = schema.find(keyword);
      return it != schema.end() && it->is_boolean() && it->get<bool>();
    };
    const auto say = [&](const std::string& what) {
      add(where.parameter, where.path + ": expected " + what + ", got " + value.dump());
      return true;
    };
    // Draft 4 writes an exclusive bound as minimum + "exclusiveMinimum": true.
    if (const json* min = bound("minimum"))
      if (boolean("exclusiveMinimum") ? v <= min->get<double>() : v < min->get<double>())
        return say((boolean("exclusiveMinimum") ? "more than " : "at least ") + min->dump());
    if (const json* max = bound("maximum"))
      if (boolean("exclusiveMaximum") ? v >= max->get<double>() : v > max->get<double>())
        return say((boolean("exclusiveMaximum") ? "less than " : "at most ") + max->dump());
    if (const json* min = bound("exclusiveMinimum"); min && v <= min->get<double>())
      return say("more than " + min->dump());
    if (const json* max = bound("exclusiveMaximum"); max && v >= max->get<double>())
      return say("less than " + max->dump());
    if (const json* step = bound("multipleOf"); step && step->get<double>() > 0) {
      const double q = v / step->get<double>();
      if (std::isfinite(q) && std::fabs(q - std::round(q)) > 1e-9)
        return say("a multiple of " + step->dump());
    }
    return false;
  }

  bool string_bounds(const json& schema, const json& value, const Where& where) {
    const std::size_t length = count_characters(value.get_ref<const std::string&>());
    const auto bound = [&](const char* keyword) -> std::optional<std::size_t> {
      const auto it = schema.find(keyword);
      if (it == schema.end() || !it->is_number_unsigned()) return std::nullopt;
      return it->get<std::size_t>();
    };
    if (auto min = bound("minLength"); min && length < *min) {
      add(where.parameter, where.path + ": expected at least " +
                               plural(*min, "character", "characters") + ", got " +
                               shown_value(value));
      return true;
    }
    if (auto max = bound("maxLength"); max && length > *max) {
      add(where.parameter, where.path + ": expected at most " +
                               plural(*max, "character", "characters") + ", got " +
                               std::to_string(length));
      return true;
    }
    return false;
  }

  bool array_members(const json& schema, const json& value, const Where& where, int depth) {
    const auto bound = [&](const char* keyword) -> std::optional<std::size_t> {
      const auto it = schema.find(keyword);
      if (it == schema.end() || !it->is_number_unsigned()) return std::nullopt;
      return it->get<std::size_t>();
    };
    if (auto min = bound("minItems"); min && value.size() < *min) {
      add(where.parameter, where.path + ": expected at least " + plural(*min, "item", "items") +
                               ", got " + std::to_string(value.size()));
      return true;
    }
    if (auto max = bound("maxItems"); max && value.size() > *max) {
      add(where.parameter, where.path + ": expected at most " + plural(*max, "item", "items") +
                               ", got " + std::to_string(value.size()));
      return true;
    }
    const auto items = schema.find("items");
    if (items == schema.end()) return false;
    bool any = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (full()) {  // the rest of a huge array is not worth reading
        truncated_ = true;
        break;
      }
      const json* item_schema = items->is_array() ? (i < items->size() ? &(*items)[i] : nullptr)
                                                  : &*items;
      if (!item_schema) break;
      const Where at{where.parameter, where.path + "[" + std::to_string(i) + "]"};
      any = check(*item_schema, value[i], at, depth + 1) || any;
    }
    return any;
  }

  // The members of an object: unknown keys, each known one against its schema, then the
  // required ones missing. `path` is empty for the arguments themselves.
  bool object_members(const json& schema, const json& value, const Where& where, int depth) {
    const std::string& path = where.path;
    static const json no_properties = json::object();
    const auto p = schema.find("properties");
    const json& properties = p != schema.end() && p->is_object() ? *p : no_properties;
    const auto extra = schema.find("additionalProperties");
    // patternProperties decide for some extra keys: leave those to valijson.
    const bool closed = extra != schema.end() && extra->is_boolean() && !extra->get<bool>() &&
                        !schema.contains("patternProperties");
    const bool extra_schema = extra != schema.end() && extra->is_object() &&
                              !schema.contains("patternProperties");
    const auto name_path = [&](const std::string& key) {
      return path.empty() ? key_in_path(key) : path + "." + key_in_path(key);
    };
    const auto parameter_of = [&](const std::string& key) {
      return path.empty() ? key : where.parameter;
    };
    bool any = false;
    for (const auto& [key, member] : value.items()) {
      if (full()) {
        truncated_ = true;
        break;
      }
      const auto known = properties.find(key);
      if (known != properties.end()) {
        any = check(*known, member, {parameter_of(key), name_path(key)}, depth + 1) || any;
      } else if (closed) {
        if (path.empty()) {
          std::vector<std::string> names;
          for (const auto& [name, unused] : properties.items()) {
            if (names.size() == listed_names_max) {
              names.push_back("...");
              break;
            }
            names.push_back(key_in_path(name));
          }
          add(key, "unknown parameter " + in_quotes(key) +
                                    (names.empty() ? std::string(" (this tool takes none)")
                                                   : " (this tool takes: " + joined(names, ", ", ", ") + ")"));
        } else {
          add(where.parameter, path + ": unknown property " + in_quotes(key));
        }
        any = true;
      } else if (extra_schema) {
        any = check(*extra, member, {parameter_of(key), name_path(key)}, depth + 1) || any;
      }
    }
    if (auto r = schema.find("required"); r != schema.end() && r->is_array())
      for (const auto& name : *r)
        if (name.is_string() && !value.contains(name.get<std::string>())) {
          const std::string& key = name.get_ref<const std::string&>();
          add(parameter_of(key), name_path(key) + ": required");
          any = true;
        }
    return any;
  }

  const json& root_;
  std::vector<ArgumentProblem>& out_;
  bool truncated_ = false;
};

}  // namespace

std::string shown_value(const json& value) {
  switch (value.type()) {
    case json::value_t::string: return in_quotes(value.get_ref<const std::string&>());
    case json::value_t::object: return value.empty() ? "an empty object" : "an object";
    case json::value_t::array:
      return value.empty() ? "an empty array" : "an array of " + plural(value.size(), "item", "items");
    default: return value.dump();
  }
}

std::vector<ArgumentProblem> explain_argument_problems(const json& schema, const json& arguments) {
  std::vector<ArgumentProblem> problems;
  Explainer explainer(schema, problems);
  explainer.arguments(arguments);
  explainer.finish();
  return problems;
}

}  // namespace mcpgate::tools
