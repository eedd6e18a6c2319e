// ServerProcess: spawn (Boost.Process v2 behind this file only), observe, stop, reap.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>
#include <unordered_set>

// Process v2 in 1.81 uses boost::optional and Boost.TypeTraits names (decay, is_convertible,
// remove_pointer) without including their headers when BOOST_PROCESS_USE_STD_FS is set:
// these two must come first.
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2.hpp>

#include "supervisor/internal.hpp"
#include "supervisor/procfs.hpp"
#include "supervisor/supervisor.hpp"

extern char** environ;

namespace labour::supervisor {

namespace bp = boost::process::v2;
using Clock = std::chrono::steady_clock;

namespace {

// Leaders of live ServerProcess objects. Reaping by pid never touches another object's
// leader: its exit status belongs to that object.
std::mutex leaders_mutex;
std::set<pid_t> leaders;

bool is_other_leader(pid_t pid, pid_t own_leader) {
  std::lock_guard lock(leaders_mutex);
  return pid != own_leader && leaders.count(pid) != 0;
}

ExitStatus to_exit_status(int wait_status) {
  ExitStatus status;
  if (WIFEXITED(wait_status)) {
    status.exited = true;
    status.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
  }
  return status;
}

bool is_executable_file(const std::filesystem::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// argv[0] as given -> the file to exec, or a one-line StartError.
std::filesystem::path resolve_executable(const std::string& name, const std::string& path_variable) {
  if (name.empty()) throw StartError("cannot start server: the command name (argv[0]) is empty");
  if (name.find('/') != std::string::npos) {
    std::filesystem::path path = std::filesystem::absolute(name);
    if (!std::filesystem::exists(path))
      throw StartError("cannot start server: '" + name + "' does not exist (check the path)");
    if (!is_executable_file(path))
      throw StartError("cannot start server: '" + name +
                       "' is not an executable file (check the path and its mode)");
    return path;
  }
  size_t start = 0;
  while (start <= path_variable.size()) {
    size_t end = path_variable.find(':', start);
    if (end == std::string::npos) end = path_variable.size();
    std::string dir = path_variable.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::filesystem::path candidate = std::filesystem::absolute(std::filesystem::path(dir) / name);
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  throw StartError("cannot start server: '" + name +
                   "' not found in PATH (install it, or give its absolute path)");
}

// Owns a file descriptor; always >= 3 so the child's dup2 onto 0/1/2 cannot clobber it.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int raw) : fd(raw) {
    if (fd >= 0 && fd < 3) {
      int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
      ::close(fd);
      fd = high;
    }
  }
  Fd(Fd&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Fd open_output(const std::filesystem::path& path, const char* which) {
  const char* name = path.empty() ? "/dev/null" : path.c_str();
  Fd out(::open(name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (out.fd < 0)
    throw StartError(std::string("cannot start server: cannot open its ") + which + " file '" + name +
                     "': " + std::strerror(errno));
  return out;
}

// Runs in the forked child, last of the v2 initializers, and execs there itself. Doing the
// exec here (not in the launcher) avoids v2 1.81's failure path, which calls exit() in the
// child: that runs the host's atexit handlers and flushes its stdio buffers a second time.
// On failure we report errno through our own pipe and _exit.
struct ChildExec {
  const char* executable;
  const char* const* argv;
  const char* const* envp;
  int error_fd;
  const cpu_set_t* cpus;  // null: inherit
  const rlimit* nofile;   // the descriptor limit labour was given (null: inherit labour's)

  boost::system::error_code on_exec_setup(bp::posix::default_launcher&, const bp::filesystem::path&,
                                          const char* const*&) {
    ::setpgid(0, 0);  // own group: the stop signals reach every descendant that stays in it
    if (cpus && ::sched_setaffinity(0, sizeof *cpus, cpus) != 0) {  // inherited by all it starts
      const int error = -errno;  // negative: the pinning failed, not the exec
      [[maybe_unused]] ssize_t ignored = ::write(error_fd, &error, sizeof error);
      ::_exit(127);
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);  // SIGPIPE too
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Only stdin/stdout/stderr cross the exec (the watchdog pipe must not, or the watchdog
    // would not see the host die while a server lives).
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      long max = ::sysconf(_SC_OPEN_MAX);
      for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    // After the CLOEXEC pass, which must see labour's own (raised) limit: the server runs
    // with the limit labour was given, as it would without labour.
    if (nofile) ::setrlimit(RLIMIT_NOFILE, nofile);
    // PR_SET_PDEATHSIG is deliberately not set: it fires when the forking *thread* exits,
    // which would kill servers started from a short-lived thread. The watchdog covers host death.
    ::execve(executable, const_cast<char* const*>(argv), const_cast<char* const*>(envp));
    int error = errno;
    [[maybe_unused]] ssize_t ignored = ::write(error_fd, &error, sizeof error);
    ::_exit(127);
  }
};

// Every 50 ms until stopped, each log cut back to its limits if it grew past them (a stat
// per log: nothing a running server notices).
void guard_logs(std::stop_token stop, std::vector<std::filesystem::path> logs, LogLimits limits) {
  std::vector<std::uintmax_t> cut(logs.size(), 0);
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  for (;;) {
    wake.wait_for(lock, stop, std::chrono::milliseconds(50), [] { return false; });
    if (stop.stop_requested()) return;
    for (std::size_t i = 0; i < logs.size(); ++i) {
      try {
        cut[i] += cap_log(logs[i], limits, cut[i]);
      } catch (const std::exception&) {  // out of memory for the tail: try again next time
      }
    }
  }
}

}  // namespace

struct ServerProcess::State {
  pid_t pid = -1;
  std::string marker;
  bool leader_gone = false;          // reaped (by us), or found reaped by someone else
  std::optional<ExitStatus> status;  // set when we reaped it
  std::optional<StopReport> report;  // set by the first stop()
  std::jthread log_guard;            // keeps the server's logs within LogLimits while it runs

  // waitpid(WNOHANG) on the leader; true once it is gone.
  bool reap_leader() {
    if (leader_gone) return true;
    int wait_status = 0;
    pid_t r;
    do r = ::waitpid(pid, &wait_status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == pid) {
      status = to_exit_status(wait_status);
      leader_gone = true;
    } else if (r < 0) {
      leader_gone = true;  // ECHILD: someone else reaped it
    }
    return leader_gone;
  }
};

ServerProcess ServerProcess::start(const LaunchSpec& spec) {
  if (spec.argv.empty()) throw StartError("cannot start server: the launch spec has an empty command line");
  for (const auto& entry : spec.env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=')
      throw StartError("cannot start server: environment entry '" + entry + "' is not NAME=value");
  }
  if (!spec.workdir.empty() && !std::filesystem::is_directory(spec.workdir))
    throw StartError("cannot start server: working directory '" + spec.workdir.string() +
                     "' is not a directory (create it first)");

  const std::string marker = spec.marker.empty() ? new_marker() : spec.marker;

  // Environment = inherited + spec.env + LABOUR_MARKER, later entries replacing earlier names.
  std::vector<std::string> overrides = spec.env;
  overrides.push_back("LABOUR_MARKER=" + marker);
  std::unordered_set<std::string> overridden;
  for (const auto& entry : overrides) overridden.insert(entry.substr(0, entry.find('=')));
  std::vector<std::string> env_strings;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string text(*entry);
    if (!overridden.count(text.substr(0, text.find('=')))) env_strings.push_back(std::move(text));
  }
  std::string path_variable = ::getenv("PATH") ? ::getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
  for (const auto& entry : overrides) {
    // A later override of the same name wins: drop the earlier one.
    std::string name = entry.substr(0, entry.find('='));
    std::erase_if(env_strings, [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    env_strings.push_back(entry);
    if (name == "PATH") path_variable = entry.substr(5);
  }
  std::vector<const char*> envp;
  for (const auto& entry : env_strings) envp.push_back(entry.c_str());
  envp.push_back(nullptr);

  const std::filesystem::path executable = resolve_executable(spec.argv[0], path_variable);
  std::vector<const char*> argv;
  for (const auto& arg : spec.argv) argv.push_back(arg.c_str());
  argv.push_back(nullptr);

  Fd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (in.fd < 0)
    throw StartError(std::string("cannot start server: cannot open /dev/null: ") + std::strerror(errno));
  Fd out = open_output(spec.stdout_path, "stdout");
  Fd err = open_output(spec.stderr_path, "stderr");
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0)
    throw StartError(std::string("cannot start server: pipe failed: ") + std::strerror(errno));
  Fd error_read(error_pipe[0]), error_write(error_pipe[1]);

  detail::watchdog_add(0, marker);
  // The child shares our stdio buffers until it execs: empty them first.
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();

  // Built before the fork: the child only makes system calls.
  cpu_set_t cpu_set;
  CPU_ZERO(&cpu_set);
  for (int cpu : spec.cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE)
      throw StartError("cannot start server: CPU " + std::to_string(cpu) + " is out of range");
    CPU_SET(cpu, &cpu_set);
  }

  boost::asio::io_context context;
  bp::posix::default_launcher launcher;
  launcher.env = envp.data();
  boost::system::error_code ec;
  std::string failure;
  try {
    // The (executor, ec, ...) overload: the (context, ec, ...) one throws in 1.81.
    auto process =
        launcher(context.get_executor(), ec, executable, std::vector<std::string>{},
                 bp::process_stdio{in.fd, out.fd, err.fd},
                 bp::process_start_dir{spec.workdir.empty() ? std::filesystem::current_path() : spec.workdir},
                 ChildExec{executable.c_str(), argv.data(), envp.data(), error_write.fd,
                           spec.cpus.empty() ? nullptr : &cpu_set, detail::inherited_descriptor_limit()});
    // v2's process destructor SIGKILLs and reaps a running child: we manage the pid ourselves.
    process.detach();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  error_write.reset();
  const pid_t pid = launcher.pid;
  if (failure.empty() && ec) failure = ec.message();
  if (failure.empty()) {
    int child_errno = 0;
    ssize_t n;
    do n = ::read(error_read.fd, &child_errno, sizeof child_errno);
    while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof child_errno) && child_errno < 0)
      failure = "cannot pin it to the CPUs asked for: " + std::string(std::strerror(-child_errno));
    else if (n == static_cast<ssize_t>(sizeof child_errno))
      failure = "exec of '" + executable.string() + "' failed: " + std::strerror(child_errno);
  }
  if (!failure.empty()) {
    if (pid > 0) {  // a child that failed before or at exec: reap it, never leave a zombie
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    detail::watchdog_del(0, marker);
    throw StartError("cannot start server '" + spec.argv[0] + "': " + failure);
  }

  {
    std::lock_guard lock(leaders_mutex);
    leaders.insert(pid);
  }
  // The run dir the server's log is in (make_run_dir's labour-XXXXXX): the watchdog removes it
  // should labour die (SIGKILL) while the server runs.
  const std::filesystem::path log_dir = spec.stdout_path.parent_path();
  detail::watchdog_add(
      pid, marker, log_dir.filename().string().rfind("labour-", 0) == 0 ? log_dir : std::filesystem::path());
  auto* state = new State;
  state->pid = pid;
  state->marker = marker;
  ServerProcess server(state);  // owns it now: should the guard not start, the server is stopped
  std::vector<std::filesystem::path> logs;
  for (const auto& path : {spec.stdout_path, spec.stderr_path})
    if (!path.empty() && std::find(logs.begin(), logs.end(), path) == logs.end()) logs.push_back(path);
  if (!logs.empty()) state->log_guard = std::jthread(guard_logs, std::move(logs), spec.log_limits);
  return server;
}

ServerProcess::ServerProcess(State* state) : state_(state) {}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}

ServerProcess& ServerProcess::operator=(ServerProcess&& other) noexcept {
  if (this != &other) {
    if (state_ && !state_->report) stop();
    delete state_;
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

ServerProcess::~ServerProcess() {
  if (state_ && !state_->report) {
    try {
      stop();
    } catch (...) {  // a destructor must not throw; stop() itself only allocates
    }
  }
  delete state_;
}

pid_t ServerProcess::pid() const { return state_ ? state_->pid : -1; }
pid_t ServerProcess::process_group() const { return pid(); }

const std::string& ServerProcess::marker() const {
  static const std::string none;
  return state_ ? state_->marker : none;
}

bool ServerProcess::running() { return state_ && !state_->reap_leader(); }

std::optional<ExitStatus> ServerProcess::exit_status() const {
  return state_ ? state_->status : std::nullopt;
}

namespace {

// Reaps the zombies that are ours and belonged to one of `groups` (process groups or
// sessions). A server's workers reparent to us when its leader dies first, and the middle
// process of a double-fork daemon exits by itself: neither has an environment left to
// show the marker, but both keep their group and session. Zombies also keep kill(-pgid, 0)
// succeeding until they are reaped.
void reap_zombies_in(const std::set<pid_t>& groups, pid_t own_leader) {
  const pid_t self = ::getpid();
  for (pid_t pid : procfs::list_pids()) {
    if (pid == own_leader || is_other_leader(pid, own_leader)) continue;
    auto stat = procfs::read_stat(pid);
    if (stat && stat->state == 'Z' && stat->ppid == self &&
        (groups.count(stat->pgrp) || groups.count(stat->session)))
      ::waitpid(pid, nullptr, WNOHANG);
  }
}

template <typename Done>
bool wait_for(Done done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

StopReport ServerProcess::stop(const StopPolicy& policy) {
  if (!state_) return {};
  if (state_->report) return *state_->report;
  State& s = *state_;
  const pid_t pgid = s.pid;
  StopReport report;

  std::set<pid_t> groups{pgid};  // plus the groups and sessions of escaped processes, below
  auto group_gone = [&] {
    s.reap_leader();
    reap_zombies_in(groups, s.pid);
    errno = 0;
    return s.leader_gone && ::kill(-pgid, 0) != 0 && errno == ESRCH;
  };

  const auto started = Clock::now();
  if (!group_gone()) {
    const std::pair<int, std::chrono::milliseconds> steps[] = {
        {SIGINT, policy.sigint_wait}, {SIGTERM, policy.sigterm_wait}, {SIGKILL, policy.sigkill_wait}};
    for (const auto& [sig, limit] : steps) {
      ::kill(-pgid, sig);
      // A leader that left its group (setsid) still gets the signal, but only once.
      if (!s.leader_gone && ::getpgid(s.pid) != pgid) ::kill(s.pid, sig);
      report.signal_needed = signal_name(sig);
      if (wait_for(group_gone, limit)) break;
    }
  }
  report.stop_seconds = std::chrono::duration<double>(Clock::now() - started).count();

  // Whatever still carries the marker escaped the group (setsid, daemonizing): kill it,
  // rescanning because such processes may fork while we look.
  std::set<pid_t> killed;
  wait_for(
      [&] {
        auto marked = find_marked_processes(s.marker);
        for (pid_t pid : marked) {
          if (is_other_leader(pid, s.pid)) continue;
          // Never our own group or session: that would take in other children of ours.
          if (auto stat = procfs::read_stat(pid)) {
            if (stat->pgrp > 1 && stat->pgrp != ::getpgrp()) groups.insert(stat->pgrp);
            if (stat->session > 1 && stat->session != ::getsid(0)) groups.insert(stat->session);
          }
          ::kill(pid, SIGKILL);
          killed.insert(pid);
        }
        return marked.empty();
      },
      policy.sigkill_wait);
  report.orphans_killed = static_cast<int>(killed.size());

  // Reap the killed ones that are (or become, as their parents die) our children; others
  // are reaped by their own parents or by init.
  const pid_t self = ::getpid();
  wait_for(
      [&] {
        reap_zombies_in(groups, s.pid);
        for (auto it = killed.begin(); it != killed.end();) {
          auto stat = procfs::read_stat(*it);
          bool done = !stat;
          if (stat && stat->ppid == self && ::waitpid(*it, nullptr, WNOHANG) == *it) done = true;
          it = done ? killed.erase(it) : std::next(it);
        }
        return killed.empty();
      },
      policy.sigkill_wait);
  group_gone();

  report.status = s.status;
  {
    std::lock_guard lock(leaders_mutex);
    leaders.erase(s.pid);
  }
  detail::watchdog_del(pgid, s.marker);
  if (s.log_guard.joinable()) {
    s.log_guard.request_stop();
    s.log_guard.join();
  }
  s.report = report;
  return report;
}

}  // namespace labour::supervisor
