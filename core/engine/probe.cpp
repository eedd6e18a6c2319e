#include "engine/probe.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace labour::engine {

bool answers_http(const Target& target, const std::string& path, std::chrono::milliseconds timeout,
                  const std::atomic<bool>* stop, std::string_view expect) {
  // run_load rejects 0 ms timeouts; a probe with no time left still gets one try.
  const auto ms = static_cast<std::uint32_t>(std::clamp<std::chrono::milliseconds::rep>(
      timeout.count(), 1, std::numeric_limits<std::uint32_t>::max()));
  Workload workload;
  PreparedRequest get;
  get.target = path.empty() || path.front() != '/' ? "/" + path : path;
  get.timeout_ms = ms;
  workload.requests = {get};
  workload.weights = {1};
  workload.judge = [expect](std::size_t, const Observation& o) {
    if (o.kind != LABOUR_OUTCOME_HTTP) return false;
    return expect.empty() || (o.http_status == 200 && o.body.find(expect) != std::string_view::npos);
  };

  LoadOptions options;
  options.concurrency = 1;
  options.threads = 1;  // run_load then runs on this thread and starts none
  options.requests = 1;
  // The duration bounds the whole attempt: the connect and request timeouts each run
  // from their own start, and could otherwise add up to twice the timeout.
  options.duration = std::chrono::milliseconds(ms);
  options.keep_alive = false;
  options.connect_timeout_ms = ms;

  const LoadResult result = run_load(target, workload, options, stop);
  return result.behaviours.at(0).expected == 1;
}

}  // namespace labour::engine
