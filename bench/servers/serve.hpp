// What the benchmark's servers (stub_backend, bare_httplib, bare_proxy) share: the socket
// settings they all run with, and binding, announcing the port and serving until a signal.
#pragma once

#include <httplib.h>

#include <sys/socket.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>

namespace bench {

// TCP_NODELAY, unlimited keep-alive, SO_REUSEADDR: so that no server is slowed by settings.
inline void tune(httplib::Server& server) {
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000000);
  server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

namespace detail {
// For the signal handler, which may only call stop(): the one server this process runs.
inline httplib::Server* running = nullptr;
inline void stop_on_signal(int) {
  if (running) running->stop();
}
}  // namespace detail

// Binds 127.0.0.1:`port` (0: any free port), writes the bound port to `port_file` (when given;
// renamed into place, so a reader never sees half of it), then serves until SIGTERM or SIGINT.
// Returns the process's exit status.
inline int serve(httplib::Server& server, const char* name, int port, const std::string& port_file) {
  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1")
                              : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) {
    std::fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d\n", name, port);
    return 1;
  }
  if (!port_file.empty()) {
    const std::string temp = port_file + ".tmp";
    std::ofstream(temp) << bound << "\n";
    std::rename(temp.c_str(), port_file.c_str());
  }
  detail::running = &server;
  std::signal(SIGTERM, detail::stop_on_signal);
  std::signal(SIGINT, detail::stop_on_signal);
  std::fprintf(stderr, "%s: listening on 127.0.0.1:%d\n", name, bound);
  server.listen_after_bind();
  return 0;
}

}  // namespace bench
