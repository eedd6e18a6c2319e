// The monitor: watches a running server's processes while the load runs. It samples the
// process tree from /proc (processes, threads, RSS, CPU, open descriptors) at a fixed
// interval and records every process that joins (a worker spawned or respawned) or leaves
// (a worker that died) with how it ended.
//
// A process belongs to the server if it is in the server's process group or carries its
// LABOUR_MARKER (the supervisor's definition, so daemons that left the group count too).
// Exits are learnt from the kernel's process events (the netlink proc connector) when the
// host may listen to them (CAP_NET_ADMIN): then every exit has its cause and even a
// worker that lives less than one interval is seen. Otherwise the samples alone find
// exits, and a cause only when the exit is caught as a zombie.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace labour::monitor {

// One process leaving the server while it was watched.
struct Exit {
  double at_s = 0;  // since the monitor started
  pid_t pid = 0;
  bool leader = false;  // the server's main process
  bool worker = false;  // a worker: a child of a main process that had children at the start
  std::string cause;    // "killed by SIGSEGV", "exit status 0", or "unknown"
};

// One process joining the server while it was watched (a worker spawned or respawned).
struct Join {
  double at_s = 0;  // since the monitor started
  pid_t pid = 0;
  bool worker = false;  // see Exit::worker
};
// Joins kept with their times (the counts below count them all): a server that starts a process
// per request must not grow the report without bound.
constexpr std::size_t kMaxJoinsKept = 10000;

// The whole server at one instant. `fds` is -1 when some process's descriptors could not
// be counted (another user's process, without the right to look).
struct Sample {
  double at_s = 0;
  std::uint32_t processes = 0;
  std::uint32_t threads = 0;
  std::uint64_t rss_bytes = 0;
  double cpu_s = 0;  // CPU time used since the monitor started, all processes together
  std::int64_t fds = 0;
};

struct Report {
  std::chrono::milliseconds interval{0};
  bool exact_exits = false;          // exits came from the kernel's process events
  std::uint32_t lost_events = 0;     // times the kernel dropped events (its buffer was full)
  std::vector<Sample> samples;       // the first is taken at start, the last at finish()
  std::vector<Exit> exits;           // in the order they happened
  std::uint32_t joined = 0;          // processes that joined after the first sample
  std::uint32_t workers_joined = 0;  // of those, workers (see Exit::worker)
  std::vector<Join> joins;           // the first kMaxJoinsKept of them, in order
};

// Where exits are learnt from: the kernel's process events when the host may listen, or
// the samples alone (what a host without CAP_NET_ADMIN gets; tests choose it on purpose).
enum class ExitSource { ProcessEventsIfAllowed, SamplesOnly };

class Monitor {
 public:
  // Starts watching at once (the first sample is taken before the constructor returns).
  Monitor(pid_t leader, std::string marker, std::chrono::milliseconds interval,
          ExitSource source = ExitSource::ProcessEventsIfAllowed);
  ~Monitor();  // stops watching
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Takes a last sample, stops watching and returns everything seen. Call it before the
  // server is stopped: the exits of a stop are not the server's misbehaviour.
  Report finish();

  // True once the monitor has seen the leader exit (by event or sample, so within about
  // one interval), or found it gone at the start. Safe to poll from any thread, e.g. to
  // end the load early when the server died.
  bool leader_exited() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Waits until the server's process tree is settled: the same processes, and their RSS within
// 1 MiB or 2 % from one sample to the next, over kSettledSamples samples `interval` apart (with
// 50 ms, 300 ms: gunicorn waits up to 100 ms between two workers it spawns, arbiter.py
// spawn_workers), so that a reference is taken from a server
// whose workers have all started and loaded the application (gunicorn answers with its first
// worker while the others still import). Gives up after `bound`; returns how long it waited
// and whether the tree settled.
constexpr int kSettledSamples = 6;
struct Settled {
  bool settled = false;
  double waited_s = 0;
  std::uint32_t processes = 0;
};
Settled wait_until_settled(pid_t leader, const std::string& marker, std::chrono::milliseconds interval,
                           std::chrono::milliseconds bound, const std::atomic<bool>* stop = nullptr);

// "killed by SIGSEGV" or "exit status 3" from a waitpid(2) status.
std::string describe_wait_status(int status);

}  // namespace labour::monitor
