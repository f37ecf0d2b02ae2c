// server::HangupWatch: one report per registration when the peer closes, and a registration that
// reported no longer refers to its descriptor (whose number the process may give to another
// connection before the old handle is released).
#include "mcpgate/server/hangup_watch.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

namespace hangup_watch_test {

using test_support::eventually;

struct SocketPair {
  int ours = -1;
  int peers = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ours = fds[0];
    peers = fds[1];
  }
  ~SocketPair() {
    close_ours();
    close_peers();
  }
  void close_ours() {
    if (ours >= 0) ::close(ours);
    ours = -1;
  }
  void close_peers() {
    if (peers >= 0) ::close(peers);
    peers = -1;
  }
};

}  // namespace hangup_watch_test

using namespace hangup_watch_test;

TEST_CASE("a hang-up is reported once, and the registration ends with the report") {
  mcpgate::server::HangupWatch watch;
  SocketPair pair;
  std::atomic<int> reports{0};
  auto handle = watch.watch(pair.ours, [&] { ++reports; });
  REQUIRE(handle);
  CHECK(watch.watched() == 1);
  pair.close_peers();
  REQUIRE(eventually([&] { return reports.load() == 1; }));
  // Gone with the report, not only when the handle is released.
  CHECK(eventually([&] { return watch.watched() == 0; }));
  handle.reset();
  CHECK(reports.load() == 1);
}

TEST_CASE("releasing a reported handle leaves alone the descriptor number's next connection") {
  mcpgate::server::HangupWatch watch;
  auto first = std::make_unique<SocketPair>();
  const int number = first->ours;
  std::atomic<int> first_reports{0};
  auto old_handle = watch.watch(first->ours, [&] { ++first_reports; });
  REQUIRE(old_handle);
  first->close_peers();
  REQUIRE(eventually([&] { return first_reports.load() == 1; }));
  // The owner, told, closes its descriptor; a new connection gets the same number...
  first->close_ours();
  SocketPair second;
  if (second.ours != number && second.peers == number) std::swap(second.ours, second.peers);
  REQUIRE(second.ours == number);
  std::atomic<int> second_reports{0};
  auto new_handle = watch.watch(second.ours, [&] { ++second_reports; });
  REQUIRE(new_handle);
  // ...and only then is the old handle released: the new connection must still be watched.
  old_handle.reset();
  second.close_peers();
  CHECK(eventually([&] { return second_reports.load() == 1; }, std::chrono::seconds(5)));
}
