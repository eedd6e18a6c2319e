#include "run/events.hpp"

#include <signal.h>

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
      fire(events_[next]);
      ++next;
      fired_count_.store(static_cast<std::uint32_t>(next));
    }
  }
}

void EventDriver::fire(FiredEvent& e) {
  using scenario::EventAction;
  e.fired = true;
  e.fired_s = since_epoch();
  const std::string name(scenario::action_name(e.event.action));
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
      if (e.pid == 0) {
        e.failed = true;
        e.detail = "no worker process to " +
                   std::string(e.event.action == EventAction::KillWorker ? "kill" : "freeze") +
                   " among the main process's children";
        return;
      }
      break;
  }
  const bool main = e.pid == leader_;
  e.detail = supervisor::signal_name(e.signal) + " to " + (main ? "the main process " : "worker ") +
             std::to_string(e.pid);
  if (::kill(e.pid, e.signal) != 0) {
    e.failed = true;
    e.detail += " failed: " + std::string(std::strerror(errno));
  }
}

void EventDriver::resume(FiredEvent& e) {
  ::kill(e.pid, SIGCONT);  // gone meanwhile (killed by its master): nothing to resume
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
  for (auto& e : events_)
    if (e.fired && !e.failed && e.event.action == scenario::EventAction::FreezeWorker && e.resumed_s < 0)
      resume(e);
  return events_;
}

}  // namespace labour::run
