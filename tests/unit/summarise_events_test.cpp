// summarise() on measurements made by hand: the verdict rules for lifecycle events and for a
// fault phase that answered none of its innocent requests (the engine and the servers are
// tested elsewhere; this is the pure step alone).
#include <catch2/catch.hpp>

#include "run/results.hpp"

using namespace labour;
using run::Measurements;
using run::Phase;
using run::Verdict;

namespace {

// One innocent behaviour; a phase of `answered` expected and `failed` unexpected outcomes.
engine::LoadResult phase(double start_s, double duration_s, std::uint64_t answered, std::uint64_t failed,
                         engine::LoadEnd end = engine::LoadEnd::Duration) {
  engine::LoadResult r;
  r.behaviours.resize(1);
  auto& b = r.behaviours[0];
  b.sent = answered + failed;
  b.expected = answered;
  b.unexpected = failed;
  b.responses = answered;
  for (std::uint64_t i = 0; i < answered; ++i) b.latency.record(500);
  if (failed) b.unexpected_outcomes["reset_before_response"] = failed;
  r.timeline.assign(1, engine::TimelineBucket(1));
  r.timeline[0].sent[0] = answered + failed;
  r.timeline[0].expected[0] = answered;
  r.timeline[0].unexpected[0] = failed;
  r.start_s = start_s;
  r.duration_s = duration_s;
  r.ended_by = end;
  r.timeline_bucket_ms = 10000;
  return r;
}

Measurements with_phases(engine::LoadResult fault, bool recovery = true) {
  Measurements m;
  m.behaviours.push_back({"PlainResponse", {}, 1, true, 0});
  m.phases[static_cast<std::size_t>(Phase::Baseline)] = phase(0, 0.5, 100, 0);
  m.phases[static_cast<std::size_t>(Phase::Fault)] = std::move(fault);
  if (recovery) {
    auto r = phase(3.5, 0.1, 10, 0, engine::LoadEnd::Recovered);
    r.recovered_at_s = 3.5;
    m.phases[static_cast<std::size_t>(Phase::Recovery)] = r;
  }
  return m;
}

run::FiredEvent fired(scenario::EventAction action, double at_s, double fired_s, int signal) {
  run::FiredEvent e;
  e.event.action = action;
  e.event.at_s = at_s;
  e.fired = true;
  e.fired_s = fired_s;
  e.signal = signal;
  e.pid = 42;
  e.detail = "a signal to the main process 42";
  return e;
}

engine::EventOutcomes outcomes(std::uint64_t answered, std::map<std::string, std::uint64_t> failures) {
  engine::EventOutcomes o;
  o.answered = answered;
  o.failures = std::move(failures);
  for (const auto& [key, n] : o.failures) {
    o.failed += n;
    o.innocent_failed += n;  // the mix here is innocent only
  }
  return o;
}

}  // namespace

TEST_CASE("a graceful stop is judged by what it dropped, not as down", "[verdict][events]") {
  scenario::Scenario sc;
  auto m = with_phases(phase(0.5, 2.0, 500, 0), false);
  m.events.push_back(fired(scenario::EventAction::GracefulStop, 1, 1.5, 15));
  m.monitor.exits.push_back({2.0, 42, true, false, "exit status 0"});

  SECTION("refused connections after the listener closed are no drop: robust") {
    auto& fault = *m.phases[static_cast<std::size_t>(Phase::Fault)];
    fault.events = {outcomes(120, {{"connect_refused", 3000}})};
    fault.behaviours[0].unexpected = 3000;
    fault.behaviours[0].sent += 3000;
    const auto s = run::summarise(m, sc);
    CHECK(s.verdict.value == Verdict::Robust);
    CHECK_THAT(s.verdict.reason, Catch::Contains("3000 refused once its listener closed") &&
                                     Catch::Contains("exited 0.5 s after it"));
    REQUIRE(s.events.size() == 1);
    CHECK(s.events[0].dropped == 0);
    CHECK(s.events[0].refused == 3000);
    CHECK(*s.figures.events_dropped == 0);
  }
  SECTION("connections it took and reset: degraded, by events_dropped") {
    auto& fault = *m.phases[static_cast<std::size_t>(Phase::Fault)];
    fault.events = {outcomes(120, {{"connect_refused", 10}, {"reset_before_response", 4}})};
    fault.behaviours[0].unexpected = 14;
    fault.behaviours[0].sent += 14;
    const auto s = run::summarise(m, sc);
    CHECK(s.verdict.value == Verdict::Degraded);
    CHECK(s.verdict.figure == "events_dropped");
    CHECK(s.verdict.summary == "dropped 4");
    CHECK_THAT(s.verdict.reason, Catch::Contains("reset_before_response 4"));
  }
  SECTION("a main process that never exits: hung") {
    m.monitor.exits.clear();
    auto& fault = *m.phases[static_cast<std::size_t>(Phase::Fault)];
    fault.events = {outcomes(120, {})};
    const auto s = run::summarise(m, sc);
    CHECK(s.verdict.value == Verdict::Hung);
    CHECK_THAT(s.verdict.reason, Catch::Contains("still running 1.0 s after the graceful stop (SIGTERM)"));
  }
  SECTION("innocent failures before the stop are not the stop's, and not forgotten") {
    auto& fault = *m.phases[static_cast<std::size_t>(Phase::Fault)];
    fault.events = {outcomes(120, {})};
    fault.behaviours[0].unexpected = 2;
    fault.behaviours[0].sent += 2;
    const auto s = run::summarise(m, sc);
    CHECK(s.verdict.value == Verdict::Degraded);
    CHECK_THAT(s.verdict.reason, Catch::StartsWith("2 innocent requests failed before the graceful stop"));
  }
}

TEST_CASE("an event that could not act, or never fired in a phase that ran its course, is inconclusive",
          "[verdict][events]") {
  scenario::Scenario sc;
  auto m = with_phases(phase(0.5, 2.0, 500, 0));
  auto kill = fired(scenario::EventAction::KillWorker, 1, 1.5, 9);
  kill.failed = true;
  kill.detail = "no worker process to kill among the main process's children";
  m.events.push_back(kill);
  auto s = run::summarise(m, sc);
  CHECK(s.verdict.value == Verdict::Inconclusive);
  CHECK_THAT(s.verdict.reason, Catch::Contains("the kill_worker at 1.0 s did not happen: no worker process"));

  m.events[0] = run::FiredEvent{};
  m.events[0].event.action = scenario::EventAction::Reload;
  m.events[0].event.at_s = 5;
  s = run::summarise(m, sc);
  CHECK(s.verdict.value == Verdict::Inconclusive);
  CHECK_THAT(s.verdict.reason, Catch::Contains("the reload at 5.0 s never fired"));
  // One the server ended first (it died, or stalled) is judged by what happened instead.
  m.phases[static_cast<std::size_t>(Phase::Fault)]->ended_by = engine::LoadEnd::Stalled;
  CHECK(run::summarise(m, sc).verdict.value != Verdict::Inconclusive);
}

TEST_CASE("per event: what it dropped, when innocent requests came back, the slowest answer", "[events]") {
  scenario::Scenario sc;
  auto m = with_phases(phase(0.5, 2.0, 500, 3));
  m.events.push_back(fired(scenario::EventAction::KillWorker, 1, 1.5, 9));
  m.events.push_back(fired(scenario::EventAction::Reload, 1.5, 2.0, 1));
  auto& fault = *m.phases[static_cast<std::size_t>(Phase::Fault)];
  fault.events = {outcomes(200, {{"eof_before_response", 3}}), outcomes(300, {})};
  fault.events[0].last_innocent_failure_s = 1.7;
  fault.events[0].last_innocent_answer_s = 1.9;
  fault.events[0].innocent_slowest_us = 250000;
  fault.events[1].last_innocent_answer_s = 2.4;
  fault.events[1].innocent_slowest_us = 900000;
  m.monitor.exits.push_back({1.51, 50, false, true, "killed by SIGKILL"});
  m.monitor.joins.push_back({1.6, 51, true});
  m.monitor.joins.push_back({2.1, 52, true});
  const auto s = run::summarise(m, sc);
  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].window_end_s == Approx(2.0));
  CHECK(s.events[0].dropped == 3);
  CHECK(*s.events[0].back_after_s == Approx(0.2));
  CHECK(s.events[0].exits.size() == 1);
  CHECK(s.events[0].joins.size() == 1);  // the second join is the reload's
  CHECK(s.events[1].joins.size() == 1);
  CHECK(*s.events[1].back_after_s == 0);
  CHECK(*s.figures.events_dropped == 3);
  CHECK(*s.figures.events_back_s == Approx(0.2));
  CHECK(*s.figures.events_slowest_ms == Approx(900));
  // The verdict names the event that dropped most, with what it dropped.
  CHECK(s.verdict.value == Verdict::Degraded);
  CHECK_THAT(s.verdict.reason, Catch::Contains("the kill_worker at 1.0 s dropped 3 (eof_before_response 3)"));

  // An event after which innocent requests never succeeded again: not back.
  fault.events[0].last_innocent_answer_s = 1.6;
  CHECK_FALSE(run::summarise(m, sc).events[0].back_after_s.has_value());
  CHECK_FALSE(run::summarise(m, sc).figures.events_back_s.has_value());
}

TEST_CASE("a fault phase that answered none of its innocent requests is no proof of health", "[verdict]") {
  scenario::Scenario sc;
  auto fault = phase(0.5, 2.0, 0, 0);
  fault.innocent_abandoned = 4;  // all four still waiting when the phase's time was up
  const auto s = run::summarise(with_phases(fault), sc);
  CHECK(s.verdict.value == Verdict::Degraded);
  CHECK(s.verdict.summary == "no answers");
  CHECK_THAT(s.verdict.reason, Catch::Contains("4 were still waiting when it ended"));
}
