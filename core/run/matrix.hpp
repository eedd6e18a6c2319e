// A matrix: servers x scenarios, planned and validated once (every server spec, scenario
// and behaviour instance), then executed cell by cell, each finished cell appended to
// <out>/cells.jsonl at once so that an interrupted matrix can --resume. `labour run` is a
// matrix of one cell.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/gates.hpp"
#include "run/runner.hpp"
#include "run/shard.hpp"

namespace labour::run {

// --repeat auto: a borderline cell is run again, on a fresh server, until a run is certain,
// kAutoRepeatMaxRuns runs, or the matrix's rerun budget (shared by every cell) is spent.
inline constexpr std::uint32_t kAutoRepeatMaxRuns = 5;
inline constexpr double kAutoRepeatBudgetS = 300;  // --repeat-budget's default
struct MatrixRequest {
  std::vector<std::string> servers;    // specs: NAME[:opt=val,...]
  std::vector<std::string> scenarios;  // built-in names or TOML files
  scenario::Overrides overrides;
  std::uint32_t repeat = 1;                     // runs of each cell, each on a fresh server
  bool repeat_auto = false;                     // --repeat auto: rerun a borderline cell until it settles
  double repeat_budget_s = kAutoRepeatBudgetS;  // ... within this much rerunning, all cells together
  bool single = false;                          // `labour run`: an unavailable server is the user's error
  Shard shard;                                  // the part of the matrix this process runs
  std::uint32_t jobs = 1;                       // cells run side by side
  std::vector<std::string> fail_on;             // --fail-on gates, over every test
  bool allow_no_innocent = false;               // --no-innocent: a scenario may lack an innocent behaviour
};

// One server x scenario of the plan, in the matrix's order (servers, then scenarios).
struct PlannedCell {
  std::size_t server = 0, scenario = 0;  // indices into MatrixPlan::servers, ::scenarios
  std::uint32_t shard = 0;               // 0-based
  double cost_s = 0;                     // expected_cost_s
};

struct MatrixPlan {
  std::vector<ServerConfig> servers;
  std::vector<std::shared_ptr<const PreparedScenario>> scenarios;
  std::vector<PlannedCell> cells;  // every cell of the whole matrix, whatever the shard
  std::uint32_t repeat = 1;
  bool repeat_auto = false;
  double repeat_budget_s = kAutoRepeatBudgetS;
  bool single = false;
  Shard shard;
  std::uint32_t jobs = 1;
  std::vector<Gate> gates;  // --fail-on, then each scenario's [thresholds]
  // Of everything that decides what the cells measure (servers and their options, the
  // scenarios as run, repetitions, interpreter, sampling), not of where or how they run
  // (shard, jobs, CPUs, folders): shards of one matrix share it, a --resume must match it.
  std::string fingerprint;
  const std::string& label(const PlannedCell& c) const { return servers[c.server].label; }
  const std::string& scenario_name(const PlannedCell& c) const {
    return scenarios[c.scenario]->scenario.name;
  }
};

// Checks everything the user gave before any server starts. Throws UsageError.
// The names a gate may use: the test's figures (docs/results-schema.md, "figures").
std::vector<std::string> gate_figures();

MatrixPlan plan_matrix(const plugins::Registry& registry, const MatrixRequest& request,
                       const Settings& settings);

// The tests of a cells.jsonl, one entry per line, as the matrix appends them. Throws
// UsageError "file:line: not a labour results line (<fix>)".
std::vector<nlohmann::ordered_json> read_cells_file(const std::filesystem::path& file,
                                                    const std::string& fix);

// The document's "plan" block: fingerprint, shard, and every cell with its shard.
nlohmann::ordered_json plan_json(const MatrixPlan& plan);

struct MatrixOutcome {
  nlohmann::ordered_json document;  // the results document (docs/results-schema.md)
  bool any_failed = false;          // a server that did not start
  std::vector<GateOutcome> gates;   // also in the document's "gates"
  bool interrupted = false;
  std::size_t finished = 0;  // cells with a result that is not "interrupted"
};

// Runs the planned cells of the plan's shard that `out_dir` (empty: none) does not hold
// yet, `plan.jobs` at a time; writes <out_dir>/plan.json first, <out_dir>/cells.jsonl as
// cells finish and <out_dir>/results.json at the end, its tests in the plan's order.
// Throws UsageError when out_dir holds results and resume is false, when it holds another
// plan's, when it cannot be written, or when the jobs cannot be pinned as asked.
// Progress goes to stderr (a line per cell; on a terminal one line, redrawn while a cell
// runs), none with `quiet`.
MatrixOutcome execute_matrix(const MatrixPlan& plan, const Settings& settings, const std::string& out_dir,
                             bool resume, const std::atomic<bool>& stop, bool quiet = false);

// What --repeat auto may still spend on reruns, shared by the cells running side by side.
struct AutoRepeat {
  std::atomic<double> budget_s;  // rerunning left to the whole matrix
};

// One cell `repeat` times, each on a fresh server: the first run's details with the
// medians, ranges and verdicts of all (a run that does not complete ends the repetitions).
// With `automatic`, `repeat` is ignored: runs are added while the last is borderline.
// `progress` (optional) follows each run in turn.
TestResult run_repeated(const ServerConfig& server, const Availability& availability,
                        const PreparedScenario& scenario, const Settings& settings, std::uint32_t repeat,
                        const std::atomic<bool>& stop, TestProgress* progress = nullptr,
                        AutoRepeat* automatic = nullptr);

}  // namespace labour::run
