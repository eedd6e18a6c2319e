// The results model: what one test measured (Measurements), and what it means (Summary:
// figures, outages, verdict), computed once by summarise(), a pure function. The results
// document (docs/results-schema.md) is written from this by to_json() alone; reporters
// format the document and never derive a figure or a verdict.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <labour/results.hpp>  // kSchemaVersion

#include "engine/engine.hpp"
#include "monitor/monitor.hpp"
#include "plugins/params.hpp"
#include "run/confidence.hpp"
#include "run/events.hpp"
#include "scenario/scenario.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::run {

// The results document's version (docs/results-schema.md).
using labour::reporters::kSchemaVersion;

// Ordered from best to worst: a repeated test reports the worst it saw. Unsupported: the server
// cannot do what the scenario asks (e.g. reload), so the test did not run.
enum class Verdict { Robust, Unsupported, Inconclusive, Degraded, Hung, Down };
std::string_view verdict_name(Verdict v);

// The phases of every test, in order.
enum class Phase { Baseline, Fault, Recovery };
inline constexpr std::array<Phase, 3> kPhases{Phase::Baseline, Phase::Fault, Phase::Recovery};
std::string_view phase_name(Phase p);

struct BehaviourInfo {
  std::string name;
  plugins::ParamValues params;
  std::uint32_t weight = 1;
  bool innocent = false;
  std::uint32_t connections = 0;  // a client-driven behaviour's own connections (weight 0); 0: in the mix
};

// What the engine, the monitor and the supervisor measured for one test that ran load.
struct Measurements {
  std::vector<BehaviourInfo> behaviours;                    // the scenario's mix; engine indices
  std::array<std::optional<engine::LoadResult>, 3> phases;  // by Phase; empty: did not run
  monitor::Report monitor;  // its time zero is the test's epoch, to within its first sample
  supervisor::StopReport stop;
  std::uint16_t port = 0;
  double start_seconds = 0;
  std::string server_cpus, client_cpus, run_dir;  // empty: not pinned / not kept
  std::vector<FiredEvent> events;                 // the scenario's [[event]]s, in order
  // How long labour waited after readiness for the server's processes to settle (all its
  // workers started), and whether they did within the bound: the baseline starts after.
  double settle_s = 0;
  bool settled = true;
  // When the load ended and the server was left idle to see what it still burns (seconds after
  // the epoch; the monitor's samples from then on); absent: no idle stretch was watched.
  std::optional<double> idle_from_s;

  const engine::LoadResult* phase(Phase p) const {
    const auto& r = phases[static_cast<std::size_t>(p)];
    return r ? &*r : nullptr;
  }
};

// Every figure of a test; absent when it cannot be measured (e.g. no baseline latency).
// kFigures lists them with their names in the document: one list for the serialiser and
// the repetitions' medians (the thresholds are the scenario's own [verdict] keys).
struct Figures {
  std::optional<double> innocent_sent, innocent_failed, innocent_failure_pct;
  std::optional<double> baseline_p50_ms, baseline_p99_ms, fault_p50_ms, fault_p99_ms;
  std::optional<double> p50_ratio, p99_ratio;
  std::optional<double> baseline_rps, fault_innocent_rps, throughput_retained_pct;
  std::optional<double> outages, outage_total_s, longest_outage_s;
  std::optional<double> recovery_s, death_s;
  std::optional<double> worker_exits, respawns, rss_growth_mib;
  std::optional<double> misbehaviour_sent, failure_pct, requests_per_second;
  std::optional<double> events_dropped, events_back_s,
      events_slowest_ms;                                   // lifecycle events (absent without any)
  std::optional<double> recovery_failed, recovery_p99_ms;  // innocent requests after the fault phase
  std::optional<double> resends;  // innocent requests sent twice (a kept-alive connection closed under them)
  std::optional<double> damage_pct;  // innocent requests of the fault phase that failed or were late
  // What the server consumed or left behind (judged against [verdict]'s resource bounds).
  std::optional<double> fds_growth, threads_growth, busy_after_pct, processes_left, stop_sigkill;
};
struct FigureField {
  const char* name;
  std::optional<double> Figures::*member;
};
extern const std::array<FigureField, 35> kFigures;

// A stretch in which innocent requests failed (by send time), or in which none was answered
// for longer than kSilentOutageFloorS (or four of the innocent stream's usual intervals),
// whether or not one failed; overlapping ones are one.
struct Outage {
  double start_s = 0, end_s = 0;  // seconds after the test's epoch
  std::uint64_t failed = 0;       // innocent requests sent in it that failed
  bool silent = false;            // found as a stretch without answers
};
constexpr double kSilentOutageFloorS = 1.0;

// How long the server is left idle after the load, watched for CPU it still burns.
constexpr double kIdleWatchS = 0.25;

// What one lifecycle event did to innocent requests and to the server's processes, in its window:
// from when it fired until the next one fired or the fault phase ended.
struct EventResult {
  double window_end_s = 0;
  std::uint64_t answered = 0;                 // innocent outcomes, expected, that arrived in the window
  std::uint64_t dropped = 0;                  // ... unexpected (for a graceful stop: but connections refused)
  std::uint64_t refused = 0;                  // graceful stop: refused connections, once its listener closed
  std::optional<double> innocent_slowest_ms;  // the longest an innocent answer took (none: none answered)
  std::map<std::string, std::uint64_t> failures;  // every unexpected one, by outcome key
  // From the event until the last innocent failure it saw, when an answer came after it (0: no
  // failure); absent: innocent requests did not succeed again in its window.
  std::optional<double> back_after_s;
  std::vector<monitor::Exit> exits;  // processes that ended in the window
  std::vector<monitor::Join> joins;  // ... and that started
};

// A figure's interval against the bound it was judged by.
struct JudgedInterval {
  std::string figure;  // its name in kFigures
  Interval range;
  double bound = 0;
};

struct VerdictResult {
  Verdict value = Verdict::Inconclusive;
  std::string reason;   // one line naming the figure that decided it
  std::string summary;  // the deciding figure, short: "p99 327 ms (x35)", "down at 0.3 s"
  std::string figure;   // its name in kFigures ("" when none)
  // The evidence straddles a bound: an identical rerun may land in another verdict class.
  bool borderline = false;
  std::optional<JudgedInterval> interval;  // the deciding (or straddling) figure's
};

struct Summary {
  Figures figures;
  VerdictResult verdict;
  std::vector<Outage> outages;
  std::map<std::string, std::uint64_t> innocent_failures;  // fault phase, outcome key -> count
  std::vector<engine::TimelineBucket> timeline;            // all phases on one axis
  std::uint32_t bucket_ms = 100;
  bool labour_failed = false;                    // Labour's 2010 rule: more than 10 % unexpected
  std::vector<EventResult> events;               // Measurements::events, in order
  double silence_bound_s = kSilentOutageFloorS;  // the shortest silence that is an outage
  double confidence = 0.95;                      // the scenario's, of every interval
  std::map<std::string, Interval> intervals;     // by figure name: innocent_failure_pct, p50_ratio, p99_ratio
};

// The innocent behaviours of one phase, added up.
struct InnocentStats {
  std::uint64_t sent = 0, expected = 0, unexpected = 0, responses = 0;
  engine::Histogram latency;  // expected only
};
InnocentStats innocent_stats(const engine::LoadResult& load, const std::vector<BehaviourInfo>& mix);

// Labour's rule, kept as its own figure beside the verdict.
inline constexpr double kLabourFailedAbovePct = 10.0;

// The pure step: figures, outages and the verdict from what was measured.
Summary summarise(const Measurements& m, const scenario::Scenario& scenario);

// --repeat: several runs of one cell, each on a fresh server.
struct Repeats {
  std::vector<Summary> runs;
  Figures min, max;  // the summary's figures are the medians
  std::map<Verdict, int> seen;
  bool automatic = false;  // --repeat auto: reruns of a borderline cell until it settled
};
// The first run's details with median figures and the worst verdict seen (its reason says
// in how many runs).
Summary combine(const std::vector<Summary>& runs, Repeats& repeats);

struct TestResult {
  std::string label, server_name, server_version;
  plugins::ParamValues server_options;
  scenario::Scenario scenario;
  std::string status = "completed";  // completed, failed, skipped, interrupted
  std::string error;
  std::optional<Measurements> measured;  // when the server ran
  std::optional<Summary> summary;        // with measured
  std::optional<Repeats> repeats;        // --repeat N > 1
};

}  // namespace labour::run
