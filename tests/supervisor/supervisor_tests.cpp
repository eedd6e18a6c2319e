// Supervisor tests with real processes. Fake servers are small Python scripts written to a
// private temp dir; every test cleans up through RAII (temp dir, ServerProcess, MarkerSweep).
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "../engine/test_server.hpp"
#include "engine/probe.hpp"
#include "process_fixture.hpp"
#include "supervisor/internal.hpp"
#include "supervisor/supervisor.hpp"

using namespace labour::test;
using namespace std::chrono_literals;

namespace {

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t len = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// labour's readiness probe: one GET through the load engine's client.
std::function<bool(std::chrono::milliseconds)> http_probe(std::uint16_t port, std::string path) {
  return [port, path](std::chrono::milliseconds timeout) {
    return labour::engine::answers_http({"127.0.0.1", port}, path, timeout);
  };
}

std::string probe_name(std::uint16_t port, const std::string& path) {
  return "GET http://127.0.0.1:" + std::to_string(port) + path;
}

// /proc/<pid>/stat state letter, or '\0' if there is no such process (not even a zombie).
char proc_state(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '\0' : stat[close + 2];
}

bool alive(pid_t pid) {
  char state = proc_state(pid);
  return state != '\0' && state != 'Z' && state != 'X';
}

int zombie_children() {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = read_file(entry.path() / "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state;
    pid_t ppid;
    if (fields >> state >> ppid && state == 'Z' && ppid == ::getpid()) ++count;
  }
  return count;
}

const char* const http_server_script = R"(import http.server, os, signal, sys, threading
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
# A handler instead of KeyboardInterrupt, which may land mid-request and end the process
# by SIGINT; shutdown() must run off the serving thread.
signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
print("cwd", os.getcwd(), "value", os.environ.get("LABOUR_TEST_VALUE"), flush=True)
server.serve_forever()
print("stopping on SIGINT", flush=True)
)";

}  // namespace

TEST_CASE("an HTTP server becomes ready and stops on SIGINT") {
  TempDir dir;
  const auto port = free_loopback_port();
  auto spec = python_server(dir, http_server_script, {std::to_string(port)});
  spec.env = {"LABOUR_TEST_VALUE=forty-two"};
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(server.marker().size() >= 16);
  CHECK(server.process_group() == server.pid());
  CHECK(::getpgid(server.pid()) == server.pid());

  auto ready = sv::wait_until_ready(server, http_probe(port, "/ready"), probe_name(port, "/ready"), 20s,
                                    dir / "server.log");
  INFO(ready.detail);
  REQUIRE(ready.state == sv::Readiness::Ready);
  CHECK(server.running());
  CHECK(sv::find_marked_processes(server.marker()) == std::vector<pid_t>{server.pid()});

  auto report = server.stop();
  CHECK(report.signal_needed == "SIGINT");
  CHECK(report.orphans_killed == 0);
  REQUIRE(report.status);
  CHECK(report.status->describe() == "exit status 0");
  CHECK_FALSE(server.running());
  CHECK(proc_state(server.pid()) == '\0');  // reaped
  CHECK(sv::find_marked_processes(server.marker()).empty());
  const auto log = read_file(dir / "server.log");
  CHECK_THAT(log, Catch::Contains("cwd " + dir.path.string() + " value forty-two"));
  CHECK_THAT(log, Catch::Contains("stopping on SIGINT"));

  auto again = server.stop();  // idempotent
  CHECK(again.signal_needed == "SIGINT");
}

TEST_CASE("the child gets a clean process state: group, stdio, signals, no stray fds") {
  TempDir dir;
  sv::LaunchSpec spec;
  spec.argv = {"sleep", "30"};  // found through PATH
  spec.stdout_path = dir / "out.log";
  spec.stderr_path = dir / "err.log";
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  const auto proc = std::filesystem::path("/proc") / std::to_string(server.pid());
  // Wait for the exec to show (the launcher returns only after it, but be safe).
  REQUIRE(eventually([&] { return read_file(proc / "comm") == "sleep\n"; }));

  CHECK(::getpgid(server.pid()) == server.pid());
  CHECK(std::filesystem::read_symlink(proc / "fd" / "0") == "/dev/null");
  CHECK(std::filesystem::read_symlink(proc / "fd" / "1") == dir / "out.log");
  CHECK(std::filesystem::read_symlink(proc / "fd" / "2") == dir / "err.log");
  // Exactly 0, 1, 2 once the exec has settled (during exec and the program's own start-up,
  // e.g. setlocale, other fds come and go); a leaked fd such as the watchdog pipe stays.
  std::vector<std::string> fds;
  CHECK(eventually(
      [&] {
        fds.clear();
        for (const auto& entry : std::filesystem::directory_iterator(proc / "fd"))
          fds.push_back(entry.path().filename());
        std::sort(fds.begin(), fds.end());
        return fds == std::vector<std::string>{"0", "1", "2"};
      },
      3s));

  // This process ignores SIGPIPE (init_process_supervision); the server must not inherit it.
  const auto status = read_file(proc / "status");
  CHECK_THAT(status, Catch::Contains("SigIgn:\t0000000000000000"));
  CHECK_THAT(status, Catch::Contains("SigBlk:\t0000000000000000"));

  auto report = server.stop();
  CHECK(report.signal_needed == "SIGINT");
  REQUIRE(report.status);
  CHECK(report.status->describe() == "killed by SIGINT");
}

TEST_CASE("a server that exits at once is reported with its status and log tail") {
  TempDir dir;
  auto spec = python_server(dir, R"(import sys
for i in range(15):
    print("boot line", i)
print("boot failed: bad config", file=sys.stderr)
sys.exit(3)
)");
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  const auto port = free_loopback_port();
  auto ready =
      sv::wait_until_ready(server, http_probe(port, "/"), probe_name(port, "/"), 20s, dir / "server.log");
  REQUIRE(ready.state == sv::Readiness::Exited);
  CHECK_THAT(ready.detail, Catch::StartsWith("server exited before it was ready (exit status 3)"));
  CHECK_THAT(ready.detail, Catch::Contains("boot failed: bad config"));
  CHECK_THAT(ready.detail, Catch::Contains("boot line 14 | "));
  CHECK_THAT(ready.detail, !Catch::Contains("boot line 5"));  // only the tail
  REQUIRE(server.exit_status());
  CHECK(server.exit_status()->exited);
  CHECK(server.exit_status()->code == 3);

  auto report = server.stop();
  CHECK(report.signal_needed == "");
  CHECK(report.orphans_killed == 0);
}

TEST_CASE("a wedged server that ignores SIGINT and SIGTERM is stopped by SIGKILL") {
  TempDir dir;
  auto spec = python_server(dir, R"(import pathlib, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(sys.argv[1]).touch()
time.sleep(60)
)",
                            {(dir / "ready").string()});
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "ready"); }));

  auto report = server.stop({300ms, 300ms, 3000ms});
  CHECK(report.signal_needed == "SIGKILL");
  REQUIRE(report.status);
  CHECK(report.status->describe() == "killed by SIGKILL");
  CHECK(proc_state(server.pid()) == '\0');
}

TEST_CASE("a worker left in the group after its leader exits is killed and reaped") {
  TempDir dir;
  auto spec = python_server(dir, R"(import os, pathlib, signal, sys, time
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pathlib.Path(sys.argv[1] + ".tmp").write_text(str(os.getpid()))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(60)
    os._exit(0)
time.sleep(60)
)",
                            {(dir / "worker.pid").string()});
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "worker.pid"); }));
  const pid_t worker = std::stoi(read_file(dir / "worker.pid"));
  REQUIRE(alive(worker));

  auto report = server.stop({500ms, 500ms, 3000ms});
  CHECK(report.signal_needed == "SIGKILL");  // the leader went on SIGINT, the worker did not
  CHECK(report.orphans_killed == 0);
  CHECK(proc_state(worker) == '\0');  // killed and reaped by us (it was reparented to us)
}

TEST_CASE("a descendant that escaped the group with setsid is found by its marker and killed") {
  TempDir dir;
  auto spec = python_server(dir, R"(import os, pathlib, sys, time
pid = os.fork()
if pid == 0:
    os.setsid()
    pathlib.Path(sys.argv[1] + ".tmp").write_text(str(os.getpid()))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(60)
    os._exit(0)
try:
    time.sleep(60)
except KeyboardInterrupt:
    pass
)",
                            {(dir / "escaped.pid").string()});
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "escaped.pid"); }));
  const pid_t escaped = std::stoi(read_file(dir / "escaped.pid"));
  REQUIRE(alive(escaped));
  REQUIRE(::getpgid(escaped) != server.process_group());

  auto report = server.stop();
  CHECK(report.signal_needed == "SIGINT");
  CHECK(report.orphans_killed >= 1);
  CHECK_FALSE(alive(escaped));
  CHECK(proc_state(escaped) == '\0');  // and reaped: we are its subreaper
  CHECK(sv::find_marked_processes(server.marker()).empty());
}

TEST_CASE("a double-forked daemon is killed and its exited middle process reaped") {
  TempDir dir;
  auto spec = python_server(dir, R"(import os, pathlib, sys, time
def publish(name):
    path = pathlib.Path(sys.argv[1]) / name
    pathlib.Path(str(path) + ".tmp").write_text(str(os.getpid()))
    os.rename(str(path) + ".tmp", path)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        publish("daemon.pid")
        time.sleep(60)
        os._exit(0)
    publish("middle.pid")
    os._exit(0)
try:
    time.sleep(60)
except KeyboardInterrupt:
    pass
)",
                            {dir.path.string()});
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "daemon.pid"); }));
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "middle.pid"); }));
  const pid_t daemon = std::stoi(read_file(dir / "daemon.pid"));
  const pid_t middle = std::stoi(read_file(dir / "middle.pid"));
  REQUIRE(eventually([&] { return proc_state(middle) == 'Z'; }));  // exited, its parent has not reaped it

  auto report = server.stop();
  CHECK(report.signal_needed == "SIGINT");
  CHECK(report.orphans_killed == 1);
  CHECK(proc_state(daemon) == '\0');
  CHECK(proc_state(middle) == '\0');  // reparented to us when the leader died, and reaped
}

TEST_CASE("a server pinned to CPUs runs there, and so does every process it starts") {
  cpu_set_t allowed;
  REQUIRE(::sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  int last = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) last = cpu;
  REQUIRE(last >= 0);
  TempDir dir;
  auto spec = python_server(dir, R"(import os, pathlib, sys, time
child = os.fork()
if child == 0:
    pathlib.Path(sys.argv[1]).write_text(" ".join(map(str, sorted(os.sched_getaffinity(0)))))
    time.sleep(30)
    os._exit(0)
time.sleep(30)
)",
                            {(dir / "child-cpus").string()});
  spec.cpus = {last};
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(eventually([&] { return !read_file(dir / "child-cpus").empty(); }));
  CHECK(read_file(dir / "child-cpus") == std::to_string(last));
  cpu_set_t leader;
  REQUIRE(::sched_getaffinity(server.pid(), sizeof leader, &leader) == 0);
  CHECK(CPU_COUNT(&leader) == 1);
  CHECK(CPU_ISSET(last, &leader));
  server.stop();
}

TEST_CASE("a server that cannot be pinned to the CPUs asked for does not start, and says why") {
  TempDir dir;
  auto spec = python_server(dir, "import time\ntime.sleep(30)\n");
  spec.cpus = {CPU_SETSIZE - 1};  // no machine here has it
  MarkerSweep sweep{spec.marker = sv::new_marker(), {}};
  try {
    sv::ServerProcess::start(spec);
    FAIL("the server started unpinned");
  } catch (const sv::StartError& e) {
    CHECK(std::string(e.what()).find("cannot pin it to the CPUs asked for") != std::string::npos);
  }
  CHECK(sv::find_marked_processes(spec.marker).empty());
  CHECK(zombie_children() == 0);
}

TEST_CASE("a missing or unusable executable is a StartError naming it") {
  TempDir dir;
  const int zombies_before = zombie_children();
  sv::LaunchSpec spec;
  spec.stdout_path = spec.stderr_path = dir / "server.log";

  spec.argv = {"labour-no-such-server-7f3a"};
  CHECK_THROWS_MATCHES(
      sv::ServerProcess::start(spec), sv::StartError,
      Catch::Matchers::Message("cannot start server: 'labour-no-such-server-7f3a' not found in PATH "
                               "(install it, or give its absolute path)"));

  spec.argv = {(dir / "missing" / "server").string()};
  CHECK_THROWS_WITH(sv::ServerProcess::start(spec), Catch::Contains("'" + spec.argv[0] + "' does not exist"));

  write_file(dir / "plain.txt", "not a program\n");
  spec.argv = {(dir / "plain.txt").string()};
  CHECK_THROWS_WITH(sv::ServerProcess::start(spec), Catch::Contains("is not an executable file"));

  // Executable, but the exec itself fails (its interpreter does not exist): the forked child
  // must be reaped, not left as a zombie.
  write_file(dir / "bad-interpreter", "#!/nonexistent/labour-interpreter\n");
  std::filesystem::permissions(dir / "bad-interpreter", std::filesystem::perms::owner_all);
  spec.argv = {(dir / "bad-interpreter").string()};
  CHECK_THROWS_WITH(sv::ServerProcess::start(spec), Catch::Contains("exec of '" + spec.argv[0] + "' failed"));
  CHECK(zombie_children() == zombies_before);

  spec.argv = {python};
  spec.workdir = dir / "no-such-dir";
  CHECK_THROWS_WITH(sv::ServerProcess::start(spec), Catch::Contains("is not a directory"));
}

TEST_CASE("readiness times out for a server that never listens") {
  TempDir dir;
  auto spec = python_server(dir, R"(import pathlib, sys, time
print("warming up forever", flush=True)
pathlib.Path(sys.argv[1]).touch()
try:
    time.sleep(60)
except KeyboardInterrupt:
    pass
)",
                            {(dir / "started").string()});
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "started"); }));
  const auto port = free_loopback_port();
  auto ready = sv::wait_until_ready(server, http_probe(port, "/ready"), probe_name(port, "/ready"), 600ms,
                                    dir / "server.log");
  CHECK(ready.state == sv::Readiness::TimedOut);
  CHECK_THAT(ready.detail, Catch::Contains("http://127.0.0.1:" + std::to_string(port) + "/ready"));
  CHECK_THAT(ready.detail, Catch::Contains("warming up forever"));
  CHECK(server.running());
  CHECK(server.stop().signal_needed == "SIGINT");
}

TEST_CASE("a server that is up but answers slowly is ready at its first answer") {
  TempDir dir;
  const auto port = free_loopback_port();
  // 300 ms per answer: far longer than the 50 ms between attempts, well within one attempt.
  auto spec = python_server(dir, R"(import http.server, sys, time
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.3)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()
        print("answered", flush=True)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
)",
                            {std::to_string(port)});
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  auto ready = sv::wait_until_ready(server, http_probe(port, "/ready"), probe_name(port, "/ready"), 20s,
                                    dir / "server.log");
  INFO(ready.detail);
  REQUIRE(ready.state == sv::Readiness::Ready);  // any HTTP response, 503 included
  // One answer was enough: no attempt was given up on before the server replied.
  CHECK(eventually([&] { return read_file(dir / "server.log") == "answered\n"; }, 3s));
  server.stop();
}

TEST_CASE("a server that accepts but never answers times out at the deadline") {
  TempDir dir;
  const auto port = free_loopback_port();
  auto spec = python_server(dir, R"(import pathlib, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)  # connections complete in the kernel, and nothing ever reads them
pathlib.Path(sys.argv[2]).touch()
time.sleep(60)
)",
                            {std::to_string(port), (dir / "listening").string()});
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "listening"); }));
  const auto started = std::chrono::steady_clock::now();
  auto ready = sv::wait_until_ready(server, http_probe(port, "/ready"), probe_name(port, "/ready"), 700ms,
                                    dir / "server.log");
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(ready.state == sv::Readiness::TimedOut);
  CHECK(took >= 700ms);
  CHECK(took < 1500ms);  // the last attempt is cut to the deadline, not given a full second
  server.stop({300ms, 300ms, 2000ms});
}

TEST_CASE("readiness gives each attempt at most 1 s, never more than is left, 50 ms apart") {
  TempDir dir;
  sv::LaunchSpec spec;
  spec.argv = {"sleep", "30"};
  spec.stdout_path = spec.stderr_path = dir / "server.log";
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};

  std::vector<std::chrono::milliseconds> given;
  std::vector<std::chrono::steady_clock::time_point> at;
  auto ready = sv::wait_until_ready(
      server,
      [&](std::chrono::milliseconds timeout) {
        given.push_back(timeout);
        at.push_back(std::chrono::steady_clock::now());
        return given.size() == 4;
      },
      "the fake probe", 5s, dir / "server.log");
  CHECK(ready.state == sv::Readiness::Ready);
  REQUIRE(given.size() == 4);
  for (std::size_t i = 0; i < given.size(); ++i) {
    CHECK(given[i] == 1s);
    if (i > 0) CHECK(at[i] - at[i - 1] >= 50ms);
  }

  given.clear();
  ready = sv::wait_until_ready(
      server,
      [&](std::chrono::milliseconds timeout) {
        given.push_back(timeout);
        return false;
      },
      "the fake probe", 200ms, dir / "server.log");
  CHECK(ready.state == sv::Readiness::TimedOut);
  CHECK_THAT(ready.detail, Catch::StartsWith("server did not answer the fake probe within 200 ms"));
  REQUIRE_FALSE(given.empty());
  for (auto timeout : given) {
    CHECK(timeout <= 200ms);
    CHECK(timeout >= 1ms);
  }
  CHECK_THROWS_WITH(
      sv::wait_until_ready(
          server, [](std::chrono::milliseconds) -> bool { throw std::invalid_argument("bad target"); },
          "the fake probe", 200ms, dir / "server.log"),
      "bad target");
  server.stop({300ms, 300ms, 2000ms});
}

TEST_CASE("the engine's probe: any complete HTTP response answers, nothing else does") {
  namespace t = labour::test;
  using labour::engine::answers_http;
  t::TestServer error(t::answer_all("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"));
  CHECK(answers_http({"127.0.0.1", error.port()}, "/ready", 1s));
  t::TestServer ok(t::answer_all());
  CHECK(answers_http({"127.0.0.1", ok.port()}, "ready", 1s));  // the '/' is added
  // With an expectation, only a 200 that holds it: another server on the port is not ours.
  t::TestServer ours(t::answer_all("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nready 42 labour-x"));
  CHECK(answers_http({"127.0.0.1", ours.port()}, "/", 1s, nullptr, " labour-x"));
  CHECK_FALSE(answers_http({"127.0.0.1", ours.port()}, "/", 1s, nullptr, " labour-y"));
  CHECK_FALSE(answers_http({"127.0.0.1", error.port()}, "/", 1s, nullptr, "Oops"));

  t::TestServer garbage([](int& fd, t::TestServer& s) {
    if (s.read_request(fd)) t::TestServer::send_all(fd, "SSH-2.0-OpenSSH\r\n\r\n");
  });
  CHECK_FALSE(answers_http({"127.0.0.1", garbage.port()}, "/", 1s));
  t::TestServer closes([](int& fd, t::TestServer& s) { s.read_request(fd); });
  CHECK_FALSE(answers_http({"127.0.0.1", closes.port()}, "/", 1s));
  CHECK_FALSE(answers_http({"127.0.0.1", free_loopback_port()}, "/", 1s));  // refused

  t::TestServer stalls([](int& fd, t::TestServer& s) {
    s.read_request(fd);
    s.stall();
  });
  auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(answers_http({"127.0.0.1", stalls.port()}, "/", 200ms));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 190ms);
  CHECK(took < 1s);

  std::atomic<bool> stop{true};  // labour interrupted: the attempt ends at once
  started = std::chrono::steady_clock::now();
  CHECK_FALSE(answers_http({"127.0.0.1", stalls.port()}, "/", 10s, &stop));
  CHECK(std::chrono::steady_clock::now() - started < 1s);

  CHECK_THROWS_AS(answers_http({"127.0.0.1", 0}, "/", 1s), std::invalid_argument);
  CHECK_THROWS_AS(answers_http({"10.9.8.7", 80}, "/", 1s), std::invalid_argument);  // not loopback
}

TEST_CASE("the watchdog kills a server whose host was SIGKILLed") {
  TempDir dir;
  sv::LaunchSpec spec;
  spec.argv = {LABOUR_SUPERVISED_CHILD, python, (dir / "server.log").string()};
  spec.stdout_path = dir / "host.out";
  spec.stderr_path = dir / "host.err";
  auto host = sv::ServerProcess::start(spec);
  MarkerSweep host_sweep{host.marker(), {}};

  std::string line;
  REQUIRE(eventually([&] {
    line = read_file(dir / "host.out");
    return line.find('\n') != std::string::npos;
  }));
  INFO("host said: " << line << read_file(dir / "host.err"));
  std::istringstream fields(line);
  std::string server_word, watchdog_word, marker;
  pid_t server_pid = 0, watchdog = 0;
  REQUIRE(fields >> server_word >> server_pid >> marker >> watchdog_word >> watchdog);
  REQUIRE(server_word == "server");
  // Both reparent to us (we are a subreaper) once the host dies: reap them whatever happens.
  MarkerSweep server_sweep{marker, {server_pid, watchdog}};
  REQUIRE(sv::find_marked_processes(marker) == std::vector<pid_t>{server_pid});

  REQUIRE(::kill(host.pid(), SIGKILL) == 0);
  CHECK(eventually([&] { return sv::find_marked_processes(marker).empty(); }, 5s));
  // A dying process loses its environment a moment before it turns into a zombie.
  CHECK(eventually([&] { return !alive(server_pid); }, 5s));
  CHECK(eventually([&] { return !alive(watchdog); }, 5s));  // the watchdog exits too
  // "Not alive" may be a zombie still being handed to us (the subreaper) by its dead parent:
  // stop() finds the group gone only once it can reap them, so give the kernel that moment.
  std::this_thread::sleep_for(200ms);

  auto report = host.stop();
  CHECK(report.signal_needed == "");
  REQUIRE(report.status);
  CHECK(report.status->describe() == "killed by SIGKILL");
}

TEST_CASE("stopping one server does not reap another server's leader") {
  TempDir dir;
  sv::LaunchSpec spec;
  spec.argv = {"sleep", "30"};
  spec.stdout_path = spec.stderr_path = dir / "server.log";
  auto first = sv::ServerProcess::start(spec);
  auto second = sv::ServerProcess::start(spec);
  MarkerSweep sweeps[] = {{first.marker(), {}}, {second.marker(), {}}};
  CHECK(first.marker() != second.marker());
  REQUIRE(::kill(second.pid(), SIGKILL) == 0);
  REQUIRE(eventually([&] { return proc_state(second.pid()) == 'Z'; }));

  first.stop({500ms, 500ms, 2000ms});
  CHECK(proc_state(second.pid()) == 'Z');  // still there for its own object to reap
  CHECK_FALSE(second.running());
  REQUIRE(second.exit_status());
  CHECK(second.exit_status()->describe() == "killed by SIGKILL");
}

TEST_CASE("a moved-from ServerProcess is inert and the destructor stops the server") {
  TempDir dir;
  sv::LaunchSpec spec;
  spec.argv = {"sleep", "30"};
  spec.stdout_path = spec.stderr_path = dir / "server.log";
  pid_t pid = 0;
  std::string marker;
  {
    auto server = sv::ServerProcess::start(spec);
    auto moved = std::move(server);
    pid = moved.pid();
    marker = moved.marker();
    CHECK(server.pid() == -1);
    CHECK_FALSE(server.running());
    CHECK(moved.running());
  }
  MarkerSweep sweep{marker, {}};
  CHECK(proc_state(pid) == '\0');
  CHECK(sv::find_marked_processes(marker).empty());
}

TEST_CASE("exit statuses and signals are described by name") {
  CHECK(sv::ExitStatus{true, 1, 0}.describe() == "exit status 1");
  CHECK(sv::ExitStatus{false, 0, SIGSEGV}.describe() == "killed by SIGSEGV");
  CHECK(sv::signal_name(SIGINT) == "SIGINT");
  CHECK(sv::signal_name(SIGTERM) == "SIGTERM");
  CHECK(sv::signal_name(SIGKILL) == "SIGKILL");
  CHECK(sv::signal_name(1000) == "signal 1000");
}

TEST_CASE("markers are fresh random hex") {
  const auto a = sv::new_marker(), b = sv::new_marker();
  CHECK(a.size() >= 16);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
  CHECK(sv::find_marked_processes("").empty());
}

TEST_CASE("a log over its cap keeps its head, a line naming what was cut, and its tail") {
  TempDir dir;
  const auto log = dir / "server.log";
  std::string text;
  for (int i = 0; i < 40000; ++i) text += "line " + std::to_string(i) + " of the flood\n";  // ~800 KiB
  write_file(log, text);
  const sv::LogLimits limits{256 * 1024, 16 * 1024, 64 * 1024};
  CHECK(sv::cap_log(log, {text.size(), 1024, 1024}) == 0);  // not over its cap: untouched
  const std::uintmax_t cut = sv::cap_log(log, limits);
  CHECK(cut == text.size() - 16 * 1024 - 64 * 1024);
  const std::string kept = read_file(log);
  CHECK(kept.substr(0, 16 * 1024) == text.substr(0, 16 * 1024));
  CHECK_THAT(kept, Catch::Contains("[labour: " + std::to_string(cut) + " bytes of server output cut here"));
  CHECK(kept.substr(kept.size() - 64 * 1024) == text.substr(text.size() - 64 * 1024));
  CHECK(kept.size() < 16 * 1024 + 64 * 1024 + 200);
  // Grown past the cap again: cut again, the line naming the total.
  std::ofstream(log, std::ios::app) << text;
  const std::uintmax_t again = sv::cap_log(log, limits, cut);
  CHECK(again > 0);
  CHECK_THAT(read_file(log), Catch::Contains("[labour: " + std::to_string(cut + again) + " bytes"));
}

TEST_CASE("an error's log excerpt is a few short lines") {
  TempDir dir;
  write_file(dir / "a.log", std::string(100000, 'x') + "\n\n" + std::string(300, 'y') + "\nlast\n");
  const std::string excerpt = sv::log_excerpt(dir / "a.log", 5, 200);
  CHECK(excerpt == std::string(200, 'x') + "... | " + std::string(200, 'y') + "... | last");
  write_file(dir / "b.log", "\n\n");
  CHECK_THAT(sv::log_excerpt(dir / "b.log"), Catch::Contains("is empty"));
  CHECK_THAT(sv::log_excerpt(dir / "none.log"), Catch::StartsWith("(no log at "));
}

TEST_CASE("a server that floods its output stays within its log limits and its readiness deadline") {
  TempDir dir;
  auto spec = python_server(dir, R"(import sys
line = "flood " * 2000 + "\n"
while True:
    sys.stdout.write(line)
)");
  spec.log_limits = {1 << 20, 64 << 10, 256 << 10};
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  const auto port = free_loopback_port();
  const auto started = std::chrono::steady_clock::now();
  auto ready =
      sv::wait_until_ready(server, http_probe(port, "/"), probe_name(port, "/"), 2s, dir / "server.log");
  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE(ready.state == sv::Readiness::TimedOut);
  CHECK(waited < 10s);                         // the deadline held (a safety net, not a timing figure)
  CHECK(ready.detail.size() < 5 * 210 + 200);  // a few short lines, not the flood
  server.stop();
  const auto size = std::filesystem::file_size(dir / "server.log");
  INFO("log size " << size);
  CHECK(size < (1u << 20) + (512u << 20));  // the cap plus what 50 ms of flooding can add
  std::string head(128 * 1024, '\0');       // the cut's line follows the kept head
  std::ifstream(dir / "server.log").read(head.data(), static_cast<std::streamsize>(head.size()));
  CHECK_THAT(head, Catch::Contains("bytes of server output cut here"));
}

TEST_CASE("a server gets the descriptor limit labour was started with, not labour's own") {
  // Labour may raise its own soft limit for its connections (init_process_supervision);
  // a server must run as it would without labour. Here labour's own is lowered after the
  // start, and the server still sees the limit recorded at the start.
  rlimit at_start{}, own{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &at_start) == 0);
  CHECK(sv::descriptor_limit() == at_start.rlim_cur);
  own = at_start;
  own.rlim_cur = 512;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &own) == 0);
  CHECK(sv::descriptor_limit() == 512);
  CHECK_THROWS_WITH(sv::check_descriptors(1000, "-c 1000"),
                    Catch::Equals("-c 1000: needs about 1064 file descriptors, but this process may open 512 "
                                  "(raise ulimit -n, or use fewer connections)"));
  TempDir dir;
  auto spec = python_server(dir, "import resource\nprint(*resource.getrlimit(resource.RLIMIT_NOFILE))\n");
  auto server = sv::ServerProcess::start(spec);
  MarkerSweep sweep{server.marker(), {}};
  REQUIRE(eventually([&] { return !server.running(); }));
  ::setrlimit(RLIMIT_NOFILE, &at_start);
  const rlimit* given = sv::detail::inherited_descriptor_limit();
  REQUIRE(given);
  CHECK(at_start.rlim_cur == at_start.rlim_max);  // labour's own: raised as far as allowed
  CHECK(read_file(dir / "server.log") ==
        std::to_string(given->rlim_cur) + " " + std::to_string(given->rlim_max) + "\n");
}

TEST_CASE("SIGINT and SIGTERM set the interrupt flag and keep the first signal") {
  sv::install_interrupt_handlers();
  REQUIRE_FALSE(sv::interrupt_flag().load());
  REQUIRE(::raise(SIGTERM) == 0);
  CHECK(sv::interrupt_flag().load());
  CHECK(sv::interrupt_signal() == SIGTERM);
  REQUIRE(::raise(SIGINT) == 0);  // a second signal does not kill us
  CHECK(sv::interrupt_flag().load());
  CHECK(sv::interrupt_signal() == SIGTERM);
}
