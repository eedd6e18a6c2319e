// The load engine: drives a weighted mix of prepared HTTP requests against one target and
// classifies every outcome. Knows nothing of plugins: behaviours reach it as indices, their
// prepared requests and a judge.
#pragma once

#include <labour/plugin_api.h>  // labour_outcome_kind_t: the outcome taxonomy is part of the ABI

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/histogram.hpp"

namespace labour::engine {

struct Target {
  std::string host = "127.0.0.1";  // loopback only unless the caller allowed otherwise
  std::uint16_t port = 0;
};

// One behaviour as the engine sees it.
struct PreparedRequest {
  std::string method = "GET";
  std::string target = "/";  // origin-form
  std::string body;
  std::uint32_t timeout_ms = 10000;  // whole-request timeout for this behaviour
};

// What the client saw for one request (see labour_outcome_kind_t).
struct Observation {
  labour_outcome_kind_t kind = LABOUR_OUTCOME_OTHER_ERROR;
  int http_status = 0;
  std::string_view body;  // valid only during the judge call; at most 64 KiB
  std::uint64_t body_length = 0;
  std::uint64_t elapsed_us = 0;
};

// "http_200", "connect_refused", "reset_before_response", ...: the stable outcome keys of
// the results document.
std::string outcome_key(labour_outcome_kind_t kind, int http_status);

enum class Policy { Random, Repeat };

struct Workload {
  std::vector<PreparedRequest> requests;  // index = behaviour index
  std::vector<std::uint32_t> weights;     // same size, each > 0
  Policy policy = Policy::Random;
  std::uint64_t seed = 1;
  // Thread-safe; true when the observation is what the behaviour expects.
  std::function<bool(std::size_t behaviour, const Observation&)> judge;
};

struct LoadOptions {
  std::uint32_t concurrency = 8;     // connections (closed model) / max in flight (open model)
  std::uint32_t threads = 1;         // one io_context per thread
  std::uint64_t requests = 0;        // stop after this many (0: use duration)
  std::chrono::milliseconds duration{0};  // stop after this long (0: use requests)
  double rate = 0;                   // > 0: open model, requests per second
  bool keep_alive = true;            // false: one connection per request
  std::uint32_t connect_timeout_ms = 2000;
  std::uint32_t timeline_bucket_ms = 100;
};

struct BehaviourStats {
  std::uint64_t sent = 0, expected = 0, unexpected = 0;
  std::map<std::string, std::uint64_t> outcomes;  // outcome_key -> count
  Histogram latency;  // microseconds, expected outcomes only
};

struct TimelineBucket {
  std::vector<std::uint64_t> sent, expected, unexpected;  // per behaviour
};

struct LoadResult {
  std::vector<BehaviourStats> behaviours;  // index = behaviour index
  std::vector<TimelineBucket> timeline;
  std::uint32_t timeline_bucket_ms = 100;
  double duration_s = 0;
  bool interrupted = false;  // stopped early by `stop`
};

// Runs the load to completion (or until *stop becomes true) and returns what it measured.
LoadResult run_load(const Target& target, const Workload& workload, const LoadOptions& options,
                    const std::atomic<bool>* stop = nullptr);

}  // namespace labour::engine
