// A generated documentation site on loopback for the crawl tests: cpp-httplib serving pages
// that a test can edit and delete between crawls, with ETag / Last-Modified and conditional
// GETs answered 304, and a log of every request (path, User-Agent).
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace web_site_test {

struct Resource {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body{};
  std::string location{};                 // for 3xx
  std::chrono::milliseconds delay{0};     // before answering
  int fail_first = 0;                     // answer 429 (Retry-After: 1) this many times first
  int version = 1;                        // ETag and Last-Modified follow it
};

class DocSite {
 public:
  DocSite() {
    server_.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
      serve(request, response);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot bind the test site");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~DocSite() {
    stopping_ = true;  // a slow page's handler gives up its wait
    server_.stop();
    thread_.join();
  }
  DocSite(const DocSite&) = delete;
  DocSite& operator=(const DocSite&) = delete;

  [[nodiscard]] std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int port() const { return port_; }

  void put(const std::string& path, Resource resource) {
    const std::lock_guard lock(mutex_);
    resources_[path] = std::move(resource);
  }
  void html(const std::string& path, const std::string& title, const std::string& body) {
    put(path, Resource{.body = "<!doctype html><html><head><title>" + title + "</title></head><body>" + body +
                               "</body></html>"});
  }
  // A new version of a page (its validators change with it).
  void edit(const std::string& path, const std::string& body) {
    const std::lock_guard lock(mutex_);
    Resource& r = resources_.at(path);
    r.body = body;
    ++r.version;
  }
  void remove(const std::string& path) {
    const std::lock_guard lock(mutex_);
    resources_.erase(path);
  }
  [[nodiscard]] std::vector<std::string> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }
  // Conditional requests answered 304 so far.
  [[nodiscard]] int not_modified() const { return not_modified_; }
  [[nodiscard]] std::vector<std::string> user_agents() const {
    const std::lock_guard lock(mutex_);
    return agents_;
  }

 private:
  void serve(const httplib::Request& request, httplib::Response& response) {
    Resource r;
    bool found = false;
    {
      const std::lock_guard lock(mutex_);
      requests_.push_back(request.path);
      agents_.push_back(request.get_header_value("User-Agent"));
      const auto it = resources_.find(request.path);
      if (it != resources_.end()) {
        found = true;
        if (it->second.fail_first > 0) {
          --it->second.fail_first;
          response.status = 429;
          response.set_header("Retry-After", "1");
          return;
        }
        r = it->second;
      }
    }
    if (!found) {
      response.status = 404;
      response.set_content("not found", "text/plain");
      return;
    }
    for (auto waited = std::chrono::milliseconds(0); waited < r.delay && !stopping_;
         waited += std::chrono::milliseconds(20))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    response.status = r.status;
    if (!r.location.empty()) response.set_header("Location", r.location);
    const std::string etag = "\"v" + std::to_string(r.version) + "\"";
    // One fixed date per version: If-Modified-Since compares equal text.
    const std::string modified = "Mon, 0" + std::to_string(1 + r.version % 9) + " Jun 2026 10:00:00 GMT";
    if (r.status == 200) {
      response.set_header("ETag", etag);
      response.set_header("Last-Modified", modified);
      if (request.get_header_value("If-None-Match") == etag ||
          (!request.has_header("If-None-Match") && request.get_header_value("If-Modified-Since") == modified)) {
        response.status = 304;
        ++not_modified_;
        return;
      }
    }
    response.set_content(r.body, r.content_type);
  }

  httplib::Server server_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> not_modified_{0};
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, Resource> resources_;
  std::vector<std::string> requests_, agents_;
};

}  // namespace web_site_test
