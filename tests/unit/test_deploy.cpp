// Deployment behind a proxy: the legacy endpoint URL (transport/endpoint_url.hpp) with a public
// URL or a forwarded prefix, including attempts to inject SSE lines or another host, and the
// --instance-id / --public-url / --trust-forwarded flags of parse_config.
#include "mcpgate/config.hpp"
#include "mcpgate/transport/endpoint_url.hpp"
#include "mcpgate/util/text.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace mcpgate;
using transport::endpoint_url;
using transport::EndpointOptions;
using transport::normalize_public_url;
using transport::valid_forwarded_prefix;

namespace {

// parse_config over a literal argv, with the flags' environment variables cleared so the
// machine's environment cannot change the outcome.
ParsedConfig parse(std::initializer_list<const char*> args) {
  for (const char* name : {"MCPGATE_INSTANCE_ID", "MCPGATE_PUBLIC_URL", "MCPGATE_TRUST_FORWARDED"})
    ::unsetenv(name);
  std::vector<std::string> storage{"mcpgate"};
  for (const char* arg : args) storage.emplace_back(arg);
  storage.emplace_back("--backend");  // no embedded store path needed
  storage.emplace_back("http://127.0.0.1:1");
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  return parse_config(static_cast<int>(argv.size()), argv.data());
}

// What a client does with the endpoint data: it must be one line and name our host only.
bool single_line(const std::string& text) {
  return text.find('\n') == std::string::npos && text.find('\r') == std::string::npos;
}

}  // namespace

TEST_CASE("endpoint URL: relative by default, whatever the forwarded prefix says") {
  const EndpointOptions plain;
  CHECK(endpoint_url(plain, "/sse", std::nullopt, "/messages", "a.X").url == "messages?sessionId=a.X");
  CHECK(endpoint_url(plain, "/sse/", std::nullopt, "/messages", "X").url == "../messages?sessionId=X");
  // Without --trust-forwarded the header is not even looked at.
  const auto untrusted = endpoint_url(plain, "/sse", "/mcp-gate", "/messages", "X");
  CHECK(untrusted.url == "messages?sessionId=X");
  CHECK_FALSE(untrusted.prefix_ignored);
  CHECK(endpoint_url(plain, "/sse", "//evil.com", "/messages", "X").url == "messages?sessionId=X");
}

TEST_CASE("endpoint URL: --public-url gives an absolute URL and wins over a forwarded prefix") {
  EndpointOptions options;
  options.public_url = normalize_public_url("https://example.com/mcp-gate/");
  CHECK(options.public_url == "https://example.com/mcp-gate");
  CHECK(endpoint_url(options, "/sse", std::nullopt, "/messages", "b.Y").url ==
        "https://example.com/mcp-gate/messages?sessionId=b.Y");
  options.trust_forwarded = true;
  CHECK(endpoint_url(options, "/sse", "/other", "/messages", "b.Y").url ==
        "https://example.com/mcp-gate/messages?sessionId=b.Y");
  options.public_url = normalize_public_url("http://127.0.0.1:8080");
  CHECK(endpoint_url(options, "/sse", std::nullopt, "messages", "Z").url ==
        "http://127.0.0.1:8080/messages?sessionId=Z");
}

TEST_CASE("endpoint URL: a trusted X-Forwarded-Prefix gives an absolute path") {
  EndpointOptions options;
  options.trust_forwarded = true;
  CHECK(endpoint_url(options, "/sse", "/mcp-gate", "/messages", "a.X").url ==
        "/mcp-gate/messages?sessionId=a.X");
  CHECK(endpoint_url(options, "/sse", "/mcp-gate/", "/messages", "a.X").url ==
        "/mcp-gate/messages?sessionId=a.X");
  CHECK(endpoint_url(options, "/sse", "/", "/messages", "a.X").url == "/messages?sessionId=a.X");
  CHECK(endpoint_url(options, "/sse", "/a/b_c.d~e-f", "/messages", "X").url ==
        "/a/b_c.d~e-f/messages?sessionId=X");
  // No header: relative, and nothing to warn about.
  const auto none = endpoint_url(options, "/sse", std::nullopt, "/messages", "X");
  CHECK(none.url == "messages?sessionId=X");
  CHECK_FALSE(none.prefix_ignored);
}

TEST_CASE("endpoint URL: an invalid forwarded prefix is ignored (relative URL, flagged)") {
  EndpointOptions options;
  options.trust_forwarded = true;
  const std::vector<std::string> attacks{
      "/x\r\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\"}",  // SSE line injection
      "/x\nevent: endpoint",
      "/x\rdata: evil",
      "//evil.com",                       // protocol-relative: another host
      "//evil.com/mcp",
      "/mcp//evil.com",
      "https://evil.com/mcp",             // not a path
      "evil.com/mcp",                     // no leading '/'
      "mcp-gate",
      "/../admin",                        // climbs out of the prefix
      "/mcp/..",
      "/mcp/../../etc",
      "/mcp?x=1",                         // query
      "/mcp#frag",
      "/mcp gate",                        // space
      "/mcp\tgate",
      "/mcp%0d%0aevent:x",                // percent signs are not in the allowed set either
      "/mcp\\evil",
      std::string("/mcp\0x", 6),          // NUL
      "/caf\xc3\xa9",                     // non-ASCII
      "/" + std::string(300, 'a'),        // too long
      "",
  };
  for (const auto& header : attacks) {
    INFO("X-Forwarded-Prefix: " << util::printable(header));
    CHECK_FALSE(valid_forwarded_prefix(header).has_value());
    const auto url = endpoint_url(options, "/sse", header, "/messages", "a.X");
    CHECK(url.url == "messages?sessionId=a.X");
    CHECK(url.prefix_ignored);
    CHECK(single_line(url.url));
  }
  // The longest accepted prefix is exactly the limit.
  const std::string longest = "/" + std::string(transport::max_forwarded_prefix - 1, 'p');
  CHECK(valid_forwarded_prefix(longest) == longest);
  CHECK_FALSE(valid_forwarded_prefix(longest + "p").has_value());
}

TEST_CASE("normalize_public_url accepts http(s) base URLs and refuses everything else") {
  CHECK(normalize_public_url("http://localhost") == "http://localhost");
  CHECK(normalize_public_url("https://mcp.example.com:8443/") == "https://mcp.example.com:8443");
  CHECK(normalize_public_url("https://[::1]:8080/a/b/") == "https://[::1]:8080/a/b");
  CHECK(normalize_public_url("http://10.0.0.1/mcp-gate") == "http://10.0.0.1/mcp-gate");
  for (const char* bad : {
           "", "example.com", "ftp://example.com", "javascript:alert(1)", "http://",
           "http:///path", "http://user:pw@example.com", "http://example.com:0",
           "http://example.com:99999", "http://example.com:", "http://exa mple.com",
           "http://example.com/a b", "http://example.com/?q=1", "http://example.com/#f",
           "http://example.com/a/../b", "http://example.com//evil.com",
           "http://example.com/x\r\ndata: evil", "http://[::1", "http://[]:80",
           "http://example.com/%2e%2e"}) {
    INFO("--public-url " << util::printable(bad));
    CHECK_THROWS_AS((void)normalize_public_url(bad), std::invalid_argument);
  }
}

TEST_CASE("parse_config: --instance-id, --public-url and --trust-forwarded") {
  SUBCASE("defaults: no stamp, relative endpoint") {
    const auto parsed = parse({});
    REQUIRE(parsed.config);
    CHECK(parsed.config->instance_id.empty());
    CHECK(parsed.config->public_url.empty());
    CHECK_FALSE(parsed.config->trust_forwarded);
  }
  SUBCASE("valid values are kept (the public URL normalised)") {
    const auto parsed = parse({"--instance-id", "node_A-1", "--public-url",
                               "https://example.com/mcp-gate/", "--trust-forwarded"});
    REQUIRE(parsed.config);
    CHECK(parsed.config->instance_id == "node_A-1");
    CHECK(parsed.config->public_url == "https://example.com/mcp-gate");
    CHECK(parsed.config->trust_forwarded);
    CHECK(parse({"--instance-id", std::string(32, 'x').c_str()}).config);
  }
  SUBCASE("the environment variables work like the flags") {
    ::setenv("MCPGATE_INSTANCE_ID", "b", 1);
    std::vector<std::string> storage{"mcpgate", "--backend", "http://127.0.0.1:1"};
    std::vector<char*> argv;
    for (auto& arg : storage) argv.push_back(arg.data());
    const auto parsed = parse_config(static_cast<int>(argv.size()), argv.data());
    ::unsetenv("MCPGATE_INSTANCE_ID");
    REQUIRE(parsed.config);
    CHECK(parsed.config->instance_id == "b");
  }
  SUBCASE("invalid instance ids exit with 2") {
    for (const char* bad : {"", "a.b", "a b", "a/b", "é", "a\nb"}) {
      INFO("--instance-id " << util::printable(bad));
      const auto parsed = parse({"--instance-id", bad});
      CHECK_FALSE(parsed.config);
      CHECK(parsed.exit_code == 2);
    }
    const std::string too_long(33, 'x');
    const auto parsed = parse({"--instance-id", too_long.c_str()});
    CHECK_FALSE(parsed.config);
    CHECK(parsed.exit_code == 2);
  }
  SUBCASE("an invalid public URL exits with 2") {
    for (const char* bad : {"", "example.com/mcp", "http://example.com/a?b", "http://h/x\ny"}) {
      INFO("--public-url " << util::printable(bad));
      const auto parsed = parse({"--public-url", bad});
      CHECK_FALSE(parsed.config);
      CHECK(parsed.exit_code == 2);
    }
  }
}
