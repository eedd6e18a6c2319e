// Process tests (supervisor, monitor) run as the host does: subreaper + watchdog set up before any thread.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "supervisor/supervisor.hpp"

int main(int argc, char* argv[]) {
  labour::supervisor::init_process_supervision();
  return Catch::Session().run(argc, argv);
}
