// The supervisor: starts a server in its own process group, waits until it answers, stops it
// by escalating signals to the whole group, and makes sure nothing it started survives.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace labour::supervisor {

// A start that failed before the server ran (missing executable, fork failure, ...).
struct StartError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0]: absolute path or a name looked up in PATH
  std::vector<std::string> env;   // NAME=value added to (or replacing in) the inherited environment
  std::filesystem::path workdir;
  std::filesystem::path stdout_path, stderr_path;  // server output goes to files, never pipes
  std::string marker;  // LABOUR_MARKER=<marker> is put in the environment to find descendants
};

struct ExitStatus {
  bool exited = false;  // normal exit with `code`
  int code = 0;
  int signal = 0;       // killed by this signal
  std::string describe() const;  // "exit status 1", "killed by SIGSEGV"
};

struct StopReport {
  std::string signal_needed;  // "SIGINT", "SIGTERM", "SIGKILL", or "" if it had already exited
  double stop_seconds = 0;
  int orphans_killed = 0;     // processes with the marker still alive after the group was gone
  std::optional<ExitStatus> status;
};

struct StopPolicy {
  std::chrono::milliseconds sigint_wait{3000};
  std::chrono::milliseconds sigterm_wait{3000};
  std::chrono::milliseconds sigkill_wait{2000};
};

class ServerProcess {
 public:
  // Spawns argv (no shell) in a new process group. Throws StartError naming the problem.
  static ServerProcess start(const LaunchSpec& spec);

  ServerProcess(ServerProcess&&) noexcept;
  ServerProcess& operator=(ServerProcess&&) noexcept;
  ~ServerProcess();  // stops the server if still running

  pid_t pid() const;
  pid_t process_group() const;
  const std::string& marker() const;
  bool running();  // reaps the leader if it has exited
  std::optional<ExitStatus> exit_status() const;

  // SIGINT -> SIGTERM -> SIGKILL to the whole group with bounded waits, then kills any
  // process still carrying the marker. Idempotent.
  StopReport stop(const StopPolicy& policy = {});

 private:
  struct State;
  explicit ServerProcess(State* state);
  State* state_ = nullptr;
};

enum class Readiness { Ready, Exited, TimedOut };
struct ReadyResult {
  Readiness state = Readiness::TimedOut;
  std::string detail;  // for Exited: exit status and the tail of the server's log
};

// Polls GET http://host:port/path until it answers with any HTTP response, the server
// exits, or the deadline passes.
ReadyResult wait_until_ready(ServerProcess& server, const std::string& host, std::uint16_t port,
                             const std::string& path, std::chrono::milliseconds deadline,
                             const std::filesystem::path& log_for_tail);

// Process-wide set-up, once at start: become a child subreaper, ignore SIGPIPE, start the
// watchdog that kills every registered server if this process dies (even by SIGKILL).
void init_process_supervision();

// Every live pid whose environment carries LABOUR_MARKER=<marker>.
std::vector<pid_t> find_marked_processes(const std::string& marker);

// A fresh random marker for one server start.
std::string new_marker();

}  // namespace labour::supervisor
