// libcurl's process-wide setup, as an object the composition root owns.
//
// curl_global_init() is not something a library should call behind its user's back: it must run
// once, before any other thread uses libcurl, and curl_global_cleanup() must run after the last
// handle is gone. So HttpBackend never calls it. Instead main() (or a test program) creates one
// CurlGlobal before it builds any HttpBackend and destroys it after the last one:
//
//   int main(int argc, char** argv) {
//     mcpgate::backend::CurlGlobal curl;      // first, before threads start
//     auto backend = std::make_shared<mcpgate::backend::HttpBackend>("http://archon-server:8181");
//     ...                                      // backend destroyed before `curl`
//   }
//
// Nesting is allowed (libcurl reference-counts init/cleanup), but one instance is the intent.
#pragma once

#include <string>

namespace mcpgate::backend {

class CurlGlobal {
 public:
  // curl_global_init(CURL_GLOBAL_DEFAULT). Throws std::runtime_error when libcurl cannot start.
  CurlGlobal();
  // curl_global_cleanup().
  ~CurlGlobal();

  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
  CurlGlobal(CurlGlobal&&) = delete;
  CurlGlobal& operator=(CurlGlobal&&) = delete;

  // libcurl's version line, e.g. "libcurl/7.88.1 OpenSSL/3.0.11 zlib/1.2.13", for startup logs.
  [[nodiscard]] static std::string version();
};

}  // namespace mcpgate::backend
