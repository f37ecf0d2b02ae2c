#include "mcpgate/backend/curl_global.hpp"

#include <curl/curl.h>

#include <stdexcept>

namespace mcpgate::backend {

CurlGlobal::CurlGlobal() {
  const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    throw std::runtime_error(std::string("cannot initialise libcurl: ") + curl_easy_strerror(rc));
  }
}

CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

std::string CurlGlobal::version() {
  const char* v = curl_version();
  return v ? v : "libcurl (unknown version)";
}

}  // namespace mcpgate::backend
