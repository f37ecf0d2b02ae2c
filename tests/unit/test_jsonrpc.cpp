// JSON-RPC 2.0 parsing, classification, builders and serialisation (mcpgate/jsonrpc.hpp).
#include "mcpgate/jsonrpc.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace mcpgate;
using jsonrpc::json;
namespace code = jsonrpc::code;

namespace {

// The single item of a non-batch body; fails the test when the body is not parseable.
jsonrpc::Item single(std::string_view body) {
  auto parsed = jsonrpc::parse(body);
  REQUIRE(std::holds_alternative<jsonrpc::Parsed>(parsed));
  auto& p = std::get<jsonrpc::Parsed>(parsed);
  REQUIRE_FALSE(p.batch);
  REQUIRE(p.items.size() == 1);
  return p.items.front();
}

jsonrpc::Invalid as_invalid(const jsonrpc::Item& item) {
  REQUIRE(std::holds_alternative<jsonrpc::Invalid>(item));
  return std::get<jsonrpc::Invalid>(item);
}

template <typename T>
T as_message(const jsonrpc::Item& item) {
  REQUIRE(std::holds_alternative<jsonrpc::Message>(item));
  const auto& message = std::get<jsonrpc::Message>(item);
  REQUIRE(std::holds_alternative<T>(message));
  return std::get<T>(message);
}

jsonrpc::ParseError parse_error(std::string_view body) {
  auto parsed = jsonrpc::parse(body);
  REQUIRE(std::holds_alternative<jsonrpc::ParseError>(parsed));
  return std::get<jsonrpc::ParseError>(parsed);
}

}  // namespace

TEST_CASE("a valid request is classified with its id, method and params") {
  SUBCASE("integer id, object params") {
    const auto& r = as_message<jsonrpc::Request>(
        single(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})"));
    CHECK(r.id == 7);
    CHECK(r.id.is_number_integer());
    CHECK(r.method == "tools/list");
    CHECK(r.params == json{{"cursor", "x"}});
  }
  SUBCASE("string id, array params") {
    const auto& r =
        as_message<jsonrpc::Request>(single(R"({"jsonrpc":"2.0","id":"a-1","method":"m","params":[1,2]})"));
    CHECK(r.id == "a-1");
    CHECK(r.params == json::array({1, 2}));
  }
  SUBCASE("absent params are null") {
    const auto& r = as_message<jsonrpc::Request>(single(R"({"jsonrpc":"2.0","id":0,"method":"ping"})"));
    CHECK(r.id == 0);
    CHECK(r.params.is_null());
  }
  SUBCASE("negative integer id") {
    const auto& r = as_message<jsonrpc::Request>(single(R"({"jsonrpc":"2.0","id":-5,"method":"ping"})"));
    CHECK(r.id == -5);
  }
}

TEST_CASE("a valid notification has no id") {
  const auto& n = as_message<jsonrpc::Notification>(
      single(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  CHECK(n.method == "notifications/initialized");
  CHECK(n.params.is_null());

  const auto& n2 = as_message<jsonrpc::Notification>(
      single(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}})"));
  CHECK(n2.params["requestId"] == 3);
}

TEST_CASE("valid responses: result or error") {
  SUBCASE("result") {
    const auto& r = as_message<jsonrpc::Response>(single(R"({"jsonrpc":"2.0","id":4,"result":{"ok":true}})"));
    CHECK(r.id == 4);
    REQUIRE(r.result.has_value());
    CHECK((*r.result)["ok"] == true);
    CHECK_FALSE(r.error.has_value());
  }
  SUBCASE("null result is still a result") {
    const auto& r = as_message<jsonrpc::Response>(single(R"({"jsonrpc":"2.0","id":"x","result":null})"));
    REQUIRE(r.result.has_value());
    CHECK(r.result->is_null());
  }
  SUBCASE("error") {
    const auto& r = as_message<jsonrpc::Response>(
        single(R"({"jsonrpc":"2.0","id":4,"error":{"code":-1,"message":"no"}})"));
    CHECK_FALSE(r.result.has_value());
    REQUIRE(r.error.has_value());
    CHECK((*r.error)["code"] == -1);
  }
  SUBCASE("error with a null id (the peer could not read ours)") {
    const auto& r = as_message<jsonrpc::Response>(
        single(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}})"));
    CHECK(r.id.is_null());
    CHECK(r.error.has_value());
  }
}

TEST_CASE("a body that is not JSON is a parse error (-32700)") {
  for (std::string_view body : {"", "{", "[1,", "nope", R"({"jsonrpc":"2.0",})", "{\"a\":1} trailing"}) {
    CAPTURE(body);
    CHECK(parse_error(body).code == code::parse_error);
  }
}

TEST_CASE("invalid UTF-8 inside the JSON is a parse error, not an exception") {
  const std::string bad_string = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\xff\xfe\"}";
  CHECK(parse_error(bad_string).code == code::parse_error);
  const std::string truncated_sequence = "{\"jsonrpc\":\"2.0\",\"method\":\"\xe2\x82\"}";
  CHECK(parse_error(truncated_sequence).code == code::parse_error);
  const std::string overlong = "\"\xc0\xaf\"";
  CHECK(parse_error(overlong).code == code::parse_error);
}

TEST_CASE("an empty batch is an invalid request") {
  const auto error = parse_error("[]");
  CHECK(error.code == code::invalid_request);
  CHECK(parse_error(" [ ] ").code == code::invalid_request);
}

TEST_CASE("\"jsonrpc\" must be present and exactly \"2.0\"") {
  SUBCASE("missing: the readable id is echoed") {
    const auto& inv = as_invalid(single(R"({"id":9,"method":"ping"})"));
    CHECK(inv.code == code::invalid_request);
    CHECK(inv.id == 9);
  }
  SUBCASE("wrong version string") {
    const auto& inv = as_invalid(single(R"({"jsonrpc":"1.0","id":"abc","method":"ping"})"));
    CHECK(inv.code == code::invalid_request);
    CHECK(inv.id == "abc");
  }
  SUBCASE("number instead of string") {
    const auto& inv = as_invalid(single(R"({"jsonrpc":2.0,"id":1,"method":"ping"})"));
    CHECK(inv.code == code::invalid_request);
    CHECK(inv.id == 1);
  }
  SUBCASE("not an object at all") {
    for (std::string_view body : {"5", "\"x\"", "null", "true"}) {
      CAPTURE(body);
      const auto& inv = as_invalid(single(body));
      CHECK(inv.code == code::invalid_request);
      CHECK(inv.id.is_null());
    }
  }
}

TEST_CASE("a non-string method is an invalid request with the id echoed") {
  for (std::string_view body : {R"({"jsonrpc":"2.0","id":3,"method":5})",
                                R"({"jsonrpc":"2.0","id":3,"method":null})",
                                R"({"jsonrpc":"2.0","id":3,"method":["a"]})"}) {
    CAPTURE(body);
    const auto& inv = as_invalid(single(body));
    CHECK(inv.code == code::invalid_request);
    CHECK(inv.id == 3);
  }
  // Notification with a bad method: no id to echo.
  const auto& inv = as_invalid(single(R"({"jsonrpc":"2.0","method":{}})"));
  CHECK(inv.code == code::invalid_request);
  CHECK(inv.id.is_null());
}

TEST_CASE("request ids must be a string or an integer: null, float, object, bool, array -> -32600") {
  for (std::string_view body : {R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
                                R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
                                R"({"jsonrpc":"2.0","id":1.0,"method":"ping"})",
                                R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})",
                                R"({"jsonrpc":"2.0","id":true,"method":"ping"})",
                                R"({"jsonrpc":"2.0","id":[1],"method":"ping"})"}) {
    CAPTURE(body);
    const auto& inv = as_invalid(single(body));
    CHECK(inv.code == code::invalid_request);
    // The id is unreadable, so none can be echoed: the error goes out with id null.
    CHECK(inv.id.is_null());
  }
}

TEST_CASE("is_valid_id accepts exactly strings and integers") {
  CHECK(jsonrpc::is_valid_id(json(1)));
  CHECK(jsonrpc::is_valid_id(json(-1)));
  CHECK(jsonrpc::is_valid_id(json(static_cast<std::uint64_t>(1) << 63)));
  CHECK(jsonrpc::is_valid_id(json("")));
  CHECK(jsonrpc::is_valid_id(json("x")));
  CHECK_FALSE(jsonrpc::is_valid_id(json(nullptr)));
  CHECK_FALSE(jsonrpc::is_valid_id(json(2.5)));
  CHECK_FALSE(jsonrpc::is_valid_id(json(true)));
  CHECK_FALSE(jsonrpc::is_valid_id(json::object()));
  CHECK_FALSE(jsonrpc::is_valid_id(json::array()));
}

TEST_CASE("params must be an object or an array") {
  for (std::string_view body : {R"({"jsonrpc":"2.0","id":2,"method":"m","params":"x"})",
                                R"({"jsonrpc":"2.0","id":2,"method":"m","params":5})",
                                R"({"jsonrpc":"2.0","id":2,"method":"m","params":true})",
                                R"({"jsonrpc":"2.0","id":2,"method":"m","params":null})"}) {
    CAPTURE(body);
    const auto& inv = as_invalid(single(body));
    CHECK(inv.code == code::invalid_request);
    CHECK(inv.id == 2);
  }
  // Same for a notification.
  const auto& inv = as_invalid(single(R"({"jsonrpc":"2.0","method":"m","params":"x"})"));
  CHECK(inv.code == code::invalid_request);
}

TEST_CASE("a request may not carry result or error") {
  const auto& inv = as_invalid(single(R"({"jsonrpc":"2.0","id":2,"method":"m","result":{}})"));
  CHECK(inv.code == code::invalid_request);
  CHECK(inv.id == 2);
}

TEST_CASE("a response needs exactly one of result and error") {
  SUBCASE("both") {
    const auto& inv = as_invalid(
        single(R"({"jsonrpc":"2.0","id":5,"result":{},"error":{"code":1,"message":"m"}})"));
    CHECK(inv.code == code::invalid_request);
    CHECK(inv.id == 5);
  }
  SUBCASE("neither") {
    const auto& inv = as_invalid(single(R"({"jsonrpc":"2.0","id":5})"));
    CHECK(inv.code == code::invalid_request);
    CHECK(inv.id == 5);
    // Taken for a request without its method: the error says so.
    CHECK(inv.message.find("missing \"method\"") != std::string::npos);
  }
  SUBCASE("no id and no method") {
    const auto& inv = as_invalid(single(R"({"jsonrpc":"2.0","result":{}})"));
    CHECK(inv.code == code::invalid_request);
    CHECK(inv.id.is_null());
  }
  SUBCASE("malformed error object") {
    for (std::string_view body : {R"({"jsonrpc":"2.0","id":5,"error":"bad"})",
                                  R"({"jsonrpc":"2.0","id":5,"error":{"message":"m"}})",
                                  R"({"jsonrpc":"2.0","id":5,"error":{"code":"1","message":"m"}})",
                                  R"({"jsonrpc":"2.0","id":5,"error":{"code":1.5,"message":"m"}})",
                                  R"({"jsonrpc":"2.0","id":5,"error":{"code":1}})"}) {
      CAPTURE(body);
      const auto& inv = as_invalid(single(body));
      CHECK(inv.code == code::invalid_request);
      CHECK(inv.id == 5);
    }
  }
  SUBCASE("a result response needs a valid id") {
    for (std::string_view body : {R"({"jsonrpc":"2.0","id":null,"result":{}})",
                                  R"({"jsonrpc":"2.0","id":1.5,"result":{}})"}) {
      CAPTURE(body);
      CHECK(as_invalid(single(body)).code == code::invalid_request);
    }
  }
}

TEST_CASE("a batch of mixed valid and invalid items keeps order and classifies each") {
  auto parsed = jsonrpc::parse(R"([
    {"jsonrpc":"2.0","id":1,"method":"ping"},
    5,
    {"jsonrpc":"2.0","method":"notifications/initialized"},
    {"jsonrpc":"2.0","id":2,"method":7},
    {"jsonrpc":"2.0","id":3,"result":{}},
    {"id":4,"method":"ping"}
  ])");
  REQUIRE(std::holds_alternative<jsonrpc::Parsed>(parsed));
  const auto& p = std::get<jsonrpc::Parsed>(parsed);
  CHECK(p.batch);
  REQUIRE(p.items.size() == 6);
  CHECK(as_message<jsonrpc::Request>(p.items[0]).id == 1);
  CHECK(as_invalid(p.items[1]).id.is_null());
  CHECK(as_message<jsonrpc::Notification>(p.items[2]).method == "notifications/initialized");
  CHECK(as_invalid(p.items[3]).id == 2);
  CHECK(as_message<jsonrpc::Response>(p.items[4]).id == 3);
  CHECK(as_invalid(p.items[5]).id == 4);
  for (auto i : {1, 3, 5}) CHECK(as_invalid(p.items[static_cast<std::size_t>(i)]).code == code::invalid_request);
}

TEST_CASE("a batch of one item is still a batch") {
  auto parsed = jsonrpc::parse(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  REQUIRE(std::holds_alternative<jsonrpc::Parsed>(parsed));
  CHECK(std::get<jsonrpc::Parsed>(parsed).batch);
  CHECK(std::get<jsonrpc::Parsed>(parsed).items.size() == 1);
}

TEST_CASE("builders produce complete JSON-RPC objects") {
  SUBCASE("make_result") {
    const json r = jsonrpc::make_result(3, json{{"a", 1}});
    CHECK(r == json{{"jsonrpc", "2.0"}, {"id", 3}, {"result", {{"a", 1}}}});
    // And it round-trips through classify as a response.
    CHECK(as_message<jsonrpc::Response>(jsonrpc::classify(r)).id == 3);
  }
  SUBCASE("make_error without data has no data member") {
    const json e = jsonrpc::make_error("x", code::method_not_found, "Method not found");
    CHECK(e["jsonrpc"] == "2.0");
    CHECK(e["id"] == "x");
    CHECK(e["error"]["code"] == -32601);
    CHECK(e["error"]["message"] == "Method not found");
    CHECK_FALSE(e["error"].contains("data"));
    CHECK_FALSE(e.contains("result"));
    CHECK(std::holds_alternative<jsonrpc::Message>(jsonrpc::classify(e)));
  }
  SUBCASE("make_error with data and a null id") {
    const json e = jsonrpc::make_error(nullptr, code::parse_error, "Parse error", json{{"why", "x"}});
    CHECK(e.contains("id"));
    CHECK(e["id"].is_null());
    CHECK(e["error"]["data"] == json{{"why", "x"}});
  }
  SUBCASE("make_request") {
    const json r = jsonrpc::make_request(1, "sampling/createMessage", json{{"k", 1}});
    CHECK(r == json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "sampling/createMessage"}, {"params", {{"k", 1}}}});
    const json bare = jsonrpc::make_request("r", "roots/list", nullptr);
    CHECK_FALSE(bare.contains("params"));
    CHECK(as_message<jsonrpc::Request>(jsonrpc::classify(bare)).method == "roots/list");
  }
  SUBCASE("make_notification") {
    const json n = jsonrpc::make_notification("notifications/progress", json{{"progress", 1}});
    CHECK_FALSE(n.contains("id"));
    CHECK(n["params"]["progress"] == 1);
    CHECK_FALSE(jsonrpc::make_notification("x", nullptr).contains("params"));
    CHECK(as_message<jsonrpc::Notification>(jsonrpc::classify(n)).method == "notifications/progress");
  }
}

TEST_CASE("dump() of invalid UTF-8 does not throw and yields parseable JSON") {
  const json value{{"text", std::string("ok \xff\xfe bad \xc3")}, {"n", 1}};
  std::string out;
  CHECK_NOTHROW(out = jsonrpc::dump(value));
  // The output itself must be valid JSON (and therefore valid UTF-8).
  const json back = json::parse(out, nullptr, false);
  REQUIRE_FALSE(back.is_discarded());
  CHECK(back["n"] == 1);
  const std::string text = back["text"];
  CHECK(text.rfind("ok ", 0) == 0);
  CHECK(text.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD replacement character
  // Compact output.
  CHECK(jsonrpc::dump(json{{"a", 1}}) == R"({"a":1})");
}

// What every byte on the wire must equal: nlohmann's own compact dump, invalid UTF-8 replaced.
std::string reference_dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST_CASE("dump() writes exactly what nlohmann's compact dump writes") {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  std::string controls;
  for (int b = 0; b < 0x20; ++b) controls += static_cast<char>(b);
  const std::vector<json> values{
      nullptr, true, false, 0, -1, 42, INT64_MIN, INT64_MAX, UINT64_MAX, 0.5, -1e300, 1e-7, 3.0,
      std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(), "",
      "plain ascii", "quote \" backslash \\ slash /", controls, "tab\tnewline\ncr\r\x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "bad \xff\xfe", "cut \xc3", every_byte,
      json::array(), json::object(), json::array({1, "two", nullptr, json::array({json::object()})}),
      json{{"z", 1}, {"a", json{{"nested", "\"q\""}}}, {"k\n\xc3\xa9", json::array({1.25, "x"})}},
      json::binary({1, 2, 3}),
  };
  for (const auto& value : values) {
    CAPTURE(reference_dump(value));
    CHECK(jsonrpc::dump(value) == reference_dump(value));
    // The same value as a member and an element, so that a fallback never drops its neighbours.
    const json wrapped{{"before", 1}, {"value", value}, {"list", json::array({"x", value, 2})}};
    CHECK(jsonrpc::dump(wrapped) == reference_dump(wrapped));
  }
}

TEST_CASE("dump() agrees with nlohmann on a tools/call answer carrying a JSON text") {
  const json payload{{"success", true},
                     {"project", {{"id", "p1"}, {"title", "A \"quoted\" title"},
                                  {"description", "line one\nline two\tand a tab"},
                                  {"features", json::array({"auth", "caf\xc3\xa9"})}}}};
  const std::string text = jsonrpc::dump(payload);
  CHECK(text == reference_dump(payload));
  const json answer = jsonrpc::make_result(
      7, json{{"content", json::array({{{"type", "text"}, {"text", text}}})},
              {"structuredContent", {{"result", text}}},
              {"isError", false}});
  CHECK(jsonrpc::dump(answer) == reference_dump(answer));
}

TEST_CASE("jsonrpc::Error carries code, message and data") {
  const jsonrpc::Error e(code::invalid_params, "bad", json{{"x", 1}});
  CHECK(e.code() == -32602);
  CHECK(std::string(e.what()) == "bad");
  CHECK(e.data() == json{{"x", 1}});
}

TEST_CASE("a body that would take too much memory once parsed is refused before parsing") {
  // 3 MiB of empty objects: within the 4 MiB body cap, about 60 MiB once parsed.
  std::string costly = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":[)";
  for (int i = 0; i < 1'000'000; ++i) costly += i ? ",{}" : "{}";
  costly += "]}}";
  const auto refused = mcpgate::jsonrpc::parse(costly);
  const auto* error = std::get_if<mcpgate::jsonrpc::ParseError>(&refused);
  REQUIRE(error != nullptr);
  CHECK(error->too_costly);
  CHECK(error->code == mcpgate::jsonrpc::code::parse_error);
  CHECK(error->message.find("--max-parse-bytes") != std::string::npos);
  // The same size of text in one string costs about its size: parsed.
  const std::string text = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":")" +
                           std::string(3'000'000, 'a') + R"("}})";
  CHECK(std::holds_alternative<mcpgate::jsonrpc::Parsed>(mcpgate::jsonrpc::parse(text)));
  // A smaller budget refuses sooner.
  CHECK(std::holds_alternative<mcpgate::jsonrpc::ParseError>(mcpgate::jsonrpc::parse(text, 1024 * 1024)));
}
