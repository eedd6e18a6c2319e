// console reporter: Labour's summary for a terminal. Reads the results document
// (docs/results-schema.md, schema_version 1), so it renders live runs and saved files alike.
//
// Per test: header, load and totals, verdict, a behaviour table (with the breakdown of
// unexpected outcomes under each row), what the monitor saw of the server, supervision;
// then, for more than one test, Labour's servers x scenarios matrix of failure % and
// requests/s, and a second one of the servers' process exits and RSS growth.
#include <unistd.h>
#include <labour/sdk.hpp>

#include "results_view.hpp"

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

using namespace labour::reporters;

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

  static std::string monitor_line(const MonitorView& m, const std::string& in) {
    const std::string summary = monitor_summary(m);
    return summary.empty() ? "" : in + "server: " + summary + "\n";
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
    return in + "supervision: " + supervision_summary(sv) + "\n";
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
        matrix_cell,
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
                      process_cell,
                      [&](const std::string& raw, const std::string& cell) {
                        if (raw.rfind("died", 0) == 0) return style.bad(cell);
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
