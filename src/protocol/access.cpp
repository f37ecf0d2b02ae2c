#include "mcpgate/protocol/access.hpp"

#include <algorithm>

namespace mcpgate::protocol {

std::string_view ToolScopes::needed_for(std::string_view tool) const {
  return tool.substr(0, 7) == "manage_" ? std::string_view(write) : std::string_view(read);
}

bool ToolScopes::holds(const Access& access, std::string_view scope) const {
  if (scope.empty() || access.every_scope) return true;
  const auto granted = [&](std::string_view name) {
    return !name.empty() &&
           std::find(access.scopes.begin(), access.scopes.end(), name) != access.scopes.end();
  };
  return granted(scope) || (scope == read && granted(write));
}

}  // namespace mcpgate::protocol
