// Slow clients: a sender that trickles its request headers (slowloris) and a reader that never
// reads its stream. Each may hold only its own connection, is cut off by the timeouts, and
// leaves every other client served meanwhile.
#include "test_server.hpp"

using namespace itest;

namespace {

mcpgate::Config slow_client_config() {
  auto config = test_config();
  config.header_timeout = 1500ms;
  config.client_io_timeout = 1000ms;
  return config;
}


// tools/call health_check on an open legacy session, answered on its stream.
bool legacy_call_answers(int port, LegacyStream& stream, int id) {
  auto client = httplib::Client("127.0.0.1", port);
  const auto posted = client.Post(stream.post_target.c_str(),
                                  tool_call(id, "session_info").dump(), "application/json");
  if (!posted || posted->status != 202) return false;
  const auto answer = stream.http->next_message();
  return answer && (*answer)["id"] == id && answer->contains("result");
}

}  // namespace

TEST_CASE("a client trickling its request headers is cut off; others are served meanwhile") {
  TestServer server(slow_client_config());
  auto bystander = open_initialised_legacy(server.port());
  REQUIRE(bystander.has_value());

  // Each byte arrives well inside the read timeout (1 s), so only the header deadline (1.5 s)
  // can end this; sending all of it would take 20 s.
  RawHttp slow(server.port());
  REQUIRE(slow.connected());
  const std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: " +
                              std::string(200, 'a') + "\r\n\r\n";
  auto client = server.client();
  std::size_t sent = 0;
  bool cut_off = false;
  int served = 0;
  for (; sent < request.size(); ++sent) {
    if (!slow.send_all(std::string_view(request).substr(sent, 1))) {
      cut_off = true;
      break;
    }
    if (slow.wait_closed(100ms)) {
      cut_off = true;
      break;
    }
    // Everyone else carries on while the trickle lasts.
    if (sent % 5 == 0) {
      const auto health = client->Get("/health");
      if (health && health->status == 200) ++served;
      if (legacy_call_answers(server.port(), *bystander, 100 + static_cast<int>(sent))) ++served;
    }
  }
  INFO("sent " << sent << " of " << request.size() << " bytes");
  CHECK(cut_off);
  CHECK(sent < request.size());
  CHECK(served > 0);
  CHECK(served == 2 * static_cast<int>((sent + 4) / 5));
  // The connection's thread is back: the server still answers a complete request on a new one.
  const auto health = client->Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(legacy_call_answers(server.port(), *bystander, 1));
}

TEST_CASE("a client that sends nothing after connecting is closed by the read timeout") {
  TestServer server(slow_client_config());
  RawHttp idle(server.port());
  REQUIRE(idle.connected());
  REQUIRE(idle.send_all("GET /health HTTP/1.1\r\n"));  // then silence
  CHECK(idle.wait_closed(io_timeout));
}

TEST_CASE("a stream whose client never reads is ended by the write timeout and its session freed") {
  TestServer server(slow_client_config());
  auto bystander = open_initialised_legacy(server.port());
  REQUIRE(bystander.has_value());

  // A legacy session whose client stops reading after initialising.
  auto stuck = open_initialised_legacy(server.port());
  REQUIRE(stuck.has_value());
  const std::string stuck_target = stuck->post_target;
  REQUIRE(server.app().sessions().counts().legacy_sse == 2);

  // Every tools/list answer is queued for the stuck stream; its client reads none of them.
  // Once the socket buffers are full, a write waits out the 1 s client timeout and the stream
  // ends, taking its session with it: the POSTs then get 404.
  auto client = server.client();
  int accepted = 0;
  bool session_gone = false;
  const auto deadline = Clock::now() + io_timeout * 3;
  for (int id = 10; Clock::now() < deadline; ++id) {
    const auto posted = client->Post(stuck_target.c_str(), rpc_request(id, "tools/list").dump(),
                                     "application/json");
    REQUIRE(posted);
    if (posted->status == 404) {
      session_gone = true;
      break;
    }
    REQUIRE(posted->status == 202);
    ++accepted;
    // The other session is answered throughout.
    if (id % 50 == 0) REQUIRE(legacy_call_answers(server.port(), *bystander, id));
  }
  INFO("tools/list requests queued before the stream was cut off: " << accepted);
  CHECK(session_gone);
  CHECK(eventually([&] { return server.app().sessions().counts().legacy_sse == 1; }, io_timeout));
  CHECK(legacy_call_answers(server.port(), *bystander, 1));
}
