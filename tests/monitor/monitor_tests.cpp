// Monitor tests: a fake server (a Python script) builds a real process tree — memory, a
// worker killed by SIGSEGV, a worker that leaves the process group, CPU burnt — and the
// monitor must see each of these, from the kernel's process events and from samples alone.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>

#include "monitor/monitor.hpp"
#include "process_fixture.hpp"
#include "supervisor/procfs.hpp"

using namespace labour::test;
using labour::monitor::ExitSource;
using labour::monitor::Monitor;
using labour::monitor::Report;
namespace procfs = labour::procfs;

namespace {

// Every step waits long enough for a 20 ms sampler to see it, and the dead worker stays a
// zombie for a while: the samples alone can then tell how it died.
const char* const tree_script = R"(import os, pathlib, resource, signal, sys, time
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
first = os.fork()  # a worker from the start: this leader is a master
if first == 0:
    time.sleep(60)
    os._exit(0)
pathlib.Path(sys.argv[1] + ".started").write_text("started")
block = bytearray(64 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
time.sleep(0.3)
crasher = os.fork()
if crasher == 0:
    helper = os.fork()  # the worker's own child, as a daemonising application's is
    if helper == 0:
        time.sleep(0.1)
        os._exit(0)
    os.waitpid(helper, 0)
    time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGSEGV)
time.sleep(0.8)
os.waitpid(crasher, 0)
stayer = os.fork()
if stayer == 0:
    os.setpgid(0, 0)  # leaves the group; its marker still says it is the server's
    time.sleep(60)
    os._exit(0)
start = time.process_time()
while time.process_time() - start < 0.4:
    pass
time.sleep(0.3)
pathlib.Path(sys.argv[1]).write_text("done")
time.sleep(60)
)";

const labour::monitor::Exit* find_exit(const Report& r, const std::string& cause) {
  const auto it =
      std::find_if(r.exits.begin(), r.exits.end(), [&](const auto& e) { return e.cause == cause; });
  return it == r.exits.end() ? nullptr : &*it;
}

Report watch_tree(ExitSource source) {
  TempDir dir;
  auto spec = python_server(dir, tree_script, {(dir / "done").string()});
  spec.marker = sv::new_marker();
  MarkerSweep sweep{spec.marker, {}};
  auto server = sv::ServerProcess::start(spec);
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "done.started"); }));
  Monitor monitor(server.pid(), spec.marker, std::chrono::milliseconds(20), source);
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "done"); }));
  Report report = monitor.finish();
  server.stop();
  return report;
}

void check_tree(const Report& r) {
  REQUIRE(r.samples.size() >= 10);
  const auto& last = r.samples.back();
  CHECK(last.processes == 3);  // the leader, its first worker, and the one outside its group
  CHECK(last.threads >= 2);
  CHECK(last.fds > 0);
  std::uint64_t peak_rss = 0;
  for (const auto& s : r.samples) peak_rss = std::max(peak_rss, s.rss_bytes);
  CHECK(peak_rss >= 64u * 1024 * 1024);
  CHECK(last.cpu_s >= 0.3);  // the busy loop, at least
  CHECK(r.joined == 3);
  CHECK(r.workers_joined == 2);  // the crasher and the stayer; the crasher's own child is no worker
  REQUIRE(r.exits.size() == 2);
  const auto* crash = find_exit(r, "killed by SIGSEGV");
  REQUIRE(crash);
  CHECK_FALSE(crash->leader);
  CHECK(crash->worker);
  CHECK(crash->at_s > 0.2);
  const auto helper =
      std::find_if(r.exits.begin(), r.exits.end(), [&](const auto& e) { return &e != crash; });
  CHECK_FALSE(helper->worker);
}

}  // namespace

TEST_CASE("proc stat lines are parsed after the command name, whatever it holds") {
  const std::string line =
      "4242 (odd ) (name) S 1 4240 4200 0 -1 4194560 100 0 0 0 150 50 7 5 20 0 3 0 777 123456 2500 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 139\n";
  const auto stat = procfs::parse_stat(line);
  REQUIRE(stat);
  CHECK(stat->state == 'S');
  CHECK(stat->ppid == 1);
  CHECK(stat->pgrp == 4240);
  CHECK(stat->session == 4200);
  CHECK(stat->cpu_ticks == 200);
  CHECK(stat->children_ticks == 12);
  CHECK(stat->threads == 3);
  CHECK(stat->start_ticks == 777);
  CHECK(stat->rss_pages == 2500);
  CHECK(stat->exit_code == 139);
  CHECK_FALSE(procfs::parse_stat("4242 (cut) S 1 4240"));
  CHECK_FALSE(procfs::parse_stat("no parenthesis at all"));
}

TEST_CASE("this process's own stat reads back what the kernel says") {
  const auto stat = procfs::parse_stat(read_file("/proc/self/stat"));
  REQUIRE(stat);
  CHECK(stat->ppid == ::getppid());
  CHECK(stat->pgrp == ::getpgrp());
  CHECK(stat->session == ::getsid(0));
  CHECK(stat->threads >= 1);
  CHECK(stat->rss_pages > 0);
  const auto read = procfs::read_stat(::getpid());
  REQUIRE(read);
  CHECK(read->start_ticks == stat->start_ticks);
}

TEST_CASE("/proc lists this process, counts its descriptors and reads its environment") {
  const auto pids = procfs::list_pids();
  CHECK(std::is_sorted(pids.begin(), pids.end()));
  CHECK(std::binary_search(pids.begin(), pids.end(), ::getpid()));

  const auto before = procfs::count_fds(::getpid());
  REQUIRE(before);
  const int extra = ::dup(STDERR_FILENO);
  REQUIRE(extra >= 0);
  CHECK(procfs::count_fds(::getpid()) == *before + 1);
  ::close(extra);
  CHECK_FALSE(procfs::count_fds(-1));

  // /proc/<pid>/environ is the environment the process started with, as getenv sees it here.
  if (const char* path = std::getenv("PATH"))
    CHECK(procfs::environ_has_entry(::getpid(), std::string("PATH=") + path));
  CHECK_FALSE(procfs::environ_has_entry(::getpid(), "PATH"));  // a name alone is not an entry
  CHECK_FALSE(procfs::environ_has_entry(::getpid(), "LABOUR_NO_SUCH_ENTRY=1"));
  CHECK(procfs::read_small_file("/proc/self/no-such-file").empty());
}

TEST_CASE("wait statuses are described the way the supervisor describes them") {
  for (const auto& [how, expected] : {std::pair{0, std::string("exit status 3")}, {1, "killed by SIGKILL"}}) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      if (how == 1) ::raise(SIGKILL);
      ::_exit(3);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(labour::monitor::describe_wait_status(status) == expected);
  }
}

TEST_CASE("the monitor sees memory, CPU, joins and a SIGSEGV death from process events") {
  const Report report = watch_tree(ExitSource::ProcessEventsIfAllowed);
  if (!report.exact_exits) WARN("this host may not listen to process events: only samples were used");
  check_tree(report);
}

TEST_CASE("the monitor sees the same tree from samples alone") {
  const Report report = watch_tree(ExitSource::SamplesOnly);
  CHECK_FALSE(report.exact_exits);
  check_tree(report);
}

TEST_CASE("the server's own death is recorded with its exit status") {
  for (const auto source : {ExitSource::ProcessEventsIfAllowed, ExitSource::SamplesOnly}) {
    TempDir dir;
    auto spec = python_server(dir, "import time, sys\ntime.sleep(0.3)\nsys.exit(3)\n");
    spec.marker = sv::new_marker();
    MarkerSweep sweep{spec.marker, {}};
    auto server = sv::ServerProcess::start(spec);
    Monitor monitor(server.pid(), spec.marker, std::chrono::milliseconds(20), source);
    // Polled through /proc, not running(): reaping the leader would hide its status.
    REQUIRE(eventually([&] {
      const auto stat = procfs::parse_stat(read_file("/proc/" + std::to_string(server.pid()) + "/stat"));
      return stat && stat->state == 'Z';
    }));
    std::this_thread::sleep_for(100ms);  // a few intervals for the sampler
    const Report report = monitor.finish();
    REQUIRE(report.exits.size() == 1);
    CHECK(report.exits[0].leader);
    CHECK(report.exits[0].pid == server.pid());
    CHECK(report.exits[0].cause == "exit status 3");
    CHECK(report.samples.back().processes == 0);
  }
}

TEST_CASE("leader_exited turns true once the leader exits, not when a worker does") {
  // The worker lives long enough for a sample to see it and exits first; then the leader
  // waits for a go (bounded, so nothing lingers).
  const char* const script = R"(import os, pathlib, sys, time
worker = os.fork()
if worker == 0:
    time.sleep(0.1)
    os._exit(0)
os.waitpid(worker, 0)
pathlib.Path(sys.argv[1]).write_text("worker gone")
go = pathlib.Path(sys.argv[2])
deadline = time.monotonic() + 30
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.01)
)";
  for (const auto source : {ExitSource::ProcessEventsIfAllowed, ExitSource::SamplesOnly}) {
    TempDir dir;
    auto spec = python_server(dir, script, {(dir / "worker-gone").string(), (dir / "go").string()});
    spec.marker = sv::new_marker();
    MarkerSweep sweep{spec.marker, {}};
    auto server = sv::ServerProcess::start(spec);
    Monitor monitor(server.pid(), spec.marker, std::chrono::milliseconds(20), source);
    CHECK_FALSE(monitor.leader_exited());
    REQUIRE(eventually([&] { return std::filesystem::exists(dir / "worker-gone"); }));
    std::this_thread::sleep_for(100ms);  // a few intervals: a worker's exit must not count
    CHECK_FALSE(monitor.leader_exited());

    write_file(dir / "go", "");
    CHECK(eventually([&] { return monitor.leader_exited(); }, 5s));
    const Report report = monitor.finish();
    CHECK(monitor.leader_exited());
    CHECK(std::any_of(report.exits.begin(), report.exits.end(), [](const auto& e) { return e.leader; }));
    server.stop();
  }
}

TEST_CASE("leader_exited is true at once for a leader that is already gone") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);  // reaped: nothing of it is left in /proc
  Monitor monitor(child, sv::new_marker(), std::chrono::milliseconds(20), ExitSource::SamplesOnly);
  CHECK(monitor.leader_exited());
}
