// The supervisor: starts a server in its own process group, waits until it answers, stops it
// by escalating signals to the whole group, and makes sure nothing it started survives.
//
// Process-wide contract (see init_process_supervision): the host is a child subreaper and
// runs a watchdog process; every ServerProcess registers its group and marker with the
// watchdog, so servers die with the host even when the host is SIGKILLed.
//
// Threads: one ServerProcess is not thread-safe (use it from one thread at a time);
// different ServerProcess objects may be used from different threads.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace labour::supervisor {

// A start that failed before the server ran (missing executable, fork failure, ...).
struct StartError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Server output is bounded (a server that floods its stdout must not fill the disk): a log
// that grows past `cap` keeps its first `head` bytes, one line saying how much was cut, and
// its last `tail` bytes; it is cut again whenever it grows past `cap`. Every writer opened the
// file O_APPEND, so what they write after a cut lands after it.
struct LogLimits {
  std::uintmax_t cap = 64ULL << 20, head = 1ULL << 20, tail = 4ULL << 20;
};

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0]: absolute path or a name looked up in PATH
  std::vector<std::string> env;   // NAME=value added to (or replacing in) the inherited environment
  std::filesystem::path workdir;  // empty: the host's current directory
  // Server output goes to files (opened O_APPEND|O_CREAT), never pipes; empty: /dev/null.
  std::filesystem::path stdout_path, stderr_path;
  LogLimits log_limits;   // what those files may grow to while the server runs
  std::string marker;     // LABOUR_MARKER=<marker> is put in the environment; empty: new_marker()
  std::vector<int> cpus;  // CPUs the server (and what it starts) may run on; empty: as the host
};

// Cuts `path` if it is larger than limits.cap; returns the bytes cut (0: none). `cut_before`:
// what earlier cuts of this file removed, so that the line names the total.
std::uintmax_t cap_log(const std::filesystem::path& path, const LogLimits& limits,
                       std::uintmax_t cut_before = 0);

// The last `lines` non-empty lines of a log, each cut to `width` bytes, joined with " | ":
// the excerpt an error shows (its log file has the rest).
std::string log_excerpt(const std::filesystem::path& path, std::size_t lines = 5, std::size_t width = 200);

struct ExitStatus {
  bool exited = false;  // normal exit with `code`
  int code = 0;
  int signal = 0;                // killed by this signal
  std::string describe() const;  // "exit status 1", "killed by SIGSEGV"
};

struct StopReport {
  std::string signal_needed;         // "SIGINT", "SIGTERM", "SIGKILL", or "" if it had already exited
  double stop_seconds = 0;           // from the first signal until the group was gone
  int orphans_killed = 0;            // processes with the marker still alive after the group was gone
  std::optional<ExitStatus> status;  // the leader's; empty if it was reaped by someone else
};

struct StopPolicy {
  std::chrono::milliseconds sigint_wait{3000};
  std::chrono::milliseconds sigterm_wait{3000};
  std::chrono::milliseconds sigkill_wait{2000};  // also bounds the marker sweep and reaping
};

class ServerProcess {
 public:
  // Spawns argv (no shell) in a new process group with stdin from /dev/null, default signal
  // dispositions and an empty signal mask. Throws StartError naming the problem.
  static ServerProcess start(const LaunchSpec& spec);

  ServerProcess(ServerProcess&&) noexcept;
  ServerProcess& operator=(ServerProcess&&) noexcept;  // stops the server it replaces
  ~ServerProcess();                                    // stops the server if still running

  pid_t pid() const;
  pid_t process_group() const;  // == pid(): the leader's own group
  const std::string& marker() const;
  bool running();  // reaps the leader if it has exited
  std::optional<ExitStatus> exit_status() const;

  // SIGINT -> SIGTERM -> SIGKILL to the whole group with bounded waits, then kills any
  // process still carrying the marker, and reaps what became ours. Idempotent: a second
  // call returns the first call's report.
  StopReport stop(const StopPolicy& policy = {});

 private:
  struct State;
  explicit ServerProcess(State* state);
  State* state_ = nullptr;
};

enum class Readiness { Ready, Exited, TimedOut, Interrupted };
struct ReadyResult {
  Readiness state = Readiness::TimedOut;
  std::string detail;  // for Exited/TimedOut: what happened and the tail of the server's log
};

// Calls `answers`, 50 ms between attempts, until it returns true, the server exits, the
// deadline passes, or labour is interrupted (interrupt_flag()). `answers(timeout)` is one
// attempt: true if the server answered with any HTTP response within `timeout` (at most
// 1 s, less near the deadline); labour passes engine::answers_http, so that all its HTTP
// goes through the one client. `probe_name` ("GET http://127.0.0.1:8000/ready") names the
// attempt in a TimedOut detail. What `answers` throws propagates.
ReadyResult wait_until_ready(ServerProcess& server,
                             const std::function<bool(std::chrono::milliseconds)>& answers,
                             const std::string& probe_name, std::chrono::milliseconds deadline,
                             const std::filesystem::path& log_for_tail);

// Process-wide set-up, once at start and before any thread exists (it forks): become a
// child subreaper, ignore SIGPIPE, start the watchdog process that SIGKILLs every registered
// server group and marked process when this process dies (even by SIGKILL). Idempotent.
// Throws std::runtime_error if the watchdog cannot be started.
void init_process_supervision();

// Labour's own descriptor limit: init_process_supervision raises the soft RLIMIT_NOFILE to the
// hard one, since every connection of the load is a descriptor; servers are started with the
// limit labour itself was given, so that they run as they would without it.
std::uint64_t descriptor_limit();
// What a load of `connections` needs: one descriptor each, plus labour's own (logs, /proc,
// the watchdog, the monitor). Throws UsageError naming `what`, the need and the limit when
// the limit is lower.
void check_descriptors(std::uint64_t connections, const std::string& what);

// Closes the watchdog's pipe and reaps it (bounded wait). Servers still registered are
// killed by the watchdog. Registered with atexit by init_process_supervision; safe to call
// more than once.
void shutdown_process_supervision();

// The watchdog's pid, or -1 if supervision was not initialised (diagnostics and tests).
pid_t watchdog_pid();

// SIGINT and SIGTERM set interrupt_flag() and record the first signal in interrupt_signal();
// the handler only stores to lock-free atomics. A second signal keeps the flag set and does
// not kill the host: the run loop sees the flag and stops servers with bounded waits, so the
// host always gets to clean up. Handlers use SA_RESTART. Idempotent.
void install_interrupt_handlers();
const std::atomic<bool>& interrupt_flag();
int interrupt_signal();  // 0 if none arrived yet

// Every live pid whose environment carries LABOUR_MARKER=<marker> (this process excluded;
// zombies have no environment and are not listed). Empty marker: empty result.
std::vector<pid_t> find_marked_processes(const std::string& marker);

// Does this process carry LABOUR_MARKER=<marker>, i.e. belong to that server? (False if it
// is gone or its environment cannot be read.)
bool carries_marker(pid_t pid, const std::string& marker);

// A fresh random marker for one server start (32 hex digits).
std::string new_marker();

// "SIGSEGV" for SIGSEGV, "signal 77" for a number without a name.
std::string signal_name(int signal);
// The signal named "SIGHUP" or "HUP"; nullopt for a name that is none.
std::optional<int> signal_number(std::string_view name);

}  // namespace labour::supervisor
