// A matrix: servers x scenarios, planned and validated once (every server spec, scenario
// and behaviour instance), then executed cell by cell, each finished cell appended to
// <out>/cells.jsonl at once so that an interrupted matrix can --resume. `labour run` is a
// matrix of one cell.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/runner.hpp"

namespace labour::run {

struct MatrixRequest {
  std::vector<std::string> servers;    // specs: NAME[:opt=val,...]
  std::vector<std::string> scenarios;  // built-in names or TOML files
  scenario::Overrides overrides;
  std::uint32_t repeat = 1;  // runs of each cell, each on a fresh server
  bool single = false;       // `labour run`: an unavailable server is the user's error
};

struct MatrixPlan {
  std::vector<ServerConfig> servers;
  std::vector<std::shared_ptr<const PreparedScenario>> scenarios;
  std::uint32_t repeat = 1;
  bool single = false;
};

// Checks everything the user gave before any server starts. Throws UsageError.
MatrixPlan plan_matrix(const plugins::Registry& registry, const MatrixRequest& request);

struct MatrixOutcome {
  nlohmann::ordered_json document;  // the results document (docs/results-schema.md)
  bool any_failed = false;          // a server that did not start
  bool interrupted = false;
  std::size_t finished = 0;  // cells with a result that is not "interrupted"
};

// Runs the planned cells that `out_dir` (empty: none) does not hold yet; writes
// <out_dir>/cells.jsonl as it goes and <out_dir>/results.json at the end. Throws
// UsageError when out_dir holds results and resume is false, or cannot be written.
MatrixOutcome execute_matrix(const MatrixPlan& plan, const Settings& settings, const std::string& out_dir,
                             bool resume, const std::atomic<bool>& stop);

// One cell `repeat` times, each on a fresh server: the first run's details with the
// medians, ranges and verdicts of all (a run that does not complete ends the repetitions).
TestResult run_repeated(const ServerConfig& server, const Availability& availability,
                        const PreparedScenario& scenario, const Settings& settings, std::uint32_t repeat,
                        const std::atomic<bool>& stop);

}  // namespace labour::run
