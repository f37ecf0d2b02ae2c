// The MCP request methods mcpgate serves, in one table: for each its name, its handler, the
// revisions it exists in, where it runs and the server capability it belongs to. The
// dispatcher routes through it, the request runner asks it where a request runs, metrics count
// by its names and initialize declares capabilities from it: a method is added (or, in a later
// revision, removed) here and nowhere else.
#pragma once

#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/protocol/access.hpp"
#include "mcpgate/protocol/inflight.hpp"
#include "mcpgate/protocol/outbox.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

namespace mcpgate {
struct SharedContext;
}
namespace mcpgate::util {
class WorkerPool;
}

namespace mcpgate::protocol {

class ClientState;
class DispatchObserver;
class Subscriptions;
class TaskStore;
class RequestStateCodec;

struct DispatchOptions {
  std::size_t page_size = 100;                          // items per tools/list page etc.
  std::chrono::milliseconds client_request_timeout{60000};  // sampling, elicitation
  std::shared_ptr<DispatchObserver> observer;           // metrics; may be null
  // What a session keeps of initialize's capabilities and clientInfo, as compact JSON text
  // (--max-session-data): more is refused with -32602.
  std::size_t max_session_data = 8 * 1024;
  // How long a modern-era client may keep a listing (tools, prompts, resources, discover):
  // Archon's never change while the server runs (only lists declared changeable do, and then
  // listen streams hear of it at once); a few minutes bounds how long a client that does not
  // listen keeps a list that a restart with another catalog made stale.
  std::chrono::milliseconds listing_ttl{300000};
  // The listen streams of this instance (subscriptions/listen); without them the method is
  // not offered.
  std::shared_ptr<Subscriptions> subscriptions;
  // URIs one listen stream may subscribe to (--max-listen-uris); their bytes count against
  // max_session_data.
  std::size_t max_listen_uris = 64;
  // The tasks extension (io.modelcontextprotocol/tasks): the tasks this instance holds and the
  // threads they run on, owned by the composition root. Without them no call becomes a task
  // (a tool that needs one is refused) and no task is ever found.
  std::shared_ptr<TaskStore> tasks;
  std::shared_ptr<util::WorkerPool> task_threads;
  // Seals and opens the modern era's requestState (multi round-trip requests). Null: the
  // Dispatcher makes one with a random key, good for this process alone.
  std::shared_ptr<const RequestStateCodec> request_state;
  // The scope each tool needs when a request's access is scoped (OAuth): a call its token does
  // not allow is refused with a tool error, the tool still listed (see access.hpp).
  ToolScopes tool_scopes;
};

// The longest progress token a request may carry, as JSON text: it is kept while the request
// runs and repeated in every progress notification.
inline constexpr std::size_t max_progress_token_bytes = 256;

// One request on its way through a handler: whom it is from, where its messages go, whether it
// was cancelled, and the dispatcher's options.
struct MethodCall {
  ClientState& client;
  const SharedContext& context;
  const jsonrpc::Request& request;
  // Messages the handler sends while it runs (progress, logs, server->client requests); the
  // client's own outbox when null.
  const std::shared_ptr<Outbox>& out;
  const CancelFlag& cancelled;
  const DispatchOptions& options;

  // The request's params as an object ({} when absent); -32602 when they are not an object.
  [[nodiscard]] const nlohmann::json& params() const;
};

// The method's result, or a jsonrpc::Error thrown.
using MethodHandler = nlohmann::json (*)(MethodCall& call);

// Where a request runs.
enum class Placement {
  connection,  // cheap: on the connection's thread, answered at once
  executor,    // may take a while: on an executor thread, so its messages stream while it runs
  tool_style,  // tools/call: as the called tool's CallStyle says
  stream,      // subscriptions/listen: answered with a stream that outlives the call, which the
               // transport opens through Dispatcher::listen() and holds on its connection's
               // thread
};

// What a client may cache of a method's results (the modern era's ttlMs and cacheScope).
enum class Caching {
  none,     // nothing (calls)
  listing,  // the same for every caller, and changes only with the lists offered: public,
            // fresh for DispatchOptions::listing_ttl
  content,  // may come from the backend and differ per user: private, stale at once
};

struct Method {
  std::string_view name;
  MethodHandler handler = nullptr;
  // The revisions it exists in: from `since` to `until` (empty: still there). Revisions are
  // ISO dates, so string order is time order.
  std::string_view since = "2024-11-05";
  std::string_view until = {};
  Placement placement = Placement::connection;
  // Served before initialize completes (initialize itself, ping).
  bool before_initialize = false;
  // The server capability it belongs to ("" for none), and what it adds to that capability's
  // declaration in initialize's answer, as a JSON object's text.
  std::string_view capability = {};
  std::string_view declares = "{}";
  // Whether this server offers it with `context` (null: always).
  bool (*offered)(const SharedContext& context) = nullptr;
  // Whether clients may cache its results: on the modern era they then carry ttlMs and
  // cacheScope.
  Caching caching = Caching::none;
  // The extension it belongs to ("" for none): declared under capabilities.extensions, and
  // served only to a request whose clientCapabilities declare it too (else -32021).
  std::string_view extension = {};
  // Whether its handler may ask the client for input on the modern era, ending the request
  // with resultType "input_required" (tools/call, prompts/get and resources/read only).
  bool input_rounds = false;

  [[nodiscard]] bool exists_in(std::string_view revision) const noexcept {
    return revision >= since && (until.empty() || revision <= until);
  }
};

// The method that starts a session: it cannot be cancelled, and it does not count as use.
inline constexpr std::string_view initialize_method = "initialize";
[[nodiscard]] inline bool is_initialize(std::string_view method) {
  return method == initialize_method;
}

// Every method in the table, whatever the revision (metrics give each a slot).
inline constexpr std::size_t method_count = 18;
[[nodiscard]] std::span<const Method> methods();

// The method `name` as a client on `revision` may call it with `context`; null when there is
// none (then: -32601). An empty `revision` (before initialize) matches every revision.
[[nodiscard]] const Method* find_method(std::string_view name, std::string_view revision,
                                        const SharedContext& context);

// The capabilities initialize (and, on the modern era, server/discover) declares on `revision`:
// those of the methods offered.
[[nodiscard]] nlohmann::json server_capabilities(const SharedContext& context,
                                                 std::string_view revision);

}  // namespace mcpgate::protocol
