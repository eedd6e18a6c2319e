// Process-wide supervision: subreaper, SIGPIPE, the watchdog process, interrupt handlers.
//
// The watchdog is a fork of the host made at init (before threads exist), joined to it by a
// pipe. The host writes one line per server start/stop; the watchdog keeps the set. When
// the pipe reaches EOF the host is gone (exit, crash or SIGKILL: the kernel closes the write
// end in every case), so the watchdog SIGKILLs each registered group and every process
// carrying a registered marker, removes the run dirs of the servers it killed (what a test
// was writing: nobody else will), then exits. After a normal shutdown the set is empty.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "supervisor/internal.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::supervisor {

namespace {

std::mutex watchdog_mutex;
int watchdog_fd = -1;  // write end of the pipe; -1 when not running
pid_t watchdog_process = -1;
bool initialised = false;

std::atomic<bool> interrupted{false};
std::atomic<int> first_interrupt{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the signal handler may only touch lock-free atomics");

void on_interrupt(int sig) {
  int none = 0;
  first_interrupt.compare_exchange_strong(none, sig);
  interrupted.store(true);
}

void send_line(const std::string& line) {
  std::lock_guard lock(watchdog_mutex);
  if (watchdog_fd < 0) return;
  // Lines are far below PIPE_BUF, so each write is atomic. EPIPE (watchdog gone) is ignored:
  // the servers are still stopped by the host.
  ssize_t n;
  do n = ::write(watchdog_fd, line.data(), line.size());
  while (n < 0 && errno == EINTR);
}

// Body of the watchdog process. Never returns.
[[noreturn]] void run_watchdog(int read_fd) {
  ::setpgid(0, 0);  // out of the terminal's foreground group: Ctrl-C is for the host
  ::prctl(PR_SET_NAME, "labour-watchdog");
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU})
    ::sigaction(sig, &ignore, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Hold nothing of the host's: no terminal, no log files, no sockets.
  int null_fd = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3 && null_fd >= 0; ++fd) ::dup2(null_fd, fd);
  if (read_fd > 3) ::close_range(3, read_fd - 1, 0);
  ::close_range(read_fd + 1, ~0U, 0);

  std::map<std::string, pid_t> servers;         // marker -> process group (0 until spawned)
  std::map<std::string, std::string> run_dirs;  // marker -> its server's run dir
  std::string pending;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(read_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::istringstream line(pending.substr(0, newline));
      pending.erase(0, newline + 1);
      std::string verb, marker, dir;
      long pgid = 0;
      if (!(line >> verb >> pgid >> marker)) continue;
      if (line.get() == ' ') std::getline(line, dir);  // the rest of the line: a path may hold spaces
      if (verb == "add") servers[marker] = static_cast<pid_t>(pgid);
      if (verb == "add" && !dir.empty()) run_dirs[marker] = dir;
      if (verb == "del") {
        servers.erase(marker);
        run_dirs.erase(marker);
      }
    }
  }

  for (const auto& [marker, pgid] : servers) {
    if (pgid > 1) ::kill(-pgid, SIGKILL);
  }
  // Escaped descendants carry the marker; rescan a while, since they may be forking.
  for (int round = 0; round < 60 && !servers.empty(); ++round) {
    bool found_any = false;
    for (const auto& [marker, pgid] : servers) {
      for (pid_t pid : find_marked_processes(marker)) {
        ::kill(pid, SIGKILL);
        found_any = true;
      }
    }
    if (!found_any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The host died with these servers running: their run dirs (worker app, configs, logs) are
  // left to nobody. Only a folder labour made (labour-XXXXXX) is removed, and never a link.
  for (const auto& [marker, dir] : run_dirs) {
    std::error_code ec;
    const std::filesystem::path path(dir);
    if (path.filename().string().rfind("labour-", 0) == 0 && std::filesystem::is_directory(path, ec) &&
        !std::filesystem::is_symlink(path, ec))
      std::filesystem::remove_all(path, ec);
  }
  ::_exit(0);
}

}  // namespace

namespace detail {

void watchdog_add(pid_t pgid, const std::string& marker, const std::filesystem::path& run_dir) {
  const std::string dir = run_dir.string();
  const bool named = !dir.empty() && dir.find('\n') == std::string::npos && dir.size() < 3000;  // one line
  send_line("add " + std::to_string(pgid) + " " + marker + (named ? " " + dir : "") + "\n");
}

void watchdog_del(pid_t pgid, const std::string& marker) {
  send_line("del " + std::to_string(pgid) + " " + marker + "\n");
}

}  // namespace detail

void init_process_supervision() {
  std::lock_guard lock(watchdog_mutex);
  if (initialised) return;

  // Crashed servers make our writes fail; an error return is what we want, not death.
  ::signal(SIGPIPE, SIG_IGN);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot start the process watchdog: pipe failed: ") +
                             std::strerror(errno));
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid < 0) {
    int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("cannot start the process watchdog: fork failed: ") +
                             std::strerror(error));
  }
  if (pid == 0) {
    ::close(fds[1]);
    run_watchdog(fds[0]);
  }
  ::close(fds[0]);
  // Also from the parent, so the watchdog is in its own group before anyone signals ours.
  ::setpgid(pid, pid);
  watchdog_fd = fds[1];
  watchdog_process = pid;

  // Orphans of our servers reparent to us instead of PID 1 (which may not reap here).
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  detail::raise_descriptor_limit();
  initialised = true;
  std::atexit(shutdown_process_supervision);
}

void shutdown_process_supervision() {
  std::lock_guard lock(watchdog_mutex);
  if (watchdog_fd < 0) return;
  ::close(watchdog_fd);
  watchdog_fd = -1;
  // EOF makes it exit after killing what is still registered; bounded by its own rescans.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    pid_t r = ::waitpid(watchdog_process, nullptr, WNOHANG);
    if (r == watchdog_process || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(watchdog_process, SIGKILL);
      ::waitpid(watchdog_process, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  watchdog_process = -1;
}

pid_t watchdog_pid() {
  std::lock_guard lock(watchdog_mutex);
  return watchdog_process;
}

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>& interrupt_flag() { return interrupted; }

int interrupt_signal() { return first_interrupt.load(); }

}  // namespace labour::supervisor
