#include "run/serialize.hpp"

#include <algorithm>
#include <cmath>

#include "run/results.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::run {

using json = nlohmann::ordered_json;  // the document keeps the order it is written in

namespace {

double round3(double v) { return std::round(v * 1000) / 1000; }

json params_json(const plugins::ParamValues& values) {
  json o = json::object();
  for (const auto& [k, v] : values) o[k] = v;
  return o;
}

}  // namespace

json scenario_json(const scenario::Scenario& s) {
  json events = json::array();
  for (const auto& e : s.events) {
    json event = {{"action", scenario::action_name(e.action)}, {"at_s", e.at_s}};
    if (e.action == scenario::EventAction::FreezeWorker) event["seconds"] = e.seconds;
    if (e.action == scenario::EventAction::Signal) event["signal"] = supervisor::signal_name(e.signal);
    events.push_back(event);
  }
  const auto& p = s.phases;
  const auto& t = s.thresholds;
  json mix = json::array();
  for (const auto& entry : s.mix) {
    json params = json::object();
    for (const auto& [k, v] : entry.params) params[k] = v;
    mix.push_back({{"behaviour", entry.behaviour}, {"weight", entry.weight}, {"params", params}});
  }
  return {{"name", s.name},
          {"source", s.source},
          {"policy", scenario::policy_name(s.policy)},
          {"requests", s.requests},
          {"duration_s", s.duration_s},
          {"concurrency", s.concurrency},
          {"threads", s.threads},
          {"rate", s.rate},
          {"timeout_ms", s.timeout_ms},
          {"keep_alive", s.keep_alive},
          {"seed", s.seed},
          {"phases",
           {{"baseline_requests", p.baseline_requests},
            {"baseline_duration_s", p.baseline_s},
            {"stall_s", p.stall_s},
            {"recovery_duration_s", p.recovery_s},
            {"recovered_after", p.recovered_after}}},
          {"thresholds",
           {{"max_innocent_failure_pct", t.max_innocent_failure_pct},
            {"max_p50_ratio", t.max_p50_ratio},
            {"max_p99_ratio", t.max_p99_ratio},
            {"latency_floor_ms", t.latency_floor_ms},
            {"min_throughput_pct", t.min_throughput_pct},
            {"min_misbehaviour", t.min_misbehaviour},
            {"max_baseline_failure_pct", t.max_baseline_failure_pct},
            {"confidence", t.confidence},
            {"max_rss_growth_mib", t.max_rss_growth_mib},
            {"max_fds_growth", t.max_fds_growth},
            {"max_threads_growth", t.max_threads_growth},
            {"max_busy_after_pct", t.max_busy_after_pct},
            {"max_respawns", t.max_respawns},
            {"max_processes_left", t.max_processes_left},
            {"allow_sigkill_stop", t.allow_sigkill_stop}}},
          {"mix", mix},
          {"events", events}};
}

namespace {

// The monitor's report: a summary a reader can quote, then the samples as columns.
json monitor_json(const monitor::Report& r) {
  json series = {{"t_s", json::array()},       {"processes", json::array()}, {"threads", json::array()},
                 {"rss_bytes", json::array()}, {"cpu_s", json::array()},     {"fds", json::array()}};
  std::uint32_t peak_processes = 0, peak_threads = 0;
  std::uint64_t peak_rss = 0;
  std::int64_t peak_fds = 0;
  bool fds_known = true;
  for (const auto& s : r.samples) {
    series["t_s"].push_back(round3(s.at_s));
    series["processes"].push_back(s.processes);
    series["threads"].push_back(s.threads);
    series["rss_bytes"].push_back(s.rss_bytes);
    series["cpu_s"].push_back(round3(s.cpu_s));
    series["fds"].push_back(s.fds);
    peak_processes = std::max(peak_processes, s.processes);
    peak_threads = std::max(peak_threads, s.threads);
    peak_rss = std::max(peak_rss, s.rss_bytes);
    peak_fds = std::max(peak_fds, s.fds);
    fds_known = fds_known && s.fds >= 0;
  }
  const monitor::Sample first = r.samples.empty() ? monitor::Sample{} : r.samples.front();
  const monitor::Sample last = r.samples.empty() ? monitor::Sample{} : r.samples.back();
  json causes = json::object();
  json exits = json::array();
  for (const auto& e : r.exits) {
    causes[e.cause] = causes.value(e.cause, 0) + 1;
    if (exits.size() < 100 || e.leader)  // the main process's end is always listed
      exits.push_back({{"t_s", round3(e.at_s)},
                       {"pid", e.pid},
                       {"leader", e.leader},
                       {"worker", e.worker},
                       {"cause", e.cause}});
  }
  json out = {{"interval_ms", r.interval.count()},
              {"exits_seen_by", r.exact_exits ? "process events" : "samples"},
              {"lost_events", r.lost_events},
              {"processes", {{"start", first.processes}, {"end", last.processes}, {"peak", peak_processes}}},
              {"joined", r.joined},
              {"workers_joined", r.workers_joined},
              {"exits", {{"total", r.exits.size()}, {"causes", causes}, {"first", exits}}},
              {"threads", {{"start", first.threads}, {"end", last.threads}, {"peak", peak_threads}}},
              {"rss_bytes", {{"start", first.rss_bytes}, {"end", last.rss_bytes}, {"peak", peak_rss}}},
              {"cpu_seconds", round3(last.cpu_s)},
              {"series", series}};
  if (fds_known && !r.samples.empty())
    out["fds"] = {{"start", first.fds}, {"end", last.fds}, {"peak", peak_fds}};
  return out;
}

json figures_json(const Figures& f) {
  json out = json::object();
  for (const auto& field : kFigures) {
    const auto& v = f.*field.member;
    out[field.name] = v ? json(round3(*v)) : json(nullptr);
  }
  return out;
}

json verdict_json(const VerdictResult& v, double confidence) {
  json out = {{"value", verdict_name(v.value)},
              {"reason", v.reason},
              {"summary", v.summary},
              {"figure", v.figure.empty() ? json(nullptr) : json(v.figure)},
              {"certainty", v.borderline ? "borderline" : "certain"},
              {"confidence", confidence}};
  if (v.interval)
    out["interval"] = {{"figure", v.interval->figure},
                       {"low", round3(v.interval->range.low)},
                       {"high", round3(v.interval->range.high)},
                       {"bound", v.interval->bound}};
  return out;
}

json phase_json(Phase p, const engine::LoadResult& load, const std::vector<BehaviourInfo>& mix) {
  std::uint64_t sent = 0, expected = 0, unexpected = 0, responses = 0;
  for (const auto& s : load.behaviours) {
    sent += s.sent;
    expected += s.expected;
    unexpected += s.unexpected;
    responses += s.responses;
  }
  const InnocentStats innocent = innocent_stats(load, mix);
  json out = {{"name", phase_name(p)},
              {"start_s", round3(load.start_s)},
              {"duration_s", round3(load.duration_s)},
              {"ended_by", engine::load_end_name(load.ended_by)},
              {"sent", sent},
              {"responses", responses},
              {"expected", expected},
              {"unexpected", unexpected},
              {"abandoned", load.abandoned},
              {"innocent_abandoned", load.innocent_abandoned},
              {"late_sends", load.late_sends},
              {"connections_opened", load.connections_opened},
              {"client_errors", load.client_errors},
              {"resends", load.resends},
              {"mix_start_s", round3(load.mix_start_s)},
              {"innocent_sent", innocent.sent},
              {"innocent_unexpected", innocent.unexpected},
              {"innocent_responses", innocent.responses},
              {"innocent_latency_us", latency_json(innocent.latency)}};
  return out;
}

json behaviours_json(const engine::LoadResult& fault, const std::vector<BehaviourInfo>& mix) {
  json out = json::array();
  for (std::size_t i = 0; i < mix.size(); ++i) {
    const auto& st = fault.behaviours.at(i);
    out.push_back({{"name", mix[i].name},
                   {"params", params_json(mix[i].params)},
                   {"weight", mix[i].weight},
                   {"client_driven", mix[i].connections > 0},
                   {"connections", mix[i].connections},
                   {"connected", i < fault.scripts_connected.size() ? fault.scripts_connected[i] : 0},
                   {"innocent", mix[i].innocent},
                   {"sent", st.sent},
                   {"expected", st.expected},
                   {"unexpected", st.unexpected},
                   {"responses", st.responses},
                   {"judge_errors", st.judge_errors},
                   {"trailing_bytes", st.trailing_bytes},
                   {"outcomes", st.outcomes},
                   {"unexpected_outcomes", st.unexpected_outcomes},
                   {"latency_us", latency_json(st.latency)},
                   {"unexpected_latency_us", latency_json(st.unexpected_latency)}});
  }
  return out;
}

json timeline_json(const Summary& s, std::size_t behaviours) {
  json t = {{"bucket_ms", s.bucket_ms},        {"sent", json::array()},
            {"expected", json::array()},       {"unexpected", json::array()},
            {"completed", json::array()},      {"innocent_p50_us", json::array()},
            {"innocent_p99_us", json::array()}};
  for (const auto& bucket : s.timeline) {
    auto row = [behaviours](const std::vector<std::uint64_t>& v) {
      return json(std::vector<std::uint64_t>(
          v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(behaviours, v.size()))));
    };
    t["sent"].push_back(row(bucket.sent));
    t["expected"].push_back(row(bucket.expected));
    t["unexpected"].push_back(row(bucket.unexpected));
    t["completed"].push_back(row(bucket.completed));
    const auto& h = bucket.innocent_latency;
    t["innocent_p50_us"].push_back(h.count() ? json(h.percentile(50)) : json(nullptr));
    t["innocent_p99_us"].push_back(h.count() ? json(h.percentile(99)) : json(nullptr));
  }
  return t;
}

json events_json(const std::vector<FiredEvent>& fired, const std::vector<EventResult>& results) {
  constexpr std::size_t kListed = 100;  // processes listed per event; the counts have them all
  json out = json::array();
  for (std::size_t i = 0; i < fired.size(); ++i) {
    const FiredEvent& e = fired[i];
    const EventResult r = i < results.size() ? results[i] : EventResult{};
    json event = {{"action", scenario::action_name(e.event.action)}, {"at_s", round3(e.event.at_s)}};
    if (e.event.action == scenario::EventAction::FreezeWorker) event["seconds"] = round3(e.event.seconds);
    event["fired"] = e.fired;
    if (!e.fired) {
      out.push_back(event);
      continue;
    }
    event["fired_s"] = round3(e.fired_s);
    event["failed"] = e.failed;
    event["detail"] = e.detail;
    event["pid"] = e.pid;
    event["signal"] = e.signal ? json(supervisor::signal_name(e.signal)) : json(nullptr);
    if (e.resumed_s >= 0) event["resumed_s"] = round3(e.resumed_s);
    json exits = json::array(), joins = json::array();
    for (const auto& x : r.exits)
      if (exits.size() < kListed)
        exits.push_back({{"t_s", round3(x.at_s)},
                         {"pid", x.pid},
                         {"leader", x.leader},
                         {"worker", x.worker},
                         {"cause", x.cause}});
    for (const auto& j : r.joins)
      if (joins.size() < kListed)
        joins.push_back({{"t_s", round3(j.at_s)}, {"pid", j.pid}, {"worker", j.worker}});
    event["window_end_s"] = round3(r.window_end_s);
    event["answered"] = r.answered;
    event["dropped"] = r.dropped;
    event["refused"] = r.refused;
    event["failures"] = r.failures;
    event["back_after_s"] = r.back_after_s ? json(round3(*r.back_after_s)) : json(nullptr);
    event["innocent_slowest_ms"] =
        r.innocent_slowest_ms ? json(round3(*r.innocent_slowest_ms)) : json(nullptr);
    event["processes_exited"] = {{"total", r.exits.size()}, {"first", exits}};
    event["processes_joined"] = {{"total", r.joins.size()}, {"first", joins}};
    out.push_back(event);
  }
  return out;
}

}  // namespace

json to_json(const TestResult& t) {
  json test = {
      {"label", t.label},
      {"server", {{"name", t.server_name}, {"label", t.label}, {"options", params_json(t.server_options)}}},
      {"scenario", scenario_json(t.scenario)},
      {"status", t.status}};
  if (!t.server_version.empty()) test["server"]["version"] = t.server_version;
  if (!t.error.empty()) test["error"] = t.error;
  if (!t.measured) {
    // Decided without running (unsupported): the verdict and its reason only.
    if (t.summary && t.status == "completed")
      test["verdict"] = verdict_json(t.summary->verdict, t.summary->confidence);
    return test;
  }
  const Measurements& m = *t.measured;
  if (t.summary) {
    const Summary& s = *t.summary;
    if (t.status == "completed") test["verdict"] = verdict_json(s.verdict, s.confidence);
    test["figures"] = figures_json(s.figures);
    json intervals = json::object();
    for (const auto& [name, range] : s.intervals)
      intervals[name] = {{"low", round3(range.low)}, {"high", round3(range.high)}};
    test["intervals"] = intervals;
    json outages = json::array();
    for (const auto& o : s.outages)
      outages.push_back({{"start_s", round3(o.start_s)},
                         {"end_s", round3(o.end_s)},
                         {"failed", o.failed},
                         {"silent", o.silent}});
    test["outages"] = outages;
    test["innocent_failures"] = s.innocent_failures;
    if (const auto* fault = m.phase(Phase::Fault)) {
      std::uint64_t sent = 0, expected = 0, unexpected = 0;
      for (const auto& st : fault->behaviours) {
        sent += st.sent;
        expected += st.expected;
        unexpected += st.unexpected;
      }
      const InnocentStats innocent = innocent_stats(*fault, m.behaviours);
      if (t.status == "completed") test["labour_verdict"] = s.labour_failed ? "failed" : "passed";
      test["duration_s"] = round3(fault->duration_s);
      test["requests_per_second"] = round3(s.figures.requests_per_second.value_or(0));
      test["totals"] = {{"sent", sent},
                        {"expected", expected},
                        {"unexpected", unexpected},
                        {"failure_pct", round3(s.figures.failure_pct.value_or(0))},
                        {"innocent_sent", innocent.sent},
                        {"innocent_unexpected", innocent.unexpected}};
      test["behaviours"] = behaviours_json(*fault, m.behaviours);
    }
    json phases = json::array();
    for (const Phase p : kPhases)
      if (const auto* load = m.phase(p)) phases.push_back(phase_json(p, *load, m.behaviours));
    test["phases"] = phases;
    test["timeline"] = timeline_json(s, m.behaviours.size());
    if (!m.events.empty()) test["events"] = events_json(m.events, s.events);
  }
  if (t.repeats) {
    const Repeats& r = *t.repeats;
    json seen = json::object();
    for (const auto& [v, n] : r.seen) seen[std::string(verdict_name(v))] = n;
    json runs = json::array();
    for (const auto& run : r.runs)
      runs.push_back(
          {{"verdict", verdict_json(run.verdict, run.confidence)}, {"figures", figures_json(run.figures)}});
    test["repeat"] = {{"count", r.runs.size()},
                      {"auto", r.automatic},
                      {"verdicts", seen},
                      {"figures_min", figures_json(r.min)},
                      {"figures_max", figures_json(r.max)},
                      {"runs", runs}};
  }
  test["monitor"] = monitor_json(m.monitor);
  json supervision = {{"port", m.port},
                      {"start_seconds", round3(m.start_seconds)},
                      {"settle_seconds", round3(m.settle_s)},
                      {"settled", m.settled},
                      {"stop_signal", m.stop.signal_needed},
                      {"stop_seconds", round3(m.stop.stop_seconds)},
                      {"orphans", m.stop.orphans_killed},
                      {"exit", m.stop.status ? m.stop.status->describe() : "unknown"}};
  if (!m.server_cpus.empty()) supervision["server_cpus"] = m.server_cpus;
  if (!m.client_cpus.empty()) supervision["client_cpus"] = m.client_cpus;
  if (!m.run_dir.empty()) supervision["run_dir"] = m.run_dir;
  test["supervision"] = supervision;
  return test;
}

}  // namespace labour::run
