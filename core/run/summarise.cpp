// summarise(): every figure, outage and verdict of a test, from what was measured. Pure: no
// I/O, no clock; the same measurements always give the same summary.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "run/results.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::run {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Robust:
      return "robust";
    case Verdict::Unsupported:
      return "unsupported";
    case Verdict::Inconclusive:
      return "inconclusive";
    case Verdict::Degraded:
      return "degraded";
    case Verdict::Hung:
      return "hung";
    case Verdict::Down:
      return "down";
  }
  return "inconclusive";
}

std::string_view phase_name(Phase p) {
  switch (p) {
    case Phase::Baseline:
      return "baseline";
    case Phase::Fault:
      return "fault";
    case Phase::Recovery:
      return "recovery";
  }
  return "?";
}

const std::array<FigureField, 35> kFigures{{
    {"innocent_sent", &Figures::innocent_sent},
    {"innocent_failed", &Figures::innocent_failed},
    {"innocent_failure_pct", &Figures::innocent_failure_pct},
    {"baseline_p50_ms", &Figures::baseline_p50_ms},
    {"baseline_p99_ms", &Figures::baseline_p99_ms},
    {"fault_p50_ms", &Figures::fault_p50_ms},
    {"fault_p99_ms", &Figures::fault_p99_ms},
    {"p50_ratio", &Figures::p50_ratio},
    {"p99_ratio", &Figures::p99_ratio},
    {"baseline_rps", &Figures::baseline_rps},
    {"fault_innocent_rps", &Figures::fault_innocent_rps},
    {"throughput_retained_pct", &Figures::throughput_retained_pct},
    {"outages", &Figures::outages},
    {"outage_total_s", &Figures::outage_total_s},
    {"longest_outage_s", &Figures::longest_outage_s},
    {"recovery_s", &Figures::recovery_s},
    {"death_s", &Figures::death_s},
    {"worker_exits", &Figures::worker_exits},
    {"respawns", &Figures::respawns},
    {"rss_growth_mib", &Figures::rss_growth_mib},
    {"misbehaviour_sent", &Figures::misbehaviour_sent},
    {"failure_pct", &Figures::failure_pct},
    {"requests_per_second", &Figures::requests_per_second},
    {"events_dropped", &Figures::events_dropped},
    {"events_back_s", &Figures::events_back_s},
    {"events_slowest_ms", &Figures::events_slowest_ms},
    {"recovery_failed", &Figures::recovery_failed},
    {"recovery_p99_ms", &Figures::recovery_p99_ms},
    {"resends", &Figures::resends},
    {"damage_pct", &Figures::damage_pct},
    {"fds_growth", &Figures::fds_growth},
    {"threads_growth", &Figures::threads_growth},
    {"busy_after_pct", &Figures::busy_after_pct},
    {"processes_left", &Figures::processes_left},
    {"stop_sigkill", &Figures::stop_sigkill},
}};

InnocentStats innocent_stats(const engine::LoadResult& load, const std::vector<BehaviourInfo>& mix) {
  InnocentStats out;
  for (std::size_t b = 0; b < mix.size() && b < load.behaviours.size(); ++b) {
    if (!mix[b].innocent) continue;
    const auto& s = load.behaviours[b];
    out.sent += s.sent;
    out.expected += s.expected;
    out.unexpected += s.unexpected;
    out.responses += s.responses;
    out.latency.merge(s.latency);
  }
  return out;
}

namespace {

double pct(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

std::optional<double> ms(const engine::Histogram& h, double p) {
  if (h.count() == 0) return std::nullopt;
  return static_cast<double>(h.percentile(p)) / 1000.0;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// "33.3", and "<0.1" for a share that one decimal would show as none.
std::string percent(double pct) { return pct > 0 && pct < 0.05 ? "<0.1" : fixed(pct, 1); }

// "x140", "x1.3": a ratio as a person reads it.
std::string times(double ratio) { return "x" + fixed(ratio, ratio >= 10 ? 0 : 1); }

std::string millis(double v) { return fixed(v, v >= 100 ? 0 : v >= 1 ? 1 : 2) + " ms"; }

// "327 ms", "1.1 s": a latency as a person reads it, beside its ratio on the scorecard.
std::string latency(double ms) { return ms >= 1000 ? fixed(ms / 1000, 1) + " s" : millis(ms); }

// A decision's statistic: its value, its interval, and the bound it is judged by.
struct Statistic {
  const char* figure;
  std::optional<double> value;
  std::optional<Interval> range;
  double bound;
  // Decided on what this test measured (a failed or late innocent request is a fact of the
  // run); how sure that is, is the interval's to say: one that straddles the bound means an
  // identical run may land on the other side (borderline, and --repeat auto runs it again).
  bool crossed() const { return value && *value > bound; }
  bool borderline() const { return value && range && range->straddles(bound); }
  std::optional<JudgedInterval> judged() const {
    if (!range) return std::nullopt;
    return JudgedInterval{figure, *range, bound};
  }
};

// "interval 0.4..14 at 95 % around the bound 10", for a borderline reason.
std::string interval_text(const Interval& r, double bound, double confidence) {
  auto short_number = [](double v) { return fixed(v, v >= 10 ? 0 : v >= 1 ? 1 : 2); };
  return "interval " + short_number(r.low) + ".." + short_number(r.high) + " at " +
         fixed(confidence * 100, confidence * 100 == std::floor(confidence * 100) ? 0 : 1) +
         " % around the bound " + fixed(bound, bound >= 10 ? 0 : 1);
}

// Runs of buckets in which innocent requests failed, by send time; buckets in which no
// innocent request was sent at all (every connection stuck) neither end nor extend one.
std::vector<Outage> failure_outages(const std::vector<engine::TimelineBucket>& timeline,
                                    const std::vector<BehaviourInfo>& mix, double bucket_s, double end_s) {
  std::vector<Outage> out;
  std::optional<Outage> current;
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    std::uint64_t failed = 0, succeeded = 0;
    for (std::size_t b = 0; b < mix.size(); ++b) {
      if (!mix[b].innocent) continue;
      failed += timeline[i].unexpected[b];
      succeeded += timeline[i].expected[b];
    }
    const double start = static_cast<double>(i) * bucket_s;
    if (failed > 0) {
      if (!current) current = Outage{start, start, 0};
      current->end_s = start + bucket_s;
      current->failed += failed;
    } else if (succeeded > 0 && current) {
      out.push_back(*current);
      current.reset();
    }
  }
  // Not closed by a success: it lasted until the end of the test (a hung server sends
  // nothing new once every connection is stuck, and what was stuck is abandoned).
  if (current) {
    current->end_s = std::max(current->end_s, end_s);
    out.push_back(*current);
  }
  return out;
}

// Stretches of at least `bound` seconds inside [from_s, to_s) in which innocent requests were
// waiting and no innocent answer (or failure) arrived: the server said nothing to the innocent
// stream, whether or not a request failed in the end. By arrival (the timeline's `completed`)
// against what was sent and not yet answered, to the bucket; a stream with nothing in flight
// (its requests all done, or the open model between two sends) is not silenced.
std::vector<Outage> silent_outages(const std::vector<engine::TimelineBucket>& timeline,
                                   const std::vector<BehaviourInfo>& mix, double bucket_s, double from_s,
                                   double to_s, double bound) {
  std::vector<Outage> out;
  if (bucket_s <= 0 || to_s <= from_s) return out;
  const auto first = static_cast<std::size_t>(std::ceil(from_s / bucket_s - 1e-9));
  const auto last = std::min(timeline.size(),
                             static_cast<std::size_t>(std::floor(to_s / bucket_s + 1e-9)));  // exclusive
  std::optional<std::size_t> quiet_since;
  auto close = [&](std::size_t end) {
    if (quiet_since && static_cast<double>(end - *quiet_since) * bucket_s >= bound - 1e-9)
      out.push_back(
          {static_cast<double>(*quiet_since) * bucket_s, static_cast<double>(end) * bucket_s, 0, true});
    quiet_since.reset();
  };
  std::uint64_t sent = 0, answered_before = 0;  // innocent: sent up to this bucket, answered before it
  for (std::size_t i = 0; i < last; ++i) {
    std::uint64_t arrived = 0;
    for (std::size_t b = 0; b < mix.size() && b < timeline[i].completed.size(); ++b)
      if (mix[b].innocent) {
        arrived += timeline[i].completed[b];
        sent += timeline[i].sent[b];
      }
    if (i >= first) {
      if (arrived > 0 || sent <= answered_before)
        close(i);
      else if (!quiet_since)
        quiet_since = i;
    }
    answered_before += arrived;
  }
  close(last);
  return out;
}

// Both kinds, overlapping ones merged, in time order.
std::vector<Outage> merge_outages(std::vector<Outage> all) {
  std::sort(all.begin(), all.end(), [](const Outage& a, const Outage& b) { return a.start_s < b.start_s; });
  std::vector<Outage> out;
  for (const Outage& o : all) {
    if (!out.empty() && o.start_s <= out.back().end_s + 1e-9) {
      out.back().end_s = std::max(out.back().end_s, o.end_s);
      out.back().failed += o.failed;
      out.back().silent = out.back().silent && o.silent;
      continue;
    }
    out.push_back(o);
  }
  return out;
}

// Each fired event's window, innocent outcomes (counted by the engine as they arrived), the
// outages it overlaps, and the processes that came and went meanwhile.
std::vector<EventResult> event_results(const Measurements& m) {
  std::vector<EventResult> out(m.events.size());
  const auto* fault = m.phase(Phase::Fault);
  if (!fault) return out;
  const double fault_end = fault->start_s + fault->duration_s;
  for (std::size_t i = 0; i < m.events.size(); ++i) {
    const FiredEvent& e = m.events[i];
    EventResult& r = out[i];
    if (!e.fired) continue;
    r.window_end_s = fault_end;
    for (std::size_t j = i + 1; j < m.events.size(); ++j)
      if (m.events[j].fired) {
        r.window_end_s = m.events[j].fired_s;
        break;
      }
    if (i < fault->events.size()) {
      const auto& counted = fault->events[i];
      r.answered = counted.answered;
      if (counted.innocent_slowest_us > 0)
        r.innocent_slowest_ms = static_cast<double>(counted.innocent_slowest_us) / 1000.0;
      r.failures = counted.failures;
      r.dropped = counted.failed;
      // A graceful stop must close its listener: refused connections are not dropped, nor are
      // requests sent after it on a kept-alive connection that then closed, whose resend was
      // refused (a race every keep-alive client must recover from, RFC 9112 section 9.5: the
      // server may never have read them, and the retry found the listener closed). A request
      // sent before the stop that got no answer was dropped, however it ended.
      if (e.event.action == scenario::EventAction::GracefulStop) {
        const auto it = counted.failures.find("connect_refused");
        r.refused = it == counted.failures.end() ? 0 : it->second;
        r.dropped -= r.refused;
      }
    }
    // Back: an innocent answer arrived after the last failure the event saw (whose arrival
    // is then how long it lasted); not back: failures to the end of its window.
    r.back_after_s = 0.0;
    if (i < fault->events.size() && fault->events[i].last_innocent_failure_s) {
      const auto& counted = fault->events[i];
      if (counted.last_innocent_answer_s &&
          *counted.last_innocent_answer_s > *counted.last_innocent_failure_s)
        r.back_after_s = std::max(0.0, *counted.last_innocent_failure_s - e.fired_s);
      else
        r.back_after_s.reset();
    }
    for (const auto& x : m.monitor.exits)
      if (x.at_s >= e.fired_s && x.at_s < r.window_end_s) r.exits.push_back(x);
    for (const auto& j : m.monitor.joins)
      if (j.at_s >= e.fired_s && j.at_s < r.window_end_s) r.joins.push_back(j);
  }
  return out;
}

// "the reload at 2.0 s" for reasons.
std::string event_name(const FiredEvent& e) {
  char at[32];
  std::snprintf(at, sizeof at, "%.1f", e.event.at_s);
  return "the " + std::string(scenario::action_name(e.event.action)) + " at " + at + " s";
}

std::string outcome_list(const std::map<std::string, std::uint64_t>& counts, const char* except = "") {
  std::string s;
  for (const auto& [key, count] : counts)
    if (key != except) s += (s.empty() ? "" : ", ") + key + " " + std::to_string(count);
  return s;
}

std::vector<engine::TimelineBucket> merge_timelines(const Measurements& m) {
  std::vector<engine::TimelineBucket> merged;
  for (const auto& phase : m.phases)
    if (phase) engine::merge_timeline(merged, phase->timeline, m.behaviours.size());
  return merged;
}

VerdictResult decide(const Measurements& m, const scenario::Scenario& sc, const Figures& f,
                     const Summary& s) {
  const auto& th = sc.thresholds;
  const auto* baseline = m.phase(Phase::Baseline);
  const auto* fault = m.phase(Phase::Fault);
  const auto* recovery = m.phase(Phase::Recovery);
  auto verdict = [](Verdict v, std::string reason, std::string summary, std::string figure = "") {
    return VerdictResult{v, std::move(reason), std::move(summary), std::move(figure), false, std::nullopt};
  };

  // Inconclusive: the test did not test what it claims.
  std::uint64_t client_errors = 0;
  for (const auto& phase : m.phases)
    if (phase) client_errors += phase->client_errors;
  if (client_errors > 0)
    return verdict(Verdict::Inconclusive,
                   "labour's own client failed " + std::to_string(client_errors) +
                       " times (out of descriptors, buffers or ports), so failures may not be the server's",
                   "client failed");
  // A plugin that failed to judge what it saw: its outcomes say nothing of the server.
  for (std::size_t b = 0; b < m.behaviours.size(); ++b) {
    std::uint64_t errors = 0;
    for (const auto& phase : m.phases)
      if (phase && b < phase->behaviours.size()) errors += phase->behaviours[b].judge_errors;
    if (errors > 0)
      return verdict(Verdict::Inconclusive,
                     "the " + m.behaviours[b].name + " plugin failed to judge " + std::to_string(errors) +
                         " outcomes (its judge threw), so they say nothing of the server: fix the plugin",
                     m.behaviours[b].name + " failed", "");
  }
  if (std::none_of(m.behaviours.begin(), m.behaviours.end(), [](const auto& b) { return b.innocent; }))
    return verdict(
        Verdict::Inconclusive,
        "the scenario has no innocent behaviour, so nothing measures what happens to good requests",
        "no innocent");
  if (baseline) {
    const InnocentStats b = innocent_stats(*baseline, m.behaviours);
    if (b.expected == 0)
      return verdict(Verdict::Inconclusive,
                     "the baseline got no expected innocent response, so there is "
                     "nothing to compare with",
                     "no baseline");
    if (pct(b.unexpected, b.sent) > th.max_baseline_failure_pct)
      return verdict(Verdict::Inconclusive,
                     "the baseline failed: " + std::to_string(b.unexpected) + " of " +
                         std::to_string(b.sent) + " innocent requests were unexpected before any fault",
                     "baseline failed");
  }
  // An event that could not act, or whose time never came in a phase that ran its course, did
  // not test what the scenario claims. (A phase the server ended, dead or stalled, is judged.)
  const bool phase_ran_its_course =
      fault && (fault->ended_by == engine::LoadEnd::Requests || fault->ended_by == engine::LoadEnd::Duration);
  for (const FiredEvent& e : m.events) {
    if (e.failed)
      return verdict(Verdict::Inconclusive, event_name(e) + " did not happen: " + e.detail,
                     std::string(scenario::action_name(e.event.action)) + " failed");
    if (!e.fired && phase_ran_its_course)
      return verdict(
          Verdict::Inconclusive,
          event_name(e) + " never fired: the fault phase ended after " + fixed(fault->duration_s, 1) + " s",
          std::string(scenario::action_name(e.event.action)) + " not fired");
  }
  // A graceful stop is asked to end the server: what matters is what it dropped on the way out.
  for (std::size_t i = 0; i < m.events.size(); ++i) {
    const FiredEvent& e = m.events[i];
    if (e.event.action != scenario::EventAction::GracefulStop || !e.fired) continue;
    const std::string stop = "the graceful stop (" + supervisor::signal_name(e.signal) + ")";
    std::optional<double> exited_after;
    for (const auto& x : m.monitor.exits)
      if (x.leader && x.at_s >= e.fired_s) exited_after = x.at_s - e.fired_s;
    if (!exited_after) {
      // Watched to the end of the fault phase and its drain (the monitor's last sample).
      const double watched =
          m.monitor.samples.empty() ? fault->start_s + fault->duration_s : m.monitor.samples.back().at_s;
      return verdict(
          Verdict::Hung,
          "the main process was still running " + fixed(watched - e.fired_s, 1) + " s after " + stop, "hung",
          "death_s");
    }
    const std::string exited = "; the main process exited " + fixed(*exited_after, 1) + " s after it";
    // Innocent failures that arrived before the stop fired are not the stop's doing.
    std::uint64_t before = f.innocent_failed ? static_cast<std::uint64_t>(*f.innocent_failed) : 0;
    for (std::size_t j = i; j < m.events.size() && j < fault->events.size(); ++j)
      before -= std::min(before, fault->events[j].innocent_failed);
    // ... and are judged as any fault phase's failures are, against the scenario's bound.
    const double sent = f.innocent_sent.value_or(0);
    if (before > 0 && (sent <= 0 || 100.0 * static_cast<double>(before) / sent > th.max_innocent_failure_pct))
      return verdict(Verdict::Degraded,
                     std::to_string(before) + " innocent requests failed before " + stop + exited,
                     std::to_string(before) + " failed", "innocent_failed");
    const EventResult& r = s.events[i];
    if (r.dropped > 0)
      return verdict(Verdict::Degraded,
                     stop + " dropped " + std::to_string(r.dropped) + " requests it had taken (" +
                         outcome_list(r.failures, "connect_refused") + ")" + exited,
                     "dropped " + std::to_string(r.dropped), "events_dropped");
    return verdict(Verdict::Robust,
                   stop + " answered every request it had taken (" + std::to_string(r.answered) + "; " +
                       std::to_string(r.refused) + " refused once its listener closed)" + exited,
                   "robust");
  }
  // A fault phase the server stalled ended before its schedule did: what was not sent then is
  // not the scenario's fault, and the stall is the finding (hung or degraded, below).
  if (fault && fault->ended_by != engine::LoadEnd::Stalled) {
    for (std::size_t i = 0; i < m.behaviours.size(); ++i) {
      if (m.behaviours[i].innocent) continue;
      const std::uint64_t sent = fault->behaviours[i].sent;
      if (sent < th.min_misbehaviour)
        return verdict(Verdict::Inconclusive,
                       m.behaviours[i].name + " was sent " + std::to_string(sent) +
                           " times; the scenario requires at least " + std::to_string(th.min_misbehaviour) +
                           " (more requests, or policy = \"spaced\")",
                       m.behaviours[i].name + " sent " + std::to_string(sent) + "x", "misbehaviour_sent");
    }
  }

  const bool recovered = recovery && recovery->ended_by == engine::LoadEnd::Recovered;
  const InnocentStats after = recovery ? innocent_stats(*recovery, m.behaviours) : InnocentStats{};
  std::string died;  // "the main process ended 0.1 s into the fault phase (killed by SIGSEGV)"
  if (f.death_s) {
    const double at = std::max(0.0, *f.death_s - (fault ? fault->start_s : 0.0));
    died = "the main process ended " + fixed(at, 1) + " s into the fault phase";
    for (const auto& e : m.monitor.exits)
      if (e.leader) died += " (" + e.cause + ")";
    if (after.expected == 0)
      return verdict(Verdict::Down, died + " and nothing answered after", "down at " + fixed(at, 1) + " s",
                     "death_s");
  }
  const std::string alive = died.empty() ? "alive" : died + "; something still answers";
  if (!recovered && after.expected == 0) {
    const double bound = recovery ? recovery->duration_s : 0;
    return verdict(
        Verdict::Hung,
        alive + ", but no innocent request succeeded in the " + fixed(bound, 1) + " s recovery phase", "hung",
        "recovery_s");
  }
  if (!recovered) {
    // Answers came, but never `recovered_after` in a row at a normal latency.
    return verdict(Verdict::Degraded,
                   alive + ", but innocent requests were still slow or failing at the end: recovery p99 " +
                       millis(static_cast<double>(after.latency.percentile(99)) / 1000.0) + " vs baseline " +
                       millis(f.baseline_p99_ms.value_or(0)),
                   "not back", "recovery_s");
  }

  std::string back = f.recovery_s && *f.recovery_s > 0
                         ? "; back " + fixed(*f.recovery_s, 1) + " s after the fault phase"
                         : "";
  // Whatever still answers, a server whose main process died is not the one that was started.
  if (!died.empty())
    return verdict(Verdict::Degraded, died + "; what it left behind (orphaned workers) still answers" + back,
                   "main process died", "death_s");
  // The event that dropped the most innocent requests, named with what it dropped.
  const EventResult* worst = nullptr;
  const FiredEvent* worst_event = nullptr;
  for (std::size_t i = 0; i < s.events.size(); ++i)
    if (s.events[i].dropped > 0 && (!worst || s.events[i].dropped > worst->dropped)) {
      worst = &s.events[i];
      worst_event = &m.events[i];
    }
  if (worst)
    back += "; " + event_name(*worst_event) + " dropped " + std::to_string(worst->dropped) + " (" +
            outcome_list(worst->failures) + ")";
  // Innocent requests that never got an outcome are no proof of health: a server that answered
  // none of them in a fault phase bounded by time (they were all still waiting at its end,
  // each younger than its timeout) has failed them as surely as a timeout would have.
  if (fault && f.innocent_sent && *f.innocent_sent == 0 && fault->innocent_abandoned > 0)
    return verdict(Verdict::Degraded,
                   "no innocent request got an answer in the fault phase: " +
                       std::to_string(fault->innocent_abandoned) + " were still waiting when it ended" + back,
                   "no answers", "innocent_sent");
  // The statistics, each with its interval: a certain crossing decides first, so a verdict is
  // borderline only when no other evidence is sure.
  auto range_of = [&s](const char* figure) -> std::optional<Interval> {
    const auto it = s.intervals.find(figure);
    return it == s.intervals.end() ? std::nullopt : std::optional<Interval>(it->second);
  };
  const std::array<Statistic, 3> statistics{{
      {"innocent_failure_pct", f.innocent_failure_pct, range_of("innocent_failure_pct"),
       th.max_innocent_failure_pct},
      {"p99_ratio", f.p99_ratio, range_of("p99_ratio"), th.max_p99_ratio},
      {"p50_ratio", f.p50_ratio, range_of("p50_ratio"), th.max_p50_ratio},
  }};
  const Statistic* decider = nullptr;
  for (const auto& st : statistics)
    if (st.crossed() && !st.borderline()) {
      decider = &st;
      break;
    }
  for (const auto& st : statistics)
    if (!decider && st.crossed()) decider = &st;
  // A borderline one waits: a fact found below (a failed recovery, a silence, a resource past
  // its bound) makes the verdict degraded for certain.
  std::optional<VerdictResult> borderline_damage;
  if (decider) {
    const std::string figure = decider->figure;
    VerdictResult v;
    if (figure == "innocent_failure_pct") {
      std::string outcomes;
      for (const auto& [key, count] : s.innocent_failures)
        outcomes += (outcomes.empty() ? "" : ", ") + key + " " + std::to_string(count);
      v = verdict(Verdict::Degraded,
                  percent(*f.innocent_failure_pct) + " % of innocent requests failed (" +
                      fixed(f.innocent_failed.value_or(0), 0) + " of " +
                      fixed(f.innocent_sent.value_or(0), 0) + (outcomes.empty() ? "" : ": " + outcomes) +
                      ")" + back,
                  percent(*f.innocent_failure_pct) + "% failed", figure);
    } else {
      const bool p99 = figure == "p99_ratio";
      const double now = (p99 ? f.fault_p99_ms : f.fault_p50_ms).value_or(0);
      const double before = (p99 ? f.baseline_p99_ms : f.baseline_p50_ms).value_or(0);
      const std::string name = p99 ? "p99" : "p50";
      v = verdict(Verdict::Degraded,
                  "innocent " + name + " " + times(*decider->value) + " of baseline (" + millis(now) +
                      " vs " + millis(before) + ")" + back,
                  name + " " + latency(now) + " (" + times(*decider->value) + ")", figure);
    }
    v.interval = decider->judged();
    v.borderline = decider->borderline();
    if (v.borderline)
      v.reason += "; borderline: " + interval_text(v.interval->range, decider->bound, s.confidence);
    if (!v.borderline) return v;
    borderline_damage = std::move(v);
  }
  if (th.min_throughput_pct > 0 && f.throughput_retained_pct &&
      *f.throughput_retained_pct < th.min_throughput_pct)
    return verdict(
        Verdict::Degraded,
        "innocent throughput fell to " + fixed(*f.throughput_retained_pct, 0) + " % of baseline" + back,
        "throughput " + fixed(*f.throughput_retained_pct, 0) + "%", "throughput_retained_pct");
  // After the fault phase: a server that still fails or keeps innocent requests waiting has
  // not shrugged the fault off.
  if (f.recovery_failed && *f.recovery_failed > 0) {
    std::string outcomes;
    for (std::size_t b = 0; b < m.behaviours.size() && recovery && b < recovery->behaviours.size(); ++b)
      if (m.behaviours[b].innocent)
        for (const auto& [key, count] : recovery->behaviours[b].unexpected_outcomes)
          outcomes += (outcomes.empty() ? "" : ", ") + key + " " + std::to_string(count);
    return verdict(Verdict::Degraded,
                   fixed(*f.recovery_failed, 0) + " innocent requests failed after the fault phase (" +
                       outcomes + ")" + back,
                   fixed(*f.recovery_failed, 0) + " failed after", "recovery_failed");
  }
  for (const Outage& o : s.outages)
    if (o.silent) {
      const double lasted = o.end_s - o.start_s;
      VerdictResult v = verdict(Verdict::Degraded,
                                "no innocent request was answered for " + fixed(lasted, 1) + " s (from " +
                                    fixed(o.start_s, 1) + " s)" + back,
                                "silent " + fixed(lasted, 1) + " s", "longest_outage_s");
      // Measured to the timeline's bucket: a silence within a bucket of its bound may not be
      // one in an identical run.
      const double bucket_s = s.bucket_ms / 1000.0;
      v.interval =
          JudgedInterval{"longest_outage_s", {lasted - bucket_s, lasted + bucket_s}, s.silence_bound_s};
      v.borderline = v.interval->range.straddles(s.silence_bound_s);
      if (v.borderline)
        v.reason += "; borderline: measured to " + fixed(bucket_s, 1) + " s around the bound " +
                    fixed(s.silence_bound_s, 1) + " s";
      if (!v.borderline) return v;
      if (!borderline_damage) borderline_damage = std::move(v);
      break;
    }
  // What the server consumed or left behind: past a bound it is not robust, whatever innocent
  // requests saw.
  struct Resource {
    std::optional<double> value;
    double bound;
    const char* figure;
    std::string summary;  // for the scorecard: "RSS +554 MiB"
    std::string detail;   // the rest of the reason
  };
  const double fault_s = fault ? fault->duration_s : 0;
  const std::string over = " over a " + fixed(fault_s, 1) + " s fault phase (bound ";
  const Resource resources[] = {
      {f.rss_growth_mib, th.max_rss_growth_mib, "rss_growth_mib",
       "RSS +" + fixed(f.rss_growth_mib.value_or(0), 0) + " MiB",
       over + fixed(th.max_rss_growth_mib, 0) + " MiB)"},
      {f.fds_growth, th.max_fds_growth, "fds_growth", "descriptors +" + fixed(f.fds_growth.value_or(0), 0),
       over + fixed(th.max_fds_growth, 0) + ")"},
      {f.threads_growth, th.max_threads_growth, "threads_growth",
       "threads +" + fixed(f.threads_growth.value_or(0), 0), over + fixed(th.max_threads_growth, 0) + ")"},
      {f.busy_after_pct, th.max_busy_after_pct, "busy_after_pct",
       "busy " + fixed(f.busy_after_pct.value_or(0), 0) + "% after",
       ": still burning that much of a core with no request in flight (bound " +
           fixed(th.max_busy_after_pct, 0) + " %)"},
      {f.respawns, th.max_respawns, "respawns", fixed(f.respawns.value_or(0), 0) + " respawns",
       " of workers (bound " + fixed(th.max_respawns, 0) + ")"},
      {f.processes_left, th.max_processes_left, "processes_left",
       fixed(f.processes_left.value_or(0), 0) + " processes left",
       " behind after the server stopped (bound " + fixed(th.max_processes_left, 0) + ")"},
      {f.stop_sigkill, th.allow_sigkill_stop ? 1.0 : 0.0, "stop_sigkill", "stop needed SIGKILL",
       ": it did not end on SIGINT or SIGTERM"},
  };
  for (const auto& r : resources)
    if (r.value && *r.value > r.bound)
      return verdict(Verdict::Degraded, r.summary + r.detail + back, r.summary, r.figure);
  if (borderline_damage) return *borderline_damage;
  // No damage seen, but the attack was not all there: that proves nothing.
  for (std::size_t b = 0; b < m.behaviours.size() && fault; ++b) {
    const auto wanted = m.behaviours[b].connections;
    const auto connected = b < fault->scripts_connected.size() ? fault->scripts_connected[b] : wanted;
    if (wanted > 0 && connected < wanted)
      return verdict(Verdict::Inconclusive,
                     m.behaviours[b].name + " established " + std::to_string(connected) + " of its " +
                         std::to_string(wanted) + " connections within " +
                         fixed(static_cast<double>(engine::kScriptSettleBound.count()) / 1000.0, 0) +
                         " s (the server's listen queue was full), so the attack was not delivered whole",
                     m.behaviours[b].name + " " + std::to_string(connected) + "/" + std::to_string(wanted),
                     "");
  }
  // A verdict of no damage is borderline when a statistic's evidence straddles its bound.
  std::string robust = "no innocent request failed" +
                       (f.p99_ratio ? "; innocent p99 " + times(*f.p99_ratio) + " of baseline (" +
                                          millis(f.fault_p99_ms.value_or(0)) + ")"
                                    : std::string());
  if (f.rss_growth_mib)
    robust += "; RSS " + std::string(*f.rss_growth_mib < 0 ? "" : "+") + fixed(*f.rss_growth_mib, 0) + " MiB";
  // A server that contains a leak does it by recycling workers: say so.
  if (f.respawns && *f.respawns > 0) robust += "; " + fixed(*f.respawns, 0) + " workers replaced";
  VerdictResult v = verdict(Verdict::Robust, robust, "robust");
  for (const auto& st : statistics)
    if (st.borderline()) {
      v.borderline = true;
      v.interval = st.judged();
      v.reason +=
          "; borderline: " + std::string(st.figure) + " " + interval_text(*st.range, st.bound, s.confidence);
      break;
    }
  return v;
}

}  // namespace

Summary summarise(const Measurements& m, const scenario::Scenario& sc) {
  Summary s;
  Figures& f = s.figures;
  const auto* baseline = m.phase(Phase::Baseline);
  const auto* fault = m.phase(Phase::Fault);
  const auto* recovery = m.phase(Phase::Recovery);
  for (const auto& phase : m.phases)
    if (phase) s.bucket_ms = phase->timeline_bucket_ms;
  s.timeline = merge_timelines(m);

  const double floor = sc.thresholds.latency_floor_ms;
  std::optional<InnocentStats> base;
  if (baseline) {
    base = innocent_stats(*baseline, m.behaviours);
    f.baseline_p50_ms = ms(base->latency, 50);
    f.baseline_p99_ms = ms(base->latency, 99);
    if (baseline->duration_s > 0)
      f.baseline_rps = static_cast<double>(base->responses) / baseline->duration_s;
  }
  if (fault) {
    const InnocentStats in = innocent_stats(*fault, m.behaviours);
    f.innocent_sent = static_cast<double>(in.sent);
    f.innocent_failed = static_cast<double>(in.unexpected);
    f.innocent_failure_pct = pct(in.unexpected, in.sent);
    f.fault_p50_ms = ms(in.latency, 50);
    f.fault_p99_ms = ms(in.latency, 99);
    // Ratios compare against at least the floor, so sub-millisecond noise is not a fault.
    auto ratio = [floor](std::optional<double> now, std::optional<double> before) -> std::optional<double> {
      if (!now || !before) return std::nullopt;
      return std::max(*now, floor) / std::max({*before, floor, 1e-3});
    };
    f.p50_ratio = ratio(f.fault_p50_ms, f.baseline_p50_ms);
    f.p99_ratio = ratio(f.fault_p99_ms, f.baseline_p99_ms);
    // Each decision's figure with its interval (run/confidence): for the failure rate, where an
    // identical run would find it; for a latency ratio, where the true one lies.
    s.confidence = sc.thresholds.confidence;
    if (in.sent > 0)
      s.intervals["innocent_failure_pct"] = rate_interval(in.unexpected, in.sent, s.confidence);
    if (base)
      for (const auto& [name, p] : {std::pair{"p50_ratio", 50.0}, std::pair{"p99_ratio", 99.0}})
        if (auto r = ratio_interval(in.latency, base->latency, p, floor * 1000, s.confidence))
          s.intervals[name] = *r;
    // The size of the damage: innocent requests that failed, or answered later than a degraded
    // verdict's latency allows.
    if (in.sent > 0) {
      std::uint64_t late = 0;
      if (f.baseline_p99_ms) {
        const double bound_ms = std::max(*f.baseline_p99_ms, floor) * sc.thresholds.max_p99_ratio;
        late = in.latency.count_above(static_cast<std::uint64_t>(bound_ms * 1000));
      }
      f.damage_pct = pct(in.unexpected + late, in.sent);
    }
    if (fault->duration_s > 0) f.fault_innocent_rps = static_cast<double>(in.responses) / fault->duration_s;
    if (f.fault_innocent_rps && f.baseline_rps && *f.baseline_rps > 0)
      f.throughput_retained_pct = 100.0 * *f.fault_innocent_rps / *f.baseline_rps;

    std::uint64_t sent = 0, unexpected = 0, responses = 0, misbehaviour = 0;
    for (std::size_t b = 0; b < m.behaviours.size() && b < fault->behaviours.size(); ++b) {
      const auto& st = fault->behaviours[b];
      sent += st.sent;
      unexpected += st.unexpected;
      responses += st.responses;
      if (!m.behaviours[b].innocent)
        misbehaviour += st.sent;
      else
        for (const auto& [key, count] : st.unexpected_outcomes) s.innocent_failures[key] += count;
    }
    f.misbehaviour_sent = static_cast<double>(misbehaviour);
    f.failure_pct = pct(unexpected, sent);
    f.requests_per_second = fault->duration_s > 0 ? static_cast<double>(responses) / fault->duration_s : 0.0;
    s.labour_failed = *f.failure_pct > kLabourFailedAbovePct;
  }

  if (recovery) {
    const InnocentStats after = innocent_stats(*recovery, m.behaviours);
    f.recovery_failed = static_cast<double>(after.unexpected);
    f.recovery_p99_ms = ms(after.latency, 99);
  }
  std::uint64_t resends = 0;
  for (const auto& phase : m.phases)
    if (phase) resends += phase->resends;
  f.resends = static_cast<double>(resends);

  double end_s = 0;
  for (const auto& phase : m.phases)
    if (phase) end_s = std::max(end_s, phase->start_s + phase->duration_s);
  const double bucket_s = s.bucket_ms / 1000.0;
  std::vector<Outage> outages = failure_outages(s.timeline, m.behaviours, bucket_s, end_s);
  // Silence is judged where the innocent stream ran against the fault and after it: four of its
  // usual intervals (the open model's, or the baseline's mean), at least kSilentOutageFloorS.
  double interval_s = sc.rate > 0 ? 1.0 / sc.rate : 0.0;
  if (base && base->responses > 0 && baseline->duration_s > 0)
    interval_s = std::max(interval_s, baseline->duration_s / static_cast<double>(base->responses));
  const double silence_bound = std::max(kSilentOutageFloorS, 4 * interval_s);
  s.silence_bound_s = silence_bound;
  for (const auto* phase : {fault, recovery})
    if (phase)
      for (const Outage& o :
           silent_outages(s.timeline, m.behaviours, bucket_s, std::max(phase->start_s, phase->mix_start_s),
                          phase->start_s + phase->duration_s, silence_bound))
        outages.push_back(o);
  s.outages = merge_outages(std::move(outages));
  double total = 0, longest = 0;
  for (const auto& o : s.outages) {
    total += o.end_s - o.start_s;
    longest = std::max(longest, o.end_s - o.start_s);
  }
  f.outages = static_cast<double>(s.outages.size());
  f.outage_total_s = total;
  f.longest_outage_s = longest;

  s.events = event_results(m);
  if (!m.events.empty()) {
    double dropped = 0, back = 0, slowest = 0;
    bool never_back = false;
    for (std::size_t i = 0; i < s.events.size(); ++i) {
      if (!m.events[i].fired) continue;
      dropped += static_cast<double>(s.events[i].dropped);
      slowest = std::max(slowest, s.events[i].innocent_slowest_ms.value_or(0));
      if (s.events[i].back_after_s)
        back = std::max(back, *s.events[i].back_after_s);
      else
        never_back = true;
    }
    f.events_dropped = dropped;
    f.events_slowest_ms = slowest;
    if (!never_back) f.events_back_s = back;
  }

  // From the recovery phase's start: the moment between two phases is labour's, not the server's.
  if (fault && recovery && recovery->recovered_at_s)
    f.recovery_s = std::max(0.0, *recovery->recovered_at_s - recovery->start_s);

  std::uint64_t worker_exits = 0;
  for (const auto& e : m.monitor.exits) {
    if (e.leader && !f.death_s) f.death_s = e.at_s;
    if (e.worker) ++worker_exits;
  }
  f.worker_exits = static_cast<double>(worker_exits);
  // A respawn replaces a worker that ended; workers that merely start late are not one, nor
  // are the processes an application forks (they are the workers' children, not the master's).
  f.respawns = static_cast<double>(std::min<std::uint64_t>(m.monitor.workers_joined, worker_exits));
  if (f.death_s) {
    // A dead server's throughput and memory are not figures of the server.
    f.fault_innocent_rps.reset();
    f.throughput_retained_pct.reset();
  } else if (!m.monitor.samples.empty()) {
    const auto& first = m.monitor.samples.front();
    const auto& last = m.monitor.samples.back();
    f.rss_growth_mib =
        (static_cast<double>(last.rss_bytes) - static_cast<double>(first.rss_bytes)) / (1024.0 * 1024.0);
    f.threads_growth = static_cast<double>(last.threads) - static_cast<double>(first.threads);
    if (first.fds >= 0 && last.fds >= 0) f.fds_growth = static_cast<double>(last.fds - first.fds);
    // CPU burnt while idle, after the load: a worker still spinning on a request long gone.
    if (m.idle_from_s) {
      const auto from = std::find_if(m.monitor.samples.begin(), m.monitor.samples.end(),
                                     [&](const monitor::Sample& x) { return x.at_s >= *m.idle_from_s; });
      if (from != m.monitor.samples.end() && last.at_s - from->at_s >= kIdleWatchS / 2)
        f.busy_after_pct = 100.0 * (last.cpu_s - from->cpu_s) / (last.at_s - from->at_s);
    }
  }
  f.stop_sigkill = m.stop.signal_needed == "SIGKILL" ? 1.0 : 0.0;
  f.processes_left = static_cast<double>(m.stop.orphans_killed);

  s.verdict = decide(m, sc, f, s);
  return s;
}

namespace {

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

Summary combine(const std::vector<Summary>& runs, Repeats& repeats) {
  repeats.runs = runs;
  repeats.seen.clear();
  Summary out = runs.front();
  for (const auto& field : kFigures) {
    std::vector<double> values;
    for (const auto& r : runs)
      if (const auto& v = r.figures.*field.member) values.push_back(*v);
    out.figures.*field.member = median(values);
    if (!values.empty()) {
      repeats.min.*field.member = *std::min_element(values.begin(), values.end());
      repeats.max.*field.member = *std::max_element(values.begin(), values.end());
    }
  }
  const Summary* chosen = &runs.front();  // --repeat N: the worst verdict seen
  for (const auto& r : runs) {
    ++repeats.seen[r.verdict.value];
    if (r.verdict.value > chosen->verdict.value) chosen = &r;
  }
  // --repeat auto ran again because the evidence was borderline: the run that settled it (the
  // last, certain) decides; one that never settled takes the verdict seen most (ties: worse).
  if (repeats.automatic) {
    if (!runs.back().verdict.borderline) {
      chosen = &runs.back();
    } else {
      for (const auto& r : runs)
        if (repeats.seen[r.verdict.value] > repeats.seen[chosen->verdict.value] ||
            (repeats.seen[r.verdict.value] == repeats.seen[chosen->verdict.value] &&
             r.verdict.value > chosen->verdict.value))
          chosen = &r;
    }
  }
  out.verdict = chosen->verdict;
  const int times_seen = repeats.seen[chosen->verdict.value];
  out.verdict.reason = "in " + std::to_string(times_seen) + " of " + std::to_string(runs.size()) +
                       " runs: " + chosen->verdict.reason;
  // Runs that all agree are the evidence a single borderline run lacked.
  out.verdict.borderline = repeats.seen.size() > 1;
  // Labour's rule on the median failure %, like every other figure.
  out.labour_failed = out.figures.failure_pct && *out.figures.failure_pct > kLabourFailedAbovePct;
  return out;
}

}  // namespace labour::run
