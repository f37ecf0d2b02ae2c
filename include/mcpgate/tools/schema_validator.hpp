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

  // nullopt when valid, else a readable list of what is wrong and where.
  [[nodiscard]] std::optional<std::string> validate(const nlohmann::json& value) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpgate::tools
