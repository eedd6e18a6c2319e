#include "common/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/errors.hpp"
#include "supervisor/supervisor.hpp"

namespace labour {

std::string size_text(std::uintmax_t bytes) {
  if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1ULL << 10) && bytes % (1ULL << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

namespace {

// Closes the descriptor whatever happens.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

std::string read_input_file(const std::filesystem::path& path, std::string_view what,
                            std::uintmax_t max_bytes) {
  const auto bad = [&](const std::string& wrong) {
    return UsageError(std::string(what) + " '" + path.string() + "': " + wrong);
  };
  // Non-blocking, so that opening a FIFO nobody writes to does not wait for a writer.
  const Descriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (file.fd < 0) {
    const int e = errno;
    if (e == ENOENT) throw bad("does not exist; check the path");
    throw bad(std::string("cannot be opened: ") + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) throw bad(std::string("cannot be examined: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw bad("is " + kind_of(st.st_mode) + ", not a regular file; give a file");
  const auto too_large = [&] {
    return bad("is larger than " + size_text(max_bytes) + ", the limit of what labour reads here");
  };
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) throw too_large();
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  char chunk[1 << 16];
  for (;;) {
    // A large file reads in about a second a GiB; Ctrl-C still ends it within one chunk.
    if (supervisor::interrupt_flag().load(std::memory_order_relaxed))
      throw Interrupted(std::string(what) + " '" + path.string() + "': interrupted while it was read");
    const ssize_t n = ::read(file.fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw bad(std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > max_bytes) throw too_large();  // grew while read
    text.append(chunk, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace labour
