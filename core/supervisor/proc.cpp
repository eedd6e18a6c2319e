// /proc scanning, markers and names: the parts of the supervisor that only read.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "supervisor/internal.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::supervisor {

namespace {

// Reads a whole (small, /proc) file; empty if it cannot be read (the process may be gone).
std::string read_small_file(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  std::array<char, 8192> buf;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

namespace detail {

std::vector<pid_t> list_pids() {
  std::vector<pid_t> pids;
  DIR* dir = ::opendir("/proc");
  if (!dir) return pids;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long value = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0' && value > 0) pids.push_back(static_cast<pid_t>(value));
  }
  ::closedir(dir);
  return pids;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::string text = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  ProcStat stat;
  int ppid = 0, pgrp = 0, session = 0;
  if (std::sscanf(text.c_str() + close + 1, " %c %d %d %d", &stat.state, &ppid, &pgrp, &session) != 4)
    return std::nullopt;
  stat.ppid = ppid;
  stat.pgrp = pgrp;
  stat.session = session;
  return stat;
}

bool environ_has_entry(pid_t pid, const std::string& entry) {
  std::string env = read_small_file("/proc/" + std::to_string(pid) + "/environ");
  size_t pos = 0;
  while (pos < env.size()) {
    size_t end = env.find('\0', pos);
    if (end == std::string::npos) end = env.size();
    if (env.compare(pos, end - pos, entry) == 0) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace detail

std::vector<pid_t> find_marked_processes(const std::string& marker) {
  std::vector<pid_t> found;
  if (marker.empty()) return found;
  const std::string entry = "LABOUR_MARKER=" + marker;
  const pid_t self = ::getpid();
  for (pid_t pid : detail::list_pids()) {
    if (pid != self && detail::environ_has_entry(pid, entry)) found.push_back(pid);
  }
  return found;
}

bool carries_marker(pid_t pid, const std::string& marker) {
  return !marker.empty() && detail::environ_has_entry(pid, "LABOUR_MARKER=" + marker);
}

std::string new_marker() {
  std::random_device device;  // /dev/urandom on Linux
  std::string marker;
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 4; ++i) {
    std::uint32_t word = device();
    for (int nibble = 0; nibble < 8; ++nibble) marker += hex[(word >> (4 * nibble)) & 0xf];
  }
  return marker;
}

std::string signal_name(int signal) {
  if (const char* abbrev = ::sigabbrev_np(signal)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(signal);
}

std::string ExitStatus::describe() const {
  if (exited) return "exit status " + std::to_string(code);
  if (signal != 0) return "killed by " + signal_name(signal);
  return "unknown exit";
}

}  // namespace labour::supervisor
