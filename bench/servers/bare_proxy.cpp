// The floor of this stack for the forward workload: cpp-httplib receiving each tools/call and
// libcurl making the one backend request it needs (GET --backend-path on a kept-alive handle per
// worker thread), its body escaped into a JSON-RPC result as text content. No JSON parsing, no
// sessions, no tool registry, no validation: what mcpgate spends beyond this is its own.
// initialize is answered with a fixed result and a session id; notifications with 202.
//
//   bare_proxy --backend http://127.0.0.1:PORT [--backend-path PATH] [--port N] [--port-file PATH]
#include "serve.hpp"

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <string_view>

namespace {

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// The one handle (and kept-alive connection) of this worker thread, configured once.
CURL* thread_handle(const std::string& url, std::string& body) {
  thread_local std::unique_ptr<CURL, EasyDeleter> handle;
  if (!handle) {
    handle.reset(curl_easy_init());
    curl_easy_setopt(handle.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle.get(), CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(handle.get(), CURLOPT_PROXY, "");
    curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, &append_body);
  }
  curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, static_cast<void*>(&body));
  return handle.get();
}

// `text` as the inside of a JSON string.
void append_escaped(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    } else {
      out += c;
    }
  }
}

// The request's "id" member, as its raw JSON text (the benchmark sends numbers).
std::string_view request_id(std::string_view body) {
  const auto at = body.find("\"id\":");
  if (at == std::string_view::npos) return "null";
  const auto start = at + 5;
  const auto end = body.find_first_of(",}", start);
  return body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bare_proxy: cpp-httplib and libcurl forwarding each call, the forward workload's floor"};
  int port = 0;
  std::string port_file, backend, backend_path = "/api/projects/p1";
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)")->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port here once listening");
  app.add_option("--backend", backend, "the backend's base URL")->required();
  app.add_option("--backend-path", backend_path, "the path every call GETs")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string url = backend + backend_path;

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  bench::tune(server);
  server.Post("/mcp", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.body.find("\"method\":\"initialize\"") != std::string::npos) {
      res.set_header("Mcp-Session-Id", "bare-proxy-session");
      res.set_content(R"({"jsonrpc":"2.0","id":)" + std::string(request_id(req.body)) +
                          R"(,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"bare_proxy","version":"1"}}})",
                      "application/json");
      return;
    }
    if (req.body.find("\"id\":") == std::string::npos) {  // a notification
      res.status = 202;
      return;
    }
    std::string body;
    CURL* handle = thread_handle(url, body);
    long status = 0;
    if (curl_easy_perform(handle) != CURLE_OK ||
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
      res.status = 502;
      return;
    }
    std::string out = R"({"jsonrpc":"2.0","id":)";
    out += request_id(req.body);
    out += R"(,"result":{"content":[{"type":"text","text":")";
    append_escaped(out, body);
    out += R"("}],"isError":false}})";
    res.set_header("Cache-Control", "no-cache");
    res.set_content(out, "application/json");
  });

  const int status = bench::serve(server, "bare_proxy", port, port_file);
  curl_global_cleanup();
  return status;
}
