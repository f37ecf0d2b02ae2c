// What a modern-era request (MCP 2026-07-28) carries about itself: the _meta envelope, and the
// header values that mirror the body (plain or =?base64?…?=).
#include "mcpgate/jsonrpc.hpp"
#include "mcpgate/protocol/request_meta.hpp"
#include "mcpgate/transport/request_headers.hpp"
#include "mcpgate/util/base64.hpp"

#include <doctest/doctest.h>

using json = nlohmann::json;
using namespace mcpgate;

namespace {

json envelope(json meta) { return json{{"_meta", std::move(meta)}}; }

json valid_meta() {
  return {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
          {"io.modelcontextprotocol/clientCapabilities", {{"sampling", json::object()}}}};
}

int code_of(const json& params) {
  try {
    (void)protocol::parse_request_meta(params);
  } catch (const jsonrpc::Error& e) {
    return e.code();
  }
  return 0;
}

}  // namespace

TEST_CASE("base64: both alphabets round-trip, and only canonical text decodes") {
  for (std::string bytes : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                            std::string("Hello, \xe4\xb8\x96\xe7\x95\x8c"), std::string("\0\xff\xfe", 3)}) {
    CHECK(util::base64_decode(util::base64_encode(bytes)) == bytes);
    CHECK(util::base64url_decode(util::base64url_encode(bytes)) == bytes);
  }
  CHECK(util::base64_encode("Hello") == "SGVsbG8=");
  CHECK(util::base64_decode("SGVsbG8") == std::nullopt);       // padding missing
  CHECK(util::base64_decode("SGVs!!!bG8=") == std::nullopt);   // not the alphabet
  CHECK(util::base64_decode("SGVsbG9=") == std::nullopt);      // bits left over
  CHECK(util::base64_decode("S=VsbG8=") == std::nullopt);      // padding inside
  CHECK(util::base64url_decode("a-_b") == std::string("\x6b\xef\xdb", 3));
  CHECK(util::base64url_decode("a") == std::nullopt);
}

TEST_CASE("header values: plain text as is, the base64 sentinel decoded, anything else refused") {
  CHECK(transport::decode_header_value("us-west1") == "us-west1");
  CHECK(transport::decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?=") ==
        "Hello, \xe4\xb8\x96\xe7\x95\x8c");
  CHECK(transport::decode_header_value("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=") == "=?base64?literal?=");
  CHECK(transport::decode_header_value("=?base64?SGVsbG8") == "=?base64?SGVsbG8");  // no sentinel
  CHECK(transport::decode_header_value("SGVsbG8=") == "SGVsbG8=");
  CHECK(transport::decode_header_value("=?base64?SGVsbG8?=") == std::nullopt);
  CHECK(transport::decode_header_value("line\nbreak") == std::nullopt);
  CHECK(transport::decode_header_value("caf\xc3\xa9") == std::nullopt);
}

TEST_CASE("the _meta envelope: required fields, the version served, the log level asked for") {
  CHECK(protocol::has_modern_meta(envelope(valid_meta())));
  CHECK_FALSE(protocol::has_modern_meta(json::object()));
  CHECK_FALSE(protocol::has_modern_meta(envelope({{"progressToken", 1}})));

  const auto meta = protocol::parse_request_meta(envelope(valid_meta()));
  CHECK(meta.protocol_version == "2026-07-28");
  CHECK(meta.client_capabilities.contains("sampling"));
  CHECK(meta.client_info == json::object());
  CHECK(meta.log_level == tools::LogLevel::off);

  CHECK(code_of(json::object()) == jsonrpc::code::invalid_params);
  CHECK(code_of(json::array()) == jsonrpc::code::invalid_params);
  json no_capabilities = valid_meta();
  no_capabilities.erase("io.modelcontextprotocol/clientCapabilities");
  CHECK(code_of(envelope(no_capabilities)) == jsonrpc::code::invalid_params);
  json bad_info = valid_meta();
  bad_info["io.modelcontextprotocol/clientInfo"] = "me";
  CHECK(code_of(envelope(bad_info)) == jsonrpc::code::invalid_params);
  json session_version = valid_meta();
  session_version["io.modelcontextprotocol/protocolVersion"] = "2025-11-25";
  CHECK(code_of(envelope(session_version)) == jsonrpc::code::unsupported_protocol_version);

  json with_level = valid_meta();
  with_level["io.modelcontextprotocol/logLevel"] = "notice";
  CHECK(protocol::parse_request_meta(envelope(with_level)).log_level == tools::LogLevel::notice);
  with_level["io.modelcontextprotocol/logLevel"] = "off";
  CHECK(code_of(envelope(with_level)) == jsonrpc::code::invalid_params);
}

TEST_CASE("the unsupported-version error names the versions served and the one asked for") {
  const json data = protocol::unsupported_version_data("1999-01-01");
  CHECK(data["requested"] == "1999-01-01");
  CHECK(data["supported"] == json::array({"2026-07-28"}));
}
