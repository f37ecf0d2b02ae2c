// Where the embedded store lives by default, and making sure its folder exists.
#pragma once

#include <filesystem>

namespace mcpgate::store {

// $XDG_DATA_HOME/mcpgate/mcpgate.db, or $HOME/.local/share/mcpgate/mcpgate.db when
// XDG_DATA_HOME is unset or empty (the XDG base directory rule). Throws std::runtime_error
// when neither variable is set.
[[nodiscard]] std::filesystem::path default_data_path();

// Creates the folders above the data file `location` that are missing; a PostgreSQL URI (also
// given as --data) names no file and gets none. Throws std::runtime_error naming the folder
// when one cannot be created (or a non-folder is in the way).
void ensure_parent_directories(const std::filesystem::path& location);

}  // namespace mcpgate::store
