// The ceiling of this stack for the calls workload: cpp-httplib with a handler that answers every
// POST /mcp with the bytes in --body-file (what mcpgate answers to the benchmark's tools/call),
// with a thread per connection from a pool wider than the connection count, TCP_NODELAY and
// unlimited keep-alive. No JSON, no sessions, no MCP: whatever mcpgate spends beyond this is
// its own.
//
//   bare_httplib --body-file FILE [--content-type TYPE] [--port N] [--port-file PATH]
#include "serve.hpp"

#include <CLI/CLI.hpp>
#include <httplib.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

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
  bench::tune(server);
  server.Post("/mcp", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_content(body, content_type);
  });

  return bench::serve(server, "bare_httplib", port, port_file);
}
