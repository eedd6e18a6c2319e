// What the reporters share: the results document (docs/results-schema.md, schema_version
// 1) read into plain views, and the few ways of writing its numbers every reporter agrees
// on (Labour's matrix cell, the outcome breakdown). Header-only, like the SDK.
//
// Presence is lenient (optional sections may be missing, unknown fields are ignored);
// types are strict, because a wrong type means the file is not what it claims to be.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace labour::reporters {

using Json = nlohmann::ordered_json;  // keeps the document's order for params, options, outcomes

inline constexpr int kSchemaVersion = 1;
inline constexpr double kFailedAbovePct = 10.0;  // Labour's rule: "Failed" above 10 % failures

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

// Parameter and option values are strings in the schema; numbers are shown as written.
inline std::string scalar_text(const Json& v, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  malformed(path, "is not a string");
}

inline std::vector<std::pair<std::string, std::string>> string_map(const Json* obj, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!obj) return out;
  for (const auto& [k, v] : obj->items()) out.emplace_back(k, scalar_text(v, path + "." + k));
  return out;
}

inline std::vector<std::pair<std::string, std::uint64_t>> count_map(const Json* obj,
                                                                    const std::string& path) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  if (!obj) return out;
  for (const auto& [k, v] : obj->items()) {
    if (!v.is_number_unsigned()) malformed(path + "." + k, "is not a non-negative integer");
    out.emplace_back(k, v.get<std::uint64_t>());
  }
  return out;
}

struct Latency {
  std::optional<double> p50_us, p99_us, max_us;
};

struct BehaviourView {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<double> weight;
  bool innocent = false;
  std::optional<std::uint64_t> sent, expected, unexpected;
  std::vector<std::pair<std::string, std::uint64_t>> outcomes;
  std::optional<std::vector<std::pair<std::string, std::uint64_t>>> unexpected_outcomes;
  std::optional<Latency> latency;
};

struct Totals {
  std::optional<std::uint64_t> sent, expected, unexpected, innocent_sent, innocent_unexpected;
  std::optional<double> failure_pct;
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
  double t_s = 0;
  std::string cause;
  bool leader = false;
};

struct MonitorView {
  Span processes, rss_bytes;
  std::optional<std::uint64_t> joined, exits;
  std::vector<std::pair<std::string, std::uint64_t>> exit_causes;
  std::vector<ExitView> first_exits;
  std::optional<double> cpu_seconds;
  std::vector<double> t_s, series_processes, series_rss_bytes, series_cpu_s;  // the samples
};

// The timeline: per bucket, per behaviour (index into the test's behaviours).
struct TimelineView {
  double bucket_ms = 0;
  std::vector<std::vector<double>> sent, expected, unexpected;
};

struct ScenarioView {
  std::string name;
  std::optional<std::string> source, policy;
  std::optional<double> requests, duration_s, concurrency, rate, timeout_ms, seed;
};

struct TestView {
  std::string label, status;
  std::optional<std::string> server_version, error, verdict;
  std::vector<std::pair<std::string, std::string>> server_options;
  ScenarioView scenario;
  std::optional<double> duration_s, requests_per_second;
  std::optional<Totals> totals;
  std::vector<BehaviourView> behaviours;
  std::optional<Supervision> supervision;
  std::optional<MonitorView> monitor;
  std::optional<TimelineView> timeline;
};

struct Document {
  std::optional<std::string> tool_name, tool_version;
  std::optional<std::string> hostname, kernel, python, python_version, started_at;
  std::optional<double> cpus;
  std::vector<TestView> tests;
};

inline std::vector<double> numbers(const Json* arr, const std::string& path) {
  std::vector<double> out;
  if (!arr) return out;
  if (!arr->is_array()) malformed(path, "is not an array");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (!(*arr)[i].is_number()) malformed(path + "[" + std::to_string(i) + "]", "is not a number");
    out.push_back((*arr)[i].get<double>());
  }
  return out;
}

inline std::vector<std::vector<double>> number_rows(const Json* arr, const std::string& path) {
  std::vector<std::vector<double>> out;
  if (!arr) return out;
  if (!arr->is_array()) malformed(path, "is not an array");
  for (std::size_t i = 0; i < arr->size(); ++i)
    out.push_back(numbers(&(*arr)[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

inline BehaviourView read_behaviour(const Json& b, const std::string& path) {
  if (!b.is_object()) malformed(path, "is not an object");
  BehaviourView v;
  v.name = req_string(b, "name", path);
  v.params = string_map(opt_object(b, "params", path), path + ".params");
  v.weight = opt_number(b, "weight", path);
  if (const Json* inn = find(b, "innocent")) {
    if (!inn->is_boolean()) malformed(path + ".innocent", "is not true or false");
    v.innocent = inn->get<bool>();
  }
  v.sent = opt_count(b, "sent", path);
  v.expected = opt_count(b, "expected", path);
  v.unexpected = opt_count(b, "unexpected", path);
  v.outcomes = count_map(opt_object(b, "outcomes", path), path + ".outcomes");
  if (const Json* u = opt_object(b, "unexpected_outcomes", path))
    v.unexpected_outcomes = count_map(u, path + ".unexpected_outcomes");
  if (const Json* lat = opt_object(b, "latency_us", path)) {
    const std::string lp = path + ".latency_us";
    auto count = opt_count(*lat, "count", lp);
    if (!count || *count > 0)
      v.latency =
          Latency{opt_number(*lat, "p50", lp), opt_number(*lat, "p99", lp), opt_number(*lat, "max", lp)};
  }
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
        const std::string p = path + ".exits.first[" + std::to_string(i) + "]";
        const Json& e = (*first)[i];
        if (!e.is_object()) malformed(p, "is not an object");
        const Json* leader = find(e, "leader");
        if (leader && !leader->is_boolean()) malformed(p + ".leader", "is not true or false");
        v.first_exits.push_back({opt_number(e, "t_s", p).value_or(0),
                                 opt_string(e, "cause", p).value_or("unknown"),
                                 leader && leader->get<bool>()});
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

inline TestView read_test(const Json& t, const std::string& path) {
  if (!t.is_object()) malformed(path, "is not an object");
  TestView v;
  v.label = req_string(t, "label", path);
  v.status = req_string(t, "status", path);
  v.error = opt_string(t, "error", path);
  v.verdict = opt_string(t, "verdict", path);
  if (const Json* server = opt_object(t, "server", path)) {
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
  if (const Json* behaviours = opt_array(t, "behaviours", path)) {
    for (std::size_t i = 0; i < behaviours->size(); ++i)
      v.behaviours.push_back(
          read_behaviour((*behaviours)[i], path + ".behaviours[" + std::to_string(i) + "]"));
  }
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
                              number_rows(find(*timeline, "unexpected"), p + ".unexpected")};
  }
  return v;
}

inline Document read_document(std::string_view text) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
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
  }
  if (const Json* env = opt_object(doc, "environment", "")) {
    d.hostname = opt_string(*env, "hostname", "environment");
    d.kernel = opt_string(*env, "kernel", "environment");
    d.cpus = opt_number(*env, "cpus", "environment");
    d.python = opt_string(*env, "python", "environment");
    d.python_version = opt_string(*env, "python_version", "environment");
    d.started_at = opt_string(*env, "started_at", "environment");
  }
  const Json* tests = find(doc, "tests");
  if (!tests) malformed("tests", "is missing");
  if (!tests->is_array()) malformed("tests", "is not an array");
  for (std::size_t i = 0; i < tests->size(); ++i)
    d.tests.push_back(read_test((*tests)[i], "tests[" + std::to_string(i) + "]"));
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

inline std::string call_text(const BehaviourView& b) {
  std::string s = b.name + "(";
  for (std::size_t i = 0; i < b.params.size(); ++i)
    s += (i ? ", " : "") + b.params[i].first + "=" + b.params[i].second;
  return s + ")";
}

// Outcome keys grouped the way a reader thinks about them: the server answered, the
// connection was refused, it broke, it stalled, it spoke nonsense.
inline std::string category_of(const std::string& key) {
  if (key.rfind("http_", 0) == 0) return "http";
  if (key == "connect_refused" || key == "connect_timeout") return "connect";
  if (key == "reset_before_response" || key == "reset_mid_response" || key == "eof_before_response" ||
      key == "truncated_body")
    return "broken";
  if (key == "first_byte_timeout" || key == "total_timeout") return "timeout";
  if (key == "malformed_response") return "protocol";
  return "other";
}

// "http 3 (500 x2, 502 x1); broken 1 (reset_before_response 1)"
inline std::string breakdown(const std::vector<std::pair<std::string, std::uint64_t>>& outcomes) {
  static const char* const kOrder[] = {"http", "connect", "broken", "timeout", "protocol", "other"};
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

inline std::optional<double> failure_pct(const TestView& t) {
  if (!t.totals) return std::nullopt;
  if (t.totals->failure_pct) return t.totals->failure_pct;
  if (t.totals->sent && t.totals->unexpected && *t.totals->sent > 0)
    return 100.0 * static_cast<double>(*t.totals->unexpected) / static_cast<double>(*t.totals->sent);
  return std::nullopt;
}

// Labour's cell: "0.0% 812/s", or "Failed 45.0%" above 10 % failures.
inline std::string matrix_cell(const TestView& t) {
  if (t.status == "skipped") return "skipped";
  if (t.status == "failed") return "error";
  const auto pct = failure_pct(t);
  std::string cell;
  if (!pct)
    cell = "-";
  else if (*pct > kFailedAbovePct)
    cell = "Failed " + fixed(*pct, 1) + "%";
  else
    cell = fixed(*pct, 1) + "% " + (t.requests_per_second ? rate(*t.requests_per_second) : "-") + "/s";
  if (t.status != "completed") cell += " (" + t.status + ")";
  return cell;
}

// The exit of the server's main process, if the monitor saw one.
inline const ExitView* main_process_exit(const MonitorView& m) {
  for (const ExitView& e : m.first_exits)
    if (e.leader) return &e;
  return nullptr;
}

// What the server's processes went through, for the second table: "101 exits, RSS +25 MiB",
// or "died: killed by SIGSEGV" when the main process itself ended.
inline std::string process_cell(const TestView& t) {
  if (!t.monitor) return "-";
  const MonitorView& m = *t.monitor;
  if (const ExitView* death = main_process_exit(m)) return "died: " + death->cause;
  std::string cell;
  if (m.exits && *m.exits) cell = std::to_string(*m.exits) + (*m.exits == 1 ? " exit, " : " exits, ");
  if (m.rss_bytes.start && m.rss_bytes.end) {
    const double mib =
        (static_cast<double>(*m.rss_bytes.end) - static_cast<double>(*m.rss_bytes.start)) / (1024.0 * 1024.0);
    cell += "RSS " + std::string(mib >= 0 ? "+" : "") + fixed(mib, std::fabs(mib) < 10 ? 1 : 0) + " MiB";
  }
  return cell.empty() ? "-" : cell;
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

}  // namespace labour::reporters
