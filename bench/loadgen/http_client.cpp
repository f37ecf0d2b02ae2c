#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <strings.h>

namespace loadgen {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::size_t max_line = 64 * 1024;

}  // namespace

Url parse_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme)
    throw std::invalid_argument("not an http:// URL: " + std::string(url));
  url.remove_prefix(scheme.size());
  const auto slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  Url out;
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos)
    throw std::invalid_argument("the URL needs a port: " + std::string(authority));
  const std::string host(authority.substr(0, colon));
  int port = 0;
  const auto port_text = authority.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port <= 0 || port > 65535)
    throw std::invalid_argument("bad port in URL: " + std::string(port_text));
  out.address.sin_family = AF_INET;
  out.address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &out.address.sin_addr) != 1)
    throw std::invalid_argument("the URL's host must be an IPv4 address: " + host);
  out.host_header = std::string(authority);
  return out;
}

std::string_view Response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

void SseParser::field(std::string_view line) {
  if (line.front() == ':') return;  // a comment (heartbeat)
  const auto colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (name == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (name == "event") {
    current_.event.assign(value);
  } else if (name == "id") {
    current_.id.assign(value);
  }
}

// ---------------------------------------------------------------------------------------------

Connection::Connection(Loop& loop, const sockaddr_in& address, Handlers handlers)
    : loop_(loop), address_(address), handlers_(std::move(handlers)) {}

Connection::~Connection() { close(); }

void Connection::send(std::string_view request) {
  out_.append(request);
  ++awaiting_;
  if (fd_ < 0) {
    connect();
    return;
  }
  if (!connecting_ && !flush()) return;
  update_interest();
}

void Connection::close() {
  if (fd_ < 0) return;
  loop_.remove(fd_);
  ::close(fd_);
  fd_ = -1;
  connecting_ = false;
  want_write_ = false;
  out_.clear();
  out_pos_ = 0;
  in_.clear();
  in_pos_ = 0;
  awaiting_ = 0;
  reset_parser();
}

void Connection::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    const int err = errno;
    fd_ = -1;
    fail(std::string("socket: ") + std::strerror(err));
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address_), sizeof(address_));
  if (rc != 0 && errno != EINPROGRESS) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    fail(std::string("connect: ") + std::strerror(err));
    return;
  }
  connecting_ = rc != 0;
  want_write_ = true;
  loop_.add(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP, this);
}

void Connection::update_interest() {
  if (fd_ < 0) return;
  const bool need = connecting_ || out_pos_ < out_.size();
  if (need == want_write_) return;
  want_write_ = need;
  loop_.modify(fd_, EPOLLIN | EPOLLRDHUP | (need ? EPOLLOUT : 0u), this);
}

bool Connection::flush() {
  while (out_pos_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    fail(std::string("send: ") + std::strerror(errno));
    return false;
  }
  out_.clear();
  out_pos_ = 0;
  return true;
}

void Connection::on_ready(std::uint32_t events) {
  if (fd_ < 0) return;  // closed earlier in this batch
  if (connecting_) {
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      fail(std::string("connect: ") + std::strerror(err));
      return;
    }
    if (!(events & (EPOLLOUT | EPOLLIN))) return;
    connecting_ = false;
  }
  if ((events & EPOLLOUT) && !flush()) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    if (!read_available()) return;
  }
  update_interest();
}

bool Connection::read_available() {
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      in_.append(buffer, static_cast<std::size_t>(n));
      if (!parse()) return false;
      if (fd_ < 0) return false;  // a handler closed us
      if (static_cast<std::size_t>(n) < sizeof(buffer)) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    // End of stream (or an error): a body read until close is complete now.
    if (n == 0 && state_ == State::until_close) {
      complete();
      if (fd_ < 0) return false;
    }
    if (awaiting_ > 0) {
      fail(n == 0 ? "the server closed the connection" : std::string("recv: ") + std::strerror(errno));
    } else {
      close();  // an idle keep-alive connection the server let go: reopened on the next send
    }
    return false;
  }
}

void Connection::reset_parser() {
  state_ = State::status_line;
  response_ = Response{};
  streaming_ = false;
  remaining_ = 0;
  sse_ = SseParser{};
}

bool Connection::parse() {
  for (;;) {
    if (fd_ < 0) return true;
    const std::string_view buffered(in_.data() + in_pos_, in_.size() - in_pos_);
    switch (state_) {
      case State::status_line:
      case State::headers:
      case State::chunk_size:
      case State::chunk_end:
      case State::trailers: {
        const auto eol = buffered.find("\r\n");
        if (eol == std::string_view::npos) {
          if (buffered.size() > max_line) {
            fail("a response line longer than 64 KiB");
            return false;
          }
          goto need_more;
        }
        const std::string_view line = buffered.substr(0, eol);
        in_pos_ += eol + 2;
        if (state_ == State::status_line) {
          // HTTP/1.1 200 OK
          if (line.size() < 12 || line.substr(0, 5) != "HTTP/") {
            fail("not an HTTP status line: " + std::string(line.substr(0, 80)));
            return false;
          }
          response_.status = std::atoi(std::string(line.substr(9, 3)).c_str());
          state_ = State::headers;
        } else if (state_ == State::headers) {
          if (line.empty()) {
            if (!start_body()) return false;
          } else {
            const auto colon = line.find(':');
            if (colon == std::string_view::npos) {
              fail("a malformed header line");
              return false;
            }
            response_.headers.push_back(
                Header{std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))});
          }
        } else if (state_ == State::chunk_size) {
          std::size_t size = 0;
          const auto hex = line.substr(0, line.find(';'));
          const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
          if (ec != std::errc() || hex.empty()) {
            fail("a malformed chunk size");
            return false;
          }
          (void)end;
          if (size == 0) {
            state_ = State::trailers;
          } else {
            remaining_ = size;
            state_ = State::chunk_data;
          }
        } else if (state_ == State::chunk_end) {
          if (!line.empty()) {
            fail("a chunk without its CRLF");
            return false;
          }
          state_ = State::chunk_size;
        } else {  // trailers
          if (line.empty()) complete();
        }
        break;
      }
      case State::fixed_body:
      case State::chunk_data: {
        if (buffered.empty()) goto need_more;
        const std::size_t take = std::min(remaining_, buffered.size());
        in_pos_ += take;
        remaining_ -= take;
        deliver(buffered.substr(0, take));
        if (remaining_ == 0) {
          if (state_ == State::fixed_body)
            complete();
          else
            state_ = State::chunk_end;
        }
        break;
      }
      case State::until_close:
        if (buffered.empty()) goto need_more;
        in_pos_ += buffered.size();
        deliver(buffered);
        break;
    }
  }
need_more:
  if (in_pos_ > 0 && in_pos_ * 2 >= in_.size()) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  return true;
}

bool Connection::start_body() {
  const auto type = response_.header("Content-Type");
  streaming_ = type.substr(0, 17) == "text/event-stream";
  if (streaming_ && handlers_.stream_opened) handlers_.stream_opened(response_);
  if (fd_ < 0) return true;
  if (response_.status == 204 || response_.status == 304 || (response_.status >= 100 && response_.status < 200)) {
    complete();
    return true;
  }
  if (iequals(response_.header("Transfer-Encoding"), "chunked")) {
    state_ = State::chunk_size;
    return true;
  }
  const auto length = response_.header("Content-Length");
  if (!length.empty()) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
    if (ec != std::errc() || end != length.data() + length.size()) {
      fail("a malformed Content-Length");
      return false;
    }
    if (n == 0) {
      complete();
    } else {
      remaining_ = n;
      state_ = State::fixed_body;
    }
    return true;
  }
  state_ = State::until_close;
  return true;
}

void Connection::deliver(std::string_view bytes) {
  if (!streaming_) {
    response_.body.append(bytes);
    return;
  }
  sse_.feed(bytes, [this](const SseEvent& event) {
    if (handlers_.event && fd_ >= 0) handlers_.event(event);
  });
}

void Connection::complete() {
  Response done = std::move(response_);
  reset_parser();
  if (awaiting_ > 0) --awaiting_;
  // The server ends the connection after this answer (e.g. its keep-alive request limit): the
  // next request goes on a new one.
  if (iequals(done.header("Connection"), "close")) close();
  if (handlers_.response) handlers_.response(done);
}

void Connection::fail(const std::string& why) {
  const bool had_socket = fd_ >= 0;
  if (had_socket) {
    loop_.remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  connecting_ = false;
  want_write_ = false;
  out_.clear();
  out_pos_ = 0;
  in_.clear();
  in_pos_ = 0;
  awaiting_ = 0;
  reset_parser();
  if (handlers_.failed) handlers_.failed(why);
}

}  // namespace loadgen
