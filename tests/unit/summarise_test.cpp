// The verdict ladder of summarise() as a pure function: hand-built measurements, one row per
// rule, each asserting the verdict, the figure that decided it and words of its reason; then
// two properties over every row (the same measurements give the same verdict; more expected
// innocent answers never make a verdict worse). Events have their own file
// (summarise_events_test.cpp).
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "run/results.hpp"

using namespace labour;
using run::Measurements;
using run::Phase;
using run::Verdict;

namespace {

constexpr std::size_t kInnocent = 0, kBad = 1;
constexpr std::uint32_t kBucketMs = 100;

// A load of one phase: from start_s for duration_s, with each behaviour's outcomes spread evenly
// over its buckets (sent and completed in the same bucket), expected ones at `latency_us`.
struct PhaseSpec {
  double start_s = 0, duration_s = 1;
  std::uint64_t answered = 0, failed = 0, bad_sent = 0;
  std::uint64_t latency_us = 1000;
  engine::LoadEnd end = engine::LoadEnd::Duration;
};

engine::LoadResult load(const PhaseSpec& p) {
  engine::LoadResult r;
  r.behaviours.resize(2);
  r.scripts_connected.assign(2, 0);
  auto& in = r.behaviours[kInnocent];
  in.sent = p.answered + p.failed;
  in.expected = p.answered;
  in.unexpected = p.failed;
  in.responses = p.answered;
  for (std::uint64_t i = 0; i < p.answered; ++i) in.latency.record(p.latency_us);
  if (p.failed) in.unexpected_outcomes["first_byte_timeout"] = p.failed;
  auto& bad = r.behaviours[kBad];
  bad.sent = bad.expected = p.bad_sent;
  r.start_s = r.mix_start_s = p.start_s;
  r.duration_s = p.duration_s;
  r.ended_by = p.end;
  r.timeline_bucket_ms = kBucketMs;
  const auto first = static_cast<std::size_t>(p.start_s * 1000 / kBucketMs);
  const auto buckets = std::max<std::size_t>(1, static_cast<std::size_t>(p.duration_s * 1000 / kBucketMs));
  r.timeline.assign(first + buckets, engine::TimelineBucket(2));
  auto spread = [&](std::uint64_t n, std::size_t behaviour, bool expected) {
    for (std::uint64_t i = 0; i < n; ++i) {
      auto& b = r.timeline[first + i * buckets / std::max<std::uint64_t>(n, 1)];
      ++b.sent[behaviour];
      ++b.completed[behaviour];
      ++(expected ? b.expected : b.unexpected)[behaviour];
      if (expected && behaviour == kInnocent) b.innocent_latency.record(p.latency_us);
    }
  };
  spread(p.answered, kInnocent, true);
  spread(p.failed, kInnocent, false);
  spread(p.bad_sent, kBad, true);
  return r;
}

// A healthy test: baseline 0-1 s, fault 1-3 s, recovery back at once.
Measurements healthy() {
  Measurements m;
  m.behaviours.push_back({"PlainResponse", {}, 99, true, 0});
  m.behaviours.push_back({"PythonWedge", {}, 1, false, 0});
  m.phases[static_cast<std::size_t>(Phase::Baseline)] = load({0, 1, 1000, 0, 0});
  m.phases[static_cast<std::size_t>(Phase::Fault)] = load({1, 2, 2000, 0, 20});
  auto recovery = load({3, 0.1, 10, 0, 0, 1000, engine::LoadEnd::Recovered});
  recovery.recovered_at_s = 3;
  m.phases[static_cast<std::size_t>(Phase::Recovery)] = recovery;
  return m;
}

engine::LoadResult& phase(Measurements& m, Phase p) { return *m.phases[static_cast<std::size_t>(p)]; }

struct Row {
  const char* rule;
  std::function<void(Measurements&, scenario::Scenario&)> change;
  Verdict verdict;
  const char* figure;  // "" when no figure decides
  const char* words;   // in the reason
};

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      {"healthy", [](Measurements&, scenario::Scenario&) {}, Verdict::Robust, "",
       "no innocent request failed"},
      {"labour's own client failed",
       [](Measurements& m, scenario::Scenario&) { phase(m, Phase::Fault).client_errors = 3; },
       Verdict::Inconclusive, "", "labour's own client failed 3 times"},
      {"a plugin's judge threw",
       [](Measurements& m, scenario::Scenario&) { phase(m, Phase::Fault).behaviours[kBad].judge_errors = 2; },
       Verdict::Inconclusive, "", "the PythonWedge plugin failed to judge 2 outcomes"},
      {"no innocent behaviour",
       [](Measurements& m, scenario::Scenario&) { m.behaviours[kInnocent].innocent = false; },
       Verdict::Inconclusive, "", "no innocent behaviour"},
      {"the baseline got no answer",
       [](Measurements& m, scenario::Scenario&) {
         m.phases[0] = load({0, 1, 0, 100, 0});
       },
       Verdict::Inconclusive, "", "the baseline got no expected innocent response"},
      {"the baseline failed",
       [](Measurements& m, scenario::Scenario&) {
         m.phases[0] = load({0, 1, 990, 10, 0});
       },
       Verdict::Inconclusive, "", "the baseline failed: 10 of 1000"},
      {"the misbehaviour was not sent enough",
       [](Measurements&, scenario::Scenario& sc) { sc.thresholds.min_misbehaviour = 50; },
       Verdict::Inconclusive, "misbehaviour_sent",
       "PythonWedge was sent 20 times; the scenario requires at least 50"},
      {"a stalled fault phase is judged, whatever was sent",
       [](Measurements& m, scenario::Scenario& sc) {
         sc.thresholds.min_misbehaviour = 50;
         m.phases[1] = load({1, 2, 0, 30, 1, 1000, engine::LoadEnd::Stalled});
         m.phases[2] = load({3, 5, 0, 40, 0});
       },
       Verdict::Hung, "recovery_s", "no innocent request succeeded in the 5.0 s recovery phase"},
      {"the main process died and nothing answers",
       [](Measurements& m, scenario::Scenario&) {
         m.monitor.exits.push_back({1.5, 42, true, false, "killed by SIGSEGV"});
         m.phases[2] = load({3, 1, 0, 10, 0});
       },
       Verdict::Down, "death_s", "the main process ended 0.5 s into the fault phase (killed by SIGSEGV)"},
      {"alive, not answering",
       [](Measurements& m, scenario::Scenario&) {
         m.phases[2] = load({3, 5, 0, 40, 0});
       },
       Verdict::Hung, "recovery_s", "alive, but no innocent request succeeded"},
      {"answering, never back to normal",
       [](Measurements& m, scenario::Scenario&) {
         m.phases[2] = load({3, 5, 30, 10, 0});
       },
       Verdict::Degraded, "recovery_s", "still slow or failing at the end"},
      {"the main process died while orphaned workers answer",
       [](Measurements& m, scenario::Scenario&) {
         m.monitor.exits.push_back({2.0, 42, true, false, "killed by SIGKILL"});
       },
       Verdict::Degraded, "death_s", "orphaned workers"},
      {"no innocent answer in the fault phase",
       [](Measurements& m, scenario::Scenario&) {
         m.phases[1] = load({1, 2, 0, 0, 20});
         phase(m, Phase::Fault).innocent_abandoned = 4;
       },
       Verdict::Degraded, "innocent_sent", "4 were still waiting"},
      {"innocent requests failed",
       [](Measurements& m, scenario::Scenario&) {
         m.phases[1] = load({1, 2, 1990, 10, 20});
       },
       Verdict::Degraded, "innocent_failure_pct", "0.5 % of innocent requests failed (10 of 2000"},
      {"failures within the scenario's bound",
       [](Measurements& m, scenario::Scenario& sc) {
         sc.thresholds.max_innocent_failure_pct = 1;
         m.phases[1] = load({1, 2, 1990, 10, 20});
       },
       Verdict::Robust, "", "no innocent request failed"},
      {"innocent requests slow (p99 and p50)",
       [](Measurements& m, scenario::Scenario&) {
         m.phases[1] = load({1, 2, 2000, 0, 20, 80000});
       },
       Verdict::Degraded, "p99_ratio", "innocent p99 x16 of baseline ("},
      {"innocent p50 slow, p99 within its bound",
       [](Measurements& m, scenario::Scenario& sc) {
         sc.thresholds.max_p99_ratio = 100;
         m.phases[1] = load({1, 2, 2000, 0, 20, 80000});
       },
       Verdict::Degraded, "p50_ratio", "innocent p50 x16"},
      {"throughput fell below the scenario's bound",
       [](Measurements& m, scenario::Scenario& sc) {
         sc.thresholds.min_throughput_pct = 80;
         m.phases[1] = load({1, 2, 1000, 0, 20});
       },
       Verdict::Degraded, "throughput_retained_pct", "innocent throughput fell to 50 % of baseline"},
      {"innocent requests failed after the fault phase",
       [](Measurements& m, scenario::Scenario&) {
         auto r = load({3, 1, 10, 2, 0, 1000, engine::LoadEnd::Recovered});
         r.recovered_at_s = 3.5;
         m.phases[2] = r;
       },
       Verdict::Degraded, "recovery_failed", "2 innocent requests failed after the fault phase"},
      {"slow answers after the fault phase are judged by whether the server was back",
       [](Measurements& m, scenario::Scenario&) {
         // Ten answers at 200 ms: the recovery phase never saw ten in a row at a normal latency.
         m.phases[2] = load({3, 5, 10, 0, 0, 200000});
       },
       Verdict::Degraded, "recovery_s", "still slow or failing at the end"},
      {"a stretch without answers",
       [](Measurements& m, scenario::Scenario&) {
         // Answers in the fault phase's first half only: 1 s of silence at its end.
         auto& fault = phase(m, Phase::Fault);
         for (std::size_t i = 20; i < 30; ++i) {
           fault.timeline[i].completed[kInnocent] = 0;
         }
       },
       Verdict::Degraded, "longest_outage_s", "no innocent request was answered for 1.0 s (from 2.0 s)"},
      {"a stream with nothing in flight is not silenced",
       [](Measurements& m, scenario::Scenario&) {
         // The innocent requests were all done in the first second; the rest of the phase
         // waited for the misbehaviours' connections: nobody was waiting for an answer.
         m.phases[1] = load({1, 1, 1000, 0, 20});
         phase(m, Phase::Fault).duration_s = 2;
       },
       Verdict::Robust, "", "no innocent request failed"},
      {"a client-driven attack that did not all connect",
       [](Measurements& m, scenario::Scenario&) {
         m.behaviours[kBad] = {"Slowloris", {}, 0, false, 20};
         phase(m, Phase::Fault).scripts_connected[kBad] = 9;
       },
       Verdict::Inconclusive, "", "Slowloris established 9 of its 20 connections"},
      {"a partial attack that did damage is judged by the damage",
       [](Measurements& m, scenario::Scenario&) {
         m.behaviours[kBad] = {"Slowloris", {}, 0, false, 20};
         phase(m, Phase::Fault).scripts_connected[kBad] = 9;
         m.phases[1] = load({1, 2, 1990, 10, 20});
       },
       Verdict::Degraded, "innocent_failure_pct", "10 of 2000"},
      {"a client-driven attack that all connected",
       [](Measurements& m, scenario::Scenario&) {
         m.behaviours[kBad] = {"Slowloris", {}, 0, false, 20};
         phase(m, Phase::Fault).scripts_connected[kBad] = 20;
       },
       Verdict::Robust, "", "no innocent request failed"},
      {"RSS grew past its bound",
       [](Measurements& m, scenario::Scenario&) {
         m.monitor.samples = {{0, 1, 4, 100 << 20, 0, 10}, {3.5, 1, 4, 400 << 20, 1, 10}};
       },
       Verdict::Degraded, "rss_growth_mib", "RSS +300 MiB over a 2.0 s fault phase (bound 256 MiB)"},
      {"descriptors grew past their bound",
       [](Measurements& m, scenario::Scenario& sc) {
         sc.thresholds.max_fds_growth = 50;
         m.monitor.samples = {{0, 1, 4, 100 << 20, 0, 10}, {3.5, 1, 4, 100 << 20, 1, 70}};
       },
       Verdict::Degraded, "fds_growth", "descriptors +60 over a 2.0 s fault phase (bound 50)"},
      {"threads grew past their bound",
       [](Measurements& m, scenario::Scenario&) {
         m.monitor.samples = {{0, 1, 4, 100 << 20, 0, 10}, {3.5, 1, 304, 100 << 20, 1, 10}};
       },
       Verdict::Degraded, "threads_growth", "threads +300"},
      {"a worker still spins once the load is over",
       [](Measurements& m, scenario::Scenario&) {
         m.idle_from_s = 3.2;
         m.monitor.samples = {
             {0, 1, 4, 100 << 20, 0, 10}, {3.2, 1, 4, 100 << 20, 1, 10}, {3.45, 1, 4, 100 << 20, 1.2, 10}};
       },
       Verdict::Degraded, "busy_after_pct", "busy 80% after: still burning that much of a core"},
      {"a respawn storm",
       [](Measurements& m, scenario::Scenario& sc) {
         sc.thresholds.max_respawns = 2;
         for (int i = 0; i < 3; ++i)
           m.monitor.exits.push_back({2.0, 50 + i, false, true, "killed by SIGKILL"});
         m.monitor.workers_joined = 3;
       },
       Verdict::Degraded, "respawns", "3 respawns of workers (bound 2)"},
      {"processes left behind", [](Measurements& m, scenario::Scenario&) { m.stop.orphans_killed = 2; },
       Verdict::Degraded, "processes_left", "2 processes left behind after the server stopped (bound 0)"},
      {"a stop that needed SIGKILL",
       [](Measurements& m, scenario::Scenario&) { m.stop.signal_needed = "SIGKILL"; }, Verdict::Degraded,
       "stop_sigkill", "stop needed SIGKILL: it did not end on SIGINT or SIGTERM"},
      {"a stop that needed SIGKILL, where the scenario allows it",
       [](Measurements& m, scenario::Scenario& sc) {
         sc.thresholds.allow_sigkill_stop = true;
         m.stop.signal_needed = "SIGKILL";
       },
       Verdict::Robust, "", "no innocent request failed"},
      {"one slow innocent request in fifty is degraded, and borderline",
       [](Measurements& m, scenario::Scenario&) {
         auto& fault = phase(m, Phase::Fault) = load({1, 2, 49, 0, 20});
         fault.behaviours[kInnocent].latency.record(100000);
         ++fault.behaviours[kInnocent].sent;
         ++fault.behaviours[kInnocent].expected;
       },
       Verdict::Degraded, "p99_ratio", "borderline: interval 1.0..20 at 95 % around the bound 10"},
  };
  return table;
}

run::Summary judged(const Row& row) {
  Measurements m = healthy();
  scenario::Scenario sc;
  row.change(m, sc);
  return run::summarise(m, sc);
}

// robust < degraded < hung < down; -1 for the others (not on that scale).
int severity(Verdict v) {
  switch (v) {
    case Verdict::Robust:
      return 0;
    case Verdict::Degraded:
      return 1;
    case Verdict::Hung:
      return 2;
    case Verdict::Down:
      return 3;
    default:
      return -1;
  }
}

}  // namespace

TEST_CASE("every rule of the verdict ladder decides with its figure and says why", "[verdict][ladder]") {
  for (const Row& row : rows()) {
    INFO("rule: " << row.rule);
    const run::Summary s = judged(row);
    INFO("reason: " << s.verdict.reason);
    CHECK(run::verdict_name(s.verdict.value) == run::verdict_name(row.verdict));
    CHECK(s.verdict.figure == row.figure);
    CHECK_THAT(s.verdict.reason, Catch::Contains(row.words));
  }
}

TEST_CASE("the same measurements always give the same verdict", "[verdict][property]") {
  for (const Row& row : rows()) {
    INFO("rule: " << row.rule);
    const run::Summary a = judged(row), b = judged(row);
    CHECK(a.verdict.value == b.verdict.value);
    CHECK(a.verdict.reason == b.verdict.reason);
  }
}

TEST_CASE("more expected innocent answers never make a verdict worse", "[verdict][property]") {
  for (const Row& row : rows()) {
    for (const std::uint64_t more : {1, 100, 10000}) {
      INFO("rule: " << row.rule << ", " << more << " more answers at the baseline's latency");
      Measurements m = healthy();
      scenario::Scenario sc;
      row.change(m, sc);
      const run::Summary before = run::summarise(m, sc);
      auto& fault = phase(m, Phase::Fault);
      auto& in = fault.behaviours[kInnocent];
      in.sent += more;
      in.expected += more;
      in.responses += more;
      for (std::uint64_t i = 0; i < more; ++i) in.latency.record(1000);
      const std::size_t first = static_cast<std::size_t>(fault.start_s * 1000 / kBucketMs);
      for (std::uint64_t i = 0; i < more; ++i) {
        auto& b = fault.timeline[first + i % (fault.timeline.size() - first)];
        ++b.sent[kInnocent];
        ++b.expected[kInnocent];
        ++b.completed[kInnocent];
      }
      const run::Summary after = run::summarise(m, sc);
      INFO("before: " << before.verdict.reason << "; after: " << after.verdict.reason);
      if (severity(before.verdict.value) >= 0 && severity(after.verdict.value) >= 0)
        CHECK(severity(after.verdict.value) <= severity(before.verdict.value));
    }
  }
}

TEST_CASE("silence is an outage only past its bound, and at the open model's pace", "[verdict][outage]") {
  // Fault answers stop for 0.5 s: under the 1 s floor, no outage.
  Measurements m = healthy();
  auto& fault = phase(m, Phase::Fault);
  for (std::size_t i = 20; i < 25; ++i) fault.timeline[i].completed[kInnocent] = 0;
  scenario::Scenario sc;
  run::Summary s = run::summarise(m, sc);
  CHECK(s.outages.empty());
  CHECK(s.verdict.value == Verdict::Robust);
  // 1.5 s of silence: an outage, silent, from 1.5 s.
  for (std::size_t i = 15; i < 30; ++i) fault.timeline[i].completed[kInnocent] = 0;
  s = run::summarise(m, sc);
  REQUIRE(s.outages.size() == 1);
  CHECK(s.outages[0].silent);
  CHECK(s.outages[0].start_s == Approx(1.5));
  CHECK(s.outages[0].end_s == Approx(3.0));
  CHECK(s.figures.longest_outage_s.value_or(0) == Approx(1.5));
  CHECK_FALSE(s.verdict.borderline);  // 1.5 s, measured to 0.1 s: past the 1 s bound for sure
  // Exactly at the bound, to a bucket: degraded, but an identical run may not see it.
  for (std::size_t i = 15; i < 20; ++i) fault.timeline[i].completed[kInnocent] = 1;
  s = run::summarise(m, sc);
  CHECK(s.verdict.value == Verdict::Degraded);
  CHECK(s.verdict.borderline);
  REQUIRE(s.verdict.interval);
  CHECK(s.verdict.interval->figure == "longest_outage_s");
  for (std::size_t i = 15; i < 20; ++i) fault.timeline[i].completed[kInnocent] = 0;
  // At 0.25 requests per second, four intervals are 16 s: the same silence is the pace.
  sc.rate = 0.25;
  s = run::summarise(m, sc);
  CHECK(s.outages.empty());
}

namespace {
// A fault phase of `n` innocent answers at 1 ms of which `slow` took 100 ms, and `failed` more.
run::Summary with_fault(std::uint64_t n, std::uint64_t slow, std::uint64_t failed) {
  Measurements m = healthy();
  auto& fault = phase(m, Phase::Fault) = load({1, 2, n - slow, failed, 20});
  for (std::uint64_t i = 0; i < slow; ++i) fault.behaviours[kInnocent].latency.record(100000);
  fault.behaviours[kInnocent].sent += slow;
  fault.behaviours[kInnocent].expected += slow;
  return run::summarise(m, scenario::Scenario{});
}
}  // namespace

TEST_CASE("a verdict is borderline exactly when a deciding figure's interval straddles its bound",
          "[verdict][confidence]") {
  const scenario::Scenario sc;
  int borderline = 0, certain = 0;
  for (std::uint64_t slow = 0; slow <= 12; ++slow) {
    const run::Summary s = with_fault(100, slow, 0);
    INFO(slow << " slow of 100: " << s.verdict.reason);
    const auto& p99 = s.intervals.at("p99_ratio");
    CHECK(s.verdict.borderline == p99.straddles(sc.thresholds.max_p99_ratio));
    // Decided on what was measured: degraded exactly when the sample's p99 is past the bound.
    CHECK((s.verdict.value == Verdict::Degraded) ==
          (s.figures.p99_ratio.value() > sc.thresholds.max_p99_ratio));
    (s.verdict.borderline ? borderline : certain)++;
  }
  for (std::uint64_t failed = 0; failed <= 12; ++failed) {
    const run::Summary s = with_fault(2000, 0, failed);
    INFO(failed << " failed of 2000: " << s.verdict.reason);
    const auto& rate = s.intervals.at("innocent_failure_pct");
    CHECK(s.verdict.borderline == rate.straddles(sc.thresholds.max_innocent_failure_pct));
    // A failed request is a fact: any failure past a 0 % bound is degraded.
    CHECK((s.verdict.value == Verdict::Degraded) == (failed > 0));
    if (s.verdict.borderline) {
      REQUIRE(s.verdict.interval);
      CHECK(s.verdict.interval->figure == "innocent_failure_pct");
    }
    (s.verdict.borderline ? borderline : certain)++;
  }
  // A borderline statistic beside a certain fact: the fact decides, for certain.
  {
    Measurements m = healthy();
    auto& fault = phase(m, Phase::Fault) = load({1, 2, 49, 0, 20});
    fault.behaviours[kInnocent].latency.record(100000);
    ++fault.behaviours[kInnocent].sent;
    ++fault.behaviours[kInnocent].expected;
    m.stop.signal_needed = "SIGKILL";
    const run::Summary s = run::summarise(m, scenario::Scenario{});
    CHECK(s.verdict.value == Verdict::Degraded);
    CHECK(s.verdict.figure == "stop_sigkill");
    CHECK_FALSE(s.verdict.borderline);
  }
  // Both kinds were seen: the sweep crossed the bounds.
  CHECK(borderline > 0);
  CHECK(certain > 0);
}
