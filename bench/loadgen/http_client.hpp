// A non-blocking HTTP/1.1 client connection for the load generator: requests are written from a
// buffer, responses parsed as bytes arrive (Content-Length, chunked, or until close), and
// text/event-stream bodies split into SSE events as they come, so a connection can carry a
// stream that never ends. Responses on one connection arrive in request order (keep-alive,
// pipelining allowed).
#pragma once

#include "loop.hpp"

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

// An http:// URL on an IPv4 address (the load generator only talks to loopback).
struct Url {
  sockaddr_in address{};
  std::string host_header;  // "127.0.0.1:8051"
  std::string path;         // "/mcp"; "/" when the URL has none
};
// Throws std::invalid_argument for anything but http://A.B.C.D:PORT[/path].
Url parse_url(std::string_view url);

struct Header {
  std::string name;
  std::string value;
};

struct Response {
  int status = 0;
  std::vector<Header> headers;
  std::string body;  // empty for event streams: their content arrives as events
  // The first header of that name (case-insensitive), or "".
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

struct SseEvent {
  std::string event;  // "message" when the stream did not name it
  std::string data;   // data lines joined with '\n'
  std::string id;
};

// Splits an event stream into events; fed the decoded body in pieces of any size.
class SseParser {
 public:
  template <typename OnEvent>
  void feed(std::string_view bytes, OnEvent&& on_event);

 private:
  void field(std::string_view line);
  std::string pending_;  // an incomplete line
  SseEvent current_;
  bool has_data_ = false;
};

class Connection final : public Pollable {
 public:
  struct Handlers {
    // Status and headers of a text/event-stream response, before its events.
    std::function<void(const Response&)> stream_opened;
    std::function<void(const SseEvent&)> event;
    // A whole response; for an event stream, its end.
    std::function<void(Response&)> response;
    // The connection failed or was closed with responses still expected. Not called for close().
    std::function<void(const std::string& why)> failed;
  };

  Connection(Loop& loop, const sockaddr_in& address, Handlers handlers);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Queues one whole request (head and body) that expects one response; connects first when
  // the connection is not open (also after the server closed an idle keep-alive connection).
  void send(std::string_view request);
  // Closes the socket; expected responses are dropped without calling `failed`.
  void close();

  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
  [[nodiscard]] std::size_t awaiting() const noexcept { return awaiting_; }

  void on_ready(std::uint32_t events) override;

 private:
  enum class State { status_line, headers, fixed_body, chunk_size, chunk_data, chunk_end, trailers, until_close };

  void connect();
  void update_interest();
  bool flush();
  bool read_available();
  // Parses what is buffered; false on a protocol error (the connection is then failed).
  bool parse();
  bool start_body();
  void deliver(std::string_view bytes);
  void complete();
  void fail(const std::string& why);
  void reset_parser();

  Loop& loop_;
  sockaddr_in address_;
  Handlers handlers_;
  int fd_ = -1;
  bool connecting_ = false;
  bool want_write_ = false;
  std::string out_;
  std::size_t out_pos_ = 0;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::size_t awaiting_ = 0;

  State state_ = State::status_line;
  Response response_;
  bool streaming_ = false;
  std::size_t remaining_ = 0;
  SseParser sse_;
};

// ---------------------------------------------------------------------------------------------

template <typename OnEvent>
void SseParser::feed(std::string_view bytes, OnEvent&& on_event) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(bytes);
      return;
    }
    std::string_view line = bytes.substr(0, nl);
    bytes.remove_prefix(nl + 1);
    if (!pending_.empty()) {
      pending_.append(line);
      line = pending_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (has_data_ || !current_.event.empty()) {
        if (current_.event.empty()) current_.event = "message";
        on_event(current_);
      }
      current_ = SseEvent{};
      has_data_ = false;
    } else {
      field(line);
    }
    pending_.clear();
  }
}

}  // namespace loadgen
