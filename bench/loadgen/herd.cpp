// The herd workload: many first clients at once while the server is still starting up.
#include "closed_loop.hpp"
#include "latencies.hpp"
#include "mcp_requests.hpp"
#include "workloads.hpp"

#include <memory>
#include <stdexcept>
#include <vector>

namespace loadgen {

json run_herd(const HerdOptions& options) {
  const auto before = server_health(options.url);
  if (!before) throw std::runtime_error("the server's /health does not answer");

  // Each client: initialize, then notifications/initialized, then one tools/call, in order on
  // its own keep-alive connection.
  enum class Step { initialize, initialized, call, done, failed };
  struct Client {
    std::unique_ptr<Connection> connection;
    Step step = Step::initialize;
    std::string session;
    bool result_event = false;
  };

  Loop loop;
  std::vector<Client> clients(static_cast<std::size_t>(options.clients));
  Latencies served;  // from the start to each client's answered call
  long long failures = 0;
  std::string first_error;
  const auto start = Clock::now();
  long long finished = 0;

  auto fail = [&](Client& client, const std::string& why) {
    if (client.step == Step::done || client.step == Step::failed) return;
    client.step = Step::failed;
    ++failures;
    ++finished;
    if (first_error.empty()) first_error = why;
    client.connection->close();
  };

  const std::string initialize = post_request(options.url, options.url.path, initialize_body(1));
  for (auto& client : clients) {
    Client* self = &client;
    client.connection = std::make_unique<Connection>(
        loop, options.url.address,
        Connection::Handlers{
            nullptr,
            [self](const SseEvent& event) {
              if (is_good_result(event.data)) self->result_event = true;
            },
            [&, self](Response& response) {
              Client& c = *self;
              const bool good = accept_rpc_result(response, c.result_event);
              c.result_event = false;
              switch (c.step) {
                case Step::initialize:
                  c.session = std::string(response.header("Mcp-Session-Id"));
                  if (!good || c.session.empty())
                    return fail(c, "initialize: HTTP " + std::to_string(response.status) + " " +
                                       response.body.substr(0, 200));
                  c.step = Step::initialized;
                  c.connection->send(post_request(options.url, options.url.path, initialized_body(), c.session));
                  return;
                case Step::initialized:
                  if (response.status / 100 != 2)
                    return fail(c, "notifications/initialized: HTTP " + std::to_string(response.status));
                  c.step = Step::call;
                  c.connection->send(post_request(options.url, options.url.path,
                                                  tool_call_body(2, options.tool, json::object()), c.session));
                  return;
                case Step::call:
                  if (!good) return fail(c, "tools/call: HTTP " + std::to_string(response.status) + " " +
                                                response.body.substr(0, 200));
                  c.step = Step::done;
                  ++finished;
                  served.add(Clock::now() - start);
                  c.connection->close();
                  return;
                case Step::done:
                case Step::failed:
                  return;
              }
            },
            [&, self](const std::string& why) { fail(*self, why); },
        });
  }
  for (auto& client : clients) client.connection->send(initialize);

  loop.run_until([&] { return finished == options.clients; }, start + options.timeout);
  for (auto& client : clients) fail(client, "no answer within the timeout");

  const auto after = server_health(options.url);
  return json{{"workload", "herd"},
              {"clients", options.clients},
              {"served", static_cast<long long>(served.count())},
              {"errors", failures},
              {"first_error", first_error},
              {"all_served_ms", served.count() ? served.percentile(100) / 1000.0 : 0.0},
              {"first_served_ms", served.count() ? served.percentile(0.0001) / 1000.0 : 0.0},
              {"p50_served_ms", served.percentile(50) / 1000.0},
              {"init_runs_before", before->init_runs},
              {"init_runs", after ? after->init_runs : -1}};
}

}  // namespace loadgen
