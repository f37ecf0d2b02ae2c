#include "mcpgate/tools/schema_validator.hpp"

#include "mcpgate/tools/argument_errors.hpp"

// Without this valijson reports a bad schema by calling abort(); with it, by throwing.
#define VALIJSON_USE_EXCEPTIONS 1

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mcpgate::tools {

struct SchemaValidator::Impl {
  nlohmann::json document;  // the adapter refers into it
  valijson::Schema schema;
};

SchemaValidator::SchemaValidator(const nlohmann::json& schema) : impl_(std::make_unique<Impl>()) {
  impl_->document = schema;
  // Our schemas are self-contained; "$schema" names a dialect valijson does not know, so parse
  // a copy without it (validation keywords are the same for what tools use).
  impl_->document.erase("$schema");
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(impl_->document);
    parser.populateSchema(adapter, impl_->schema);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("invalid JSON Schema: ") + e.what());
  }
}

SchemaValidator::~SchemaValidator() = default;

namespace {

// valijson writes a property or an index as "[name]"; anything else is kept as it is.
std::string unbracketed(const std::string& part) {
  if (part.size() >= 2 && part.front() == '[' && part.back() == ']')
    return part.substr(1, part.size() - 2);
  return part;
}

// valijson names a top-level property right after "<root>".
std::string blamed_parameter(const valijson::ValidationResults::Error& error) {
  return error.context.size() < 2 ? std::string() : unbracketed(error.context[1]);
}

// What valijson says about a problem the explanation did not cover, bounded like the rest:
// "tags[1].code: Failed to match regex specified by 'pattern' constraint".
std::string in_valijson_words(const valijson::ValidationResults::Error& error) {
  std::string where;
  for (std::size_t i = 1; i < error.context.size(); ++i) {
    const std::string name = unbracketed(error.context[i]);
    const bool index = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
    if (i == 1) where += name;
    else if (index) where += "[" + name + "]";
    else where += "." + name;
  }
  std::string description = error.description;
  while (!description.empty() && (description.back() == '.' || description.back() == ' '))
    description.pop_back();
  // Paths hold the client's keys: escaped and bounded like any value a client sent.
  return (where.empty() ? std::string("arguments") : escaped_text(where, quoted_characters_max)) +
         ": " + escaped_text(description, 2 * quoted_characters_max);
}

}  // namespace

std::optional<std::string> SchemaValidator::validate(const nlohmann::json& value) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(value);
  if (validator.validate(impl_->schema, adapter, &results)) return std::nullopt;

  // valijson judges; the explanation says it in the tool's words. A parameter valijson blames
  // that the explanation has no line for gets valijson's deepest description of it.
  std::vector<ArgumentProblem> problems = explain_argument_problems(impl_->document, value);
  const auto explained = [&](const std::string& parameter) {
    for (const auto& p : problems)
      if (p.parameter == parameter) return true;
    return false;
  };
  std::vector<std::pair<std::string, valijson::ValidationResults::Error>> deepest;
  for (const auto& error : results) {
    const std::string parameter = blamed_parameter(error);
    if (explained(parameter) || (parameter.empty() && !problems.empty())) continue;
    auto it = std::find_if(deepest.begin(), deepest.end(),
                           [&](const auto& d) { return d.first == parameter; });
    if (it == deepest.end()) deepest.emplace_back(parameter, error);
    else if (error.context.size() > it->second.context.size()) it->second = error;
  }
  // valijson also blames the arguments as a whole for each bad property: only worth a line
  // when nothing more precise was found.
  const bool precise = !problems.empty() || deepest.size() > 1 ||
                       (deepest.size() == 1 && !deepest.front().first.empty());
  for (const auto& [parameter, error] : deepest)
    if (problems.size() < lines_max && (!parameter.empty() || !precise))
      problems.push_back({parameter, in_valijson_words(error)});

  std::string message;
  for (const auto& problem : problems) {
    if (!message.empty()) message += '\n';
    message += problem.text;
  }
  if (message.empty()) message = "arguments do not match the input schema";
  return message;
}

}  // namespace mcpgate::tools
