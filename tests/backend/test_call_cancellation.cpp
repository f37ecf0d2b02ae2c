// HttpBackend calls made inside a util::CancellationScope (the request a tool runs for): when
// that request is cancelled, or its session ends, the call ends at once (its connection is shut
// down under it), and only that call: the backend's other calls go on.
#include "fixture_backend.hpp"

#include "../eventually.hpp"
#include "mcpgate/backend/http_backend.hpp"
#include "mcpgate/util/cancellation.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>

using namespace std::chrono_literals;
using mcpgate::backend::HttpBackend;
using mcpgate::backend::HttpBackendOptions;
using mcpgate::backend::Timeouts;
using mcpgate::backend::TransportError;
using mcpgate::test::FixtureBackend;
using mcpgate::test::FixtureReply;
using mcpgate::test::RecordedRequest;
using mcpgate::util::Cancellation;
using mcpgate::util::CancellationScope;

namespace {

HttpBackend stalled_calls_backend(const std::string& url) {
  HttpBackendOptions options;
  options.timeouts = Timeouts{2000ms, 30000ms, 30000ms};
  options.use_env_proxy = false;
  return HttpBackend(url, options);
}

// One GET in `cancellation`'s scope, on another thread: "ok <status>" or "<error message>".
std::future<std::string> call_in_scope(HttpBackend& api, Cancellation* cancellation,
                                       std::string path) {
  return std::async(std::launch::async, [&api, cancellation, path = std::move(path)] {
    const CancellationScope scope(cancellation);
    try {
      return "ok " + std::to_string(api.request("GET", path, {}, nullptr, std::nullopt).status);
    } catch (const TransportError& e) {
      return std::string(e.what());
    }
  });
}

}  // namespace

TEST_CASE("a call whose request is cancelled ends at once; the backend's other calls go on") {
  FixtureBackend fx([](const RecordedRequest& request) {
    if (request.path == "/api/slow") return FixtureReply{200, "{}", "application/json", 1500ms};
    return FixtureReply{200, "{}", "application/json", 20000ms};
  });
  auto api = stalled_calls_backend(fx.url());
  Cancellation doomed;
  Cancellation spared;
  auto cancelled_call = call_in_scope(api, &doomed, "/api/stalled");
  auto other_call = call_in_scope(api, &spared, "/api/slow");
  REQUIRE(test_support::eventually([&] { return fx.requests().size() == 2; }, 5000ms));

  doomed.cancel();
  // Not the 20 s the backend would take (the bound leaves room for a slow machine).
  REQUIRE(cancelled_call.wait_for(10s) == std::future_status::ready);
  CHECK(cancelled_call.get() == "GET /api/stalled: cancelled: the request was cancelled");
  // The other call, on its own connection, is answered.
  REQUIRE(other_call.wait_for(10s) == std::future_status::ready);
  CHECK(other_call.get() == "ok 200");

  // A call begun once its request is cancelled is not sent at all.
  auto late = call_in_scope(api, &doomed, "/api/late");
  REQUIRE(late.wait_for(10s) == std::future_status::ready);
  CHECK(late.get() == "GET /api/late: cancelled: the request was cancelled");
  CHECK(fx.requests().size() == 2);
  // The backend serves new calls, on the pooled connections or new ones.
  Cancellation fresh;
  fx.on([](const RecordedRequest&) { return FixtureReply{200, "{}"}; });
  auto after = call_in_scope(api, &fresh, "/api/next");
  REQUIRE(after.wait_for(10s) == std::future_status::ready);
  CHECK(after.get() == "ok 200");
}
