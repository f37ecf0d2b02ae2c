// Knowledge-base routes (rag/*, pages): registered by the knowledge part of the store.
// Placeholder until that lands: no routes, so those paths answer 404 {"detail":"Not Found"}.
#include "router.hpp"

namespace mcpgate::backend::embedded {

void add_knowledge_routes(Router&, store::Database&) {}

}  // namespace mcpgate::backend::embedded
