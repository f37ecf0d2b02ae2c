// pump_stream's loan of its connection (EventStream::wait's ConnectionLoan): while the writer
// waits, a small event is written by the thread that pushes it, which never waits for the
// client; whatever that write leaves undone wakes the writer. Also run under ThreadSanitizer.
#include "mcpgate/transport/connection_hooks.hpp"
#include "mcpgate/transport/event_stream.hpp"
#include "mcpgate/transport/sse_writer.hpp"

#include "event_stream_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>

using namespace mcpgate;
using namespace std::chrono_literals;
using transport::ConnectionHooks;
using transport::EventStream;
using transport::WriteOutcome;

namespace {

// A connection that records what is written and sent, and by which thread.
class RecordingConnection final : public ConnectionHooks {
 public:
  std::shared_ptr<void> watch_hangup(std::function<void()>) override { return nullptr; }
  bool flush() override {
    std::lock_guard lock(mutex_);
    ++flushes_;
    sent_ += gathered_;
    gathered_.clear();
    return true;
  }
  SendNow flush_now() override {
    std::lock_guard lock(mutex_);
    if (now_ == SendNow::sent) {
      sent_ += gathered_;
      gathered_.clear();
    }
    return now_;
  }

  // httplib's DataSink over this connection (what write_content_chunked hands a provider).
  void serve(httplib::DataSink& sink) {
    sink.write = [this](const char* data, std::size_t size) {
      std::lock_guard lock(mutex_);
      gathered_.append(data, size);
      last_writer_ = std::this_thread::get_id();
      return true;
    };
    sink.is_writable = [] { return true; };
    sink.done = [] {};
  }

  void answer_flush_now(SendNow now) {
    std::lock_guard lock(mutex_);
    now_ = now;
  }
  std::string sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  std::thread::id last_writer() const {
    std::lock_guard lock(mutex_);
    return last_writer_;
  }
  int flushes() const {
    std::lock_guard lock(mutex_);
    return flushes_;
  }

 private:
  mutable std::mutex mutex_;
  std::string gathered_;
  std::string sent_;
  std::thread::id last_writer_;
  int flushes_ = 0;
  SendNow now_ = SendNow::sent;
};

// Runs pump_stream on its own thread, with `connection` as that thread's connection.
std::future<WriteOutcome> start_writer(EventStream& stream, std::uint64_t generation,
                                       RecordingConnection& connection) {
  return std::async(std::launch::async, [&stream, generation, &connection] {
    transport::ScopedConnectionHooks hooks(&connection);
    httplib::DataSink sink;
    connection.serve(sink);
    transport::WriterOptions options;
    options.heartbeat = std::chrono::milliseconds(60000);  // no ping during the test
    return transport::pump_stream(sink, stream, generation, 0, options);
  });
}

// Closes a stream when a test ends, so that its writer ends even when a check failed.
struct ClosedAtEnd {
  EventStream& stream;
  ~ClosedAtEnd() { stream.close(); }
};

// Waits (bounded) until the writer sleeps with its connection lent.
bool wait_until_lent(const EventStream& stream) {
  for (int i = 0; i < 2000 && !stream.lent(); ++i) std::this_thread::sleep_for(1ms);
  return stream.lent();
}

// Waits (bounded) until `connection` has sent `text`.
bool wait_until_sent(const RecordingConnection& connection, const std::string& text) {
  for (int i = 0; i < 2000; ++i) {
    if (connection.sent().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

}  // namespace

TEST_CASE("pump_stream: an event pushed while the writer waits is written and sent by the pushing thread") {
  EventStream stream("l", test::options(0, false));
  const auto generation = stream.attach();
  RecordingConnection connection;
  auto writer = start_writer(stream, generation, connection);
  ClosedAtEnd closing_writer{stream};
  REQUIRE(wait_until_lent(stream));

  REQUIRE(stream.push("message", R"({"jsonrpc":"2.0","id":1,"result":{}})"));
  // On its way when push() returns, written by this thread; the writer never woke to flush.
  CHECK(connection.sent().find(R"("id":1)") != std::string::npos);
  CHECK(connection.last_writer() == std::this_thread::get_id());
  CHECK(stream.delivered() == 1);
  const int flushes = connection.flushes();
  REQUIRE(stream.push("message", R"({"jsonrpc":"2.0","id":2,"result":{}})"));
  CHECK(connection.sent().find(R"("id":2)") != std::string::npos);
  CHECK(connection.flushes() == flushes);
  // A stream without replay keeps nothing once written.
  CHECK(stream.held_bytes() == 0);

  stream.close();
  CHECK(writer.get() == WriteOutcome::closed);
  // Each event went out once.
  const auto sent = connection.sent();
  CHECK(sent.find(R"("id":1)") == sent.rfind(R"("id":1)"));
}

TEST_CASE("pump_stream: a client that makes no room holds no pushing thread; the writer sends the rest") {
  EventStream stream("l", test::options(0, false));
  const auto generation = stream.attach();
  RecordingConnection connection;
  connection.answer_flush_now(ConnectionHooks::SendNow::partial);
  auto writer = start_writer(stream, generation, connection);
  ClosedAtEnd closing_writer{stream};
  REQUIRE(wait_until_lent(stream));

  REQUIRE(stream.push("message", R"({"jsonrpc":"2.0","id":1,"result":{}})"));
  // Written by this thread, left for the writer to send (with its write timeout).
  CHECK(connection.last_writer() == std::this_thread::get_id());
  CHECK(wait_until_sent(connection, R"("id":1)"));
  // The next one while the writer is awake waits for it, in order.
  REQUIRE(stream.push("message", R"({"jsonrpc":"2.0","id":2,"result":{}})"));
  CHECK(wait_until_sent(connection, R"("id":2)"));
  const auto sent = connection.sent();
  CHECK(sent.find(R"("id":1)") < sent.find(R"("id":2)"));

  stream.close();
  CHECK(writer.get() == WriteOutcome::closed);
}

TEST_CASE("pump_stream: an event too large to write without waiting is left to the writer") {
  EventStream stream("l", test::options(0, false));
  const auto generation = stream.attach();
  RecordingConnection connection;
  auto writer = start_writer(stream, generation, connection);
  ClosedAtEnd closing_writer{stream};
  REQUIRE(wait_until_lent(stream));

  const std::string large(64 * 1024, 'x');
  REQUIRE(stream.push("message", R"({"jsonrpc":"2.0","id":1,"result":{"text":")" + large + "\"}}"));
  CHECK(wait_until_sent(connection, large));
  CHECK(connection.last_writer() != std::this_thread::get_id());
  // Then the writer lends its connection again.
  CHECK(wait_until_lent(stream));

  stream.close();
  CHECK(writer.get() == WriteOutcome::closed);
}

TEST_CASE("pump_stream: a client found gone by a write through the loan ends the writer") {
  EventStream stream("l", test::options(0, false));
  const auto generation = stream.attach();
  RecordingConnection connection;
  connection.answer_flush_now(ConnectionHooks::SendNow::gone);
  auto writer = start_writer(stream, generation, connection);
  ClosedAtEnd closing_writer{stream};
  REQUIRE(wait_until_lent(stream));

  REQUIRE(stream.push("message", R"({"jsonrpc":"2.0","id":1,"result":{}})"));
  REQUIRE(writer.wait_for(10s) == std::future_status::ready);
  CHECK(writer.get() == WriteOutcome::client_gone);
  CHECK_FALSE(stream.lent());
}

TEST_CASE("EventStream: a writer that supersedes a lending one lends only once that loan is over") {
  EventStream stream("g", test::options(8));
  const auto first = stream.attach();
  RecordingConnection first_connection;
  auto first_writer = start_writer(stream, first, first_connection);
  ClosedAtEnd closing_first_writer{stream};
  REQUIRE(wait_until_lent(stream));

  const auto second = stream.attach();
  CHECK(first_writer.get() == WriteOutcome::superseded);
  RecordingConnection second_connection;
  auto second_writer = start_writer(stream, second, second_connection);
  ClosedAtEnd closing_second_writer{stream};
  REQUIRE(wait_until_lent(stream));
  REQUIRE(stream.push("message", R"({"jsonrpc":"2.0","id":1,"result":{}})"));
  CHECK(second_connection.sent().find(R"("id":1)") != std::string::npos);
  CHECK(first_connection.sent().find(R"("id":1)") == std::string::npos);

  stream.close();
  CHECK(second_writer.get() == WriteOutcome::closed);
}
