#include "run/events.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "run/runner.hpp"
#include "supervisor/procfs.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::run {

pid_t pick_worker(pid_t leader, const std::string& cmdline) {
  for (const pid_t pid : procfs::children_in_group(leader))
    if (cmdline.empty() || procfs::read_cmdline(pid).find(cmdline) != std::string::npos) return pid;
  return 0;
}

EventDriver::EventDriver(std::vector<scenario::Event> events, const ServerLifecycle& lifecycle, pid_t leader,
                         Clock::time_point epoch, Clock::time_point phase_start)
    : lifecycle_(lifecycle), leader_(leader), epoch_(epoch), phase_start_(phase_start) {
  for (auto& e : events) {
    FiredEvent f;
    f.event = std::move(e);
    events_.push_back(std::move(f));
  }
  if (!events_.empty()) thread_ = std::thread([this] { run(); });
}

EventDriver::~EventDriver() { finish(); }

double EventDriver::since_epoch() const {
  return std::chrono::duration<double>(Clock::now() - epoch_).count();
}

namespace {

EventDriver::Clock::duration seconds(double s) {
  return std::chrono::duration_cast<EventDriver::Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

void EventDriver::run() {
  std::unique_lock lock(mutex_);
  std::size_t next = 0;
  for (;;) {
    // The next thing due: the next event, or a frozen worker's end.
    std::optional<Clock::time_point> due;
    if (next < events_.size()) due = phase_start_ + seconds(events_[next].event.at_s);
    FiredEvent* to_resume = nullptr;
    for (auto& e : events_)
      if (e.fired && !e.failed && e.event.action == scenario::EventAction::FreezeWorker && e.resumed_s < 0) {
        const auto at = epoch_ + seconds(e.fired_s + e.event.seconds);
        if (!due || at < *due) {
          due = at;
          to_resume = &e;
        }
      }
    if (!due) return;
    if (wake_.wait_until(lock, *due, [this] { return stopping_; })) return;
    if (to_resume) {
      resume(*to_resume);
    } else {
      if (!fire(events_[next])) return;  // the server is gone: nothing later fires either
      ++next;
      fired_count_.store(static_cast<std::uint32_t>(next));
    }
  }
}

namespace {

// A descriptor for one process (pidfd), so that a signal reaches that process and no other
// that took its pid meanwhile (a worker its master killed, reaped and replaced).
int open_pid(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int send_signal(int pidfd, int signal) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

// The main process has ended (a zombie until labour reaps it, or gone).
bool ended(pid_t pid) {
  const auto stat = procfs::read_stat(pid);
  return !stat || stat->state == 'Z' || stat->state == 'X';
}

}  // namespace

bool EventDriver::fire(FiredEvent& e) {
  using scenario::EventAction;
  // A server that died before the event's time gets nothing more: the event did not happen,
  // and the test is judged by the death (down), not by an event that found nothing to act on.
  if (ended(leader_)) return false;
  e.fired = true;
  e.fired_s = since_epoch();
  switch (e.event.action) {
    case EventAction::Reload:
      e.pid = leader_;
      e.signal = lifecycle_.reload_signal;
      break;
    case EventAction::GracefulStop:
      e.pid = leader_;
      e.signal = lifecycle_.graceful_stop_signal;
      break;
    case EventAction::Signal:
      e.pid = leader_;
      e.signal = e.event.signal;
      break;
    case EventAction::KillWorker:
    case EventAction::FreezeWorker:
      e.pid = pick_worker(leader_, lifecycle_.worker_cmdline);
      e.signal = e.event.action == EventAction::KillWorker ? SIGKILL : SIGSTOP;
      break;
  }
  const bool main = e.pid == leader_;
  if (e.pid != 0 && !main) e.pidfd = open_pid(e.pid);
  if (e.pid == 0 || (!main && e.pidfd < 0)) {
    e.failed = true;
    e.detail = "no worker process to " +
               std::string(e.event.action == EventAction::KillWorker ? "kill" : "freeze") +
               " among the main process's children";
    return true;
  }
  e.detail = supervisor::signal_name(e.signal) + " to " + (main ? "the main process " : "worker ") +
             std::to_string(e.pid);
  // The main process is labour's child, unreaped while it runs: its pid cannot be another's.
  if ((main ? ::kill(e.pid, e.signal) : send_signal(e.pidfd, e.signal)) != 0) {
    e.failed = true;
    e.detail += " failed: " + std::string(std::strerror(errno));
  }
  return true;
}

void EventDriver::resume(FiredEvent& e) {
  if (e.pidfd >= 0) {
    send_signal(e.pidfd, SIGCONT);  // ended meanwhile (killed by its master): nothing to resume
    ::close(e.pidfd);
    e.pidfd = -1;
  }
  e.resumed_s = since_epoch();
}

std::vector<FiredEvent> EventDriver::finish() {
  {
    std::lock_guard lock(mutex_);
    if (finished_) return events_;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  finished_ = true;
  for (auto& e : events_) {
    if (e.fired && !e.failed && e.event.action == scenario::EventAction::FreezeWorker && e.resumed_s < 0)
      resume(e);
    if (e.pidfd >= 0) {  // a killed worker's
      ::close(e.pidfd);
      e.pidfd = -1;
    }
  }
  return events_;
}

}  // namespace labour::run
