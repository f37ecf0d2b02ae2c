// A stand-in for Archon's REST API for the benchmarks: answers the routes the forward and herd
// workloads use at once (GET /api/health after --health-delay-ms), counts the connections it
// accepts, and reports them at GET /stats. Thread per connection from a pool wide enough that it
// never queues, so it is never what a benchmark measures.
//
//   stub_backend [--port N] [--port-file PATH] [--health-delay-ms MS]
#include "serve.hpp"

#include "mcpgate/server/httplib_compat.hpp"

#include <CLI/CLI.hpp>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace {

// Counts each accepted connection: httplib hands every accepted socket to its task queue once.
// Wraps a ThreadPool rather than deriving from it (current releases declare it final).
class CountingPool : public httplib::TaskQueue {
 public:
  CountingPool(std::size_t threads, std::atomic<long long>& accepted)
      : pool_(threads), accepted_(accepted) {}
  mcpgate::server::httplib_compat::EnqueueResult enqueue(std::function<void()> fn) override {
    accepted_.fetch_add(1);
    return pool_.enqueue(std::move(fn));
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  std::atomic<long long>& accepted_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stub_backend: an Archon-compatible REST stand-in for mcpgate's benchmarks"};
  int port = 0;
  int health_delay_ms = 0;
  std::string port_file;
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)")->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port here once listening");
  app.add_option("--health-delay-ms", health_delay_ms, "GET /api/health answers after this long")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::atomic<long long> accepted{0};
  std::atomic<long long> requests{0};
  httplib::Server server;
  server.new_task_queue = [&accepted] { return new CountingPool(256, accepted); };
  bench::tune(server);

  const std::string project =
      R"({"id":"p1","title":"Benchmark project","description":"A project the stub backend serves for the forward workload.","github_repo":null,"docs":[],"features":[],"data":[],"pinned":false,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"})";

  server.Get("/api/health", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    if (health_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(health_delay_ms));
    res.set_content(R"({"status":"healthy","service":"stub-backend","ready":true})", "application/json");
  });
  server.Get(R"(/api/projects/([^/]+))", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content(project, "application/json");
  });
  server.Get("/api/projects", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content(R"({"projects":[)" + project + "]}", "application/json");
  });
  server.Get("/stats", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"connections\":" + std::to_string(accepted.load()) +
                        ",\"requests\":" + std::to_string(requests.load()) + "}",
                    "application/json");
  });

  return bench::serve(server, "stub_backend", port, port_file);
}
