// transport::StreamSet (transport/stream_set.hpp): a session's SSE streams as the transport
// keeps them: POST streams found by id until retired, and bounded in number.
#include "mcpgate/sessions/session.hpp"
#include "mcpgate/transport/stream_set.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace mcpgate;
using sessions::Session;
using sessions::Transport;
using transport::streams_of;

namespace {

std::shared_ptr<const SharedContext> context() {
  static const auto ctx = std::make_shared<const SharedContext>();
  return ctx;
}

Session plain_session(Transport t = Transport::streamable_http, transport::StreamOptions o = {}) {
  return Session("sid", t, context(), std::make_unique<transport::StreamSet>("sid", t, o));
}

}  // namespace

TEST_CASE("StreamSet: request streams are found until retired") {
  auto s = plain_session();
  auto a = streams_of(s).open_request_stream();
  auto b = streams_of(s).open_request_stream();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->id() != b->id());
  CHECK(a->id() != streams_of(s).session_stream()->id());
  CHECK(streams_of(s).find_stream(a->id()) == a);
  CHECK(streams_of(s).find_stream(b->id()) == b);
  CHECK(streams_of(s).find_stream("nope") == nullptr);
  // Request stream ids are usable in event ids.
  CHECK(transport::EventStream::parse_event_id(a->cursor_id()).has_value());

  streams_of(s).retire_stream(a->id());
  CHECK(streams_of(s).find_stream(a->id()) == nullptr);
  CHECK(streams_of(s).find_stream(b->id()) == b);
}

TEST_CASE("StreamSet: at most retained_streams finished request streams are kept, oldest dropped first") {
  transport::StreamOptions o;
  o.retained_streams = 3;
  auto s = plain_session(Transport::streamable_http, o);
  std::vector<std::shared_ptr<transport::EventStream>> opened;
  for (int i = 0; i < 12; ++i) {
    auto stream = streams_of(s).open_request_stream();
    stream->finish();  // its POST is answered; kept only for a late resume
    opened.push_back(stream);
  }
  std::string retained;
  for (const auto& st : opened)
    if (streams_of(s).find_stream(st->id())) retained += st->id() + " ";
  // The newest finished streams are the ones a client may still resume: p10, p11, p12.
  // Eviction goes oldest first by stream number, not by the id's text ("p10" is newer than "p9").
  CHECK(retained == opened[9]->id() + " " + opened[10]->id() + " " + opened[11]->id() + " ");
}

TEST_CASE("StreamSet: live request streams are never evicted to make room") {
  transport::StreamOptions o;
  o.retained_streams = 2;
  auto s = plain_session(Transport::streamable_http, o);
  auto live1 = streams_of(s).open_request_stream();  // not finished: its request is still running
  auto live2 = streams_of(s).open_request_stream();
  auto live3 = streams_of(s).open_request_stream();
  CHECK(streams_of(s).find_stream(live1->id()) == live1);
  CHECK(streams_of(s).find_stream(live2->id()) == live2);
  CHECK(streams_of(s).find_stream(live3->id()) == live3);

  // A finished stream with a writer still attached is not evicted either.
  transport::StreamOptions o2;
  o2.retained_streams = 1;
  auto t = plain_session(Transport::streamable_http, o2);
  auto attached = streams_of(t).open_request_stream();
  const auto gen = attached->attach();
  attached->finish();
  auto next = streams_of(t).open_request_stream();
  CHECK(streams_of(t).find_stream(attached->id()) == attached);
  attached->detach(gen);
  auto third = streams_of(t).open_request_stream();
  CHECK(streams_of(t).find_stream(attached->id()) == nullptr);  // now it can go
  CHECK(streams_of(t).find_stream(third->id()) == third);
  (void)next;
}

TEST_CASE("StreamSet: legacy SSE's stream keeps no delivered event (it cannot be resumed)") {
  // Legacy SSE events carry no ids, so no client can ever ask for one again: an answer kept
  // after it was written (an initialize result with the server's instructions, say) would stay
  // in memory for as long as the session is open, for nothing.
  transport::StreamOptions options;
  options.replay_events = 256;
  auto s = plain_session(Transport::legacy_sse, options);
  const auto& stream = streams_of(s).session_stream();
  REQUIRE(stream->push("message", std::string(4000, 'x')));
  REQUIRE(stream->push("message", R"({"jsonrpc":"2.0","id":2,"result":{}})"));
  CHECK(stream->held_bytes() > 4000);  // not yet delivered: held
  stream->mark_delivered(2);
  CHECK(stream->held_bytes() == 0);

  // Streamable HTTP's session stream keeps its delivered events for a resume.
  auto m = plain_session(Transport::streamable_http, options);
  const auto& main = streams_of(m).session_stream();
  REQUIRE(main->push("message", std::string(4000, 'x')));
  main->mark_delivered(1);
  CHECK(main->held_bytes() > 4000);
}
