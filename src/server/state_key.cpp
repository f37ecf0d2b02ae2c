#include "mcpgate/server/state_key.hpp"

#include "mcpgate/protocol/request_state.hpp"
#include "mcpgate/util/base64.hpp"
#include "mcpgate/util/secure_random.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace mcpgate::server {

namespace {

std::runtime_error failure(const std::filesystem::path& path, const std::string& what) {
  return std::runtime_error("--state-key-file " + path.string() + ": " + what);
}

std::string errno_text(int error) { return std::strerror(error); }

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// The key in an existing file; nullopt when there is no file at `path`.
std::optional<StateKey> read_key(const std::filesystem::path& path) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw failure(path, "cannot open it: " + errno_text(errno));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw failure(path, "cannot stat it: " + errno_text(errno));
  if (!S_ISREG(info.st_mode)) throw failure(path, "not a regular file");
  if (static_cast<std::size_t>(info.st_size) > max_state_key_file_bytes)
    throw failure(path, "larger than " + std::to_string(max_state_key_file_bytes) +
                            " bytes: not a key file");
  StateKey key{.origin = StateKey::Origin::file};
  char buffer[max_state_key_file_bytes + 1];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw failure(path, "cannot read it: " + errno_text(errno));
    if (got == 0) break;
    key.bytes.append(buffer, static_cast<std::size_t>(got));
    if (key.bytes.size() > max_state_key_file_bytes)
      throw failure(path, "larger than " + std::to_string(max_state_key_file_bytes) +
                              " bytes: not a key file");
  }
  if (key.bytes.size() < protocol::min_state_key_bytes)
    throw failure(path, "holds " + std::to_string(key.bytes.size()) + " bytes; a key needs at least " +
                            std::to_string(protocol::min_state_key_bytes) +
                            " (e.g. head -c 32 /dev/urandom > FILE)");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    key.warnings.push_back("--state-key-file " + path.string() +
                           " can be read or written by others than its owner (chmod 600 it): "
                           "whoever reads it can forge requestState");
  return key;
}

void write_all(int fd, const std::string& bytes, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) throw failure(path, "cannot write it: " + errno_text(errno));
    done += static_cast<std::size_t>(wrote);
  }
}

// Creates `path` holding `bytes`, or returns false when a file of that name appeared first.
bool create_key_file(const std::filesystem::path& path, const std::string& bytes) {
  const auto directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const auto temporary =
      directory / ("." + path.filename().string() + ".tmp-" +
                   util::base64url_encode(util::secure_random_bytes(9)));
  {
    const Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600));
    if (fd.get() < 0) throw failure(path, "cannot create it: " + errno_text(errno));
    try {
      write_all(fd.get(), bytes, path);
      if (::fsync(fd.get()) != 0) throw failure(path, "cannot sync it: " + errno_text(errno));
    } catch (...) {
      ::unlink(temporary.c_str());
      throw;
    }
  }
  const int linked = ::link(temporary.c_str(), path.c_str());
  const int link_error = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    if (link_error == EEXIST) return false;
    throw failure(path, "cannot create it: " + errno_text(link_error));
  }
  // The name itself survives a crash only once its directory is synced too.
  const Fd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) (void)::fsync(dir.get());
  return true;
}

}  // namespace

StateKey load_or_create_state_key(const std::filesystem::path& path) {
  if (auto key = read_key(path)) return std::move(*key);
  StateKey created{.bytes = util::secure_random_bytes(protocol::min_state_key_bytes),
                   .origin = StateKey::Origin::created};
  if (create_key_file(path, created.bytes)) return created;
  // Another instance created it between our look and our link: use its key.
  if (auto key = read_key(path)) return std::move(*key);
  throw failure(path, "it appeared and vanished again while being created");
}

StateKey random_state_key() {
  return StateKey{.bytes = util::secure_random_bytes(protocol::min_state_key_bytes),
                  .origin = StateKey::Origin::random};
}

}  // namespace mcpgate::server
