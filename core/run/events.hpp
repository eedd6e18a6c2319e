// Lifecycle events: what a scenario's [[event]]s do to the running server during the fault
// phase (a reload, a worker killed or frozen, a graceful stop, a signal), fired from a thread
// of their own at their times. Labour sends the signals; the adapter only declares which ones
// its server understands (ServerLifecycle), so every server is treated the same way.
#pragma once

#include <sys/types.h>
#include <labour/sdk.hpp>  // sdk::Lifecycle

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scenario/scenario.hpp"

namespace labour::run {

using ServerLifecycle = labour::sdk::Lifecycle;  // what the server's adapter declares

// What became of one event.
struct FiredEvent {
  scenario::Event event;
  bool fired = false;     // its time came within the fault phase
  bool failed = false;    // it came, but there was nothing to act on (no worker), or kill(2) failed
  double fired_s = 0;     // since the test's epoch
  pid_t pid = 0;          // the process it acted on
  int signal = 0;         // the signal sent
  std::string detail;     // one line: "SIGHUP to the main process 4242", "no worker to kill"
  double resumed_s = -1;  // freeze_worker: when SIGCONT was sent (-1: not yet / not a freeze)
  int pidfd = -1;         // the worker acted on, while the driver runs (closed by finish())
};

// Fires `events` (sorted by time) at the server whose main process is `leader`, `at_s` after
// `phase_start`. A frozen worker is always sent SIGCONT: after its `seconds`, or when the
// driver finishes, whichever comes first, so the server is never stopped frozen.
class EventDriver {
 public:
  using Clock = std::chrono::steady_clock;
  EventDriver(std::vector<scenario::Event> events, const ServerLifecycle& lifecycle, pid_t leader,
              Clock::time_point epoch, Clock::time_point phase_start);
  ~EventDriver();
  EventDriver(const EventDriver&) = delete;
  EventDriver& operator=(const EventDriver&) = delete;

  // How many have fired so far (the engine counts innocent outcomes towards the latest).
  const std::atomic<std::uint32_t>& fired() const { return fired_count_; }
  // Stops firing, resumes what is still frozen, and says what happened to every event.
  std::vector<FiredEvent> finish();

 private:
  void run();
  bool fire(FiredEvent& e);  // false: the main process had ended, nothing was done
  void resume(FiredEvent& e);
  double since_epoch() const;

  std::vector<FiredEvent> events_;
  const ServerLifecycle& lifecycle_;
  pid_t leader_;
  Clock::time_point epoch_, phase_start_;
  std::atomic<std::uint32_t> fired_count_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool finished_ = false;
  std::thread thread_;
};

// The worker an event acts on: the lowest-numbered child of `leader` in its process group
// whose command line holds `cmdline` (any child when it is empty); 0 when there is none.
pid_t pick_worker(pid_t leader, const std::string& cmdline);

}  // namespace labour::run
