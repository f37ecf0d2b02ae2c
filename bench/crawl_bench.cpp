// The web crawl benchmark (issue 19): a generated documentation site served by cpp-httplib on
// loopback, crawled by `mcpgate ingest URL` as a child process into a fresh store. Prints one
// JSON line: pages, seconds, pages per second and the crawler's peak RSS (wait4's ru_maxrss).
//
//   build/bench/crawl_bench --mcpgate build/mcpgate --pages 10000
//
// The site: /docs/index.html links to sections of 100 pages each; every page has a title, two
// headings, a few paragraphs of filler words, a code block, and links to its neighbours and
// its section (the shape of a real documentation site, about 3 KB of HTML a page).
#include <CLI/CLI.hpp>
#include <httplib.h>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

extern char** environ;

namespace {

constexpr int pages_per_section = 100;

std::string filler(int seed, int words) {
  static const char* vocabulary[] = {"widget", "server", "request", "option", "module", "handler",
                                     "stream", "thread", "buffer", "schema", "index", "cache",
                                     "queue", "token", "route", "status", "result", "config"};
  std::string out;
  unsigned state = static_cast<unsigned>(seed) * 2654435761u + 1;
  for (int i = 0; i < words; ++i) {
    state = state * 1664525u + 1013904223u;
    out += vocabulary[(state >> 16) % (sizeof vocabulary / sizeof *vocabulary)];
    out += i % 12 == 11 ? ". " : " ";
  }
  return out;
}

std::string page_html(int n, int pages) {
  const int section = n / pages_per_section;
  std::string html = "<!doctype html><html><head><title>Page " + std::to_string(n) +
                     "</title></head><body><nav><a href=\"/docs/index.html\">Home</a> <a href=\"/docs/s" +
                     std::to_string(section) + "/index.html\">Section</a></nav><main><h1>Page " +
                     std::to_string(n) + "</h1><p>" + filler(n, 120) + "</p><h2>Usage</h2><p>" +
                     filler(n + 7, 120) + "</p><pre><code class=\"language-cpp\">widget_" +
                     std::to_string(n) + "(options);\nreturn run();</code></pre><ul>";
  for (int k = n - 2; k <= n + 2; ++k)
    if (k >= 0 && k < pages && k != n)
      html += "<li><a href=\"/docs/s" + std::to_string(k / pages_per_section) + "/p" + std::to_string(k) +
              ".html\">Page " + std::to_string(k) + "</a></li>";
  return html + "</ul></main><footer>footer</footer></body></html>";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Crawl a generated documentation site with mcpgate ingest; print one JSON line"};
  std::string mcpgate = "build/mcpgate";
  int pages = 1000, per_host = 4;
  app.add_option("--mcpgate", mcpgate, "the mcpgate binary")->capture_default_str();
  app.add_option("--pages", pages, "pages in the site")->capture_default_str();
  app.add_option("--per-host", per_host, "the crawl's --per-host")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  // Every page made before the crawl starts, and served from a pre-routing handler: the
  // server's own work (std::regex route matching, page generation) must not be what is measured.
  std::unordered_map<std::string, std::string> site;
  std::string home = "<html><head><title>Docs</title></head><body><main><h1>Docs</h1><ul>";
  for (int s = 0; s * pages_per_section < pages; ++s) {
    home += "<li><a href=\"s" + std::to_string(s) + "/index.html\">Section " + std::to_string(s) + "</a></li>";
    std::string html = "<html><head><title>Section " + std::to_string(s) +
                       "</title></head><body><main><h1>Section</h1><ul>";
    for (int n = s * pages_per_section; n < std::min(pages, (s + 1) * pages_per_section); ++n) {
      html += "<li><a href=\"p" + std::to_string(n) + ".html\">Page " + std::to_string(n) + "</a></li>";
      site["/docs/s" + std::to_string(s) + "/p" + std::to_string(n) + ".html"] = page_html(n, pages);
    }
    site["/docs/s" + std::to_string(s) + "/index.html"] = html + "</ul></main></body></html>";
  }
  site["/docs/index.html"] = home + "</ul></main></body></html>";

  httplib::Server server;
  // Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the
  // body until the crawler's delayed ACK (40 ms a page).
  server.set_tcp_nodelay(true);
  server.set_pre_routing_handler([&](const httplib::Request& r, httplib::Response& res) {
    const auto page = site.find(r.path);
    if (page == site.end()) {
      res.status = 404;
    } else {
      // Through a provider of known length: cpp-httplib compresses a body set with set_content
      // (brotli, at its default quality) and the benchmark would measure that.
      const std::string* body = &page->second;
      res.set_content_provider(body->size(), "text/html; charset=utf-8",
                               [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                 return sink.write(body->data() + offset, length);
                               });
    }
    return httplib::Server::HandlerResponse::Handled;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  char dir_template[] = "/tmp/mcpgate-crawl-bench.XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(dir_template);
  const std::string data = (dir / "store.db").string();
  std::vector<std::string> args{mcpgate, "ingest", "http://127.0.0.1:" + std::to_string(port) + "/docs/index.html",
                                "--source", "bench", "--data", data, "--delay", "0",
                                "--per-host", std::to_string(per_host), "--max-pages",
                                std::to_string(pages + pages / pages_per_section + 10)};
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const auto started = std::chrono::steady_clock::now();
  pid_t pid = 0;
  int rc = posix_spawn(&pid, mcpgate.c_str(), &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  rusage usage{};
  if (rc == 0) ::wait4(pid, &status, 0, &usage);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  server.stop();
  listener.join();
  std::filesystem::remove_all(dir);
  const bool ok = rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const int fetched = pages + (pages + pages_per_section - 1) / pages_per_section + 1;
  std::printf("{\"workload\":\"crawl\",\"pages\":%d,\"urls\":%d,\"seconds\":%.2f,\"pages_per_second\":%.1f,"
              "\"peak_rss_kb\":%ld,\"errors\":%d}\n",
              pages, fetched, seconds, fetched / seconds, usage.ru_maxrss, ok ? 0 : 1);
  return ok ? 0 : 1;
}
