// wait_until_ready: poll the server through a probe until it answers, exits or runs out of
// time. The probe (the load engine's client, for labour) does the HTTP.
#include <algorithm>
#include <fstream>
#include <thread>

#include "supervisor/supervisor.hpp"

namespace labour::supervisor {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

ReadyResult wait_until_ready(ServerProcess& server,
                             const std::function<bool(std::chrono::milliseconds)>& answers,
                             const std::string& probe_name, std::chrono::milliseconds deadline,
                             const std::filesystem::path& log_for_tail) {
  const auto until = Clock::now() + deadline;
  auto exited = [&] {
    auto status = server.exit_status();
    return ReadyResult{Readiness::Exited,
                       "server exited before it was ready (" +
                           (status ? status->describe() : std::string("exit status unknown")) +
                           "); last lines of its log: " + log_excerpt(log_for_tail)};
  };

  for (;;) {
    if (!server.running()) return exited();
    if (interrupt_flag().load()) return {Readiness::Interrupted, "interrupted while the server was starting"};
    // Each attempt gets at most 1 s, so a server that accepts but stalls is retried; a slow
    // answer within that second still counts, whatever the poll interval.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (answers(std::clamp<std::chrono::milliseconds>(left, std::chrono::milliseconds(1),
                                                      std::chrono::seconds(1))))
      return {Readiness::Ready, ""};
    if (Clock::now() >= until) break;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
  }
  if (!server.running()) return exited();
  return {Readiness::TimedOut,
          "server did not answer " + probe_name + " within " + std::to_string(deadline.count()) +
              " ms (raise the readiness timeout, or check its log); last lines of its log: " +
              log_excerpt(log_for_tail)};
}

}  // namespace labour::supervisor
