#include "core_routes.hpp"

namespace mcpgate::backend::embedded {

void add_document_routes(Router&, store::Database&) {}

}  // namespace mcpgate::backend::embedded
