// labour's results document (docs/results-schema.md) read into plain views, and the few
// ways of writing its numbers that labour's reporters agree on. Header-only, C++17, like
// the rest of the SDK, but needs nlohmann/json (https://github.com/nlohmann/json, Debian's
// nlohmann-json3-dev): a reporter receives the document as JSON text.
//
//   const labour::reporters::Document doc = labour::reporters::read_document(results_json);
//   for (const auto& t : doc.tests) out << t.label << " " << verdict_cell(t) << "\n";
//
// Presence is lenient (optional sections may be missing, unknown fields are ignored);
// types are strict, because a wrong type means the file is not what it claims to be.
// Producers compute every figure and verdict once; a reporter formats what the document
// holds and derives nothing, so nothing here computes a figure either.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <labour/printable.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace labour::reporters {

using Json = nlohmann::ordered_json;  // keeps the document's order for params, options, figures

// The one version of the results document, for its writer (core/run) and its readers.
inline constexpr int kSchemaVersion = 2;

// The verdicts this version of labour gives (docs/results-schema.md, "Verdicts"), in the
// order a legend lists them. Readers still show any other value as it is.
inline constexpr const char* kVerdicts[] = {"robust", "degraded",     "hung",
                                            "down",   "inconclusive", "unsupported"};

// ------------------------------------------------------------------ reading ----------

[[noreturn]] inline void malformed(const std::string& path, std::string_view what) {
  throw std::runtime_error("results document: " + path + " " + std::string(what) +
                           " (see docs/results-schema.md)");
}

inline const Json* find(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

inline std::optional<std::string> opt_string(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) malformed(path + "." + key, "is not a string");
  return v->get<std::string>();
}

inline std::string req_string(const Json& obj, const char* key, const std::string& path) {
  auto s = opt_string(obj, key, path);
  if (!s) malformed(path + "." + key, "is missing");
  return *s;
}

inline std::optional<double> opt_number(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) malformed(path + "." + key, "is not a number");
  return v->get<double>();
}

inline std::optional<std::uint64_t> opt_count(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number_unsigned()) malformed(path + "." + key, "is not a non-negative integer");
  return v->get<std::uint64_t>();
}

inline const Json* opt_object(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v && !v->is_object()) malformed(path + "." + key, "is not an object");
  return v;
}

inline const Json* opt_array(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v && !v->is_array()) malformed(path + "." + key, "is not an array");
  return v;
}

inline std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Parameter and option values are strings in the schema; numbers are shown as written.
inline std::string scalar_text(const Json& v, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  malformed(path, "is not a string");
}

using TextMap = std::vector<std::pair<std::string, std::string>>;
using CountMap = std::vector<std::pair<std::string, std::uint64_t>>;
using NumberMap = std::vector<std::pair<std::string, std::optional<double>>>;  // null: not measured

inline TextMap string_map(const Json* obj, const std::string& path) {
  TextMap out;
  if (!obj) return out;
  for (const auto& [k, v] : obj->items()) out.emplace_back(k, scalar_text(v, path + "." + k));
  return out;
}

// An object's settings as text, nested objects flattened ("phases.stall_s"); lists of
// scalars joined by ", "; "name" and "mix" are left to their own fields.
inline void flat_settings(const Json& obj, const std::string& prefix, const std::string& path, TextMap& out) {
  for (const auto& [k, v] : obj.items()) {
    if (prefix.empty() && (k == "name" || k == "mix")) continue;
    const std::string key = prefix + k, p = path + "." + k;
    if (v.is_object()) {
      flat_settings(v, key + ".", p, out);
    } else if (v.is_array()) {
      // Scalars as they are; objects (lifecycle events) as their "key=value" words.
      std::string joined;
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::string item;
        if (v[i].is_object()) {
          for (const auto& [ik, iv] : v[i].items())
            if (!iv.is_object() && !iv.is_array() && !iv.is_null())
              item += (item.empty() ? "" : " ") + ik + "=" + scalar_text(iv, at(p, i) + "." + ik);
        } else if (!v[i].is_array() && !v[i].is_null()) {
          item = scalar_text(v[i], at(p, i));
        }
        if (!item.empty()) joined += (joined.empty() ? "" : ", ") + item;
      }
      out.emplace_back(key, joined);
    } else if (!v.is_null()) {
      out.emplace_back(key, scalar_text(v, p));
    }
  }
}

inline CountMap count_map(const Json* obj, const std::string& path) {
  CountMap out;
  if (!obj) return out;
  for (const auto& [k, v] : obj->items()) {
    if (!v.is_number_unsigned()) malformed(path + "." + k, "is not a non-negative integer");
    out.emplace_back(k, v.get<std::uint64_t>());
  }
  return out;
}

// Figures: name -> number, or null when the figure could not be measured.
inline NumberMap number_map(const Json* obj, const std::string& path) {
  NumberMap out;
  if (!obj) return out;
  for (const auto& [k, v] : obj->items()) {
    if (!v.is_null() && !v.is_number()) malformed(path + "." + k, "is not a number or null");
    out.emplace_back(k, v.is_null() ? std::nullopt : std::optional<double>(v.get<double>()));
  }
  return out;
}

inline std::optional<double> lookup(const NumberMap& m, std::string_view name) {
  for (const auto& [k, v] : m)
    if (k == name) return v;
  return std::nullopt;
}

inline std::vector<double> numbers(const Json* arr, const std::string& path) {
  std::vector<double> out;
  if (!arr) return out;
  if (!arr->is_array()) malformed(path, "is not an array");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (!(*arr)[i].is_number()) malformed(at(path, i), "is not a number");
    out.push_back((*arr)[i].get<double>());
  }
  return out;
}

// An array of numbers where null means "nothing to measure here" (e.g. a bucket's latency).
inline std::vector<std::optional<double>> optional_numbers(const Json* arr, const std::string& path) {
  std::vector<std::optional<double>> out;
  if (!arr) return out;
  if (!arr->is_array()) malformed(path, "is not an array");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const Json& v = (*arr)[i];
    if (!v.is_null() && !v.is_number()) malformed(at(path, i), "is not a number or null");
    out.push_back(v.is_null() ? std::nullopt : std::optional<double>(v.get<double>()));
  }
  return out;
}

inline std::vector<std::vector<double>> number_rows(const Json* arr, const std::string& path) {
  std::vector<std::vector<double>> out;
  if (!arr) return out;
  if (!arr->is_array()) malformed(path, "is not an array");
  for (std::size_t i = 0; i < arr->size(); ++i) out.push_back(numbers(&(*arr)[i], at(path, i)));
  return out;
}

// ------------------------------------------------------------------ views ------------

struct Latency {
  std::optional<std::uint64_t> count;
  std::optional<double> p50_us, p90_us, p99_us, max_us;
};

// An interval of a figure at the verdict's confidence: a rerun's figure lands in it.
struct Interval {
  double low = 0, high = 0;
};

// The deciding (or straddling) figure's interval and the bound it was judged against.
struct VerdictInterval {
  std::string figure;  // its name in `figures`, e.g. "p99_ratio"
  double low = 0, high = 0;
  std::optional<double> bound;
};

// The verdict of a completed test. `value` is an open set: show unknown values as they are.
// Fields after `figure` came later: documents without them read as before.
struct VerdictView {
  std::string value;                   // robust, degraded, hung, down, inconclusive, ...
  std::optional<std::string> reason;   // one line naming what decided it
  std::optional<std::string> summary;  // the deciding figure, short: "p99 x132", "down at 0.2 s"
  std::optional<std::string> figure;   // its name in `figures`; absent when none decided
  // "certain" or "borderline" (the evidence straddles a bound: an identical rerun may give
  // another verdict); an open set; absent in older documents, which read as certain.
  std::optional<std::string> certainty;
  std::optional<double> confidence;         // the level of the intervals, e.g. 0.95
  std::optional<VerdictInterval> interval;  // the deciding or straddling figure's interval

  bool borderline() const { return certainty && *certainty == "borderline"; }
};

struct BehaviourView {
  std::string name;
  TextMap params;
  std::optional<double> weight;
  bool innocent = false;
  bool client_driven = false;  // runs its own `connections` beside the mix
  std::optional<std::uint64_t> connections;
  std::optional<std::uint64_t> sent, expected, unexpected, responses;
  CountMap outcomes;
  std::optional<CountMap> unexpected_outcomes;
  std::optional<Latency> latency, unexpected_latency;  // absent when count is 0
};

struct Totals {
  std::optional<std::uint64_t> sent, expected, unexpected, innocent_sent, innocent_unexpected;
  std::optional<double> failure_pct;
};

// One phase of a test (baseline, fault, recovery), on the test's time axis.
struct PhaseView {
  std::string name;
  std::optional<double> start_s, duration_s;
  std::optional<std::string> ended_by;
  std::optional<std::uint64_t> sent, responses, expected, unexpected, abandoned;
  std::optional<std::uint64_t> innocent_sent, innocent_unexpected, innocent_responses;
  std::optional<Latency> innocent_latency;
};

struct OutageView {
  std::optional<double> start_s, end_s;
  std::optional<std::uint64_t> failed;
  std::optional<bool> silent;  // found as a stretch without answers (schema 2, later documents)
};

struct Supervision {
  std::optional<double> port, start_seconds, stop_seconds;
  std::optional<std::uint64_t> orphans;
  std::optional<std::string> stop_signal, exit, run_dir, server_cpus, client_cpus;
};

// Start, end and peak of one monitored quantity.
struct Span {
  std::optional<std::uint64_t> start, end, peak;
};

struct ExitView {
  double t_s = 0;  // on the test's time axis
  std::string cause;
  bool leader = false;
};

struct MonitorView {
  Span processes, rss_bytes;
  std::optional<std::uint64_t> joined, exits;
  CountMap exit_causes;
  std::vector<ExitView> first_exits;
  std::optional<double> cpu_seconds;
  std::vector<double> t_s, series_processes, series_rss_bytes, series_cpu_s;  // the samples
};

// The timeline: per bucket, per behaviour (index into the test's behaviours). sent,
// expected and unexpected count by send time, completed by when the outcome arrived.
struct TimelineView {
  double bucket_ms = 0;
  std::vector<std::vector<double>> sent, expected, unexpected, completed;
  std::vector<std::optional<double>> innocent_p50_us, innocent_p99_us;  // per bucket
};

// A cell that ran several times: `figures` of the test then hold the medians.
struct RepeatRun {
  std::optional<VerdictView> verdict;
  NumberMap figures;
};
struct RepeatView {
  std::optional<std::uint64_t> count;
  bool automatic = false;  // "auto": labour reran a borderline cell on its own
  CountMap verdicts;       // verdict value -> runs
  NumberMap figures_min, figures_max;
  std::vector<RepeatRun> runs;
};

struct ScenarioView {
  std::string name;
  std::optional<std::string> source, policy;
  std::optional<double> requests, duration_s, concurrency, rate, timeout_ms, seed, threads;
  std::optional<bool> keep_alive;
  // Every setting as written, nested keys joined by '.' ("phases.stall_s" -> "5.0"), lists
  // joined by ", "; the mix is in the test's behaviours.
  TextMap settings;
};

// One lifecycle event (reload, kill_worker, ...) and what it did in its window.
struct EventView {
  std::string action;
  std::optional<double> at_s, seconds, fired_s, resumed_s, window_end_s, back_after_s, innocent_slowest_ms;
  bool fired = false, failed = false;
  std::optional<std::string> detail, signal;
  std::optional<std::uint64_t> pid, answered, dropped, refused, exited, joined;
  CountMap failures;  // innocent outcome key -> count
};

struct TestView {
  std::string label, status;
  std::optional<std::string> server_name, server_version, error;  // server_name: the adapter
  TextMap server_options;
  ScenarioView scenario;
  std::optional<VerdictView> verdict;         // completed tests
  std::optional<std::string> labour_verdict;  // Labour's 2010 rule: "passed" or "failed"
  NumberMap figures;
  std::vector<OutageView> outages;
  CountMap innocent_failures;  // outcome key -> innocent requests that ended so
  std::vector<PhaseView> phases;
  std::optional<double> duration_s, requests_per_second;  // of the fault phase
  std::optional<Totals> totals;                           // of the fault phase
  std::vector<BehaviourView> behaviours;                  // of the fault phase
  std::optional<Supervision> supervision;
  std::optional<MonitorView> monitor;
  std::optional<TimelineView> timeline;
  std::vector<EventView> events;  // lifecycle events, in the order they fired
  std::optional<RepeatView> repeat;
  std::optional<std::uint64_t> machine;  // merged shards: 1-based index into Document::machines
  // Each figure's interval at verdict.confidence, by name; a figure not measured has none.
  std::vector<std::pair<std::string, Interval>> intervals;

  std::optional<double> figure(std::string_view name) const { return lookup(figures, name); }
  std::optional<Interval> interval(std::string_view name) const {
    for (const auto& [k, r] : intervals)
      if (k == name) return r;
    return std::nullopt;
  }
  // Certainty as a reader should take it: a verdict without one is certain.
  bool borderline() const { return status == "completed" && verdict && verdict->borderline(); }
};

// One gate of `--fail-on` or a scenario's [thresholds], as checked against the document.
struct GateView {
  std::string expression;               // as written
  std::optional<std::string> scenario;  // a scenario's own gate: the scenario it applies to
  bool passed = true;
  std::optional<std::uint64_t> checked;  // tests it applied to
  std::vector<std::string> breaches;     // "label x scenario (value)"
};

struct Document {
  std::optional<std::string> tool_name, tool_version, tool_commit;
  std::optional<std::string> hostname, kernel, python, python_version, started_at, cpu_model, pinning;
  std::optional<double> cpus, cores;
  std::optional<std::string> plan_fingerprint;            // matrices
  std::optional<std::uint64_t> shard_index, shard_count;  // a shard's document (index absent: merged)
  std::vector<std::string> machines;  // merged shards from different kinds of machine: each summarised
  std::vector<std::string> warnings;  // what a reader must know before trusting the figures
  std::vector<TestView> tests;
  std::vector<GateView> gates;  // when the run had gates; in the order they were given
};

// ------------------------------------------------------------------ readers ----------

inline std::optional<Latency> read_latency(const Json& parent, const char* key, const std::string& path) {
  const Json* lat = opt_object(parent, key, path);
  if (!lat) return std::nullopt;
  const std::string p = path + "." + key;
  Latency l{opt_count(*lat, "count", p), opt_number(*lat, "p50", p), opt_number(*lat, "p90", p),
            opt_number(*lat, "p99", p), opt_number(*lat, "max", p)};
  if (l.count && *l.count == 0) return std::nullopt;  // nothing measured: no figures to show
  return l;
}

inline std::optional<VerdictView> read_verdict(const Json& parent, const std::string& path) {
  const Json* v = opt_object(parent, "verdict", path);
  if (!v) return std::nullopt;
  const std::string p = path + ".verdict";
  VerdictView out;
  out.value = req_string(*v, "value", p);
  out.reason = opt_string(*v, "reason", p);
  out.summary = opt_string(*v, "summary", p);
  out.figure = opt_string(*v, "figure", p);
  out.certainty = opt_string(*v, "certainty", p);
  out.confidence = opt_number(*v, "confidence", p);
  if (const Json* i = opt_object(*v, "interval", p)) {
    const std::string ip = p + ".interval";
    const auto low = opt_number(*i, "low", ip), high = opt_number(*i, "high", ip);
    if (!low || !high) malformed(ip, "has no low or high");
    out.interval = VerdictInterval{opt_string(*i, "figure", ip).value_or(out.figure.value_or("")), *low,
                                   *high, opt_number(*i, "bound", ip)};
  }
  return out;
}

// A test's "intervals": figure -> {low, high}.
inline std::vector<std::pair<std::string, Interval>> read_intervals(const Json* obj,
                                                                    const std::string& path) {
  std::vector<std::pair<std::string, Interval>> out;
  if (!obj) return out;
  for (const auto& [k, v] : obj->items()) {
    const std::string p = path + "." + k;
    if (v.is_null()) continue;  // not measured
    if (!v.is_object()) malformed(p, "is not an object");
    const auto low = opt_number(v, "low", p), high = opt_number(v, "high", p);
    if (!low || !high) malformed(p, "has no low or high");
    out.emplace_back(k, Interval{*low, *high});
  }
  return out;
}

inline bool opt_bool(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v && !v->is_boolean()) malformed(path + "." + key, "is not true or false");
  return v && v->get<bool>();
}

inline BehaviourView read_behaviour(const Json& b, const std::string& path) {
  if (!b.is_object()) malformed(path, "is not an object");
  BehaviourView v;
  v.name = req_string(b, "name", path);
  v.params = string_map(opt_object(b, "params", path), path + ".params");
  v.weight = opt_number(b, "weight", path);
  v.innocent = opt_bool(b, "innocent", path);
  if (find(b, "client_driven")) v.client_driven = opt_bool(b, "client_driven", path);
  v.connections = opt_count(b, "connections", path);
  v.sent = opt_count(b, "sent", path);
  v.expected = opt_count(b, "expected", path);
  v.unexpected = opt_count(b, "unexpected", path);
  v.responses = opt_count(b, "responses", path);
  v.outcomes = count_map(opt_object(b, "outcomes", path), path + ".outcomes");
  if (const Json* u = opt_object(b, "unexpected_outcomes", path))
    v.unexpected_outcomes = count_map(u, path + ".unexpected_outcomes");
  v.latency = read_latency(b, "latency_us", path);
  v.unexpected_latency = read_latency(b, "unexpected_latency_us", path);
  return v;
}

inline PhaseView read_phase(const Json& ph, const std::string& path) {
  if (!ph.is_object()) malformed(path, "is not an object");
  PhaseView v;
  v.name = req_string(ph, "name", path);
  v.start_s = opt_number(ph, "start_s", path);
  v.duration_s = opt_number(ph, "duration_s", path);
  v.ended_by = opt_string(ph, "ended_by", path);
  v.sent = opt_count(ph, "sent", path);
  v.responses = opt_count(ph, "responses", path);
  v.expected = opt_count(ph, "expected", path);
  v.unexpected = opt_count(ph, "unexpected", path);
  v.abandoned = opt_count(ph, "abandoned", path);
  v.innocent_sent = opt_count(ph, "innocent_sent", path);
  v.innocent_unexpected = opt_count(ph, "innocent_unexpected", path);
  v.innocent_responses = opt_count(ph, "innocent_responses", path);
  v.innocent_latency = read_latency(ph, "innocent_latency_us", path);
  return v;
}

inline Span read_span(const Json& parent, const char* key, const std::string& path) {
  const Json* obj = opt_object(parent, key, path);
  if (!obj) return {};
  const std::string p = path + "." + key;
  return {opt_count(*obj, "start", p), opt_count(*obj, "end", p), opt_count(*obj, "peak", p)};
}

inline MonitorView read_monitor(const Json& m, const std::string& path) {
  MonitorView v;
  v.processes = read_span(m, "processes", path);
  v.rss_bytes = read_span(m, "rss_bytes", path);
  v.joined = opt_count(m, "joined", path);
  v.cpu_seconds = opt_number(m, "cpu_seconds", path);
  if (const Json* exits = opt_object(m, "exits", path)) {
    v.exits = opt_count(*exits, "total", path + ".exits");
    v.exit_causes = count_map(opt_object(*exits, "causes", path + ".exits"), path + ".exits.causes");
    if (const Json* first = opt_array(*exits, "first", path + ".exits")) {
      for (std::size_t i = 0; i < first->size(); ++i) {
        const std::string p = at(path + ".exits.first", i);
        const Json& e = (*first)[i];
        if (!e.is_object()) malformed(p, "is not an object");
        v.first_exits.push_back({opt_number(e, "t_s", p).value_or(0),
                                 opt_string(e, "cause", p).value_or("unknown"), opt_bool(e, "leader", p)});
      }
    }
  }
  if (const Json* series = opt_object(m, "series", path)) {
    const std::string p = path + ".series";
    v.t_s = numbers(find(*series, "t_s"), p + ".t_s");
    v.series_processes = numbers(find(*series, "processes"), p + ".processes");
    v.series_rss_bytes = numbers(find(*series, "rss_bytes"), p + ".rss_bytes");
    v.series_cpu_s = numbers(find(*series, "cpu_s"), p + ".cpu_s");
  }
  return v;
}

inline RepeatView read_repeat(const Json& r, const std::string& path) {
  RepeatView v;
  v.count = opt_count(r, "count", path);
  v.automatic = opt_bool(r, "auto", path);
  v.verdicts = count_map(opt_object(r, "verdicts", path), path + ".verdicts");
  v.figures_min = number_map(opt_object(r, "figures_min", path), path + ".figures_min");
  v.figures_max = number_map(opt_object(r, "figures_max", path), path + ".figures_max");
  if (const Json* runs = opt_array(r, "runs", path)) {
    for (std::size_t i = 0; i < runs->size(); ++i) {
      const std::string p = at(path + ".runs", i);
      const Json& run = (*runs)[i];
      if (!run.is_object()) malformed(p, "is not an object");
      v.runs.push_back({read_verdict(run, p), number_map(opt_object(run, "figures", p), p + ".figures")});
    }
  }
  return v;
}

inline EventView read_event(const Json& e, const std::string& path) {
  if (!e.is_object()) malformed(path, "is not an object");
  EventView v;
  v.action = req_string(e, "action", path);
  v.at_s = opt_number(e, "at_s", path);
  v.seconds = opt_number(e, "seconds", path);
  if (find(e, "fired")) v.fired = opt_bool(e, "fired", path);
  if (find(e, "failed")) v.failed = opt_bool(e, "failed", path);
  v.fired_s = opt_number(e, "fired_s", path);
  v.resumed_s = opt_number(e, "resumed_s", path);
  v.window_end_s = opt_number(e, "window_end_s", path);
  v.back_after_s = opt_number(e, "back_after_s", path);
  v.innocent_slowest_ms = opt_number(e, "innocent_slowest_ms", path);
  v.detail = opt_string(e, "detail", path);
  v.signal = opt_string(e, "signal", path);
  v.pid = opt_count(e, "pid", path);
  v.answered = opt_count(e, "answered", path);
  v.dropped = opt_count(e, "dropped", path);
  v.refused = opt_count(e, "refused", path);
  v.failures = count_map(opt_object(e, "failures", path), path + ".failures");
  for (const auto& [key, field] :
       {std::pair{"processes_exited", &v.exited}, std::pair{"processes_joined", &v.joined}})
    if (const Json* o = opt_object(e, key, path)) *field = opt_count(*o, "total", path + "." + key);
  return v;
}

inline TestView read_test(const Json& t, const std::string& path) {
  if (!t.is_object()) malformed(path, "is not an object");
  TestView v;
  v.label = req_string(t, "label", path);
  v.status = req_string(t, "status", path);
  v.error = opt_string(t, "error", path);
  if (const Json* server = opt_object(t, "server", path)) {
    v.server_name = opt_string(*server, "name", path + ".server");
    v.server_version = opt_string(*server, "version", path + ".server");
    v.server_options = string_map(opt_object(*server, "options", path + ".server"), path + ".server.options");
  }
  const Json* scenario = opt_object(t, "scenario", path);
  if (!scenario) malformed(path + ".scenario", "is missing");
  const std::string sp = path + ".scenario";
  v.scenario.name = req_string(*scenario, "name", sp);
  v.scenario.source = opt_string(*scenario, "source", sp);
  v.scenario.policy = opt_string(*scenario, "policy", sp);
  v.scenario.requests = opt_number(*scenario, "requests", sp);
  v.scenario.duration_s = opt_number(*scenario, "duration_s", sp);
  v.scenario.concurrency = opt_number(*scenario, "concurrency", sp);
  v.scenario.rate = opt_number(*scenario, "rate", sp);
  v.scenario.timeout_ms = opt_number(*scenario, "timeout_ms", sp);
  v.scenario.seed = opt_number(*scenario, "seed", sp);
  v.scenario.threads = opt_number(*scenario, "threads", sp);
  if (find(*scenario, "keep_alive")) v.scenario.keep_alive = opt_bool(*scenario, "keep_alive", sp);
  flat_settings(*scenario, "", sp, v.scenario.settings);
  v.verdict = read_verdict(t, path);
  v.labour_verdict = opt_string(t, "labour_verdict", path);
  v.figures = number_map(opt_object(t, "figures", path), path + ".figures");
  if (const Json* outages = opt_array(t, "outages", path)) {
    for (std::size_t i = 0; i < outages->size(); ++i) {
      const std::string p = at(path + ".outages", i);
      const Json& o = (*outages)[i];
      if (!o.is_object()) malformed(p, "is not an object");
      v.outages.push_back({opt_number(o, "start_s", p), opt_number(o, "end_s", p), opt_count(o, "failed", p),
                           find(o, "silent") ? std::optional<bool>(opt_bool(o, "silent", p)) : std::nullopt});
    }
  }
  v.innocent_failures = count_map(opt_object(t, "innocent_failures", path), path + ".innocent_failures");
  if (const Json* phases = opt_array(t, "phases", path))
    for (std::size_t i = 0; i < phases->size(); ++i)
      v.phases.push_back(read_phase((*phases)[i], at(path + ".phases", i)));
  v.duration_s = opt_number(t, "duration_s", path);
  v.requests_per_second = opt_number(t, "requests_per_second", path);
  if (const Json* totals = opt_object(t, "totals", path)) {
    const std::string tp = path + ".totals";
    v.totals = Totals{opt_count(*totals, "sent", tp),
                      opt_count(*totals, "expected", tp),
                      opt_count(*totals, "unexpected", tp),
                      opt_count(*totals, "innocent_sent", tp),
                      opt_count(*totals, "innocent_unexpected", tp),
                      opt_number(*totals, "failure_pct", tp)};
  }
  if (const Json* behaviours = opt_array(t, "behaviours", path))
    for (std::size_t i = 0; i < behaviours->size(); ++i)
      v.behaviours.push_back(read_behaviour((*behaviours)[i], at(path + ".behaviours", i)));
  if (const Json* sup = opt_object(t, "supervision", path)) {
    const std::string p = path + ".supervision";
    v.supervision = Supervision{opt_number(*sup, "port", p),         opt_number(*sup, "start_seconds", p),
                                opt_number(*sup, "stop_seconds", p), opt_count(*sup, "orphans", p),
                                opt_string(*sup, "stop_signal", p),  opt_string(*sup, "exit", p),
                                opt_string(*sup, "run_dir", p),      opt_string(*sup, "server_cpus", p),
                                opt_string(*sup, "client_cpus", p)};
  }
  if (const Json* monitor = opt_object(t, "monitor", path))
    v.monitor = read_monitor(*monitor, path + ".monitor");
  if (const Json* timeline = opt_object(t, "timeline", path)) {
    const std::string p = path + ".timeline";
    v.timeline = TimelineView{opt_number(*timeline, "bucket_ms", p).value_or(0),
                              number_rows(find(*timeline, "sent"), p + ".sent"),
                              number_rows(find(*timeline, "expected"), p + ".expected"),
                              number_rows(find(*timeline, "unexpected"), p + ".unexpected"),
                              number_rows(find(*timeline, "completed"), p + ".completed"),
                              optional_numbers(find(*timeline, "innocent_p50_us"), p + ".innocent_p50_us"),
                              optional_numbers(find(*timeline, "innocent_p99_us"), p + ".innocent_p99_us")};
  }
  if (const Json* events = opt_array(t, "events", path))
    for (std::size_t i = 0; i < events->size(); ++i)
      v.events.push_back(read_event((*events)[i], at(path + ".events", i)));
  if (const Json* repeat = opt_object(t, "repeat", path)) v.repeat = read_repeat(*repeat, path + ".repeat");
  v.machine = opt_count(t, "machine", path);
  v.intervals = read_intervals(opt_object(t, "intervals", path), path + ".intervals");
  return v;
}

inline GateView read_gate(const Json& g, const std::string& path) {
  if (!g.is_object()) malformed(path, "is not an object");
  GateView v;
  v.expression = req_string(g, "expression", path);
  v.scenario = opt_string(g, "scenario", path);
  if (find(g, "passed")) v.passed = opt_bool(g, "passed", path);
  v.checked = opt_count(g, "checked", path);
  if (const Json* breaches = opt_array(g, "breaches", path))
    for (std::size_t i = 0; i < breaches->size(); ++i) {
      if (!(*breaches)[i].is_string()) malformed(at(path + ".breaches", i), "is not a string");
      v.breaches.push_back((*breaches)[i].get<std::string>());
    }
  return v;
}

// A kind of machine (an entry of "machines"): "kernel Linux 6.1, 2 cpus, 2 cores, AMD EPYC,
// python 3.11.2, pinning on", each part only when present.
inline std::string machine_kind_text(const Json& m, const std::string& path) {
  if (!m.is_object()) malformed(path, "is not an object");
  std::vector<std::string> parts;
  if (auto k = opt_string(m, "kernel", path)) parts.push_back("kernel " + *k);
  for (const char* key : {"cpus", "cores"})
    if (const Json* v = find(m, key)) parts.push_back(scalar_text(*v, path + "." + key) + " " + key);
  if (auto c = opt_string(m, "cpu_model", path)) parts.push_back(*c);
  if (auto py = opt_string(m, "python_version", path)) parts.push_back("python " + *py);
  if (const Json* jobs = find(m, "jobs")) parts.push_back("jobs " + scalar_text(*jobs, path + ".jobs"));
  if (const Json* pin = find(m, "pinning"))
    parts.push_back("pinning " + (pin->is_boolean() ? std::string(pin->get<bool>() ? "on" : "off")
                                                    : scalar_text(*pin, path + ".pinning")));
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s;
}

// How server and client were placed on CPUs (environment.pinning, an object of
// `enabled` and CPU lists), as text: "on, allowed 0-1, server 0". A scalar is taken as it
// is; parts this reader does not know are shown as they are, nested ones left out.
inline std::optional<std::string> pinning_text(const Json& env) {
  const Json* p = find(env, "pinning");
  if (!p) return std::nullopt;
  if (!p->is_object()) return scalar_text(*p, "environment.pinning");
  std::vector<std::string> parts;
  const Json* enabled = find(*p, "enabled");
  if (enabled && enabled->is_boolean()) parts.push_back(enabled->get<bool>() ? "on" : "off");
  for (const auto& [k, v] : p->items()) {
    if (k == "enabled" || !(v.is_string() || v.is_number() || v.is_boolean())) continue;
    const std::string suffix = "_cpus";
    const bool cpus =
        k.size() > suffix.size() && k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0;
    parts.push_back((cpus ? k.substr(0, k.size() - suffix.size()) : k) + " " +
                    scalar_text(v, "environment.pinning." + k));
  }
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s;
}

// A git commit as `git log --oneline` writes it: 12 digits, and whatever follows the hash
// ("-dirty").
inline std::string short_commit(const std::string& commit) {
  std::size_t hex = 0;
  while (hex < commit.size() && std::isxdigit(static_cast<unsigned char>(commit[hex]))) ++hex;
  return hex == 40 ? commit.substr(0, 12) + commit.substr(40) : commit;
}

// Parses and checks the document: one line naming the field when it is not one labour
// reads. Refuses every schema_version but kSchemaVersion.
// Every string of a document (values and keys) made printable (<labour/printable.hpp>).
inline Json printable_strings(const Json& j) {
  if (j.is_string()) return printable(j.get_ref<const std::string&>());
  if (j.is_array()) {
    Json out = Json::array();
    for (const Json& v : j) out.push_back(printable_strings(v));
    return out;
  }
  if (j.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) out[printable(k)] = printable_strings(v);
    return out;
  }
  return j;
}

// How a reporter shows the document's text: as written (html, csv and json escape it their
// own way), or for a terminal, where every control character is shown escaped.
enum class TextFor { File, Terminal };

inline Document read_document(std::string_view text, TextFor text_for = TextFor::File) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
    if (text_for == TextFor::Terminal) doc = printable_strings(doc);
  } catch (const Json::exception& e) {
    std::string why = e.what();
    std::replace(why.begin(), why.end(), '\n', ' ');
    throw std::runtime_error("results document is not valid JSON: " + why);
  }
  if (!doc.is_object()) malformed("(top level)", "is not an object");
  const Json* version = find(doc, "schema_version");
  if (!version)
    throw std::runtime_error("results document has no schema_version: is it a labour results file?");
  if (!version->is_number_integer() || version->get<std::int64_t>() != kSchemaVersion)
    throw std::runtime_error("unsupported results schema_version " + version->dump() +
                             " (this reporter reads " + std::to_string(kSchemaVersion) + ")");
  Document d;
  if (const Json* tool = opt_object(doc, "tool", "")) {
    d.tool_name = opt_string(*tool, "name", "tool");
    d.tool_version = opt_string(*tool, "version", "tool");
    d.tool_commit = opt_string(*tool, "commit", "tool");
  }
  if (const Json* env = opt_object(doc, "environment", "")) {
    d.hostname = opt_string(*env, "hostname", "environment");
    d.kernel = opt_string(*env, "kernel", "environment");
    d.cpus = opt_number(*env, "cpus", "environment");
    d.cores = opt_number(*env, "cores", "environment");
    d.cpu_model = opt_string(*env, "cpu_model", "environment");
    d.pinning = pinning_text(*env);
    d.python = opt_string(*env, "python", "environment");
    d.python_version = opt_string(*env, "python_version", "environment");
    d.started_at = opt_string(*env, "started_at", "environment");
  }
  if (const Json* plan = opt_object(doc, "plan", "")) {
    d.plan_fingerprint = opt_string(*plan, "fingerprint", "plan");
    if (const Json* shard = opt_object(*plan, "shard", "plan")) {
      d.shard_index = opt_count(*shard, "index", "plan.shard");
      d.shard_count = opt_count(*shard, "count", "plan.shard");
    }
  }
  if (const Json* machines = opt_array(doc, "machines", ""))
    for (std::size_t i = 0; i < machines->size(); ++i)
      d.machines.push_back(machine_kind_text((*machines)[i], at("machines", i)));
  if (const Json* warnings = opt_array(doc, "warnings", ""))
    for (std::size_t i = 0; i < warnings->size(); ++i) {
      if (!(*warnings)[i].is_string()) malformed(at("warnings", i), "is not a string");
      d.warnings.push_back((*warnings)[i].get<std::string>());
    }
  const Json* tests = find(doc, "tests");
  if (!tests) malformed("tests", "is missing");
  if (!tests->is_array()) malformed("tests", "is not an array");
  for (std::size_t i = 0; i < tests->size(); ++i) d.tests.push_back(read_test((*tests)[i], at("tests", i)));
  if (const Json* gates = opt_array(doc, "gates", ""))
    for (std::size_t i = 0; i < gates->size(); ++i) d.gates.push_back(read_gate((*gates)[i], at("gates", i)));
  return d;
}

// ------------------------------------------------------------------ formatting -------

inline std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A number as written when integral ("8"), else with up to 3 decimals ("0.5").
inline std::string plain(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return fixed(v, 0);
  std::string s = fixed(v, 3);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Milliseconds from microseconds, with precision that suits the magnitude.
inline std::string ms(std::optional<double> us) {
  if (!us) return "-";
  const double m = *us / 1000.0;
  return fixed(m, m < 10 ? 3 : m < 1000 ? 1 : 0);
}

inline std::string rate(double per_second) { return fixed(per_second, per_second >= 100 ? 0 : 1); }

inline std::string count(std::optional<std::uint64_t> c) { return c ? std::to_string(*c) : "-"; }

inline std::string seconds(std::optional<double> s) { return s ? fixed(*s, 3) : "-"; }

inline std::string call_text(const BehaviourView& b) {
  std::string s = b.name + "(";
  for (std::size_t i = 0; i < b.params.size(); ++i)
    s += (i ? ", " : "") + b.params[i].first + "=" + b.params[i].second;
  return s + ")";
}

// Outcome keys grouped the way a reader thinks about them: the server answered, the
// connection was refused, it broke, it stalled, it spoke nonsense; and what a client-driven
// behaviour's connection ended in by the client's own doing (held to the end, reset on purpose).
inline std::string category_of(const std::string& key) {
  if (key.rfind("http_", 0) == 0) return "http";
  if (key == "connect_refused" || key == "connect_timeout") return "connect";
  if (key == "reset_before_response" || key == "reset_mid_response" || key == "eof_before_response" ||
      key == "truncated_body")
    return "broken";
  if (key == "first_byte_timeout" || key == "total_timeout") return "timeout";
  if (key == "malformed_response") return "protocol";
  if (key == "held" || key == "client_abort") return "client";
  return "other";
}

// "http 3 (500 x2, 502 x1); broken 1 (reset_before_response 1)"
inline std::string breakdown(const CountMap& outcomes) {
  static const char* const kOrder[] = {"http", "connect", "broken", "timeout", "protocol", "client", "other"};
  std::string out;
  for (const char* category : kOrder) {
    std::uint64_t total = 0;
    std::string items;
    for (const auto& [key, n] : outcomes) {
      if (n == 0 || category_of(key) != category) continue;
      total += n;
      if (!items.empty()) items += ", ";
      items += category == std::string_view("http") ? key.substr(5) + " x" + std::to_string(n)
                                                    : key + " " + std::to_string(n);
    }
    if (total == 0) continue;
    if (!out.empty()) out += "; ";
    out += std::string(category) + " " + std::to_string(total) + " (" + items + ")";
  }
  return out.empty() ? "none" : out;
}

// The fault phase's failure %, as the producer wrote it.
inline std::optional<double> failure_pct(const TestView& t) {
  if (t.totals && t.totals->failure_pct) return t.totals->failure_pct;
  return t.figure("failure_pct");
}

// The scorecard's cell: the verdict and its summary ("degraded p99 x132"), the summary
// alone when it already says the verdict ("down at 0.2 s", "robust"). A test that did not
// complete shows its status instead.
inline std::string verdict_cell(const TestView& t) {
  if (t.status != "completed" || !t.verdict) return t.status == "completed" ? "-" : t.status;
  const std::string& value = t.verdict->value;
  const std::string summary = t.verdict->summary.value_or("");
  if (summary.empty() || summary == value) return value;
  if (summary.rfind(value + " ", 0) == 0) return summary;
  return value + " " + summary;
}

// The scorecard's cell with a borderline verdict marked: "degraded? p99 x11". The "?" says
// that the evidence straddles a bound, so an identical rerun may give another verdict.
inline std::string verdict_cell_marked(const TestView& t) {
  std::string cell = verdict_cell(t);
  if (t.borderline() && cell.rfind(t.verdict->value, 0) == 0) cell.insert(t.verdict->value.size(), "?");
  return cell;
}

// The verdict's interval: "p99_ratio 3.1..14.2 (bound 10) at 95 %", or "" without one.
inline std::string interval_text(const VerdictView& v) {
  if (!v.interval) return "";
  const VerdictInterval& i = *v.interval;
  std::string s = (i.figure.empty() ? std::string() : i.figure + " ") + plain(i.low) + ".." + plain(i.high);
  if (i.bound) s += " (bound " + plain(*i.bound) + ")";
  if (v.confidence) s += " at " + plain(*v.confidence * 100) + " %";
  return s;
}

// Why a verdict is borderline, in one line; "" for a certain one (or one without certainty).
// "borderline: the evidence straddles a bound (p99_ratio 3.1..14.2 (bound 10) at 95 %); a
// rerun may give another verdict"
inline std::string certainty_note(const TestView& t) {
  if (!t.borderline()) return "";
  const std::string interval = interval_text(*t.verdict);
  return "borderline: the evidence straddles a bound" + (interval.empty() ? "" : " (" + interval + ")") +
         "; a rerun may give another verdict";
}

// The size of a degraded test's damage, to rank it among the degraded: "damage 12.5 %" (the
// share of the fault phase's innocent requests that failed or were late), "" otherwise.
inline std::string damage_text(const TestView& t) {
  if (t.status != "completed" || !t.verdict || t.verdict->value != "degraded") return "";
  const auto pct = t.figure("damage_pct");
  if (!pct) return "";
  return "damage " + fixed(*pct, *pct < 1 ? 2 : *pct < 100 ? 1 : 0) + " %";
}

// A gate as labour prints it: "PASS innocent_failure_pct<1 (12 tests)", "FAIL p99_ratio<5
// [scenario Leak]: 2 of 12 tests: a x Leak (11.2), b x Leak (13)".
inline std::string gate_text(const GateView& g) {
  const std::string scope = g.scenario ? " [scenario " + *g.scenario + "]" : "";
  const std::string tests =
      g.checked ? std::to_string(*g.checked) + (*g.checked == 1 ? " test" : " tests") : std::string();
  if (g.passed) return "PASS " + g.expression + scope + (tests.empty() ? "" : " (" + tests + ")");
  std::string list;
  for (std::size_t i = 0; i < g.breaches.size() && i < 5; ++i) list += (i ? ", " : "") + g.breaches[i];
  if (g.breaches.size() > 5) list += ", ...";
  const std::string breached = std::to_string(g.breaches.size()) + (g.checked ? " of " + tests : " tests");
  return "FAIL " + g.expression + scope + ": " + breached + (list.empty() ? "" : ": " + list);
}

// Labour's cell: "0.0% 812/s", or "Failed 45.0%" when the document's labour_verdict says so.
inline std::string labour_cell(const TestView& t) {
  if (t.status == "skipped") return "skipped";
  if (t.status == "failed") return "error";
  const auto pct = failure_pct(t);
  const std::string pct_text = pct ? fixed(*pct, 1) + "%" : "-";
  std::string cell;
  if (t.labour_verdict && *t.labour_verdict == "failed")
    cell = "Failed " + pct_text;
  else if (t.labour_verdict && *t.labour_verdict != "passed")
    cell = *t.labour_verdict + " " + pct_text;  // a value this reader does not know: as it is
  else if (!pct)
    cell = "-";
  else
    cell = pct_text + " " + (t.requests_per_second ? rate(*t.requests_per_second) : "-") + "/s";
  if (t.status != "completed") cell += " (" + t.status + ")";
  return cell;
}

// The exit of the server's main process, if the monitor saw one.
inline const ExitView* main_process_exit(const MonitorView& m) {
  for (const ExitView& e : m.first_exits)
    if (e.leader) return &e;
  return nullptr;
}

inline std::string signed_mib(double mib) {
  return std::string(mib >= 0 ? "+" : "") + fixed(mib, std::fabs(mib) < 10 ? 1 : 0) + " MiB";
}

// What the server's processes went through, from the test's figures: "20 exits,
// 20 respawns, RSS +0.1 MiB", or "died: killed by SIGSEGV" when the main process ended.
inline std::string process_cell(const TestView& t) {
  if (t.figure("death_s")) {
    const ExitView* death = t.monitor ? main_process_exit(*t.monitor) : nullptr;
    return death ? "died: " + death->cause : "died";
  }
  std::vector<std::string> parts;
  const auto exits = t.figure("worker_exits"), respawns = t.figure("respawns");
  if (exits && *exits > 0) parts.push_back(plain(*exits) + (*exits == 1 ? " exit" : " exits"));
  if (respawns && *respawns > 0)
    parts.push_back(plain(*respawns) + (*respawns == 1 ? " respawn" : " respawns"));
  if (const auto rss = t.figure("rss_growth_mib")) parts.push_back("RSS " + signed_mib(*rss));
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s.empty() ? "-" : s;
}

// "3 processes (peak 4), 2 joined, 2 exited (killed by SIGSEGV x2); RSS 41.0 -> 52.3 MiB
// (peak 60.1); CPU 1.21 s", or "" when the monitor section says nothing.
inline std::string monitor_summary(const MonitorView& m) {
  auto mib = [](std::uint64_t bytes) { return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 1); };
  std::vector<std::string> parts;
  if (m.processes.end) {
    std::string p = std::to_string(*m.processes.end) + (*m.processes.end == 1 ? " process" : " processes");
    if (m.processes.peak && m.processes.peak != m.processes.end)
      p += " (peak " + count(m.processes.peak) + ")";
    if (m.joined && *m.joined) p += ", " + count(m.joined) + " joined";
    if (m.exits && *m.exits) {
      p += ", " + count(m.exits) + " exited (";
      for (std::size_t i = 0; i < m.exit_causes.size(); ++i)
        p += (i ? ", " : "") + m.exit_causes[i].first + " x" + std::to_string(m.exit_causes[i].second);
      p += ")";
    }
    parts.push_back(p);
  }
  if (m.rss_bytes.start && m.rss_bytes.end) {
    std::string r = "RSS " + mib(*m.rss_bytes.start) + " -> " + mib(*m.rss_bytes.end) + " MiB";
    if (m.rss_bytes.peak) r += " (peak " + mib(*m.rss_bytes.peak) + ")";
    parts.push_back(r);
  }
  if (m.cpu_seconds) parts.push_back("CPU " + fixed(*m.cpu_seconds, 2) + " s");
  if (const ExitView* death = main_process_exit(m))
    parts.push_back("the main process died at " + fixed(death->t_s, 2) + " s: " + death->cause);
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? "; " : "") + parts[i];
  return s;
}

// "port 40123, ready in 0.40 s, stopped by SIGINT in 0.10 s, exit status 0, 0 orphans, ..."
inline std::string supervision_summary(const Supervision& sv) {
  std::vector<std::string> parts;
  if (sv.port) parts.push_back("port " + plain(*sv.port));
  if (sv.start_seconds) parts.push_back("ready in " + fixed(*sv.start_seconds, 2) + " s");
  if (sv.stop_signal && sv.stop_signal->empty()) {
    parts.push_back("already gone at the stop");  // nothing to signal: it had ended by itself
  } else if (sv.stop_signal || sv.stop_seconds) {
    std::string stop = "stopped";
    if (sv.stop_signal) stop += " by " + *sv.stop_signal;
    if (sv.stop_seconds) stop += " in " + fixed(*sv.stop_seconds, 2) + " s";
    parts.push_back(stop);
  }
  if (sv.exit) parts.push_back(*sv.exit);
  if (sv.orphans) parts.push_back(std::to_string(*sv.orphans) + (*sv.orphans == 1 ? " orphan" : " orphans"));
  if (sv.server_cpus) parts.push_back("server on CPU " + *sv.server_cpus);
  if (sv.client_cpus) parts.push_back("client on CPU " + *sv.client_cpus);
  if (sv.run_dir) parts.push_back("run dir kept: " + *sv.run_dir);
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s;
}

// A figure's value: "132.291", "-" when not measured; with its range over repeated runs
// when the test has one ("132.291 (120.5..140)").
inline std::string figure_text(const TestView& t, const std::string& name, std::optional<double> value) {
  std::string s = value ? plain(*value) : "-";
  if (t.repeat) {
    const auto lo = lookup(t.repeat->figures_min, name), hi = lookup(t.repeat->figures_max, name);
    if (lo && hi && *lo != *hi) s += " (" + plain(*lo) + ".." + plain(*hi) + ")";
  }
  return s;
}

// "3 runs: degraded 2, robust 1"; "3 runs (auto: rerun while borderline): ..." when labour
// reran the cell because its verdict was borderline
inline std::string repeat_summary(const RepeatView& r) {
  std::string s = (r.count ? std::to_string(*r.count) : std::string("several")) + " runs";
  if (r.automatic) s += " (auto: rerun while borderline)";
  for (std::size_t i = 0; i < r.verdicts.size(); ++i)
    s += (i ? ", " : ": ") + r.verdicts[i].first + " " + std::to_string(r.verdicts[i].second);
  return s;
}

// "shard 2/3 of plan 983645b1e0edf02e", "merged from 3 shards of plan ...", or nothing for
// a document that is not a sharded matrix's.
inline std::string plan_summary(const Document& d) {
  if (!d.plan_fingerprint || !d.shard_count || (*d.shard_count == 1 && d.shard_index)) return "";
  if (!d.shard_index)
    return "merged from " + std::to_string(*d.shard_count) + " shards of plan " + *d.plan_fingerprint;
  return "shard " + std::to_string(*d.shard_index) + "/" + std::to_string(*d.shard_count) + " of plan " +
         *d.plan_fingerprint;
}

// "2 cores, Intel(R) Xeon(R) ..., pinning on, allowed 0-1, commit e868e23": the machine
// and the build beyond the basics.
inline std::string machine_summary(const Document& d) {
  std::vector<std::string> parts;
  if (d.cores) parts.push_back(plain(*d.cores) + (*d.cores == 1 ? " core" : " cores"));
  if (d.cpu_model && *d.cpu_model != "unknown") parts.push_back(*d.cpu_model);
  if (d.pinning) parts.push_back("pinning " + *d.pinning);
  if (d.tool_commit) parts.push_back("commit " + short_commit(*d.tool_commit));
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s;
}

}  // namespace labour::reporters
