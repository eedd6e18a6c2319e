// CPU sets: the server and the client run on different cores where the machine has them,
// so that neither steals the other's CPU and the client is never what limits the server.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace labour {

using CpuList = std::vector<int>;  // sorted, without repeats

// The CPUs this thread may run on (sched_getaffinity), sorted. Ask before pinning anything.
CpuList allowed_cpus();

// "0-2,5" -> {0,1,2,5}, taskset's list syntax. Every CPU must be in `allowed`. Throws
// UsageError naming `what` (e.g. "--server-cpus '9'") and the allowed list.
CpuList parse_cpu_list(const std::string& text, const std::string& what, const CpuList& allowed);

// {0,1,2,5} -> "0-2,5".
std::string format_cpu_list(const CpuList& cpus);

// The automatic split of `allowed` for a client with `client_threads` event loops: the
// client gets the last CPUs (one per thread, at most half of them), the server the rest.
// Fewer than two CPUs: no split (both empty, nothing is pinned).
struct CpuSplit {
  CpuList server, client;
};
CpuSplit split_cpus(const CpuList& allowed, unsigned client_threads);

// What the user asked for (--server-cpus, --client-cpus, --no-pin) made whole: both given
// are taken as they are; one given, the other side gets the remaining allowed CPUs (or is
// not pinned if none remain); neither, the automatic split.
struct Pinning {
  bool enabled = true;
  CpuList allowed;  // captured before labour pinned itself
  std::optional<CpuList> server, client;
  CpuSplit plan(unsigned client_threads) const;
};

// Pins the calling thread (and the threads it creates meanwhile) to `cpus` for its lifetime,
// then gives the thread its CPUs back, so later children (probes, servers) do not inherit
// the client's. Empty, or refused by the kernel: nothing is pinned (see pinned()).
class ThreadPin {
 public:
  explicit ThreadPin(const CpuList& cpus);
  ~ThreadPin();
  ThreadPin(const ThreadPin&) = delete;
  ThreadPin& operator=(const ThreadPin&) = delete;
  bool pinned() const { return pinned_; }

 private:
  CpuList saved_;
  bool pinned_ = false;
};

}  // namespace labour
