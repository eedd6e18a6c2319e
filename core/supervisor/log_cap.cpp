// Bounded server output: cap_log cuts a log that grew too large, log_excerpt reads a few
// short lines of its end for an error.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "supervisor/supervisor.hpp"

namespace labour::supervisor {

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes at `offset` (the descriptor is not O_APPEND: the server's appends do not move it).
bool write_all_at(int fd, const std::string& data, off_t offset) {
  const char* at = data.data();
  std::size_t size = data.size();
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, at, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += n;
    offset += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Up to `size` bytes from `offset`; fewer where the file ends.
std::string read_at(int fd, off_t offset, std::size_t size) {
  std::string out(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, out.data() + got, size - got, offset + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace

std::uintmax_t cap_log(const std::filesystem::path& path, const LogLimits& limits,
                       std::uintmax_t cut_before) {
  const Fd file{::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  if (size <= limits.cap || limits.head + limits.tail >= size) return 0;
  const std::string tail = read_at(file.fd, static_cast<off_t>(size - limits.tail), limits.tail);
  if (::ftruncate(file.fd, static_cast<off_t>(limits.head)) != 0) return 0;
  const std::uintmax_t cut = size - limits.head - tail.size();
  const std::string line = "\n[labour: " + std::to_string(cut_before + cut) +
                           " bytes of server output cut here; the log keeps its head and its tail]\n";
  // The line and the tail go right after the head, where the file was cut. What writers
  // append between the read and the truncation is lost, and what they append after it is
  // overwritten by these writes or follows the kept tail: a log over its cap is already a
  // flood, and the cut's line, always at the head's end, marks where order is not kept.
  const auto at = static_cast<off_t>(limits.head);
  if (write_all_at(file.fd, line, at)) write_all_at(file.fd, tail, at + static_cast<off_t>(line.size()));
  return cut;
}

std::string log_excerpt(const std::filesystem::path& path, std::size_t lines, std::size_t width) {
  const Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) return "(no log at " + path.string() + ")";
  if (!S_ISREG(st.st_mode)) return "(" + path.string() + " is not a file)";
  constexpr std::size_t kWindow = 64 * 1024;  // the end of the log is enough for a few lines
  const auto size = static_cast<std::size_t>(st.st_size);
  const std::string text =
      read_at(file.fd, static_cast<off_t>(size > kWindow ? size - kWindow : 0), std::min(size, kWindow));
  std::vector<std::string> found;
  std::size_t end = text.size();
  while (end > 0 && found.size() < lines) {
    const std::size_t start = text.rfind('\n', end - 1);
    const std::size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = text.substr(from, end - from);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos)
      found.push_back(line.size() > width ? line.substr(0, width) + "..." : line);
    if (start == std::string::npos) break;
    end = start;
  }
  if (found.empty()) return "(its log " + path.string() + " is empty)";
  std::string out;
  for (auto it = found.rbegin(); it != found.rend(); ++it) out += (out.empty() ? "" : " | ") + *it;
  return out;
}

}  // namespace labour::supervisor
