// console reporter: Labour's summary for a terminal. Reads the results document
// (docs/results-schema.md, schema_version 1), so it renders live runs and saved files alike.
//
// Per test: header, load and totals, verdict, a behaviour table (with the breakdown of
// unexpected outcomes under each row), what the monitor saw of the server, supervision;
// then, for more than one test, Labour's servers x scenarios matrix of failure % and
// requests/s, and a second one of the servers' process exits and RSS growth.
#include <unistd.h>
#include <labour/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;  // keeps the document's order for params, options, outcomes

constexpr int kSchemaVersion = 1;
constexpr double kFailedAbovePct = 10.0;  // Labour's rule: "Failed" above 10 % failures

// ------------------------------------------------------------------ reading ----------
// Presence is lenient (optional sections may be missing, unknown fields are ignored);
// types are strict, because a wrong type means the file is not what it claims to be.

[[noreturn]] void malformed(const std::string& path, std::string_view what) {
  throw std::runtime_error("results document: " + path + " " + std::string(what) +
                           " (see docs/results-schema.md)");
}

const Json* find(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> opt_string(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) malformed(path + "." + key, "is not a string");
  return v->get<std::string>();
}

std::string req_string(const Json& obj, const char* key, const std::string& path) {
  auto s = opt_string(obj, key, path);
  if (!s) malformed(path + "." + key, "is missing");
  return *s;
}

std::optional<double> opt_number(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) malformed(path + "." + key, "is not a number");
  return v->get<double>();
}

std::optional<std::uint64_t> opt_count(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number_unsigned()) malformed(path + "." + key, "is not a non-negative integer");
  return v->get<std::uint64_t>();
}

const Json* opt_object(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v && !v->is_object()) malformed(path + "." + key, "is not an object");
  return v;
}

const Json* opt_array(const Json& obj, const char* key, const std::string& path) {
  const Json* v = find(obj, key);
  if (v && !v->is_array()) malformed(path + "." + key, "is not an array");
  return v;
}

// Parameter and option values are strings in the schema; numbers are shown as written.
std::string scalar_text(const Json& v, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  malformed(path, "is not a string");
}

std::vector<std::pair<std::string, std::string>> string_map(const Json* obj, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!obj) return out;
  for (const auto& [k, v] : obj->items()) out.emplace_back(k, scalar_text(v, path + "." + k));
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> count_map(const Json* obj, const std::string& path) {
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

struct MonitorView {
  Span processes, rss_bytes;
  std::optional<std::uint64_t> joined, exits;
  std::vector<std::pair<std::string, std::uint64_t>> exit_causes;
  std::optional<double> cpu_seconds;
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
};

struct Document {
  std::optional<std::string> tool_name, tool_version;
  std::optional<std::string> hostname, kernel, python, python_version, started_at;
  std::optional<double> cpus;
  std::vector<TestView> tests;
};

BehaviourView read_behaviour(const Json& b, const std::string& path) {
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

Span read_span(const Json& parent, const char* key, const std::string& path) {
  const Json* obj = opt_object(parent, key, path);
  if (!obj) return {};
  const std::string p = path + "." + key;
  return {opt_count(*obj, "start", p), opt_count(*obj, "end", p), opt_count(*obj, "peak", p)};
}

MonitorView read_monitor(const Json& m, const std::string& path) {
  MonitorView v;
  v.processes = read_span(m, "processes", path);
  v.rss_bytes = read_span(m, "rss_bytes", path);
  v.joined = opt_count(m, "joined", path);
  v.cpu_seconds = opt_number(m, "cpu_seconds", path);
  if (const Json* exits = opt_object(m, "exits", path)) {
    v.exits = opt_count(*exits, "total", path + ".exits");
    v.exit_causes = count_map(opt_object(*exits, "causes", path + ".exits"), path + ".exits.causes");
  }
  return v;
}

TestView read_test(const Json& t, const std::string& path) {
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
  return v;
}

Document read_document(std::string_view text) {
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

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A number as written when integral ("8"), else with up to 3 decimals ("0.5").
std::string plain(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return fixed(v, 0);
  std::string s = fixed(v, 3);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Milliseconds from microseconds, with precision that suits the magnitude.
std::string ms(std::optional<double> us) {
  if (!us) return "-";
  const double m = *us / 1000.0;
  return fixed(m, m < 10 ? 3 : m < 1000 ? 1 : 0);
}

std::string rate(double per_second) { return fixed(per_second, per_second >= 100 ? 0 : 1); }

std::string count(std::optional<std::uint64_t> c) { return c ? std::to_string(*c) : "-"; }

std::string call_text(const BehaviourView& b) {
  std::string s = b.name + "(";
  for (std::size_t i = 0; i < b.params.size(); ++i)
    s += (i ? ", " : "") + b.params[i].first + "=" + b.params[i].second;
  return s + ")";
}

// Outcome keys grouped the way a reader thinks about them: the server answered, the
// connection was refused, it broke, it stalled, it spoke nonsense.
std::string category_of(const std::string& key) {
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
std::string breakdown(const std::vector<std::pair<std::string, std::uint64_t>>& outcomes) {
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

std::optional<double> failure_pct(const TestView& t) {
  if (!t.totals) return std::nullopt;
  if (t.totals->failure_pct) return t.totals->failure_pct;
  if (t.totals->sent && t.totals->unexpected && *t.totals->sent > 0)
    return 100.0 * static_cast<double>(*t.totals->unexpected) / static_cast<double>(*t.totals->sent);
  return std::nullopt;
}

// ANSI styling, applied after padding so that widths stay those of the plain text.
class Style {
 public:
  explicit Style(bool enabled) : enabled_(enabled) {}
  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string good(const std::string& s) const { return wrap("32", s); }
  std::string bad(const std::string& s) const { return wrap("31", s); }
  std::string warn(const std::string& s) const { return wrap("33", s); }
  std::string status(const std::string& s) const {
    return s == "completed" ? good(s) : s == "skipped" || s == "interrupted" ? warn(s) : bad(s);
  }
  std::string verdict(const std::string& s) const {
    return s == "passed" ? good(s) : s == "failed" ? bad(s) : warn(s);
  }

 private:
  std::string wrap(const char* code, const std::string& s) const {
    return enabled_ ? "\033[" + std::string(code) + "m" + s + "\033[0m" : s;
  }
  bool enabled_;
};

std::string pad(const std::string& s, std::size_t width, bool right) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

// A table whose column widths come from its content.
struct Table {
  std::vector<std::string> header;
  std::vector<bool> right_aligned;
  std::vector<std::vector<std::string>> rows;

  std::vector<std::size_t> widths() const {
    std::vector<std::size_t> w(header.size(), 0);
    auto widen = [&](const std::vector<std::string>& row) {
      for (std::size_t i = 0; i < row.size() && i < w.size(); ++i) w[i] = std::max(w[i], row[i].size());
    };
    widen(header);
    for (const auto& r : rows) widen(r);
    return w;
  }
  // One formatted line; `decorate` may colour a cell after it has been padded.
  template <class Decorate>
  std::string line(const std::vector<std::string>& row, const std::vector<std::size_t>& w,
                   Decorate&& decorate) const {
    std::string out;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      std::string cell = last && !right_aligned[i] ? row[i] : pad(row[i], w[i], right_aligned[i]);
      out += decorate(i, row[i], cell);
      if (!last) out += "  ";
    }
    return out;
  }
};

// ------------------------------------------------------------------ rendering --------

class ConsoleReporter final : public labour::sdk::Reporter {
 public:
  static constexpr const char* name = "console";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "Labour's summary and servers x scenarios matrix, for a terminal";

  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::choice(
            "color", "never", "auto|always|never",
            "ANSI colours: auto = when standard output is a terminal and NO_COLOR is unset"),
        labour::sdk::Param::choice("matrix", "auto", "auto|always|never",
                                   "servers x scenarios table: auto = when there is more than one test"),
    };
  }

  ConsoleReporter(const labour::sdk::Params& params, const labour::sdk::Host&)
      : color_(decide_color(params.text("color"))), matrix_(params.text("matrix")) {}

  void render(std::string_view results_json, labour::sdk::Sink& out) override {
    const Document doc = read_document(results_json);
    const Style style(color_);
    std::string text = preamble(doc);
    for (const TestView& t : doc.tests) text += "\n" + test_section(t, style);
    if (doc.tests.empty()) text += "\nno tests in this document\n";
    if (matrix_ == "always" || (matrix_ == "auto" && doc.tests.size() > 1)) text += "\n" + matrix(doc, style);
    out << text;
  }

 private:
  static bool decide_color(const std::string& choice) {
    if (choice == "always") return true;
    if (choice == "never") return false;
    const char* term = std::getenv("TERM");
    return std::getenv("NO_COLOR") == nullptr && isatty(STDOUT_FILENO) &&
           !(term && std::string_view(term) == "dumb");
  }

  static std::string preamble(const Document& d) {
    std::string s = d.tool_name.value_or("labour");
    if (d.tool_version) s += " " + *d.tool_version;
    std::vector<std::string> host;
    if (d.kernel) host.push_back(*d.kernel);
    if (d.cpus) host.push_back(plain(*d.cpus) + " cpus");
    if (d.hostname) s += " on " + *d.hostname;
    if (!host.empty()) {
      s += " (";
      for (std::size_t i = 0; i < host.size(); ++i) s += (i ? ", " : "") + host[i];
      s += ")";
    }
    if (d.python_version || d.python) {
      s += ", python";
      if (d.python_version) s += " " + *d.python_version;
      if (d.python) s += " (" + *d.python + ")";
    }
    if (d.started_at) s += ", started " + *d.started_at;
    return s + "\n";
  }

  static std::string test_section(const TestView& t, const Style& style) {
    std::string s = style.bold(t.label + (t.server_version ? " " + *t.server_version : "") + ", scenario " +
                               t.scenario.name) +
                    ": " + style.status(t.status) + "\n";
    const std::string in = "  ";
    if (!t.server_options.empty()) {
      s += in + "server options:";
      for (const auto& [k, v] : t.server_options) s += " " + k + "=" + v;
      s += "\n";
    }
    s += scenario_line(t.scenario, in);
    if (t.status != "completed" || t.error)
      s += in + "error: " + t.error.value_or("(no reason given)") + "\n";

    if (t.totals) {
      const Totals& tot = *t.totals;
      s += in + "sent " + count(tot.sent) + " requests";
      if (t.duration_s) s += " in " + fixed(*t.duration_s, 2) + " s";
      if (t.requests_per_second) s += ": " + fixed(*t.requests_per_second, 1) + " req/s";
      s += "\n";
      s += in + "expected " + count(tot.expected) + ", unexpected " + count(tot.unexpected);
      if (auto pct = failure_pct(t)) s += " (" + fixed(*pct, 1) + " % failures)";
      if (tot.innocent_sent)
        s += "; innocent: " + count(tot.innocent_sent) + " sent, " + count(tot.innocent_unexpected) +
             " unexpected";
      s += "\n";
    }
    if (t.verdict) s += in + "verdict: " + style.verdict(*t.verdict) + "\n";
    if (!t.behaviours.empty()) s += behaviour_table(t.behaviours, in);
    if (t.monitor) s += monitor_line(*t.monitor, in);
    if (t.supervision) s += supervision_line(*t.supervision, in);
    return s;
  }

  // "server: 3 processes (peak 4), 2 joined, 2 exited (killed by SIGSEGV x2); RSS 41.0 -> 52.3 MiB
  // (peak 60.1); CPU 1.21 s"
  static std::string monitor_line(const MonitorView& m, const std::string& in) {
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
    if (parts.empty()) return "";
    std::string s = in + "server: ";
    for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? "; " : "") + parts[i];
    return s + "\n";
  }

  static std::string scenario_line(const ScenarioView& sc, const std::string& in) {
    std::vector<std::string> parts;
    if (sc.source) parts.push_back(*sc.source);
    if (sc.policy) parts.push_back(*sc.policy + " policy");
    if (sc.requests && *sc.requests > 0) parts.push_back(plain(*sc.requests) + " requests");
    if (sc.duration_s && *sc.duration_s > 0) parts.push_back(plain(*sc.duration_s) + " s");
    if (sc.concurrency && *sc.concurrency > 0) parts.push_back("concurrency " + plain(*sc.concurrency));
    if (sc.rate && *sc.rate > 0) parts.push_back("rate " + plain(*sc.rate) + "/s");
    if (sc.timeout_ms) parts.push_back("timeout " + plain(*sc.timeout_ms) + " ms");
    if (sc.seed) parts.push_back("seed " + plain(*sc.seed));
    if (parts.empty()) return "";
    std::string s = in + "scenario: ";
    for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
    return s + "\n";
  }

  static std::string behaviour_table(const std::vector<BehaviourView>& behaviours, const std::string& in) {
    Table table;
    table.header = {"behaviour", "weight", "sent", "expected", "unexpected", "p50 ms", "p99 ms", "max ms"};
    table.right_aligned = {false, true, true, true, true, true, true, true};
    for (const auto& b : behaviours) {
      const Latency lat = b.latency.value_or(Latency{});
      table.rows.push_back({call_text(b) + (b.innocent ? " [innocent]" : ""),
                            b.weight ? plain(*b.weight) : "-", count(b.sent), count(b.expected),
                            count(b.unexpected), ms(lat.p50_us), ms(lat.p99_us), ms(lat.max_us)});
    }
    const auto w = table.widths();
    const auto as_is = [](std::size_t, const std::string&, const std::string& cell) { return cell; };
    std::string s = in + table.line(table.header, w, as_is) + "\n";
    for (std::size_t i = 0; i < behaviours.size(); ++i) {
      const BehaviourView& b = behaviours[i];
      s += in + table.line(table.rows[i], w, as_is) + "\n";
      // Only the judged split says which outcomes were unexpected; without it, show them all.
      if (b.unexpected_outcomes)
        s += in + "    unexpected: " + breakdown(*b.unexpected_outcomes) + "\n";
      else if (!b.outcomes.empty())
        s += in + "    outcomes: " + breakdown(b.outcomes) + "\n";
    }
    return s;
  }

  static std::string supervision_line(const Supervision& sv, const std::string& in) {
    std::vector<std::string> parts;
    if (sv.port) parts.push_back("port " + plain(*sv.port));
    if (sv.start_seconds) parts.push_back("ready in " + fixed(*sv.start_seconds, 2) + " s");
    if (sv.stop_signal || sv.stop_seconds) {
      std::string stop = "stopped";
      if (sv.stop_signal) stop += " by " + *sv.stop_signal;
      if (sv.stop_seconds) stop += " in " + fixed(*sv.stop_seconds, 2) + " s";
      parts.push_back(stop);
    }
    if (sv.exit) parts.push_back(*sv.exit);
    if (sv.orphans)
      parts.push_back(std::to_string(*sv.orphans) + (*sv.orphans == 1 ? " orphan" : " orphans"));
    if (sv.server_cpus) parts.push_back("server on CPU " + *sv.server_cpus);
    if (sv.client_cpus) parts.push_back("client on CPU " + *sv.client_cpus);
    if (sv.run_dir) parts.push_back("run dir kept: " + *sv.run_dir);
    std::string s = in + "supervision: ";
    for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
    return s + "\n";
  }

  // Labour's cell: "0.0% 812/s", or "Failed 45.0%" above 10 % failures.
  static std::string cell_text(const TestView& t) {
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

  // What the server's processes went through, for the second table: "101 exits, RSS +25 MiB".
  static std::string process_cell_text(const TestView& t) {
    if (!t.monitor) return "-";
    const MonitorView& m = *t.monitor;
    std::string cell;
    if (m.exits && *m.exits) cell = std::to_string(*m.exits) + (*m.exits == 1 ? " exit, " : " exits, ");
    if (m.rss_bytes.start && m.rss_bytes.end) {
      const double mib = (static_cast<double>(*m.rss_bytes.end) - static_cast<double>(*m.rss_bytes.start)) /
                         (1024.0 * 1024.0);
      cell += "RSS " + std::string(mib >= 0 ? "+" : "") + fixed(mib, std::fabs(mib) < 10 ? 1 : 0) + " MiB";
    }
    return cell.empty() ? "-" : cell;
  }

  // Rows servers, columns scenarios, in the order they first appear; `text` makes a cell.
  template <class CellText, class Colour>
  static std::string grid(const Document& doc, const std::string& title, CellText&& text, Colour&& colour,
                          const Style& style) {
    std::vector<std::string> servers, scenarios;
    std::map<std::pair<std::string, std::string>, std::string> cells;
    for (const TestView& t : doc.tests) {
      if (std::find(servers.begin(), servers.end(), t.label) == servers.end()) servers.push_back(t.label);
      if (std::find(scenarios.begin(), scenarios.end(), t.scenario.name) == scenarios.end())
        scenarios.push_back(t.scenario.name);
      cells.emplace(std::make_pair(t.label, t.scenario.name), text(t));  // first run of a pair wins
    }
    Table table;
    table.header = {"server"};
    table.header.insert(table.header.end(), scenarios.begin(), scenarios.end());
    table.right_aligned.assign(table.header.size(), false);
    for (const auto& server : servers) {
      std::vector<std::string> row = {server};
      for (const auto& scenario : scenarios) {
        auto it = cells.find({server, scenario});
        row.push_back(it == cells.end() ? "-" : it->second);
      }
      table.rows.push_back(std::move(row));
    }
    const auto w = table.widths();
    const auto as_is = [](std::size_t, const std::string&, const std::string& cell) { return cell; };
    const auto decorate = [&](std::size_t column, const std::string& raw, const std::string& cell) {
      return column == 0 ? cell : colour(raw, cell);
    };
    std::string s = style.bold(title) + "\n";
    s += "  " + table.line(table.header, w, as_is) + "\n";
    for (const auto& row : table.rows) s += "  " + table.line(row, w, decorate) + "\n";
    return s;
  }

  static std::string matrix(const Document& doc, const Style& style) {
    std::string s = grid(
        doc, "matrix: failure % and requests/s; \"Failed\" above " + plain(kFailedAbovePct) + " % failures",
        cell_text,
        [&](const std::string& raw, const std::string& cell) {
          if (raw.rfind("Failed", 0) == 0 || raw == "error") return style.bad(cell);
          if (raw == "skipped") return style.warn(cell);
          return cell;
        },
        style);
    const bool monitored =
        std::any_of(doc.tests.begin(), doc.tests.end(), [](const TestView& t) { return t.monitor; });
    if (monitored)
      s += "\n" + grid(
                      doc, "server processes: exits during the load, and RSS growth (end - start)",
                      process_cell_text,
                      [&](const std::string& raw, const std::string& cell) {
                        return raw.find("exit") != std::string::npos ? style.warn(cell) : cell;
                      },
                      style);
    return s;
  }

  bool color_;
  std::string matrix_;
};

}  // namespace

LABOUR_REPORTER_PLUGIN(ConsoleReporter)
