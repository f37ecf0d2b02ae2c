// The modern era's requestState (protocol/request_state.hpp) and its key (server/state_key.hpp):
// a token opens only under the key it was sealed with, unchanged, before its expiry, for the
// request it was minted for, and within the size budget; the key file is created once, 0600,
// and instances starting together agree on one key.
#include "mcpgate/protocol/request_state.hpp"
#include "mcpgate/server/state_key.hpp"
#include "mcpgate/util/base64.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

using namespace mcpgate;
using json = nlohmann::json;
using protocol::RequestStateCodec;
using protocol::StateBinding;
using protocol::StateRejected;
using namespace std::chrono_literals;

namespace {

const std::string key_a(32, 'a');
const std::string key_b(32, 'b');

StateBinding binding(const std::string& tool = "tool_x", const json& arguments = json::object()) {
  return StateBinding{.method = "tools/call",
                      .name = tool,
                      .arguments_digest = protocol::arguments_digest(arguments)};
}

std::string rejection(const RequestStateCodec& codec, const std::string& token,
                      const StateBinding& bound,
                      RequestStateCodec::Clock::time_point now = RequestStateCodec::Clock::now()) {
  try {
    (void)codec.open(token, bound, now);
  } catch (const StateRejected& e) {
    return e.what();
  }
  return "accepted";
}

// A fresh directory under /tmp, removed afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpgate-key-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("requestState: sealed answers open again, and every token differs") {
  const RequestStateCodec codec(key_a, {});
  const json answers{{"step1", {{"action", "accept"}, {"content", {{"name", "Alice"}}}}}};
  const auto token = codec.seal(binding(), answers, 2);
  CHECK(token.rfind("s1.", 0) == 0);
  const auto opened = codec.open(token, binding());
  CHECK(opened.answers == answers);
  CHECK(opened.round == 2);
  CHECK(codec.seal(binding(), answers, 2) != token);  // the nonce
}

TEST_CASE("requestState: the same arguments in another order are the same request") {
  const RequestStateCodec codec(key_a, {});
  const auto token = codec.seal(binding("t", json::parse(R"({"a":1,"b":[2,3]})")), json::object(), 1);
  CHECK(rejection(codec, token, binding("t", json::parse(R"({"b":[2,3],"a":1})"))) == "accepted");
}

TEST_CASE("requestState: any changed byte fails the integrity check") {
  const RequestStateCodec codec(key_a, {});
  const auto token = codec.seal(binding(), json{{"k", {{"action", "accept"}}}}, 1);
  // Every position, flipped to another character of the alphabet: none opens.
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string changed = token;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    if (changed == token) continue;
    CAPTURE(i);
    CHECK(rejection(codec, changed, binding()) != "accepted");
  }
  CHECK(rejection(codec, token + "-TAMPERED", binding()).find("integrity check failed") !=
        std::string::npos);
  // A payload rewritten by the client (its own answers, well-formed) with the old MAC.
  const auto dot = token.rfind('.');
  auto payload = json::parse(*util::base64url_decode(token.substr(3, dot - 3)));
  payload["a"]["k"]["action"] = "decline";
  const std::string forged = "s1." + util::base64url_encode(payload.dump()) + token.substr(dot);
  CHECK(rejection(codec, forged, binding()).find("integrity check failed") != std::string::npos);
  CHECK(rejection(codec, "", binding()).find("malformed") != std::string::npos);
  CHECK(rejection(codec, "s1.", binding()).find("malformed") != std::string::npos);
  CHECK(rejection(codec, "garbage", binding()).find("malformed") != std::string::npos);
}

TEST_CASE("requestState: a token sealed under another key is refused") {
  const RequestStateCodec a(key_a, {});
  const RequestStateCodec b(key_b, {});
  const auto token = a.seal(binding(), json::object(), 1);
  CHECK(rejection(b, token, binding()).find("another key") != std::string::npos);
  CHECK(rejection(a, token, binding()) == "accepted");
}

TEST_CASE("requestState: expired after its TTL, not before") {
  const RequestStateCodec codec(key_a, {.ttl = 600s});
  const auto minted = RequestStateCodec::Clock::now();
  const auto token = codec.seal(binding(), json::object(), 1, minted);
  CHECK(rejection(codec, token, binding(), minted + 599s) == "accepted");
  CHECK(rejection(codec, token, binding(), minted + 600s).find("expired") != std::string::npos);
  CHECK(rejection(codec, token, binding(), minted + 24h).find("expired") != std::string::npos);
}

TEST_CASE("requestState: bound to its method, tool and arguments") {
  const RequestStateCodec codec(key_a, {});
  const auto token = codec.seal(binding("tool_x", json{{"n", 1}}), json::object(), 1);
  CHECK(rejection(codec, token, binding("tool_y", json{{"n", 1}})).find("another request") !=
        std::string::npos);
  CHECK(rejection(codec, token, binding("tool_x", json{{"n", 2}})).find("other arguments") !=
        std::string::npos);
  StateBinding prompt = binding("tool_x", json{{"n", 1}});
  prompt.method = "prompts/get";
  CHECK(rejection(codec, token, prompt).find("another request") != std::string::npos);
}

TEST_CASE("requestState: the size budget holds for minting and for opening") {
  const RequestStateCodec codec(key_a, {.ttl = 600s, .max_bytes = 2048});
  const json small{{"k", {{"action", "accept"}, {"content", {{"v", std::string(100, 'x')}}}}}};
  const auto token = codec.seal(binding(), small, 1);
  CHECK(token.size() <= 2048);
  const json large{{"k", {{"action", "accept"}, {"content", {{"v", std::string(4096, 'x')}}}}}};
  CHECK_THROWS_AS((void)codec.seal(binding(), large, 1), std::length_error);
  // A longer token is refused on its length alone, before any decoding or MAC.
  CHECK(rejection(codec, std::string(2049, 'A'), binding()).find("longer") != std::string::npos);
}

TEST_CASE("requestState: a key shorter than 32 bytes is refused") {
  CHECK_THROWS_AS(RequestStateCodec(std::string(31, 'k'), {}), std::invalid_argument);
}

TEST_CASE("state key file: created with 32 random bytes and mode 0600, then read back") {
  TempDir dir;
  const auto path = dir.path / "state.key";
  const auto created = server::load_or_create_state_key(path);
  CHECK(created.origin == server::StateKey::Origin::created);
  CHECK(created.bytes.size() == 32);
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const auto read = server::load_or_create_state_key(path);
  CHECK(read.origin == server::StateKey::Origin::file);
  CHECK(read.bytes == created.bytes);
  CHECK(read.warnings.empty());
  // Nothing else left in the directory (the temporary file is gone).
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path),
                      std::filesystem::directory_iterator()) == 1);
  CHECK(server::random_state_key().bytes != server::random_state_key().bytes);
}

TEST_CASE("state key file: instances starting together agree on one key") {
  for (int attempt = 0; attempt < 20; ++attempt) {
    TempDir dir;
    const auto path = dir.path / "shared.key";
    std::vector<std::future<server::StateKey>> starting;
    for (int i = 0; i < 4; ++i)
      starting.push_back(std::async(std::launch::async,
                                    [&path] { return server::load_or_create_state_key(path); }));
    std::vector<server::StateKey> keys;
    for (auto& f : starting) keys.push_back(f.get());
    int creators = 0;
    for (const auto& key : keys) {
      CHECK(key.bytes == keys.front().bytes);
      if (key.origin == server::StateKey::Origin::created) ++creators;
    }
    CHECK(creators == 1);
  }
}

TEST_CASE("state key file: too short, too long, not a file, readable by others") {
  TempDir dir;
  const auto short_key = dir.path / "short.key";
  std::ofstream(short_key) << "0123456789";
  CHECK_THROWS_WITH_AS((void)server::load_or_create_state_key(short_key),
                       doctest::Contains("at least 32"), std::runtime_error);
  const auto long_key = dir.path / "long.key";
  std::ofstream(long_key) << std::string(server::max_state_key_file_bytes + 1, 'k');
  CHECK_THROWS_WITH_AS((void)server::load_or_create_state_key(long_key),
                       doctest::Contains("not a key file"), std::runtime_error);
  CHECK_THROWS_WITH_AS((void)server::load_or_create_state_key(dir.path),
                       doctest::Contains("not a regular file"), std::runtime_error);
  CHECK_THROWS_AS((void)server::load_or_create_state_key(dir.path / "missing-dir" / "k"),
                  std::runtime_error);
  const auto shared = dir.path / "shared.key";
  std::ofstream(shared) << std::string(40, 's');
  std::filesystem::permissions(shared, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write |
                                           std::filesystem::perms::others_read);
  const auto key = server::load_or_create_state_key(shared);
  CHECK(key.bytes == std::string(40, 's'));
  REQUIRE(key.warnings.size() == 1);
  CHECK(key.warnings.front().find("chmod 600") != std::string::npos);
}
