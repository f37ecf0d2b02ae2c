// mcpgate: parse the configuration, run the App, turn signals into a graceful shutdown.
// `mcpgate ingest …` runs the knowledge-base ingest command instead (see ingest_command.hpp);
// `mcpgate help` prints the server's help, `mcpgate help ingest` the ingest command's.
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/config.hpp"
#include "mcpgate/ingest_command.hpp"
#include "mcpgate/logging.hpp"
#include "mcpgate/server/app.hpp"
#include "mcpgate/store/data_path.hpp"
#include "mcpgate/util/futex_hash.hpp"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <pthread.h>
#include <string_view>
#include <thread>

namespace {

// Every connection is a descriptor: lift the soft open-files limit (1024 on many systems) to
// the hard one, and say so when even that cannot hold --max-connections.
void raise_open_files_limit(std::size_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  // Files, the listening socket, backend connections and the store need a few more.
  constexpr rlim_t reserve = 64;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < max_connections + reserve)
    spdlog::warn("the open files limit is {}: fewer than the {} connections --max-connections "
                 "allows can be accepted (raise it with ulimit -n or LimitNOFILE=)",
                 limit.rlim_cur, max_connections);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "ingest")
    return mcpgate::knowledge::run_ingest_command(argc, argv);
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "ingest") {
    char ingest[] = "ingest";
    char help[] = "--help";
    char* ingest_help[] = {argv[0], ingest, help, nullptr};
    return mcpgate::knowledge::run_ingest_command(3, ingest_help);
  }

  auto parsed = mcpgate::parse_config(argc, argv);
  if (!parsed.config) return parsed.exit_code;
  const mcpgate::Config& config = *parsed.config;

  mcpgate::configure_logging(config.log_format, config.log_level);
  raise_open_files_limit(config.max_connections);
  // A blocked writer thread per open SSE stream: the kernel's futex hash sized for them, not for
  // the CPUs (util/futex_hash.hpp says why). Connection and executor threads: two pools of up to
  // --max-connections each.
  if (const auto slots = mcpgate::util::size_futex_hash(2 * config.max_connections))
    spdlog::debug("futex hash: {} buckets", slots);

  // Signals are taken by one thread with sigwait(); every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (config.backend_url.empty()) {
    // Check the embedded store before listening, so a bad --data path is a clear start-up
    // error (exit 1) rather than a server whose every session fails. The App opens it again.
    try {
      mcpgate::store::ensure_parent_directories(config.data_path);
      mcpgate::backend::EmbeddedBackend check(config.data_path);
    } catch (const std::exception& e) {
      spdlog::critical("cannot use the data file {}: {}", config.data_path.string(), e.what());
      return 1;
    }
  }

  try {
    mcpgate::server::App app(config);
    const int port = app.bind();
    if (!config.port_file.empty()) {
      std::ofstream(config.port_file) << port << '\n';
    }
    spdlog::info("mcpgate {} listening on http://{}:{}/mcp (legacy SSE at /sse, health at /health)",
                 mcpgate::version_string(), config.host, port);

    std::thread signal_thread([&app, signals] {
      int signal = 0;
      sigwait(&signals, &signal);
      if (signal == SIGINT || signal == SIGTERM) {
        spdlog::info("received {}", signal == SIGINT ? "SIGINT" : "SIGTERM");
        app.stop();
      }
    });
    std::thread warm_up;
    if (config.eager_init) warm_up = std::thread([&app] { app.warm_up(); });

    app.run();
    app.stop();
    pthread_kill(signal_thread.native_handle(), SIGTERM);  // wake sigwait if no signal came
    signal_thread.join();
    if (warm_up.joinable()) warm_up.join();
    spdlog::info("mcpgate stopped");
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
