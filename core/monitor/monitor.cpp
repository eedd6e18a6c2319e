// One thread per Monitor: it sleeps in poll() on a wake-up eventfd and, when the host may
// listen, the kernel's process events; it samples /proc at every interval. The members
// map is the server as last seen; a process leaves it when it exits (by event, as a
// zombie, or by vanishing from /proc).
//
// CPU: a process's own time is only known while it lives, but when its parent reaps it
// the kernel adds its whole time to the parent's "children" time. So the server's CPU is
// every live member's own + children time since the start, plus the last-seen time of
// members that no member will reap (the leader, processes that left the tree).
#include "monitor/monitor.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <set>
#include <system_error>
#include <thread>

#include "monitor/proc_events.hpp"
#include "supervisor/procfs.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::monitor {

using Clock = std::chrono::steady_clock;
using procfs::ProcStat;

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) return "killed by " + supervisor::signal_name(WTERMSIG(status));
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  return "unknown";
}

struct Monitor::Impl {
  struct Member {
    pid_t parent = 0;
    std::uint64_t start_ticks = 0;  // 0: joined through a fork event, not read yet
    std::uint64_t base_ticks = 0;   // own + children CPU used before the monitor started
    std::uint64_t last_ticks = 0;   // own + children CPU at the last sample
    bool vanished = false;          // gone from /proc; its exit event may still be on its way
    bool was_graced = false;        // has waited one sample for that event
    std::uint64_t used() const { return last_ticks - std::min(last_ticks, base_ticks); }
  };

  pid_t leader;
  std::string marker;
  std::chrono::milliseconds interval;
  Clock::time_point started = Clock::now();
  std::unique_ptr<detail::ProcEvents> events;
  int wake = -1;
  std::thread thread;

  std::map<pid_t, Member> members;
  // The leader had children at the first sample: it is a master, and its children are its
  // workers. A single-process server's children are what the application forked.
  bool leader_is_master = false;
  std::set<pid_t> skip;  // not ours, or ours and already counted as exited: until the pid is gone
  std::uint64_t dead_ticks = 0;
  Report report;
  std::atomic<bool> leader_gone{false};  // written by the sampling thread, polled by others
  const double tick_s = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  const std::uint64_t page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));

  ~Impl() {
    if (wake >= 0) ::close(wake);
  }

  double now_s() const { return seconds_since_start(Clock::now()); }
  double seconds_since_start(Clock::time_point t) const {
    return std::chrono::duration<double>(t - started).count();
  }

  bool ours(pid_t pid, const ProcStat& stat) const {
    return stat.pgrp == leader || supervisor::carries_marker(pid, marker);
  }

  bool is_worker(const Member& m) const { return leader_is_master && m.parent == leader; }

  void joined(pid_t pid, Member m, double at_s) {
    members[pid] = m;
    skip.erase(pid);
    if (report.samples.empty()) return;
    ++report.joined;
    if (is_worker(m)) ++report.workers_joined;
    if (report.joins.size() < kMaxJoinsKept) report.joins.push_back({at_s, pid, is_worker(m)});
  }

  void exited(pid_t pid, std::string cause, double at_s) {
    const auto it = members.find(pid);
    if (it == members.end()) return;
    const Member m = it->second;
    members.erase(it);
    // A member parent reaps it: its whole time, from before the start too, moves into the
    // parent's children time, so the parent's baseline takes the child's.
    if (const auto parent = members.find(m.parent); parent != members.end())
      parent->second.base_ticks += m.base_ticks;
    else
      dead_ticks += m.used();
    skip.insert(pid);  // its zombie must not join again
    report.exits.push_back({at_s, pid, pid == leader, is_worker(m), std::move(cause)});
    if (pid == leader) leader_gone = true;
  }

  void handle_events() {
    if (!events) return;
    std::vector<detail::ProcEvent> got;
    report.lost_events += events->drain(got);
    for (const auto& e : got) {
      const double at_s = seconds_since_start(e.time);
      if (e.kind == detail::ProcEvent::Fork && members.count(e.parent) && !members.count(e.pid)) {
        joined(e.pid, Member{e.parent}, at_s);
      } else if (e.kind == detail::ProcEvent::Exit) {
        exited(e.pid, describe_wait_status(e.status), at_s);
      }
    }
  }

  // Members that vanished without an exit event (or that the samples alone saw go) ended
  // unseen; with events, one sample's grace lets an event that lost the race with the
  // parent's reaping arrive first.
  void settle_vanished(bool final) {
    std::vector<pid_t> unseen;
    for (auto& [pid, m] : members) {
      if (!m.vanished) continue;
      if (events && !final && !m.was_graced) {
        m.was_graced = true;
        continue;
      }
      unseen.push_back(pid);
    }
    for (const pid_t pid : unseen) exited(pid, "unknown", now_s());
  }

  void sample() {
    const auto pids = procfs::list_pids();
    const auto listed = [&](pid_t pid) { return std::binary_search(pids.begin(), pids.end(), pid); };
    Sample s;
    s.at_s = now_s();
    bool fds_known = true;
    for (auto it = skip.begin(); it != skip.end();) it = listed(*it) ? std::next(it) : skip.erase(it);
    for (const pid_t pid : pids) {
      if (skip.count(pid)) continue;
      const auto stat = procfs::read_stat(pid);
      if (!stat) continue;  // gone meanwhile: the pass below notices if it was ours
      auto it = members.find(pid);
      if (it != members.end() && it->second.start_ticks && it->second.start_ticks != stat->start_ticks) {
        exited(pid, "unknown", s.at_s);  // the pid was reused: ours ended unseen
        skip.erase(pid);
        it = members.end();
      }
      if (it != members.end() && it->second.start_ticks == 0 && !ours(pid, *stat)) {
        members.erase(it);  // joined by a fork event, but the pid is another's now (events were lost)
        skip.insert(pid);
        continue;
      }
      if (it == members.end()) {
        if (!ours(pid, *stat)) {
          skip.insert(pid);
          continue;
        }
        const std::uint64_t ticks = stat->cpu_ticks + stat->children_ticks;
        joined(pid, Member{stat->ppid, stat->start_ticks, report.samples.empty() ? ticks : 0, ticks},
               now_s());
        it = members.find(pid);
      }
      Member& m = it->second;
      m.parent = stat->ppid;
      m.start_ticks = stat->start_ticks;
      m.last_ticks = std::max(m.last_ticks, stat->cpu_ticks + stat->children_ticks);
      m.vanished = false;
      if (stat->state == 'Z') {  // ended, not reaped yet: the kernel still holds its status
        exited(pid, describe_wait_status(stat->exit_code), s.at_s);
        continue;
      }
      ++s.processes;
      s.threads += stat->threads;
      s.rss_bytes += stat->rss_pages * page_bytes;
      if (const auto fds = procfs::count_fds(pid))
        s.fds += static_cast<std::int64_t>(*fds);
      else
        fds_known = false;
    }
    for (auto& [pid, m] : members)
      if (!listed(pid)) m.vanished = true;  // reaped between two samples
    settle_vanished(false);

    std::uint64_t ticks = dead_ticks;
    for (const auto& [pid, m] : members) ticks += m.used();
    s.cpu_s = static_cast<double>(ticks) * tick_s;
    // A reaped child's time leaves its own count before it shows in its parent's.
    if (!report.samples.empty()) s.cpu_s = std::max(s.cpu_s, report.samples.back().cpu_s);
    if (!fds_known) s.fds = -1;
    if (report.samples.empty())
      leader_is_master = std::any_of(members.begin(), members.end(),
                                     [&](const auto& kv) { return kv.second.parent == leader; });
    report.samples.push_back(s);
  }

  // Events are read at each sample, not as they come: a server that starts a thread per
  // request would otherwise wake this thread thousands of times a second on the client's
  // CPU. The socket's buffer holds what comes in between.
  void run() {
    auto next = started + interval;
    for (;;) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
      pollfd wakeup{wake, POLLIN, 0};
      const int ready = ::poll(&wakeup, 1, static_cast<int>(std::max<long>(0, wait.count())));
      if (ready < 0 && errno != EINTR) return;
      if (wakeup.revents) return;
      if (Clock::now() >= next) {
        handle_events();  // exits first, so a sample never mistakes a fresh zombie's cause
        sample();
        next += interval;
        if (next < Clock::now()) next = Clock::now() + interval;  // fell behind: do not burst
      }
    }
  }
};

Monitor::Monitor(pid_t leader, std::string marker, std::chrono::milliseconds interval, ExitSource source)
    : impl_(std::make_unique<Impl>()) {
  impl_->leader = leader;
  impl_->marker = std::move(marker);
  impl_->interval = std::max(interval, std::chrono::milliseconds(1));
  impl_->report.interval = impl_->interval;
  if (source == ExitSource::ProcessEventsIfAllowed) impl_->events = detail::ProcEvents::open();
  impl_->report.exact_exits = impl_->events != nullptr;
  impl_->wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->wake < 0) throw std::system_error(errno, std::generic_category(), "monitor: eventfd");
  impl_->started = Clock::now();
  if (impl_->events) {  // what happened before the first sample is not ours to judge
    std::vector<detail::ProcEvent> stale;
    impl_->events->drain(stale);
  }
  impl_->sample();
  // A leader already gone before the first sample never shows an exit; it has exited all
  // the same. (One that lives outside the server's group and marker is not judged.)
  if (!impl_->members.count(leader) && !procfs::read_stat(leader)) impl_->leader_gone = true;
  impl_->thread = std::thread([impl = impl_.get()] {
    try {
      impl->run();
    } catch (const std::exception&) {
      // out of memory or descriptors: stop sampling; finish() still reports what was seen
    }
  });
}

Report Monitor::finish() {
  if (impl_->thread.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(impl_->wake, &one, sizeof one);
    impl_->thread.join();
    impl_->handle_events();
    impl_->sample();
    if (impl_->events) {
      // Exits the last sample missed may still be on their way: a short, bounded wait.
      pollfd incoming{impl_->events->fd(), POLLIN, 0};
      if (::poll(&incoming, 1, 50) > 0) impl_->handle_events();
    }
    impl_->settle_vanished(true);
    impl_->events.reset();
    // Events carry the kernel's time, samples their own: put the exits in time order.
    auto& exits = impl_->report.exits;
    std::stable_sort(exits.begin(), exits.end(),
                     [](const Exit& a, const Exit& b) { return a.at_s < b.at_s; });
  }
  return impl_->report;
}

bool Monitor::leader_exited() const { return impl_->leader_gone.load(); }

Monitor::~Monitor() {
  try {
    finish();
  } catch (const std::exception&) {
    // nothing to report to: the owner did not ask for the report
  }
}

Settled wait_until_settled(pid_t leader, const std::string& marker, std::chrono::milliseconds interval,
                           std::chrono::milliseconds bound, const std::atomic<bool>* stop) {
  const auto start = Clock::now();
  const auto page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  // The server's processes (the supervisor's definition, as the monitor's) and their RSS.
  const auto look = [&] {
    std::vector<std::pair<pid_t, std::uint64_t>> tree;
    for (const pid_t pid : procfs::list_pids())
      if (const auto stat = procfs::read_stat(pid))
        if (stat->state != 'Z' && (stat->pgrp == leader || supervisor::carries_marker(pid, marker)))
          tree.emplace_back(pid, stat->rss_pages * page_bytes);
    return tree;
  };
  const auto rss = [](const auto& tree) {
    std::uint64_t sum = 0;
    for (const auto& [pid, bytes] : tree) sum += bytes;
    return sum;
  };
  Settled out;
  auto before = look();
  int steady = 0;  // samples in a row like the one before
  while (Clock::now() - start < bound && !(stop && stop->load())) {
    std::this_thread::sleep_for(interval);
    auto now = look();
    const bool same_processes = now.size() == before.size() &&
                                std::equal(now.begin(), now.end(), before.begin(),
                                           [](const auto& a, const auto& b) { return a.first == b.first; });
    const auto a = rss(before), b = rss(now);
    const auto change = a > b ? a - b : b - a;
    steady = same_processes && (change <= (1u << 20) || change * 50 <= std::max(a, b)) ? steady + 1 : 0;
    before = std::move(now);
    if (steady >= kSettledSamples) {
      out.settled = true;
      break;
    }
  }
  out.waited_s = std::chrono::duration<double>(Clock::now() - start).count();
  out.processes = static_cast<std::uint32_t>(before.size());
  return out;
}

}  // namespace labour::monitor
