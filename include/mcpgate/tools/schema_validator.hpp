// Checks tool arguments against a tool's JSON Schema (valijson underneath).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

namespace mcpgate::tools {

class SchemaValidator {
 public:
  // Throws std::invalid_argument when the schema itself cannot be compiled.
  explicit SchemaValidator(const nlohmann::json& schema);
  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // nullopt when valid, else what is wrong in the tool's own words, one line per bad parameter
  // ("task_order: expected an integer, got \"high\"", "title: required"): valijson decides
  // whether the value is valid, explain_argument_problems (argument_errors.hpp) says why, and
  // whatever that cannot put into words is named in valijson's words. Bounded: at most
  // lines_max lines, each quoting at most quoted_characters_max characters of what was sent.
  [[nodiscard]] std::optional<std::string> validate(const nlohmann::json& value) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpgate::tools
