#include "supervisor/procfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>

namespace labour::procfs {

namespace {

std::string proc_path(pid_t pid, const char* entry) { return "/proc/" + std::to_string(pid) + "/" + entry; }

}  // namespace

std::string read_small_file(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  std::array<char, 8192> buf;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<pid_t> list_pids() {
  std::vector<pid_t> pids;
  DIR* dir = ::opendir("/proc");
  if (!dir) return pids;
  while (const dirent* entry = ::readdir(dir)) {
    pid_t pid = 0;
    const char* end = entry->d_name + std::strlen(entry->d_name);
    const auto [ptr, ec] = std::from_chars(entry->d_name, end, pid);
    if (ec == std::errc() && ptr == end && pid > 0) pids.push_back(pid);
  }
  ::closedir(dir);
  // The kernel lists them in order already; sorting makes it a promise.
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::optional<ProcStat> parse_stat(std::string_view text) {
  // "pid (comm) state ppid pgrp ...": fields are counted from after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state) of proc(5)
  std::size_t pos = close + 1;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n')) ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '\n') ++pos;
    if (pos > start) fields.push_back(text.substr(start, pos - start));
  }
  if (fields.size() < 22) return std::nullopt;  // up to rss (field 24)
  auto number = [&](std::size_t field, auto& out) {
    const auto f = fields[field - 3];
    return std::from_chars(f.data(), f.data() + f.size(), out).ec == std::errc();
  };
  ProcStat s;
  if (fields[0].size() != 1) return std::nullopt;
  s.state = fields[0][0];
  std::uint64_t utime = 0, stime = 0;
  long long cutime = 0, cstime = 0, rss = 0;
  if (!number(4, s.ppid) || !number(5, s.pgrp) || !number(6, s.session) || !number(14, utime) ||
      !number(15, stime) || !number(16, cutime) || !number(17, cstime) || !number(20, s.threads) ||
      !number(22, s.start_ticks) || !number(24, rss))
    return std::nullopt;
  s.cpu_ticks = utime + stime;
  s.children_ticks = static_cast<std::uint64_t>(std::max(0LL, cutime) + std::max(0LL, cstime));
  s.rss_pages = rss > 0 ? static_cast<std::uint64_t>(rss) : 0;
  if (fields.size() >= 50) number(52, s.exit_code);  // since Linux 3.5
  return s;
}

std::optional<ProcStat> read_stat(pid_t pid) { return parse_stat(read_small_file(proc_path(pid, "stat"))); }

std::optional<std::uint64_t> count_fds(pid_t pid) {
  // Linux 6.2 and later give the count as the folder's size: one stat instead of a listing,
  // which for a server holding 10 000 connections would cost the monitor 100 000 entries a
  // second. Older kernels say 0: then count the entries.
  const std::string path = proc_path(pid, "fd");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  if (st.st_size > 0) return static_cast<std::uint64_t>(st.st_size);
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return std::nullopt;
  std::uint64_t n = 0;
  while (const dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') ++n;
  ::closedir(dir);
  return n;
}

std::string read_cmdline(pid_t pid) {
  std::string cmdline = read_small_file(proc_path(pid, "cmdline"));
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  return cmdline;
}

std::vector<pid_t> children_in_group(pid_t parent) {
  std::vector<pid_t> out;
  for (const pid_t pid : list_pids()) {
    const auto stat = read_stat(pid);
    if (stat && stat->ppid == parent && stat->pgrp == parent && stat->state != 'Z') out.push_back(pid);
  }
  return out;
}

bool environ_has_entry(pid_t pid, std::string_view entry) {
  const std::string env = read_small_file(proc_path(pid, "environ"));
  std::size_t pos = 0;
  while (pos < env.size()) {
    std::size_t end = env.find('\0', pos);
    if (end == std::string::npos) end = env.size();
    if (env.compare(pos, end - pos, entry) == 0) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace labour::procfs
