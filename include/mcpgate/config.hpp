// Command-line flags and environment variables, turned into one immutable Config.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mcpgate {

struct Config {
  // Network
  std::string host = "127.0.0.1";
  int port = 8051;                 // 0 = any free port
  std::string port_file;           // write the bound port here once listening

  // Protocol and transports
  bool json_response = false;      // answer Streamable HTTP requests with application/json
  bool conformance_fixtures = false;
  std::chrono::milliseconds heartbeat{15000};
  long sse_retry_ms = 3000;        // retry: hint sent to 2025-11-25 clients
  std::size_t replay_events = 256;  // delivered events kept per SSE stream for Last-Event-ID
  // Bytes an SSE stream may hold that its client has not read (and in all, with its replay
  // buffer); past it the stream is cut off. 16 MiB: see transport::default_max_stream_bytes.
  std::size_t max_stream_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds client_request_timeout{60000};
  // Multi round-trip requests (2026-07-28): the requestState a call that needs input hands its
  // client (see protocol/request_state.hpp for the defaults' reasons).
  std::string state_key_file;             // the key instances share; empty: one per process
  std::chrono::seconds state_ttl{600};    // how long a client has to answer and retry
  std::size_t max_request_state = 256 * 1024;  // the longest requestState minted or accepted

  // Several instances behind a reverse proxy (scripts/nginx/mcpgate.conf)
  std::string instance_id;         // stamped into session ids as "<id>." so a proxy can route
  std::string public_url;          // absolute base URL for the legacy endpoint event
  bool trust_forwarded = false;    // honour X-Forwarded-Prefix in the legacy endpoint event

  // Concurrency and limits
  std::size_t max_connections = 10000;
  std::size_t max_sessions = 10000;  // at the cap the idlest session makes room (see registry.hpp)
  // Requests one session runs at once: clients keep a handful in flight; 64 leaves a batch
  // room to fan out while one session can hold at most 64 threads and backend connections.
  std::size_t max_inflight = 64;
  // initialize's capabilities and clientInfo (and subscribed URIs), kept for the session's
  // life as compact JSON. Real clients send well under 1 KiB (an icon as a data: URI takes a
  // few); 8 KiB bounds what --max-sessions of them hold: 10,000 sessions each at the budget
  // measured 160 MiB above idle (the text and the allocator's share of it).
  std::size_t max_session_data = 8 * 1024;
  // URIs one subscriptions/listen stream may name in resourceSubscriptions, kept while it is
  // open (their bytes also count against max_session_data). A client subscribes to the
  // resources it shows; 64 is several times what one view holds, and with the byte budget bounds
  // what --max-connections listeners keep.
  std::size_t max_listen_uris = 64;
  std::chrono::seconds session_ttl{3600};
  // The tasks extension (MCP 2026-07-28): tasks held at once, running or finished. Each running
  // one holds a thread, each finished one its result until the TTL: 256 at the result cap hold
  // at most 256 MiB, and 256 tasks per TTL is far more than the long tools (searches) see.
  std::size_t max_tasks = 256;
  // A task's result (compact JSON) and, while it waits, the client's answers: 1 MiB holds any
  // search or page Archon returns (its backend answers are at most --backend-max-body, 4 MiB,
  // of which the tools pass a page); a larger result fails the task with -32603.
  std::size_t max_task_result_bytes = 1024 * 1024;
  // How long a finished task is kept for its client to fetch (its ttlMs), and how long a task
  // waits for input before it gives up: clients poll every second, so 5 minutes covers a slow
  // human answer or a client restart, and bounds what an abandoned task holds.
  std::chrono::milliseconds task_ttl{300000};
  std::chrono::milliseconds init_timeout{30000};
  std::chrono::milliseconds init_retry{2000};
  bool eager_init = false;
  std::size_t max_body = 4 * 1024 * 1024;        // on the wire and inflated, any framing
  std::size_t max_parse_bytes = 32 * 1024 * 1024;  // one client message once parsed
  std::size_t max_header_bytes = 64 * 1024;      // a request's header section
  std::size_t max_headers = 100;                 // header fields in a request
  std::chrono::milliseconds client_io_timeout{10000};  // one read or write to a client
  std::chrono::milliseconds header_timeout{20000};     // a request's line and headers, in all
  std::chrono::milliseconds thread_idle_timeout{30000};  // idle threads retire after this

  // DNS-rebinding protection (see server/origin_guard.hpp)
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;

  // Backend (Archon's REST API). Empty: the embedded store at data_path answers the same
  // routes in-process. parse_config always sets data_path when there is no backend URL;
  // with both empty (a Config built in code) only the local tools are offered.
  std::string backend_url;
  // --data / MCPGATE_DATA, default store::default_data_path(): an SQLite file, or a
  // postgresql:// (postgres://) URI kept as given (store::is_postgresql_uri tells them apart).
  std::filesystem::path data_path;
  // Where Streamable HTTP sessions' records are kept so that they outlive the process (and are
  // shared by instances on the same store): an SQLite file or a PostgreSQL URI of the store's
  // schema. parse_config sets the data path when the embedded store is used (no backend URL);
  // empty: sessions die with the process.
  std::filesystem::path session_store;
  // PostgreSQL connections each of the store's pools (the routes', the session records') opens
  // at most; a request past it waits for one. 10: PostgreSQL's default max_connections (100)
  // then serves five instances with room for psql and backups, and a route holds a connection
  // for one short transaction, so ten serve far more than ten clients. SQLite ignores it.
  std::size_t store_connections = 10;
  // PostgreSQL: how long the server lets a session sit idle inside a transaction before it
  // ends it and releases its locks (store::OpenOptions::idle_transaction_timeout). An instance
  // that froze or lost its network mid-transaction stalls the other instances' writes on the
  // rows it locked for this long. 10 s: well inside an MCP client's 60 s request timeout, and
  // thousands of times the longest gap between two statements of a live instance's transaction.
  std::chrono::milliseconds store_idle_transaction_timeout{10000};
  std::chrono::milliseconds backend_connect_timeout{5000};
  std::chrono::milliseconds backend_read_timeout{20000};
  std::chrono::milliseconds backend_request_timeout{30000};
  // One backend answer's body; its parsed JSON may take 8x this (see http_backend.hpp for why
  // 4 MiB serves Archon's largest answers).
  std::size_t backend_max_body = 4 * 1024 * 1024;

  // Security: a shared secret for the MCP endpoints (--auth-token, MCPGATE_AUTH_TOKEN or the
  // first line of --auth-token-file). Empty: no authentication.
  std::string auth_token;

  // OAuth 2.1 resource server (the MCP authorization spec): off while issuer is empty.
  struct OAuth {
    std::string issuer;    // the authorization server's issuer URL
    std::string resource;  // this server's resource URL; empty: <public-url>/mcp, else per Host
    std::string read_scope = "mcpgate:read";
    std::string write_scope = "mcpgate:write";
    std::chrono::seconds leeway{60};             // clock skew allowed on exp and nbf
    std::chrono::seconds jwks_refresh{600};      // fetch the keys again this often
    std::chrono::seconds jwks_min_refresh{30};   // an unknown kid fetches at most this often
    std::size_t max_token_bytes = 8 * 1024;
    std::size_t max_jwks_bytes = 256 * 1024;
    std::size_t max_keys = 32;
    std::string introspection_url;  // RFC 7662, for opaque tokens; empty: JWTs only
    std::string client_id, client_secret;
    std::chrono::seconds introspection_ttl{30};
    std::size_t introspection_cache = 10000;
  } oauth;

  // Logging
  std::string log_level = "info";
  std::string log_format = "text";  // "text" or "json" (one JSON object per line)

  // Test hook: the shared context's initialisation sleeps this long / fails this many times.
  std::chrono::milliseconds test_init_delay{0};
  int test_init_failures = 0;
};

// What parsing asked for: run the server, or exit at once (help, version, bad flags).
struct ParsedConfig {
  std::optional<Config> config;  // set when the server should run
  int exit_code = 0;             // when it should not
};

// Parses argv and the environment (MCPGATE_*; ARCHON_MCP_PORT for the port). Prints --help,
// --version and errors itself.
[[nodiscard]] ParsedConfig parse_config(int argc, char** argv);

[[nodiscard]] std::string version_string();

}  // namespace mcpgate
