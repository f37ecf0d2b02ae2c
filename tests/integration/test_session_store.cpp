// Sessions that outlive the process (sessions/session_store.hpp): a Streamable HTTP session's
// record in the store's SQLite file lets a new server on the same file carry it on, with no 404
// and no new initialize; DELETE, expiry and eviction at the cap delete it; forged ids stay 404.
#include "../embedded/temp_dir.hpp"
#include "test_server.hpp"

#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/store/session_table.hpp"

using namespace itest;

namespace {

mcpgate::Config store_config(const embedded_test::TempDir& dir) {
  auto config = test_config();
  config.session_store = dir.file("sessions.db");
  return config;
}

// session_info's session_management block, through the session `id`; the exchange's status
// when it is not 200.
json session_info(int port, const std::string& id, int* status = nullptr) {
  const auto call = mcp_post(port, id, tool_call(7, "session_info"));
  if (status) *status = call.status;
  if (!call.ok || call.status != 200) return nullptr;
  const auto response = call.response(7);
  if (!response || !response->contains("result")) return nullptr;
  return json::parse(result_text(*response), nullptr, false)["session_management"];
}

}  // namespace

TEST_CASE("a Streamable HTTP session outlives its server: a new one on the same store carries it on") {
  embedded_test::TempDir dir;
  std::string id;
  {
    TestServer first(store_config(dir));
    id = open_session(first.port(), "2025-06-18");
    REQUIRE(session_info(first.port(), id)["current_session"] == id);
    const auto level = mcp_post(first.port(), id,
                                rpc_request(3, "logging/setLevel", {{"level", "error"}}),
                                "2025-06-18");
    REQUIRE(level.status == 200);
  }
  TestServer second(store_config(dir));
  int status = 0;
  const json info = session_info(second.port(), id, &status);
  CHECK(status == 200);
  CHECK(info["current_session"] == id);
  CHECK(info["protocol_version"] == "2025-06-18");
  CHECK(second.app().sessions().counts().streamable_http == 1);
  // The restored session is an ordinary one: listings, and a GET stream opens.
  const auto list = mcp_post(second.port(), id, rpc_request(8, "tools/list"), "2025-06-18");
  CHECK(list.status == 200);
  auto stream = open_get_stream(second.port(), id, "2025-06-18");
  REQUIRE(stream);
  CHECK(stream->status() == 200);
}

TEST_CASE("session records: DELETE, a forged id, an expired record and eviction at the cap") {
  embedded_test::TempDir dir;
  std::string deleted;
  std::string evicted;
  std::string kept;
  {
    auto config = store_config(dir);
    config.max_sessions = 2;
    TestServer first(config);
    deleted = open_session(first.port());
    const auto bye = exchange(first.port(), "DELETE", "/mcp", mcp_headers(deleted, latest));
    CHECK(bye.status == 200);
    evicted = open_session(first.port());
    kept = open_session(first.port());
    REQUIRE(!session_info(first.port(), kept).is_null());  // used: the other one goes first
    (void)open_session(first.port());                      // the cap: `evicted` makes room
    int status = 0;
    (void)session_info(first.port(), evicted, &status);
    CHECK(status == 404);  // its record went with it: not restored
  }
  // A record last used longer ago than --session-ttl, as another process left it.
  auto database = mcpgate::backend::open_store(dir.file("sessions.db"), {});
  mcpgate::store::SessionTable table(database);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string stale = mcpgate::sessions::SessionRegistry::random_id("");
  table.put({.id = stale,
             .transport = "streamable_http",
             .protocol_version = latest,
             .client_capabilities = "{}",
             .client_info = "{}",
             .log_level = "info",
             .last_used_ms = now_ms - 2 * 3600 * 1000,
             .subject = {}});

  TestServer second(store_config(dir));
  int status = 0;
  (void)session_info(second.port(), deleted, &status);
  CHECK(status == 404);
  (void)session_info(second.port(), evicted, &status);
  CHECK(status == 404);
  (void)session_info(second.port(), stale, &status);
  CHECK(status == 404);
  CHECK_FALSE(table.get(stale).has_value());  // and the expired record is gone
  (void)session_info(second.port(), mcpgate::sessions::SessionRegistry::random_id(""), &status);
  CHECK(status == 404);  // forged
  CHECK(session_info(second.port(), kept)["current_session"] == kept);
}

TEST_CASE("without a session store, a new server does not know the old one's sessions") {
  embedded_test::TempDir dir;
  auto config = store_config(dir);
  config.session_store.clear();
  std::string id;
  {
    TestServer first(config);
    id = open_session(first.port());
  }
  TestServer second(config);
  int status = 0;
  (void)session_info(second.port(), id, &status);
  CHECK(status == 404);
}

TEST_CASE("two instances on one store: a session opened on one is served by the other, and a "
          "DELETE on either ends it on both") {
  embedded_test::TempDir dir;
  auto config = store_config(dir);
  // Uses are written every quarter of the TTL: half a second here, so the test need not wait.
  config.session_ttl = std::chrono::seconds(2);
  TestServer a(config);
  TestServer b(config);
  const std::string id = open_session(a.port());
  CHECK(session_info(b.port(), id)["current_session"] == id);
  CHECK(session_info(a.port(), id)["current_session"] == id);

  const auto bye = exchange(b.port(), "DELETE", "/mcp", mcp_headers(id, latest));
  CHECK(bye.status == 200);
  // `a` still holds the session until it next writes its use and finds the record gone.
  const bool ended_on_a = eventually(
      [&] {
        int status = 0;
        (void)session_info(a.port(), id, &status);
        return status == 404;
      },
      io_timeout * time_scale);
  CHECK(ended_on_a);
}
