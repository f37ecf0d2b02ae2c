// Host and Origin parsing (server/authority) and the DNS-rebinding guard (OriginGuard), over
// tables of good and bad authorities.
#include "mcpgate/config.hpp"
#include "mcpgate/server/authority.hpp"
#include "mcpgate/server/origin_guard.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

// The whole file in a named namespace: the unit tests are compiled as unity files.
namespace origin_guard_test {

using mcpgate::server::Authority;
using mcpgate::server::OriginGuard;
using mcpgate::server::parse_authority;
using mcpgate::server::parse_origin;

// Host header values a loopback-bound server accepts with no lists configured.
const std::vector<std::string> loopback_hosts = {
    "localhost",       "LOCALHOST",         "localhost:8051",  "127.0.0.1",
    "127.0.0.1:8051",  "127.1.2.3",         "127.255.255.255", "127.0.0.1:65535",
    "127.0.0.1:1",     "[::1]",             "[::1]:8051",      "[0:0:0:0:0:0:0:1]",
    "[0::1]:80",       "[0000:0000::0001]",
};

// Well-formed hosts that are not loopback.
const std::vector<std::string> foreign_hosts = {
    "example.com",
    "127.0.0.1.attacker.example",  // a name that starts like an address
    "127.evil.com",
    "localhost.attacker.example",
    "attacker.localhost",
    "127-0-0-1.example",
    "10.0.0.1",
    "128.0.0.1",
    "0.0.0.0",
    "[::2]",
    "[::]",
    "[::ffff:127.0.0.1]",  // IPv4-mapped: not ::1 (see authority.hpp)
    "my_host:8051",
};

// Host values that do not parse at all.
const std::vector<std::string> malformed_hosts = {
    "localhost.",              // trailing dot: the same host under another spelling
    "127.0.0.1.",              //
    ".localhost",              //
    "local..host",             //
    "localhost:",              // empty port
    "localhost:80a",           // not digits
    "localhost:+80",           //
    "localhost:-1",            //
    "localhost:0",             //
    "localhost:65536",         // out of range
    "localhost:080808",        // more than 5 digits
    "localhost:80:80",         //
    "user@localhost",          // userinfo
    "user:pw@127.0.0.1",       //
    "evil.com@localhost",      //
    "localhost/path",          // anything after the authority
    "localhost:8051/mcp",      //
    "localhost?x=1",           //
    "localhost#frag",          //
    "localhost\\evil.com",     //
    "local host",              // whitespace and control characters
    " localhost",              //
    "localhost ",              //
    "localhost\t",             //
    "localhost\r\nX: y",       //
    std::string("localhost\0", 10),
    "localhost%2e",            // percent-encoding
    "%6cocalhost",             //
    "127.1",                   // numeric hosts in anything but strict dotted-quad form
    "127.0.1",                 //
    "2130706433",              //
    "0x7f.0.0.1",              //
    "0x7f000001",              //
    "0177.0.0.1",              //
    "127.0.0.01",              //
    "127.000.000.001",         //
    "127.0.0.256",             //
    "127.0.0.1.2",             //
    "1.2.3.0x4",               //
    "::1",                     // IPv6 only in brackets
    "::1:8051",                //
    "[::1",                    //
    "::1]",                    //
    "[::1]x",                  //
    "[::1]:",                  //
    "[::1]:99999",             //
    "[::1%25lo]",              // zone id
    "[::1%lo]",                //
    "[v1.fe]",                 // IPvFuture
    "[localhost]",             //
    "[]",                      //
    "[127.0.0.1]",             //
    "",                        //
    ":8051",                   //
    "*",                       //
};

TEST_CASE("parse_authority: loopback hosts parse and are loopback") {
  for (const auto& text : loopback_hosts) {
    CAPTURE(text);
    const auto parsed = parse_authority(text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->is_loopback());
  }
}

TEST_CASE("parse_authority: foreign hosts parse and are not loopback") {
  for (const auto& text : foreign_hosts) {
    CAPTURE(text);
    const auto parsed = parse_authority(text);
    REQUIRE(parsed.has_value());
    CHECK_FALSE(parsed->is_loopback());
  }
}

TEST_CASE("parse_authority: malformed hosts do not parse") {
  for (const auto& text : malformed_hosts) {
    CAPTURE(text);
    CHECK_FALSE(parse_authority(text).has_value());
  }
}

TEST_CASE("parse_authority: the parts, normalised") {
  auto a = parse_authority("LocalHost:08051");
  REQUIRE(a);
  CHECK(a->host == "localhost");
  CHECK(a->port == 8051);
  CHECK(a->kind == Authority::Kind::name);
  a = parse_authority("[0:0:0:0:0:0:0:1]:80");
  REQUIRE(a);
  CHECK(a->host == "[::1]");
  CHECK(a->kind == Authority::Kind::ipv6);
  CHECK(a->text() == "[::1]:80");
  a = parse_authority("127.0.0.1");
  REQUIRE(a);
  CHECK(a->kind == Authority::Kind::ipv4);
  CHECK_FALSE(a->port.has_value());
  CHECK(parse_authority(std::string(254, 'a')) == std::nullopt);  // longer than a DNS name
  CHECK(parse_authority(std::string(64, 'a') + ".example") == std::nullopt);  // label > 63
}

TEST_CASE("parse_origin: exactly http(s)://authority") {
  for (const std::string good : {"http://localhost", "http://localhost:6274", "https://127.0.0.1",
                                 "HTTP://LOCALHOST:80", "http://[::1]:3000", "https://example.com"}) {
    CAPTURE(good);
    CHECK(parse_origin(good).has_value());
  }
  for (const std::string bad :
       {"null", "", "localhost", "//localhost", "http://", "http:/localhost", "http:localhost",
        "ftp://localhost", "file://", "chrome-extension://abc", "ws://localhost",
        "http://localhost/", "http://localhost/path", "http://localhost?x", "http://localhost#x",
        "http://user@localhost", "http://localhost.", "http://localhost:", "http://localhost:99999",
        "http://127.0.0.1.attacker.example:80/", " http://localhost", "http://localhost ",
        "http://::1", "http://127.1", "http ://localhost"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_origin(bad).has_value());
  }
  CHECK(parse_origin("http://localhost:80") == parse_origin("http://localhost"));
  CHECK(parse_origin("https://localhost:443") == parse_origin("https://localhost"));
  CHECK(parse_origin("https://localhost:80") != parse_origin("http://localhost:80"));
  CHECK(parse_origin("http://localhost:6274")->text() == "http://localhost:6274");
}

TEST_CASE("OriginGuard bound to loopback, no lists: only loopback Hosts and Origins") {
  const OriginGuard guard(true, {}, {});
  for (const auto& host : loopback_hosts) {
    CAPTURE(host);
    CHECK_FALSE(guard.check(host, "").has_value());
  }
  for (const auto& host : foreign_hosts) {
    CAPTURE(host);
    const auto refused = guard.check(host, "");
    REQUIRE(refused.has_value());
    CHECK(refused->find("Invalid Host") == 0);
  }
  for (const auto& host : malformed_hosts) {
    CAPTURE(host);
    const auto refused = guard.check(host, "");
    REQUIRE(refused.has_value());
    // The reason is one printable line, whatever the header held.
    CHECK(refused->find_first_of("\r\n\t") == std::string::npos);
    CHECK(refused->find('\0') == std::string::npos);
  }
  for (const std::string origin : {"http://localhost:6274", "http://127.0.0.1:3000", "https://[::1]",
                                   "http://localhost"}) {
    CAPTURE(origin);
    CHECK_FALSE(guard.check("localhost:8051", origin).has_value());
  }
  for (const std::string origin :
       {"null", "http://127.0.0.1.attacker.example", "http://127.evil.com:8051",
        "http://localhost.:8051", "http://evil.example", "http://localhost/", "http://localhost:0",
        "file://", "http://user@localhost", "chrome-extension://abcdef"}) {
    CAPTURE(origin);
    const auto refused = guard.check("localhost:8051", origin);
    REQUIRE(refused.has_value());
    CHECK(refused->find("Invalid Origin") == 0);
  }
  CHECK(guard.check("", "").has_value());  // no Host at all
}

TEST_CASE("OriginGuard bound elsewhere: any well-formed Host; an Origin must be the request's host") {
  const OriginGuard guard(false, {}, {});
  CHECK_FALSE(guard.check("example.com", "").has_value());
  CHECK_FALSE(guard.check("10.0.0.5:8051", "").has_value());
  CHECK_FALSE(guard.check("", "").has_value());
  CHECK(guard.check("example.com/x", "").has_value());
  CHECK(guard.check("user@example.com", "").has_value());
  CHECK_FALSE(guard.check("example.com:8051", "https://example.com").has_value());
  CHECK(guard.check("example.com:8051", "https://example.com.evil.org").has_value());
  CHECK(guard.check("example.com", "https://example.com.").has_value());
  CHECK(guard.check("example.com", "null").has_value());
  CHECK(guard.check("", "https://example.com").has_value());
}

TEST_CASE("OriginGuard lists: entries parse like headers; a port-less host entry matches any port") {
  const OriginGuard guard(true, {"mcp.example.com", " box:8051 ", "[::1]", ""},
                          {"http://localhost:6274/", "https://app.example.com"});
  CHECK_FALSE(guard.check("mcp.example.com", "").has_value());
  CHECK_FALSE(guard.check("MCP.example.com:443", "").has_value());
  CHECK_FALSE(guard.check("box:8051", "").has_value());
  CHECK(guard.check("box:8052", "").has_value());
  CHECK(guard.check("box", "").has_value());
  CHECK_FALSE(guard.check("[0::1]:9", "").has_value());
  // The list replaces the loopback default.
  CHECK(guard.check("localhost", "").has_value());
  CHECK(guard.check("mcp.example.com.", "").has_value());
  CHECK(guard.check("mcp.example.com.attacker.example", "").has_value());
  CHECK(guard.check("user@mcp.example.com", "").has_value());

  CHECK_FALSE(guard.check("box:8051", "http://localhost:6274").has_value());
  CHECK_FALSE(guard.check("box:8051", "https://app.example.com:443").has_value());
  CHECK(guard.check("box:8051", "http://localhost:6275").has_value());
  CHECK(guard.check("box:8051", "http://localhost:6274/").has_value());
  CHECK(guard.check("box:8051", "http://app.example.com").has_value());
  CHECK(guard.check("box:8051", "http://localhost").has_value());

  const OriginGuard any(true, {"*"}, {"*"});
  CHECK_FALSE(any.check("anything.example:1", "https://anywhere.example").has_value());
  CHECK(any.check("anything.example/x", "").has_value());  // "*" is any host, not any text
  CHECK(any.check("localhost", "null").has_value());
  CHECK(any.check("localhost", "http://localhost/path").has_value());
}

TEST_CASE("OriginGuard: a list entry that does not parse is an error naming the flag") {
  for (const std::string bad : {"localhost.", "host/path", "user@host", "host:", "::1", "127.1"}) {
    CAPTURE(bad);
    try {
      (void)OriginGuard(true, {bad}, {});
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("--allowed-hosts") != std::string::npos);
    }
  }
  for (const std::string bad : {"localhost:6274", "null", "ftp://x", "http://x/path", "http://x?y"}) {
    CAPTURE(bad);
    try {
      (void)OriginGuard(true, {}, {bad});
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("--allowed-origins") != std::string::npos);
    }
  }
}

TEST_CASE("OriginGuard::is_loopback_address: listen addresses") {
  for (const std::string address : {"127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"}) {
    CAPTURE(address);
    CHECK(OriginGuard::is_loopback_address(address));
  }
  for (const std::string address : {"0.0.0.0", "::", "10.1.2.3", "127.0.0.1.nip.io", "127.evil.com", ""}) {
    CAPTURE(address);
    CHECK_FALSE(OriginGuard::is_loopback_address(address));
  }
}

TEST_CASE("parse_config: --allowed-hosts and --allowed-origins entries must parse (exit 2)") {
  const auto parse = [](std::initializer_list<const char*> args) {
    ::unsetenv("MCPGATE_ALLOWED_HOSTS");
    ::unsetenv("MCPGATE_ALLOWED_ORIGINS");
    std::vector<std::string> storage{"mcpgate", "--backend", "http://127.0.0.1:1"};
    for (const char* arg : args) storage.emplace_back(arg);
    std::vector<char*> argv;
    for (auto& arg : storage) argv.push_back(arg.data());
    return mcpgate::parse_config(static_cast<int>(argv.size()), argv.data());
  };
  CHECK(parse({"--allowed-hosts", "example.com,box:8051,*", "--allowed-origins",
               "http://localhost:6274/,https://app.example.com"})
            .config);
  for (const char* bad : {"example.com/", "localhost.", "a@b", "b:"}) {
    CAPTURE(bad);
    const auto parsed = parse({"--allowed-hosts", bad});
    CHECK_FALSE(parsed.config);
    CHECK(parsed.exit_code == 2);
  }
  for (const char* bad : {"localhost:6274", "null", "http://x/y"}) {
    CAPTURE(bad);
    const auto parsed = parse({"--allowed-origins", bad});
    CHECK_FALSE(parsed.config);
    CHECK(parsed.exit_code == 2);
  }
}

}  // namespace origin_guard_test
