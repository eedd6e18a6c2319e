#include "common/output_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "supervisor/supervisor.hpp"

namespace labour {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what, int error) {
  throw RunError(std::string(what) + ": cannot write '" + path.string() + "': " + std::strerror(error));
}

// Ctrl-C that arrives while a write waits for its reader ends the wait. One that came before
// the write began does not: a command that was interrupted still writes what it has (matrix).
struct Waits {
  bool interruptible = !supervisor::interrupt_flag().load(std::memory_order_relaxed);
  bool interrupted() const {
    return interruptible && supervisor::interrupt_flag().load(std::memory_order_relaxed);
  }
};

[[noreturn]] void stop(const std::filesystem::path& path, std::string_view what, bool begun) {
  throw Interrupted(std::string(what) + ": interrupted " + (begun ? "while" : "before") + " '" +
                    path.string() + "' was written" + (begun ? "" : "; nothing was written"));
}

// Every byte, retrying short writes and interrupted calls; false with errno set otherwise. A
// descriptor opened O_NONBLOCK (a FIFO, a terminal) is waited for in short steps, so that
// Ctrl-C ends a write that a reader does not take.
bool write_all(int fd, std::string_view bytes, const std::filesystem::path& path, std::string_view what,
               const Waits& waits) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (waits.interrupted()) {
        ::close(fd);
        stop(path, what, true);
      }
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 50);
      continue;
    }
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Opens a target that is written in place. A FIFO without a reader yet is waited for (as a
// blocking open would) in short steps, so that Ctrl-C ends the wait.
int open_in_place(const std::filesystem::path& path, std::string_view what, bool exists, const Waits& waits) {
  for (;;) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (exists ? 0 : O_CREAT), 0666);
    if (fd >= 0 || errno != ENXIO) return fd;
    if (waits.interrupted()) stop(path, what, false);
    ::usleep(20000);
  }
}

// The umask, read without changing it: umask(2) sets as it reads, for every thread.
mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  return 022;
}

// Where a symbolic link leads, link after link (relative ones from their own folder).
std::filesystem::path follow_links(std::filesystem::path path) {
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!std::filesystem::is_symlink(path, ec)) return path;
    const auto target = std::filesystem::read_symlink(path, ec);
    if (ec) return path;
    path = target.is_absolute() ? target : path.parent_path() / target;
  }
  return path;
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

void refuse_input_as_output(const std::filesystem::path& output, const std::vector<InputFile>& inputs,
                            std::string_view what) {
  for (const auto& input : inputs)
    if (same_file(output, input.path))
      throw UsageError(std::string(what) + ": '" + output.string() + "' is " + input.what + " '" +
                       input.path.string() + "', an input of this command; write to another path");
}

std::string output_file_problem(const std::filesystem::path& given) {
  struct stat st {};
  const bool exists = ::stat(given.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return std::strerror(EISDIR);
  const std::string text = given.lexically_normal().string();
  const bool device_path = text.rfind("/dev/", 0) == 0 || text.rfind("/proc/", 0) == 0;
  if (exists && (device_path || !S_ISREG(st.st_mode))) {
    // Written in place: a FIFO without a reader yet is fine (ENXIO), so it is not opened.
    if (S_ISFIFO(st.st_mode)) return "";
    const int fd = ::open(given.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return std::strerror(errno);
    ::close(fd);
    return "";
  }
  if (device_path) return std::string("cannot create a file under ") + (text[1] == 'd' ? "/dev" : "/proc");
  const std::filesystem::path path = follow_links(given);
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  std::string tmp = (folder / ("." + path.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(tmp.c_str());
  return "";
}

void write_output_file(const std::filesystem::path& given, std::string_view bytes, std::string_view what) {
  // Devices and descriptors (/dev/stdout, /dev/fd/N, /proc/self/fd/N) are written where they
  // point, even when that is a regular file: replacing it would cut off what else writes there.
  const std::string text = given.lexically_normal().string();
  const bool device_path = text.rfind("/dev/", 0) == 0 || text.rfind("/proc/", 0) == 0;
  struct stat st {};
  const bool exists = ::stat(given.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) fail(given, what, EISDIR);
  const Waits waits;
  if (device_path || (exists && !S_ISREG(st.st_mode))) {
    const int fd = open_in_place(given, what, exists, waits);
    if (fd < 0) fail(given, what, errno);
    const bool ok = write_all(fd, bytes, given, what, waits);
    const int error = errno;
    ::close(fd);
    if (!ok) fail(given, what, error);
    return;
  }
  // A link the user made (report.html -> /srv/www/report.html) stays a link: the file it
  // leads to is the one replaced, or created when it does not exist yet.
  const std::filesystem::path path = follow_links(given);
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  std::string tmp = (folder / ("." + path.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // O_EXCL: never follows a planted link
  if (fd < 0) fail(given, what, errno);
  // The mode the file had, or the one a new file gets (0666 less the umask), not mkstemp's 0600.
  ::fchmod(fd, exists ? (st.st_mode & 07777) : (0666 & ~current_umask()));
  bool ok = write_all(fd, bytes, given, what, waits) && ::fsync(fd) == 0;
  int error = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    fail(given, what, error);
  }
}

}  // namespace labour
