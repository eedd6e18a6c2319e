#include "common/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "common/errors.hpp"

namespace labour {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what, int error) {
  throw RunError(std::string(what) + ": cannot write '" + path.string() + "': " + std::strerror(error));
}

// Every byte, retrying short writes and interrupted calls; false with errno set otherwise.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
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

}  // namespace

void write_output_file(const std::filesystem::path& given, std::string_view bytes, std::string_view what) {
  // Devices and descriptors (/dev/stdout, /dev/fd/N, /proc/self/fd/N) are written where they
  // point, even when that is a regular file: replacing it would cut off what else writes there.
  const std::string text = given.lexically_normal().string();
  const bool device_path = text.rfind("/dev/", 0) == 0 || text.rfind("/proc/", 0) == 0;
  struct stat st {};
  const bool exists = ::stat(given.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) fail(given, what, EISDIR);
  if (device_path || (exists && !S_ISREG(st.st_mode))) {
    const int fd = ::open(given.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | (exists ? 0 : O_CREAT), 0666);
    if (fd < 0) fail(given, what, errno);
    const bool ok = write_all(fd, bytes);
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
  bool ok = write_all(fd, bytes) && ::fsync(fd) == 0;
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
