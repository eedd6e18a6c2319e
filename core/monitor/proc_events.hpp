// The kernel's process events (netlink proc connector): every fork and exit on the machine
// as it happens, with the exit status. Internal to the monitor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace labour::monitor::detail {

struct ProcEvent {
  enum Kind { Fork, Exit } kind;
  pid_t pid = 0;                               // the new process (Fork) or the one that ended (Exit)
  pid_t parent = 0;                            // Fork only
  int status = 0;                              // Exit only: waitpid(2) status
  std::chrono::steady_clock::time_point time;  // when the kernel saw it (CLOCK_MONOTONIC)
};

class ProcEvents {
 public:
  // Subscribes, or returns null if this host may not listen (the kernel asks for
  // CAP_NET_ADMIN and the initial namespaces) or does not answer within a short wait.
  static std::unique_ptr<ProcEvents> open();
  ~ProcEvents();
  ProcEvents(const ProcEvents&) = delete;
  ProcEvents& operator=(const ProcEvents&) = delete;

  int fd() const { return fd_; }
  // Appends the process (not thread) forks and exits queued so far; never blocks. Returns
  // how many times the kernel reported it had to drop events since the last call.
  std::uint32_t drain(std::vector<ProcEvent>& out);

 private:
  static std::unique_ptr<ProcEvents> subscribe();
  explicit ProcEvents(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace labour::monitor::detail
