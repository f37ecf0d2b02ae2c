#include "mcpgate/store/data_path.hpp"

#include "mcpgate/store/database.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mcpgate::store {

namespace {
const char* non_empty_env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}
}  // namespace

std::filesystem::path default_data_path() {
  if (const char* xdg = non_empty_env("XDG_DATA_HOME"))
    return std::filesystem::path(xdg) / "mcpgate" / "mcpgate.db";
  if (const char* home = non_empty_env("HOME"))
    return std::filesystem::path(home) / ".local" / "share" / "mcpgate" / "mcpgate.db";
  throw std::runtime_error(
      "cannot choose a data file: neither XDG_DATA_HOME nor HOME is set; pass --data PATH");
}

void ensure_parent_directories(const std::filesystem::path& location) {
  // A URI read as a path would make folders named after it ("postgresql:/db?host=/...") in the
  // working directory.
  if (is_postgresql_uri(location.native())) return;
  const auto parent = location.parent_path();
  if (parent.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error)
    throw std::runtime_error("cannot create the data folder " + parent.string() + ": " +
                             error.message());
  if (!std::filesystem::is_directory(parent, error))
    throw std::runtime_error("cannot use " + parent.string() + " as the data folder: not a folder");
}

}  // namespace mcpgate::store
