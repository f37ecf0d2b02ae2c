#include "mcpgate/config.hpp"

#include "mcpgate/server/bearer_auth.hpp"
#include "mcpgate/server/origin_guard.hpp"

#include "mcpgate/store/data_path.hpp"
#include "mcpgate/transport/endpoint_url.hpp"
#include "mcpgate/util/flag_values.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string_view>

namespace mcpgate {

std::string version_string() { return MCPGATE_VERSION; }

namespace {

// The range a duration flag accepts, in seconds. The floors refuse values that would switch a
// limit off or spin (0 is "no timeout" to libcurl, a 0 s heartbeat or retry loops); the ceilings
// keep every value far inside std::chrono::milliseconds and libcurl's long milliseconds.
struct SecondsRange {
  double min;
  double max;
};
constexpr double day = 86400;
constexpr SecondsRange positive_up_to_a_day{0.001, day};

// `--flag` (and its env variable) as seconds: finite, in `range`, or exit 2 naming the flag.
template <typename Rep, typename Period>
void add_duration_ms(CLI::App& app, const std::string& name, std::chrono::duration<Rep, Period>& target,
                     double& scratch, const std::string& help, const std::string& env,
                     SecondsRange range = positive_up_to_a_day) {
  scratch = std::chrono::duration<double>(target).count();
  auto* option = app.add_option(name, scratch, help)->capture_default_str();
  if (!env.empty()) option->envname(env);
  option->check(CLI::Validator(
      [range, env](const std::string& value) -> std::string {
        const auto refusal = util::refuse_seconds(value, range.min, range.max);
        if (!refusal) return {};
        return *refusal + (env.empty() ? "" : " (from the flag or " + env + ")");
      },
      "SECONDS"));
}

// A whole-number flag: decimal digits in [min, max], or exit 2 naming the flag. A transform,
// not a check: it drops leading zeros, which CLI11's conversion would read as octal.
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max, const std::string& env) {
  return CLI::Validator(
      [min, max, env](std::string& value) -> std::string {
        if (const auto refusal = util::refuse_whole_number(value, min, max))
          return *refusal + (env.empty() ? "" : " (from the flag or " + env + ")");
        value.erase(0, std::min(value.find_first_not_of('0'), value.size() - 1));
        return {};
      },
      std::to_string(min) + "-" + std::to_string(max));
}

// 1-32 characters of [A-Za-z0-9_-]: it ends up in session ids (and so in URLs and headers)
// and in nginx map patterns, so nothing that needs escaping anywhere.
bool valid_instance_id(const std::string& id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

template <typename Duration>
Duration seconds_to(double seconds) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

// Where the OAuth durations are parsed into, before they become Config::OAuth's.
struct OAuthScratch {
  double leeway = 0, refresh = 0, min_refresh = 0, introspection_ttl = 0;
  std::string client_secret_file;
};

void add_oauth_options(CLI::App& app, Config::OAuth& oauth, OAuthScratch& scratch) {
  app.add_option("--oauth-issuer", oauth.issuer,
                 "Act as an OAuth 2.1 resource server for this authorization server (its issuer "
                 "URL): every MCP endpoint then needs an access token it issued for this server")
      ->envname("MCPGATE_OAUTH_ISSUER");
  app.add_option("--oauth-resource", oauth.resource,
                 "This server's resource URL, the audience its tokens must name (default: "
                 "<public-url>/mcp, else http://<Host>/mcp of each request)")
      ->envname("MCPGATE_OAUTH_RESOURCE");
  app.add_option("--oauth-read-scope", oauth.read_scope,
                 "Scope every request needs (all tools but manage_*); empty: none")
      ->envname("MCPGATE_OAUTH_READ_SCOPE")->capture_default_str();
  app.add_option("--oauth-write-scope", oauth.write_scope,
                 "Scope the manage_* tools need (it implies the read scope); empty: none")
      ->envname("MCPGATE_OAUTH_WRITE_SCOPE")->capture_default_str();
  add_duration_ms(app, "--oauth-leeway", oauth.leeway, scratch.leeway,
                  "Clock skew allowed on a token's exp and nbf, seconds (a minute covers "
                  "machines kept by NTP)",
                  "MCPGATE_OAUTH_LEEWAY", SecondsRange{0, 3600});
  add_duration_ms(app, "--oauth-jwks-refresh", oauth.jwks_refresh, scratch.refresh,
                  "Fetch the issuer's keys again this often, seconds (issuers publish a key long "
                  "before they sign with it)",
                  "MCPGATE_OAUTH_JWKS_REFRESH", SecondsRange{1, day});
  add_duration_ms(app, "--oauth-jwks-min-refresh", oauth.jwks_min_refresh, scratch.min_refresh,
                  "A token naming an unknown key fetches the keys at most this often, seconds "
                  "(forged key ids cannot make mcpgate hammer the issuer)",
                  "MCPGATE_OAUTH_JWKS_MIN_REFRESH", SecondsRange{0, day});
  app.add_option("--oauth-max-token-bytes", oauth.max_token_bytes,
                 "Longest access token accepted (8 KiB: the longest header line a request may carry)")
      ->envname("MCPGATE_OAUTH_MAX_TOKEN_BYTES")
      ->transform(whole_number(256, 64 * 1024, "MCPGATE_OAUTH_MAX_TOKEN_BYTES"))
      ->capture_default_str();
  app.add_option("--oauth-max-jwks-bytes", oauth.max_jwks_bytes,
                 "Largest metadata or JWK Set document read from the issuer")
      ->envname("MCPGATE_OAUTH_MAX_JWKS_BYTES")
      ->transform(whole_number(1024, 16 * 1024 * 1024, "MCPGATE_OAUTH_MAX_JWKS_BYTES"))
      ->capture_default_str();
  app.add_option("--oauth-max-keys", oauth.max_keys,
                 "Most keys in the issuer's JWK Set (a larger set is refused, the old one kept)")
      ->envname("MCPGATE_OAUTH_MAX_KEYS")
      ->transform(whole_number(1, 1000, "MCPGATE_OAUTH_MAX_KEYS"))
      ->capture_default_str();
  app.add_option("--oauth-introspection-url", oauth.introspection_url,
                 "RFC 7662 introspection endpoint for opaque (non-JWT) tokens")
      ->envname("MCPGATE_OAUTH_INTROSPECTION_URL");
  app.add_option("--oauth-client-id", oauth.client_id,
                 "This server's client id at the introspection endpoint")
      ->envname("MCPGATE_OAUTH_CLIENT_ID");
  auto* secret = app.add_option("--oauth-client-secret", oauth.client_secret,
                                "Its client secret (prefer the file or the variable: flags show in ps)")
                     ->envname("MCPGATE_OAUTH_CLIENT_SECRET");
  app.add_option("--oauth-client-secret-file", scratch.client_secret_file,
                 "Read the client secret from the first line of this file")
      ->envname("MCPGATE_OAUTH_CLIENT_SECRET_FILE")->excludes(secret);
  add_duration_ms(app, "--oauth-introspection-ttl", oauth.introspection_ttl,
                  scratch.introspection_ttl,
                  "How long an introspection answer is reused, seconds (a revoked token works "
                  "this long at most)",
                  "MCPGATE_OAUTH_INTROSPECTION_TTL", SecondsRange{0, 3600});
  app.add_option("--oauth-introspection-cache", oauth.introspection_cache,
                 "Introspection answers kept at most (about 200 bytes each)")
      ->envname("MCPGATE_OAUTH_INTROSPECTION_CACHE")
      ->transform(whole_number(0, 10000000, "MCPGATE_OAUTH_INTROSPECTION_CACHE"))
      ->capture_default_str();
}

// The OAuth settings once parsed: secrets read, URLs checked. An error message, or "".
std::string finish_oauth(Config& config, const OAuthScratch& scratch) {
  auto& oauth = config.oauth;
  oauth.leeway = seconds_to<std::chrono::seconds>(scratch.leeway);
  oauth.jwks_refresh = seconds_to<std::chrono::seconds>(scratch.refresh);
  oauth.jwks_min_refresh = seconds_to<std::chrono::seconds>(scratch.min_refresh);
  oauth.introspection_ttl = seconds_to<std::chrono::seconds>(scratch.introspection_ttl);
  if (!scratch.client_secret_file.empty()) {
    try {
      oauth.client_secret = server::BearerAuth::read_token_file(scratch.client_secret_file);
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  const auto http_url = [](const std::string& url) {
    return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
  };
  if (oauth.issuer.empty()) {
    if (!oauth.introspection_url.empty()) return "--oauth-introspection-url needs --oauth-issuer";
    return {};
  }
  if (!http_url(oauth.issuer)) return "--oauth-issuer must be an http(s) URL";
  if (!oauth.introspection_url.empty() && (!http_url(oauth.introspection_url) || oauth.client_id.empty()))
    return "--oauth-introspection-url must be an http(s) URL and needs --oauth-client-id";
  if (oauth.resource.empty() && !config.public_url.empty()) oauth.resource = config.public_url + "/mcp";
  // Without a name of its own the resource is read from each request's Host: on loopback that
  // is one of a few names, but a server others reach would take a token issued for another
  // resource of the same issuer, sent with that resource's Host.
  if (oauth.resource.empty() && !server::OriginGuard::is_loopback_address(config.host))
    return "--oauth-issuer on a non-loopback --host needs --oauth-resource or --public-url (the "
           "URL clients reach /mcp at, which tokens must name)";
  if (!oauth.resource.empty() && (!http_url(oauth.resource) || oauth.resource.find('#') != std::string::npos))
    return "--oauth-resource must be an http(s) URL without a fragment";
  return {};
}

}  // namespace

ParsedConfig parse_config(int argc, char** argv) {
  Config config;
  CLI::App app{"mcpgate: a Model Context Protocol server over Streamable HTTP and HTTP+SSE", "mcpgate"};
  app.set_version_flag("--version", "mcpgate " + version_string());
  app.get_formatter()->column_width(34);
  app.footer(
      "Subcommands:\n"
      "  mcpgate ingest PATH|URL... --source NAME\n"
      "                                    Index files, or crawl documentation sites, into the\n"
      "                                    embedded store's knowledge base\n"
      "                                    (see mcpgate ingest --help)\n"
      "  mcpgate help [ingest]             This help, or the ingest command's");

  app.add_option("--host", config.host, "Address to listen on")
      ->envname("MCPGATE_HOST")->capture_default_str();
  // ARCHON_MCP_PORT is honoured for drop-in use by Archon users; MCPGATE_PORT wins.
  const char* port_env = std::getenv("MCPGATE_PORT") ? "MCPGATE_PORT" : "ARCHON_MCP_PORT";
  app.add_option("--port", config.port, "TCP port (0 = any free port)")
      ->envname(port_env)->transform(whole_number(0, 65535, port_env))
      ->capture_default_str();
  app.add_option("--port-file", config.port_file, "Write the bound port to this file once listening");

  app.add_option("--instance-id", config.instance_id,
                 "Name of this instance (1-32 of A-Z a-z 0-9 _ -), stamped into every session id "
                 "as '<name>.' so a reverse proxy can send each session to its instance")
      ->envname("MCPGATE_INSTANCE_ID");
  app.add_option("--public-url", config.public_url,
                 "Public base URL of this server (e.g. https://example.com/mcp-gate): the legacy "
                 "endpoint event then names <public-url>/messages instead of a relative URL")
      ->envname("MCPGATE_PUBLIC_URL");
  app.add_flag("--trust-forwarded", config.trust_forwarded,
               "Honour a proxy's X-Forwarded-Prefix in the legacy endpoint event (validated)")
      ->envname("MCPGATE_TRUST_FORWARDED");

  app.add_flag("--json-response", config.json_response,
               "Answer /mcp requests as application/json instead of an SSE stream")
      ->envname("MCPGATE_JSON_RESPONSE");
  app.add_flag("--conformance-fixtures", config.conformance_fixtures,
               "Register the tools, resources and prompts the MCP conformance suite expects")
      ->envname("MCPGATE_CONFORMANCE_FIXTURES");

  app.add_option("--backend", config.backend_url,
                 "Archon-compatible REST API to forward tools to, e.g. http://localhost:8181 "
                 "(default: from ARCHON_SERVER_HOST/ARCHON_SERVER_PORT when set)")
      ->envname("MCPGATE_BACKEND_URL");
  std::string data_path;
  app.add_option("--data", data_path,
                 "The embedded store, used when no --backend is given: an SQLite file, or a "
                 "PostgreSQL database as a libpq URI (postgresql://user@host:5432/db, also "
                 "postgres://) for several instances on several hosts (default: "
                 "$XDG_DATA_HOME/mcpgate/mcpgate.db, else ~/.local/share/mcpgate/mcpgate.db)")
      ->envname("MCPGATE_DATA");
  std::string session_store;
  app.add_option("--session-store", session_store,
                 "SQLite file or PostgreSQL URI where Streamable HTTP sessions are recorded, so "
                 "that a restarted server, or another instance on the same store, carries them on with no new "
                 "initialize; 'none' keeps them in memory only (default: the --data file when "
                 "the embedded store is used, none with --backend)")
      ->envname("MCPGATE_SESSION_STORE");
  double connect_timeout = 0, read_timeout = 0, request_timeout = 0;
  add_duration_ms(app, "--connect-timeout", config.backend_connect_timeout, connect_timeout,
                  "Seconds to connect to the backend", "MCP_CONNECT_TIMEOUT");
  add_duration_ms(app, "--read-timeout", config.backend_read_timeout, read_timeout,
                  "Seconds to wait for the backend's answer", "MCP_READ_TIMEOUT");
  add_duration_ms(app, "--request-timeout", config.backend_request_timeout, request_timeout,
                  "Seconds one backend request may take in all", "MCP_REQUEST_TIMEOUT");

  app.add_option("--max-backend-body", config.backend_max_body,
                 "Largest backend answer in bytes; its parsed JSON may take 8 times this. Larger "
                 "answers, or JSON that would take more to parse, are invalid_response errors")
      ->envname("MCPGATE_MAX_BACKEND_BODY")
      ->transform(whole_number(64 * 1024, 1 << 30, "MCPGATE_MAX_BACKEND_BODY"))
      ->capture_default_str();

  double heartbeat = 0, session_ttl = 0, init_timeout = 0, init_retry = 0, client_timeout = 0,
         test_delay = 0, thread_idle = 0, client_io = 0, header = 0, task_ttl = 0;
  // 0.1 s: a faster ping is pure load; an hour: a vanished client is noticed within it.
  add_duration_ms(app, "--heartbeat", config.heartbeat, heartbeat,
                  "Seconds between ': ping' comments on idle SSE streams", "MCPGATE_HEARTBEAT",
                  {0.1, 3600});
  add_duration_ms(app, "--session-ttl", config.session_ttl, session_ttl,
                  "Seconds of inactivity after which a Streamable HTTP session ends",
                  "MCPGATE_SESSION_TTL", {1, 30 * day});
  add_duration_ms(app, "--task-ttl", config.task_ttl, task_ttl,
                  "Seconds a finished task (tasks extension) is kept for its client to fetch "
                  "(its ttlMs), and the longest a task waits for the client's input. Default 5 "
                  "minutes: clients poll every second; it covers a slow answer or a client "
                  "restart and bounds what an abandoned task holds",
                  "MCPGATE_TASK_TTL", {1, day});
  add_duration_ms(app, "--init-timeout", config.init_timeout, init_timeout,
                  "Seconds a new session waits for server initialisation", "MCPGATE_INIT_TIMEOUT");
  add_duration_ms(app, "--init-retry", config.init_retry, init_retry,
                  "Seconds before a failed initialisation is retried (doubling to 60)",
                  "MCPGATE_INIT_RETRY", {0.001, 60});
  add_duration_ms(app, "--client-request-timeout", config.client_request_timeout, client_timeout,
                  "Seconds to wait for a client's answer to sampling or elicitation",
                  "MCPGATE_CLIENT_REQUEST_TIMEOUT");
  add_duration_ms(app, "--thread-idle-timeout", config.thread_idle_timeout, thread_idle,
                  "Seconds an idle connection or request thread is kept before it exits "
                  "(a few always stay)",
                  "MCPGATE_THREAD_IDLE_TIMEOUT");
  add_duration_ms(app, "--client-timeout", config.client_io_timeout, client_io,
                  "Seconds a read from or write to a client may make no progress before its "
                  "connection is closed (a client that stops reading its stream, a stalled sender)",
                  "MCPGATE_CLIENT_TIMEOUT");
  add_duration_ms(app, "--header-timeout", config.header_timeout, header,
                  "Seconds a request's line and headers may take to arrive in all (against "
                  "clients that trickle them)",
                  "MCPGATE_HEADER_TIMEOUT");
  app.add_option("--state-key-file", config.state_key_file,
                 "File holding the key (32 or more bytes) that seals the requestState of "
                 "2026-07-28 multi round-trip requests; created with 32 random bytes (mode "
                 "0600) when missing. Instances behind one load balancer must share it, or a "
                 "retry that reaches another instance is refused (default: a random key per "
                 "process)")
      ->envname("MCPGATE_STATE_KEY_FILE");
  double state_ttl = 0;
  add_duration_ms(app, "--state-ttl", config.state_ttl, state_ttl,
                  "Seconds a requestState stays valid: how long a client has to answer an "
                  "input_required result and retry (a person fills in a form: minutes)",
                  "MCPGATE_STATE_TTL", SecondsRange{1, day});
  app.add_option("--max-request-state", config.max_request_state,
                 "Longest requestState in bytes, minted or accepted; it carries the answers of "
                 "earlier rounds, and a call whose answers no longer fit is refused (-32602). "
                 "Default 256 KiB: dozens of long sampling answers, far below --max-body")
      ->envname("MCPGATE_MAX_REQUEST_STATE")
      ->transform(whole_number(1024, std::size_t{64} << 20, "MCPGATE_MAX_REQUEST_STATE"))
      ->capture_default_str();
  app.add_flag("--eager-init", config.eager_init,
               "Initialise the shared context at start-up instead of on the first session")
      ->envname("MCPGATE_EAGER_INIT");
  app.add_option("--sse-retry-ms", config.sse_retry_ms,
                 "Reconnection delay suggested to 2025-11-25 clients (retry: field)")
      ->envname("MCPGATE_SSE_RETRY_MS")
      ->transform(whole_number(0, 86400000, "MCPGATE_SSE_RETRY_MS"))  // up to a day
      ->capture_default_str();
  app.add_option("--replay-events", config.replay_events,
                 "Delivered events kept per SSE stream for resumption with Last-Event-ID "
                 "(undelivered ones are never evicted: see --max-stream-bytes)")
      ->envname("MCPGATE_REPLAY_EVENTS")
      ->transform(whole_number(1, 100000, "MCPGATE_REPLAY_EVENTS"))
      ->capture_default_str();
  app.add_option("--max-stream-bytes", config.max_stream_bytes,
                 "Bytes an SSE stream may hold that its client has not read yet (and in all, "
                 "with its replay buffer); past it the stream ends and later messages for it are "
                 "dropped (a legacy session ends; a Streamable HTTP resume is answered 410). "
                 "Default 16 MiB: four times --max-body's default, far above what a client that "
                 "reads ever leaves unread; one message always fits however large")
      ->envname("MCPGATE_MAX_STREAM_BYTES")
      ->transform(whole_number(std::size_t{64} * 1024, std::size_t{1} << 34,
                               "MCPGATE_MAX_STREAM_BYTES"))
      ->capture_default_str();
  app.add_option("--max-connections", config.max_connections,
                 "Connections served at once; more get an immediate 503")
      ->envname("MCPGATE_MAX_CONNECTIONS")
      ->transform(whole_number(1, 30000, "MCPGATE_MAX_CONNECTIONS"))
      ->capture_default_str();
  app.add_option("--max-sessions", config.max_sessions,
                 "Sessions open at once; past it a new one replaces the idlest (never-used "
                 "first), and gets 503 only when every session is busy")
      ->envname("MCPGATE_MAX_SESSIONS")
      ->transform(whole_number(1, 1000000, "MCPGATE_MAX_SESSIONS"))
      ->capture_default_str();
  app.add_option("--store-connections", config.store_connections,
                 "PostgreSQL store: connections each pool (routes, session records) opens at "
                 "most; more requests wait for one (SQLite ignores it)")
      ->envname("MCPGATE_STORE_CONNECTIONS")
      ->transform(whole_number(1, 1000, "MCPGATE_STORE_CONNECTIONS"))
      ->capture_default_str();
  double idle_transaction_timeout = 0;
  add_duration_ms(app, "--store-idle-transaction-timeout", config.store_idle_transaction_timeout,
                  idle_transaction_timeout,
                  "PostgreSQL store: seconds a session may sit idle inside a transaction before "
                  "the server ends it and frees its locks (an instance that froze or lost its "
                  "network mid-write holds the others up this long; SQLite ignores it)",
                  "MCPGATE_STORE_IDLE_TRANSACTION_TIMEOUT");
  app.add_option("--max-inflight", config.max_inflight,
                 "Requests one session may have running at once; more are answered with a "
                 "JSON-RPC error (-32005) at once")
      ->envname("MCPGATE_MAX_INFLIGHT")
      ->transform(whole_number(1, 100000, "MCPGATE_MAX_INFLIGHT"))
      ->capture_default_str();
  app.add_option("--max-session-data", config.max_session_data,
                 "Bytes of initialize's capabilities and clientInfo (as compact JSON) and of "
                 "subscribed URIs a session keeps; more are refused with -32602")
      ->envname("MCPGATE_MAX_SESSION_DATA")
      ->transform(whole_number(256, 16 << 20, "MCPGATE_MAX_SESSION_DATA"))
      ->capture_default_str();
  app.add_option("--max-listen-uris", config.max_listen_uris,
                 "URIs one subscriptions/listen stream (protocol 2026-07-28) may subscribe to "
                 "in resourceSubscriptions (their bytes count against --max-session-data); "
                 "more are refused with -32602")
      ->envname("MCPGATE_MAX_LISTEN_URIS")
      ->transform(whole_number(1, 100000, "MCPGATE_MAX_LISTEN_URIS"))
      ->capture_default_str();
  app.add_option("--max-tasks", config.max_tasks,
                 "Tasks (tasks extension) held at once, running or finished and kept for "
                 "--task-ttl; past it a tool that may run in the request does, one that needs a "
                 "task gets -32005. Each running task holds a thread, each finished one its result")
      ->envname("MCPGATE_MAX_TASKS")
      ->transform(whole_number(1, 100000, "MCPGATE_MAX_TASKS"))
      ->capture_default_str();
  app.add_option("--max-task-result-bytes", config.max_task_result_bytes,
                 "Bytes of a task's result (compact JSON) a task keeps, and of the client's "
                 "answers while it waits; a larger result fails the task with -32603")
      ->envname("MCPGATE_MAX_TASK_RESULT_BYTES")
      ->transform(whole_number(1024, std::size_t{1} << 30, "MCPGATE_MAX_TASK_RESULT_BYTES"))
      ->capture_default_str();
  app.add_option("--max-body", config.max_body,
                 "Largest request body in bytes, for every framing (Content-Length, chunked) and "
                 "again after gzip/deflate inflation; more get 413")
      ->envname("MCPGATE_MAX_BODY")
      ->transform(whole_number(1024, 1 << 30, "MCPGATE_MAX_BODY"))
      ->capture_default_str();
  app.add_option("--max-parse-bytes", config.max_parse_bytes,
                 "Memory one client message may take once parsed, estimated before parsing it "
                 "(JSON of many tiny values takes 20x its size); more get 413. Default 32 MiB: "
                 "8x --max-body's default, so any realistic body parses")
      ->envname("MCPGATE_MAX_PARSE_BYTES")
      ->transform(whole_number(64 * 1024, std::uint64_t{1} << 34, "MCPGATE_MAX_PARSE_BYTES"))
      ->capture_default_str();
  app.add_option("--max-header-bytes", config.max_header_bytes,
                 "Largest request header section in bytes (a request line or one header line "
                 "over 8 KiB is refused too); more get 431, or 414 for the request line")
      ->envname("MCPGATE_MAX_HEADER_BYTES")
      ->transform(whole_number(8 * 1024, 1 << 20, "MCPGATE_MAX_HEADER_BYTES"))
      ->capture_default_str();
  app.add_option("--max-headers", config.max_headers, "Most header fields in a request; more get 431")
      ->envname("MCPGATE_MAX_HEADERS")
      ->transform(whole_number(16, 10000, "MCPGATE_MAX_HEADERS"))
      ->capture_default_str();
  app.add_option("--allowed-hosts", config.allowed_hosts,
                 "Host header values (host or host:port) accepted on MCP endpoints (default: "
                 "loopback hosts when bound to loopback, any otherwise; * for any)")
      ->envname("MCPGATE_ALLOWED_HOSTS")->delimiter(',');
  app.add_option("--allowed-origins", config.allowed_origins,
                 "Browser Origins (http(s)://host[:port]) accepted (default: loopback origins when "
                 "bound to loopback, the request's own host otherwise; * for any)")
      ->envname("MCPGATE_ALLOWED_ORIGINS")->delimiter(',');
  std::string auth_token_file;
  auto* token_opt = app.add_option("--auth-token", config.auth_token,
                                   "Require 'Authorization: Bearer TOKEN' on the MCP endpoints "
                                   "(/health stays open)")
                        ->envname("MCPGATE_AUTH_TOKEN");
  app.add_option("--auth-token-file", auth_token_file,
                 "Read the auth token from the first line of this file")
      ->envname("MCPGATE_AUTH_TOKEN_FILE")->excludes(token_opt);
  OAuthScratch oauth_scratch;
  add_oauth_options(app, config.oauth, oauth_scratch);
  app.add_option("--log-format", config.log_format, "text, or json for log shippers")
      ->envname("MCPGATE_LOG_FORMAT")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  app.add_option("--log-level", config.log_level,
                 "trace, debug, info, warn, error, critical or off")
      ->envname("MCPGATE_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();

  auto* hidden = app.add_option_group("");  // test hooks, not shown in --help
  hidden->add_option("--test-init-delay", test_delay)
      ->envname("MCPGATE_TEST_INIT_DELAY")
      ->check(CLI::Validator(
          [](const std::string& value) {
            return util::refuse_seconds(value, 0, day).value_or("");
          },
          "SECONDS"));
  hidden->add_option("--test-init-failures", config.test_init_failures)
      ->envname("MCPGATE_TEST_INIT_FAILURES");

  try {
    // `mcpgate help` is --help (main() sends `mcpgate help ingest` to the ingest command).
    if (argc == 2 && std::string_view(argv[1]) == "help") throw CLI::CallForHelp();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the error
    return ParsedConfig{std::nullopt, code == 0 ? 0 : 2};
  }

  if (!auth_token_file.empty()) {
    try {
      config.auth_token = server::BearerAuth::read_token_file(auth_token_file);
    } catch (const std::exception& e) {
      std::cerr << "mcpgate: " << e.what() << "\n";
      return ParsedConfig{std::nullopt, 2};
    }
  }
  if (config.auth_token.find_first_of(" \t\r\n") != std::string::npos) {
    std::cerr << "mcpgate: the auth token must not contain whitespace\n";
    return ParsedConfig{std::nullopt, 2};
  }

  config.heartbeat = seconds_to<std::chrono::milliseconds>(heartbeat);
  config.session_ttl = seconds_to<std::chrono::seconds>(session_ttl);
  config.init_timeout = seconds_to<std::chrono::milliseconds>(init_timeout);
  config.init_retry = seconds_to<std::chrono::milliseconds>(init_retry);
  config.client_request_timeout = seconds_to<std::chrono::milliseconds>(client_timeout);
  config.state_ttl = seconds_to<std::chrono::seconds>(state_ttl);
  config.test_init_delay = seconds_to<std::chrono::milliseconds>(test_delay);
  config.thread_idle_timeout = seconds_to<std::chrono::milliseconds>(thread_idle);
  config.client_io_timeout = seconds_to<std::chrono::milliseconds>(client_io);
  config.header_timeout = seconds_to<std::chrono::milliseconds>(header);
  config.task_ttl = seconds_to<std::chrono::milliseconds>(task_ttl);
  config.backend_connect_timeout = seconds_to<std::chrono::milliseconds>(connect_timeout);
  config.backend_read_timeout = seconds_to<std::chrono::milliseconds>(read_timeout);
  config.backend_request_timeout = seconds_to<std::chrono::milliseconds>(request_timeout);
  config.store_idle_transaction_timeout = seconds_to<std::chrono::milliseconds>(idle_transaction_timeout);
  if (config.backend_url.empty()) {
    // Archon's own discovery variables, for drop-in use next to an Archon server.
    if (const char* port = std::getenv("ARCHON_SERVER_PORT"); port && *port) {
      const char* host = std::getenv("ARCHON_SERVER_HOST");
      config.backend_url = std::string("http://") + (host && *host ? host : "localhost") + ":" + port;
    }
  }
  if (!data_path.empty()) {
    config.data_path = data_path;
  } else if (config.backend_url.empty()) {
    try {
      config.data_path = store::default_data_path();
    } catch (const std::exception& e) {
      std::cerr << "mcpgate: " << e.what() << "\n";
      return ParsedConfig{std::nullopt, 2};
    }
  }
  // The embedded store's file keeps its sessions too; a backend has no file of ours to use.
  if (session_store == "none") config.session_store.clear();
  else if (!session_store.empty()) config.session_store = session_store;
  else if (config.backend_url.empty()) config.session_store = config.data_path;
  // count(): given by flag or by environment variable, even as an empty string.
  if (app.count("--instance-id") > 0 && !valid_instance_id(config.instance_id)) {
    std::cerr << "mcpgate: --instance-id must be 1 to 32 characters of A-Z a-z 0-9 _ - (got '"
              << config.instance_id << "')\n";
    return ParsedConfig{std::nullopt, 2};
  }
  if (app.count("--public-url") > 0) {
    try {
      config.public_url = transport::normalize_public_url(config.public_url);
    } catch (const std::invalid_argument& e) {
      std::cerr << "mcpgate: --public-url '" << config.public_url << "' is not usable: " << e.what()
                << "\n";
      return ParsedConfig{std::nullopt, 2};
    }
  }
  if (const std::string problem = finish_oauth(config, oauth_scratch); !problem.empty()) {
    std::cerr << "mcpgate: " << problem << "\n";
    return ParsedConfig{std::nullopt, 2};
  }
  try {
    // The guard parses its lists as it parses the headers; an entry it cannot read is an error.
    (void)server::OriginGuard(true, config.allowed_hosts, config.allowed_origins);
  } catch (const std::invalid_argument& e) {
    std::cerr << "mcpgate: " << e.what() << "\n";
    return ParsedConfig{std::nullopt, 2};
  }
  return ParsedConfig{config, 0};
}

}  // namespace mcpgate
