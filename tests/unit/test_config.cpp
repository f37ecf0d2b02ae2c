// parse_config's duration and size flags: every value is finite and in its flag's range, or
// the server does not start (exit code 2 and a message naming the flag); the environment
// variables are held to the same rules.
#include "mcpgate/config.hpp"
#include "mcpgate/util/flag_values.hpp"
#include "mcpgate/util/text.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <unistd.h>
#include <initializer_list>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace mcpgate;
using namespace std::chrono_literals;

namespace {

struct DurationFlag {
  const char* flag;
  const char* env;
};

// Every duration flag of the server, with its environment variable.
const std::vector<DurationFlag> duration_flags = {
    {"--connect-timeout", "MCP_CONNECT_TIMEOUT"},
    {"--read-timeout", "MCP_READ_TIMEOUT"},
    {"--request-timeout", "MCP_REQUEST_TIMEOUT"},
    {"--heartbeat", "MCPGATE_HEARTBEAT"},
    {"--session-ttl", "MCPGATE_SESSION_TTL"},
    {"--init-timeout", "MCPGATE_INIT_TIMEOUT"},
    {"--init-retry", "MCPGATE_INIT_RETRY"},
    {"--client-request-timeout", "MCPGATE_CLIENT_REQUEST_TIMEOUT"},
    {"--thread-idle-timeout", "MCPGATE_THREAD_IDLE_TIMEOUT"},
    {"--client-timeout", "MCPGATE_CLIENT_TIMEOUT"},
    {"--header-timeout", "MCPGATE_HEADER_TIMEOUT"},
    {"--state-ttl", "MCPGATE_STATE_TTL"},
    {"--oauth-jwks-refresh", "MCPGATE_OAUTH_JWKS_REFRESH"},
    {"--store-idle-transaction-timeout", "MCPGATE_STORE_IDLE_TRANSACTION_TIMEOUT"},
};

struct SizeFlag {
  const char* flag;
  const char* env;
  const char* good;  // a value in range
};

const std::vector<SizeFlag> size_flags = {
    {"--max-body", "MCPGATE_MAX_BODY", "1048576"},
    {"--max-connections", "MCPGATE_MAX_CONNECTIONS", "100"},
    {"--max-sessions", "MCPGATE_MAX_SESSIONS", "100"},
    {"--replay-events", "MCPGATE_REPLAY_EVENTS", "100"},
    {"--sse-retry-ms", "MCPGATE_SSE_RETRY_MS", "1000"},
    {"--port", "MCPGATE_PORT", "8000"},
    {"--max-request-state", "MCPGATE_MAX_REQUEST_STATE", "65536"},
    {"--oauth-max-token-bytes", "MCPGATE_OAUTH_MAX_TOKEN_BYTES", "4096"},
    {"--oauth-max-jwks-bytes", "MCPGATE_OAUTH_MAX_JWKS_BYTES", "65536"},
    {"--oauth-max-keys", "MCPGATE_OAUTH_MAX_KEYS", "8"},
};

struct Outcome {
  ParsedConfig parsed;
  std::string errors;  // what parse_config printed to std::cerr
};

// parse_config over a literal argv with the flags' environment variables cleared (then `env`
// set), capturing what it prints on std::cerr.
Outcome parse_flags(std::vector<std::string> args, const std::vector<std::pair<std::string, std::string>>& env = {}) {
  for (const auto& f : duration_flags) ::unsetenv(f.env);
  for (const auto& f : size_flags) ::unsetenv(f.env);
  ::unsetenv("ARCHON_MCP_PORT");
  for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
  args.insert(args.begin(), "mcpgate");
  args.emplace_back("--backend");  // no embedded store path needed
  args.emplace_back("http://127.0.0.1:1");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());

  std::ostringstream captured;
  std::streambuf* saved = std::cerr.rdbuf(captured.rdbuf());
  Outcome outcome{parse_config(static_cast<int>(argv.size()), argv.data()), {}};
  std::cerr.rdbuf(saved);
  for (const auto& [name, value] : env) ::unsetenv(name.c_str());
  outcome.errors = captured.str();
  return outcome;
}

}  // namespace

TEST_CASE("duration flags: not a finite number in range -> exit 2 naming the flag") {
  for (const auto& f : duration_flags) {
    for (const char* bad : {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "-1", "0", "1e300",
                            "1e400", "", "5s", " 5", "5 ", "0x10", "+5", "1,5"}) {
      CAPTURE(f.flag);
      CAPTURE(util::printable(bad));
      const Outcome o = parse_flags({f.flag, bad});
      CHECK_FALSE(o.parsed.config);
      CHECK(o.parsed.exit_code == 2);
      CHECK(o.errors.find(f.flag) != std::string::npos);
    }
  }
}

TEST_CASE("duration flags from the environment: the same rules, naming the flag and variable") {
  for (const auto& f : duration_flags) {
    for (const char* bad : {"nan", "inf", "0", "-3", "1e12", "abc"}) {
      CAPTURE(f.env);
      CAPTURE(bad);
      const Outcome o = parse_flags({}, {{f.env, bad}});
      CHECK_FALSE(o.parsed.config);
      CHECK(o.parsed.exit_code == 2);
      CHECK(o.errors.find(f.flag) != std::string::npos);
      CHECK(o.errors.find(f.env) != std::string::npos);
    }
  }
}

TEST_CASE("duration flags: ordinary values still work") {
  const Outcome o = parse_flags({"--read-timeout", "0.5", "--connect-timeout", "1e1", "--request-timeout",
                           "86400", "--heartbeat", "0.1", "--session-ttl", "7200"});
  REQUIRE(o.parsed.config);
  CHECK(o.parsed.config->backend_read_timeout == 500ms);
  CHECK(o.parsed.config->backend_connect_timeout == 10s);
  CHECK(o.parsed.config->backend_request_timeout == 86400s);
  CHECK(o.parsed.config->heartbeat == 100ms);
  CHECK(o.parsed.config->session_ttl == 7200s);
  // A requestState lives at least a second (a person answers in no less), and whole seconds.
  const Outcome state = parse_flags({"--state-ttl", "900", "--max-request-state", "65536"});
  REQUIRE(state.parsed.config);
  CHECK(state.parsed.config->state_ttl == 900s);
  CHECK(state.parsed.config->max_request_state == 65536);
  CHECK_FALSE(parse_flags({"--state-ttl", "0.5"}).parsed.config);
  CHECK_FALSE(parse_flags({"--max-request-state", "1023"}).parsed.config);
  const Outcome env = parse_flags({}, {{"MCP_READ_TIMEOUT", "2.5"}});
  REQUIRE(env.parsed.config);
  CHECK(env.parsed.config->backend_read_timeout == 2500ms);
  CHECK(env.parsed.config->store_idle_transaction_timeout == 10s);  // the default
  const Outcome store = parse_flags({"--store-idle-transaction-timeout", "2.5"});
  REQUIRE(store.parsed.config);
  CHECK(store.parsed.config->store_idle_transaction_timeout == 2500ms);
}

TEST_CASE("size and count flags: decimal digits in range, or exit 2 naming the flag") {
  for (const auto& f : size_flags) {
    CAPTURE(f.flag);
    const Outcome good = parse_flags({f.flag, f.good});
    CHECK(good.parsed.config);
    for (const char* bad : {"", "-1", "+100", " 100", "100 ", "0x100", "1e3", "100k", "1.5", "nan",
                            "99999999999999999999", "18446744073709551616"}) {
      CAPTURE(util::printable(bad));
      const Outcome o = parse_flags({f.flag, bad});
      CHECK_FALSE(o.parsed.config);
      CHECK(o.parsed.exit_code == 2);
      CHECK(o.errors.find(f.flag) != std::string::npos);
    }
    const Outcome env = parse_flags({}, {{f.env, "0x400"}});
    CHECK_FALSE(env.parsed.config);
    CHECK(env.errors.find(f.env) != std::string::npos);
  }
  // A leading zero was octal to strtoull: "01048576" meant 262,142 bytes.
  const Outcome octal = parse_flags({"--max-body", "02000000"});
  REQUIRE(octal.parsed.config);
  CHECK(octal.parsed.config->max_body == 2000000);
  CHECK_FALSE(parse_flags({"--max-body", "1023"}).parsed.config);
  CHECK_FALSE(parse_flags({"--max-body", "1073741825"}).parsed.config);
  CHECK_FALSE(parse_flags({"--port", "65536"}).parsed.config);
}

TEST_CASE("refuse_seconds and refuse_whole_number") {
  CHECK_FALSE(util::refuse_seconds("20", 0.001, 86400));
  CHECK_FALSE(util::refuse_seconds("0.001", 0.001, 86400));
  CHECK(util::refuse_seconds("0.0009", 0.001, 86400));
  CHECK(*util::refuse_seconds("nan", 0.001, 86400) ==
        "expected a number of seconds from 0.001 to 86400, got 'nan' (not finite)");
  CHECK_FALSE(util::refuse_whole_number("0", 0, 10));
  CHECK(*util::refuse_whole_number("11", 0, 10) == "expected a whole number from 0 to 10, got '11'");
  CHECK(util::refuse_whole_number("\x1b[2J", 0, 10)->find("\\x1b") != std::string::npos);
}

namespace {

// parse_config over exactly `args` (nothing appended), capturing what it prints on std::cout.
std::pair<ParsedConfig, std::string> parse_printing(std::vector<std::string> args) {
  args.insert(args.begin(), "mcpgate");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  std::ostringstream captured;
  std::streambuf* saved = std::cout.rdbuf(captured.rdbuf());
  ParsedConfig parsed = parse_config(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(saved);
  return {std::move(parsed), captured.str()};
}

}  // namespace

TEST_CASE("--help names the ingest subcommand, and `mcpgate help` prints the same help (exit 0)") {
  const auto help_flag = parse_printing({"--help"});
  const std::string& flag_text = help_flag.second;
  CHECK_FALSE(help_flag.first.config.has_value());
  CHECK(help_flag.first.exit_code == 0);
  INFO(flag_text);
  CHECK(flag_text.find("mcpgate ingest PATH|URL... --source NAME") != std::string::npos);
  CHECK(flag_text.find("mcpgate ingest --help") != std::string::npos);
  CHECK(flag_text.find("--max-sessions") != std::string::npos);

  const auto help_word = parse_printing({"help"});
  CHECK_FALSE(help_word.first.config.has_value());
  CHECK(help_word.first.exit_code == 0);
  CHECK(help_word.second == flag_text);
}

TEST_CASE("--session-store: the embedded store's file by default, none with --backend, 'none' for none") {
  ::unsetenv("MCPGATE_SESSION_STORE");
  const Outcome backend = parse_flags({});
  REQUIRE(backend.parsed.config);
  CHECK(backend.parsed.config->session_store.empty());
  const Outcome given = parse_flags({"--session-store", "/var/lib/mcpgate/sessions.db"});
  REQUIRE(given.parsed.config);
  CHECK(given.parsed.config->session_store == "/var/lib/mcpgate/sessions.db");

  auto parse = [](std::vector<std::string> args) {
    args.insert(args.begin(), "mcpgate");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    return parse_config(static_cast<int>(argv.size()), argv.data());
  };
  ::unsetenv("MCPGATE_BACKEND_URL");
  ::unsetenv("ARCHON_SERVER_PORT");
  const auto embedded = parse({"--data", "/tmp/mcpgate-x/store.db"});
  REQUIRE(embedded.config);
  CHECK(embedded.config->session_store == "/tmp/mcpgate-x/store.db");
  const auto none = parse({"--data", "/tmp/mcpgate-x/store.db", "--session-store", "none"});
  REQUIRE(none.config);
  CHECK(none.config->session_store.empty());
}

TEST_CASE("--oauth-*: the resource follows --public-url; URLs checked; introspection needs an issuer and a client; the secret from a file") {
  for (const char* name : {"MCPGATE_OAUTH_ISSUER", "MCPGATE_OAUTH_RESOURCE", "MCPGATE_PUBLIC_URL",
                           "MCPGATE_OAUTH_INTROSPECTION_URL", "MCPGATE_OAUTH_CLIENT_ID",
                           "MCPGATE_OAUTH_CLIENT_SECRET", "MCPGATE_OAUTH_CLIENT_SECRET_FILE"})
    ::unsetenv(name);
  const Outcome off = parse_flags({});
  REQUIRE(off.parsed.config);
  CHECK(off.parsed.config->oauth.issuer.empty());

  const Outcome on = parse_flags({"--public-url", "https://mcp.example.com/team"},
                                 {{"MCPGATE_OAUTH_ISSUER", "https://id.example.com/realms/x"}});
  REQUIRE(on.parsed.config);
  CHECK(on.parsed.config->oauth.issuer == "https://id.example.com/realms/x");
  CHECK(on.parsed.config->oauth.resource == "https://mcp.example.com/team/mcp");
  CHECK(on.parsed.config->oauth.leeway == 60s);
  const Outcome named = parse_flags({"--host", "0.0.0.0", "--oauth-issuer", "https://id",
                                     "--oauth-resource", "https://mcp.example.com/mcp"});
  REQUIRE(named.parsed.config);

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--oauth-issuer", "id.example.com"},
           {"--oauth-issuer", "https://id", "--oauth-resource", "https://mcp/mcp#x"},
           {"--oauth-introspection-url", "https://id/introspect"},
           {"--oauth-issuer", "https://id", "--oauth-introspection-url", "https://id/introspect"},
           {"--oauth-issuer", "https://id", "--oauth-client-secret-file", "/nonexistent/secret"},
           {"--oauth-leeway", "-1"},
           {"--oauth-issuer", "https://id", "--host", "0.0.0.0"}}) {
    CAPTURE(bad.front());
    const Outcome o = parse_flags(bad);
    CHECK_FALSE(o.parsed.config);
    CHECK(o.parsed.exit_code == 2);
  }

  char path[] = "/tmp/mcpgate-oauth-secret-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "s3cret\n", 7) == 7);
  ::close(fd);
  const Outcome file = parse_flags({"--oauth-issuer", "https://id", "--oauth-introspection-url",
                                    "https://id/introspect", "--oauth-client-id", "mcpgate",
                                    "--oauth-client-secret-file", path});
  ::unlink(path);
  REQUIRE(file.parsed.config);
  CHECK(file.parsed.config->oauth.client_secret == "s3cret");
}
