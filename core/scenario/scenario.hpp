// Scenarios: a weighted mix of parametrised behaviours, a selection policy, a load model and
// timeouts. Built-in ones carry Labour's turnkey tests; users write their own as TOML
// (docs/scenarios.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "plugins/params.hpp"
#include "scenario/limits.hpp"

namespace labour::scenario {

struct MixEntry {
  std::string behaviour;      // plugin name
  plugins::RawParams params;  // as written; validated against the plugin when the test runs
  std::uint32_t weight = 1;
  bool weight_given = false;  // written in the scenario (a client-driven behaviour takes none)
  std::string where;          // "file:line:col" of its table, for what is found wrong later
};

// How long each phase of a test runs (docs/scenarios.md, [phases]).
struct Phases {
  std::uint64_t baseline_requests = 1000;  // innocent requests only, this many ...
  double baseline_s = 2.0;                 // ... or this long, whichever comes first
  double stall_s = 5.0;     // the fault phase ends once innocent requests failed and none succeeded this long
  double recovery_s = 5.0;  // at most this long, innocent requests only ...
  std::uint32_t recovered_after = 10;  // ... until this many succeeded in a row
};

// The bounds a verdict is judged by (docs/scenarios.md, [verdict]).
struct Thresholds {
  double max_innocent_failure_pct = 0;  // above: degraded (collateral damage)
  double max_p50_ratio = 10;            // innocent p50 in the fault phase / baseline; above: degraded
  double max_p99_ratio = 10;            // the same for p99
  double latency_floor_ms = 5;          // ratios compare against at least this (noise of fast baselines)
  double min_throughput_pct = 0;        // innocent throughput retained; below: degraded (0: not judged)
  std::uint64_t min_misbehaviour = 1;   // each misbehaviour sent at least this often, or inconclusive
  double max_baseline_failure_pct = 0;  // above: the baseline failed, inconclusive
  // The level of every interval a decision rests on (run/confidence): a verdict whose
  // evidence straddles a bound is borderline. In (0.5, 0.999).
  double confidence = 0.95;
  // What the server may consume or leave behind; past a bound it is degraded, never robust.
  double max_rss_growth_mib = 256;  // the server's RSS, all processes, first to last sample
  double max_fds_growth = 256;      // open descriptors, all processes, first to last sample
  double max_threads_growth = 256;  // threads, all processes, first to last sample
  double max_busy_after_pct = 50;   // CPU (% of one core) burnt with no request in flight after the test
  double max_respawns = 100;        // workers replaced (a respawn storm)
  double max_processes_left = 0;    // processes still running once the server's group was gone
  bool allow_sigkill_stop = false;  // a server that needed SIGKILL to stop may still be robust
};

// A gate of the scenario's [thresholds] ("p99_ratio <5"), checked by run/gates once the
// figure names are known; `where` is "file:line:col" for its errors.
struct GateText {
  std::string expression;
  std::string where;
};

// A lifecycle event: something done to the running server at a set time into the fault phase
// ([[event]], docs/scenarios.md). What each needs of the server, its adapter declares.
enum class EventAction { Reload, KillWorker, FreezeWorker, GracefulStop, Signal };
std::string_view action_name(EventAction a);  // "reload", "kill_worker", ...

struct Event {
  EventAction action = EventAction::Reload;
  double at_s = 0;     // into the fault phase
  double seconds = 0;  // freeze_worker: how long the worker stays stopped
  int signal = 0;      // signal: the signal sent to the main process
  std::string where;   // "file:line:col" of its table, for what is found wrong later
};

// At most this many [[event]] tables in a scenario.
constexpr std::size_t kMaxEvents = 100;

struct Scenario {
  std::string name;
  std::string description;
  std::string source = "builtin";  // or the TOML file's path
  std::vector<MixEntry> mix;
  // The built-in scenarios' policy: a file that does not say gets what they have, so a copy of
  // one with a line removed still guarantees that its misbehaviour is sent.
  engine::Policy policy = engine::Policy::Spaced;
  std::uint64_t requests = 0;  // 0: use duration_s
  double duration_s = 0;       // 0: use requests
  std::uint32_t concurrency = 4;
  double rate = 0;  // > 0: open model (requests/s)
  std::uint32_t threads = 1;
  std::uint32_t timeout_ms = 10000;
  std::uint64_t seed = 1;
  bool keep_alive = true;
  Phases phases;
  Thresholds thresholds;        // [verdict]
  std::vector<GateText> gates;  // [thresholds]: CI gates on this scenario's tests
  std::vector<Event> events;    // [[event]], in the order they fire
};

// Events are timed into the fault phase, so it must have a duration that holds them: throws
// UsageError naming the event and the duration (after command-line overrides too).
void check_events(const Scenario& s);

// Command-line overrides of a scenario's load settings.
struct Overrides {
  std::optional<std::uint64_t> requests;
  std::optional<double> duration_s;
  std::optional<std::uint32_t> concurrency;
  std::optional<double> rate;
  std::optional<std::uint32_t> threads;
  std::optional<std::uint32_t> timeout_ms;
  std::optional<std::uint64_t> seed;
  std::optional<engine::Policy> policy;
  std::optional<bool> keep_alive;
  void apply(Scenario& s) const;
};

// A scenario holds at most this many [[behaviour]] tables (docs/scenarios.md): the engine
// keeps counters and a histogram per behaviour, so the mix bounds labour's memory.
constexpr std::size_t kMaxBehaviours = 1000;

// Parses TOML text; `origin` names it in errors ("file.toml" or "built-in scenario X").
// Throws UsageError "origin:line:col: what is wrong".
Scenario parse(std::string_view toml_text, const std::string& origin);

// A built-in scenario by name, or a TOML file by path (anything with a '/' or ending .toml).
Scenario load(const std::string& name_or_file);

std::vector<Scenario> builtin();
std::vector<std::string> builtin_names();

std::string_view policy_name(engine::Policy p);

// How long the baseline and the fault phase of a test are expected to load the server, in
// seconds: each phase's duration, or its request count at the scenario's rate (1000
// requests/s when closed-loop), whichever ends first. A server that hangs takes longer;
// nothing knows that before the run.
double expected_load_s(const Scenario& s);

// The timeline's bucket for a test of `s`: a round step (5 ms .. 10 s) that cuts the expected
// length of the test into about 100 buckets, so that a short test is not one block and a
// long one not thousands of hairlines.
std::uint32_t timeline_bucket_ms(const Scenario& s);

}  // namespace labour::scenario
