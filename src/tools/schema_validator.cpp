#include "mcpgate/tools/schema_validator.hpp"

// Without this valijson reports a bad schema by calling abort(); with it, by throwing.
#define VALIJSON_USE_EXCEPTIONS 1

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <stdexcept>

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

std::optional<std::string> SchemaValidator::validate(const nlohmann::json& value) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(value);
  if (validator.validate(impl_->schema, adapter, &results)) return std::nullopt;
  std::string message;
  valijson::ValidationResults::Error error;
  // valijson reports the chain from the root down; the deepest entries are the useful ones.
  std::vector<std::string> lines;
  while (results.popError(error)) {
    std::string where;
    for (const auto& part : error.context) where += part;
    lines.push_back(where + ": " + error.description);
  }
  for (std::size_t i = 0; i < lines.size() && i < 5; ++i) {
    if (i) message += "; ";
    message += lines[i];
  }
  if (message.empty()) message = "arguments do not match the input schema";
  return message;
}

}  // namespace mcpgate::tools
