// A stand-in host for the watchdog test: sets up supervision, starts one long-running marked
// server, prints "server <pid> <marker> watchdog <pid>" and waits to be killed.
// Usage: labour_supervised_child <python> <log file>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "supervisor/supervisor.hpp"

int main(int argc, char* argv[]) {
  if (argc != 3) {
    std::cerr << "usage: labour_supervised_child <python> <log file>\n";
    return 2;
  }
  namespace sv = labour::supervisor;
  sv::init_process_supervision();
  sv::LaunchSpec spec;
  spec.argv = {argv[1], "-c", "import time; time.sleep(120)"};
  spec.stdout_path = spec.stderr_path = argv[2];
  spec.marker = sv::new_marker();
  auto server = sv::ServerProcess::start(spec);
  std::cout << "server " << server.pid() << " " << server.marker() << " watchdog " << sv::watchdog_pid()
            << std::endl;
  // Bounded: the test kills us long before this.
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return 0;
}
