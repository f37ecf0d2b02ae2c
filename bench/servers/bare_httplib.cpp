// The ceiling of this stack for the calls workload: cpp-httplib with a handler that answers every
// POST /mcp with the bytes in --body-file (what mcpgate answers to the benchmark's tools/call),
// with a thread per connection from a pool wider than the connection count, TCP_NODELAY and
// unlimited keep-alive. No JSON, no sessions, no MCP: whatever mcpgate spends beyond this is
// its own.
//
//   bare_httplib --body-file FILE [--content-type TYPE] [--port N] [--port-file PATH]
#include <CLI/CLI.hpp>
#include <httplib.h>

#include <sys/socket.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

httplib::Server* running = nullptr;  // for the signal handler: stop() is what it may call

void stop_on_signal(int) {
  if (running) running->stop();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bare_httplib: cpp-httplib answering fixed bytes, the calls workload's baseline"};
  int port = 0;
  std::string port_file, body_file, content_type = "text/event-stream";
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)")->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port here once listening");
  app.add_option("--body-file", body_file, "the response body to answer")->required();
  app.add_option("--content-type", content_type, "its Content-Type")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::ifstream in(body_file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bare_httplib: cannot read %s\n", body_file.c_str());
    return 2;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string body = buffer.str();

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000000);
  server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.Post("/mcp", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_content(body, content_type);
  });

  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) {
    std::fprintf(stderr, "bare_httplib: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  if (!port_file.empty()) {
    const std::string temp = port_file + ".tmp";
    std::ofstream(temp) << bound << "\n";
    std::rename(temp.c_str(), port_file.c_str());
  }
  running = &server;
  std::signal(SIGTERM, stop_on_signal);
  std::signal(SIGINT, stop_on_signal);
  std::fprintf(stderr, "bare_httplib: listening on 127.0.0.1:%d\n", bound);
  server.listen_after_bind();
  return 0;
}
