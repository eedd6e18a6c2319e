// Markers and names: the parts of the supervisor that only read (/proc through procfs).
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "supervisor/procfs.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::supervisor {

std::vector<pid_t> find_marked_processes(const std::string& marker) {
  std::vector<pid_t> found;
  if (marker.empty()) return found;
  const std::string entry = "LABOUR_MARKER=" + marker;
  const pid_t self = ::getpid();
  for (pid_t pid : procfs::list_pids()) {
    if (pid != self && procfs::environ_has_entry(pid, entry)) found.push_back(pid);
  }
  return found;
}

bool carries_marker(pid_t pid, const std::string& marker) {
  return !marker.empty() && procfs::environ_has_entry(pid, "LABOUR_MARKER=" + marker);
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

std::optional<int> signal_number(std::string_view name) {
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  if (name.empty()) return std::nullopt;
  for (int s = 1; s < NSIG; ++s)
    if (const char* abbrev = ::sigabbrev_np(s); abbrev && name == abbrev) return s;
  return std::nullopt;
}

std::string ExitStatus::describe() const {
  if (exited) return "exit status " + std::to_string(code);
  if (signal != 0) return "killed by " + signal_name(signal);
  return "unknown exit";
}

}  // namespace labour::supervisor
