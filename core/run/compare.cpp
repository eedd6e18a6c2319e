#include "run/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <labour/printable.hpp>

#include "common/errors.hpp"
#include "common/input_file.hpp"
#include "run/results.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::run {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// The figures compare judges, which way is bad, and the least change that counts without
// repetitions (below it, a relative change of a tiny figure is noise: 0.1 -> 0.2 ms).
struct Judged {
  const char* name;
  bool higher_is_worse;
  double floor;
};
constexpr Judged kJudged[] = {
    {"innocent_failure_pct", true, 1}, {"p50_ratio", true, 0.5},        {"p99_ratio", true, 0.5},
    {"fault_p50_ms", true, 1},         {"fault_p99_ms", true, 1},       {"throughput_retained_pct", false, 5},
    {"outage_total_s", true, 0.1},     {"longest_outage_s", true, 0.1}, {"recovery_s", true, 0.1},
    {"rss_growth_mib", true, 5},
};

int severity(const std::string& verdict) {
  static const std::map<std::string, int> order = {{"robust", 0}, {"degraded", 1}, {"hung", 2}, {"down", 3}};
  auto it = order.find(verdict);
  return it == order.end() ? -1 : it->second;
}

std::string outcome_of(const json& t) {
  if (t.value("status", "") != "completed") return t.value("status", "unknown");
  if (t.contains("verdict") && t["verdict"].is_object() && t["verdict"].contains("value") &&
      t["verdict"]["value"].is_string())
    return t["verdict"]["value"].get<std::string>();
  return "completed";
}

std::optional<double> number_at(const json& t, const char* block, const char* name) {
  if (!t.contains(block) || !t[block].is_object() || !t[block].contains(name)) return std::nullopt;
  const json& v = t[block][name];
  return v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt;
}

// A repeated test's range of one figure: repeat.figures_min/max.
std::optional<std::pair<double, double>> spread(const json& t, const char* name) {
  if (!t.contains("repeat") || !t["repeat"].is_object()) return std::nullopt;
  const json& r = t["repeat"];
  const auto lo = number_at(r, "figures_min", name), hi = number_at(r, "figures_max", name);
  if (!lo || !hi) return std::nullopt;
  return std::make_pair(*lo, *hi);
}

// A figure's interval in a test's "intervals" block ({low, high}), if the document has one.
std::optional<std::pair<double, double>> interval_at(const json& t, const std::string& name) {
  if (!t.contains("intervals") || !t["intervals"].is_object() || !t["intervals"].contains(name))
    return std::nullopt;
  const json& i = t["intervals"][name];
  if (!i.is_object()) return std::nullopt;
  if (!i.contains("low") || !i.contains("high") || !i["low"].is_number() || !i["high"].is_number())
    return std::nullopt;
  return std::make_pair(i["low"].get<double>(), i["high"].get<double>());
}

// The interval a figure is judged by: its own, or an absolute latency's ratio's (the ratio
// to the same run's baseline is what a verdict judges; the absolute figure moves with the
// machine).
std::string interval_figure(const std::string& name) {
  if (name == "fault_p99_ms") return "p99_ratio";
  if (name == "fault_p50_ms") return "p50_ratio";
  return name;
}

bool apart(const std::pair<double, double>& a, const std::pair<double, double>& b) {
  return b.first > a.second || b.second < a.first;
}

const json& verdict_of(const json& t) {
  static const json none = json::object();
  return t.contains("verdict") && t["verdict"].is_object() ? t["verdict"] : none;
}

// verdict.certainty == "borderline"; a verdict without certainty (an older document) is certain.
bool borderline(const json& t) {
  const json& v = verdict_of(t);
  return t.value("status", "") == "completed" && v.contains("certainty") && v["certainty"] == "borderline";
}

// The figure a verdict was decided (or straddled) by: its interval's, else its own.
std::string deciding_figure(const json& t) {
  const json& v = verdict_of(t);
  if (v.contains("interval") && v["interval"].is_object() && v["interval"].contains("figure") &&
      v["interval"]["figure"].is_string())
    return v["interval"]["figure"].get<std::string>();
  if (v.contains("figure") && v["figure"].is_string()) return v["figure"].get<std::string>();
  return "";
}

std::string confidence_of(const json& t) {
  const json& v = verdict_of(t);
  if (!v.contains("confidence") || !v["confidence"].is_number()) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, " at %.4g%%", v["confidence"].get<double>() * 100);
  return buf;
}

std::string runs_of(const json& t) {
  return t.contains("repeat") && t["repeat"].is_object() ? t["repeat"].value("count", json(0)).dump() : "1";
}

std::string cell_key(const json& t) {
  const std::string scenario =
      t.contains("scenario") && t["scenario"].is_object() ? t["scenario"].value("name", "?") : "?";
  return t.value("label", "?") + " x " + scenario;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

const char* kind_text(CellChange::Kind k) {
  switch (k) {
    case CellChange::Kind::Better:
      return "better";
    case CellChange::Kind::Worse:
      return "worse";
    case CellChange::Kind::Changed:
      return "changed";
    case CellChange::Kind::Uncertain:
      return "uncertain";
    default:
      return "same";
  }
}

}  // namespace

std::string results_path(const std::string& given) {
  std::error_code ec;
  return fs::is_directory(given, ec) ? (fs::path(given) / "results.json").string() : given;
}

json read_results_document(const std::string& given, const std::string& command) {
  const std::string path = results_path(given);
  const auto bad = [&](const std::string& what) { return UsageError(command + ": '" + path + "' " + what); };
  // Ctrl-C ends a long parse too (the callback runs for every value).
  const auto interruptible = [&](int, json::parse_event_t, json&) {
    if (supervisor::interrupt_flag().load(std::memory_order_relaxed))
      throw Interrupted(command + ": '" + path + "': interrupted while it was read");
    return true;
  };
  json document = json::parse(read_input_file(path, command + ": results document", kMaxDocumentBytes),
                              interruptible, false);
  if (document.is_discarded()) throw bad("is not valid JSON (cut short? copy it again)");
  if (!document.is_object() || !document.contains("schema_version"))
    throw bad("is not a labour results document");
  if (document["schema_version"] != kSchemaVersion)
    throw bad("has schema_version " + document["schema_version"].dump() + ", this labour reads " +
              std::to_string(kSchemaVersion));
  if (!document.contains("tests") || !document["tests"].is_array()) throw bad("has no tests list");
  return document;
}

bool CellChange::regression() const {
  return verdict_change == Kind::Worse ||
         std::any_of(figures.begin(), figures.end(),
                     [](const FigureChange& f) { return f.worse && !f.uncertain; });
}

std::size_t Comparison::regressions() const {
  return static_cast<std::size_t>(
      std::count_if(cells.begin(), cells.end(), [](const CellChange& c) { return c.regression(); }));
}

std::size_t Comparison::uncertain() const {
  return static_cast<std::size_t>(std::count_if(cells.begin(), cells.end(), [](const CellChange& c) {
    return c.verdict_change == CellChange::Kind::Uncertain;
  }));
}

Comparison compare_documents(const json& old_doc, const json& new_doc, double tolerance_pct) {
  // nan compares false with every bound: it would pass every figure and hide every regression.
  if (!std::isfinite(tolerance_pct) || tolerance_pct < 0)
    throw UsageError("compare: the tolerance must be a finite number of percent, 0 or more");
  std::map<std::string, const json*> old_tests;
  for (const json& t : old_doc["tests"])
    if (t.is_object()) old_tests.emplace(cell_key(t), &t);
  Comparison c;
  std::map<std::string, bool> seen;
  for (const json& t : new_doc["tests"]) {
    if (!t.is_object()) continue;
    const std::string key = cell_key(t);
    seen[key] = true;
    auto it = old_tests.find(key);
    if (it == old_tests.end()) {
      c.only_in_new.push_back(key);
      continue;
    }
    const json& o = *it->second;
    CellChange cell;
    cell.label = t.value("label", "?");
    cell.scenario = t["scenario"].value("name", "?");
    cell.old_verdict = outcome_of(o);
    cell.new_verdict = outcome_of(t);
    cell.old_borderline = borderline(o);
    cell.new_borderline = borderline(t);
    const int before = severity(cell.old_verdict), after = severity(cell.new_verdict);
    if (cell.old_verdict != cell.new_verdict) {
      cell.verdict_change = before < 0 || after < 0 ? CellChange::Kind::Changed
                            : after > before        ? CellChange::Kind::Worse
                                                    : CellChange::Kind::Better;
      // A borderline side may change class on an identical rerun: no regression, unless the
      // deciding figure's intervals say the runs differ.
      if (cell.old_borderline || cell.new_borderline) {
        std::string figure = deciding_figure(cell.new_borderline ? t : o);
        if (figure.empty()) figure = deciding_figure(cell.new_borderline ? o : t);
        const auto ia = figure.empty() ? std::nullopt : interval_at(o, figure);
        const auto ib = figure.empty() ? std::nullopt : interval_at(t, figure);
        if (!(ia && ib && apart(*ia, *ib))) cell.verdict_change = CellChange::Kind::Uncertain;
      }
    }
    // Inside an unchanged down or hung, figures measure what a dead or hung server's innocent
    // requests met (timeouts, refusals): their moves are no change of the server's.
    const bool stuck = cell.old_verdict == cell.new_verdict && (before == 2 || before == 3);
    for (const Judged& j : kJudged) {
      if (stuck) break;
      const auto a = number_at(o, "figures", j.name), b = number_at(t, "figures", j.name);
      if (!a || !b) continue;  // not measured on one side: the verdict says why
      const std::string by = interval_figure(j.name);
      const auto ia = interval_at(o, by), ib = interval_at(t, by);
      const auto sa = spread(o, j.name), sb = spread(t, j.name);
      FigureChange f{j.name, *a, *b, false, ""};
      bool moved = false;
      if (ia && ib) {
        moved = apart(*ia, *ib);  // overlapping intervals: a rerun could give either figure
        f.basis = "intervals" + std::string(by == j.name ? "" : " of " + by) +
                  " apart: " + number(ia->first) + ".." + number(ia->second) + " and " + number(ib->first) +
                  ".." + number(ib->second) + confidence_of(t);
      } else if (sa && sb) {
        moved = sb->first > sa->second || sb->second < sa->first;  // the ranges do not overlap
        f.basis = "beyond the spread of " + runs_of(o) + " and " + runs_of(t) + " runs";
      } else {
        const double change = std::fabs(*b - *a);
        moved = change > j.floor && change > tolerance_pct / 100 * std::fabs(*a);
        f.basis = "beyond " + number(tolerance_pct) + "% and " + number(j.floor);
      }
      if (!moved || *a == *b) continue;
      f.worse = (*b > *a) == j.higher_is_worse;
      f.uncertain = !(ia && ib) && (cell.old_borderline || cell.new_borderline);
      if (f.uncertain) f.basis += "; a borderline verdict: not a regression";
      cell.figures.push_back(f);
    }
    c.cells.push_back(std::move(cell));
  }
  for (const auto& [key, test] : old_tests)
    if (!seen.count(key)) c.only_in_old.push_back(key);
  if (c.cells.empty())
    throw UsageError("compare: the two documents have no cell in common (only in OLD: " +
                     std::to_string(c.only_in_old.size()) +
                     ", only in NEW: " + std::to_string(c.only_in_new.size()) +
                     "); compare runs of the same servers and scenarios");
  return c;
}

std::string compare_text(const Comparison& c, const std::string& old_name_given,
                         const std::string& new_name_given) {
  // For a terminal: every text from the documents or the command line is escaped (labels,
  // scenario names, verdicts, paths), so no control or invisible character reaches it.
  const std::string old_name = printable(old_name_given), new_name = printable(new_name_given);
  std::string s = "labour compare: " + old_name + " -> " + new_name + "\n";
  std::size_t changed = 0;
  for (const auto& cell : c.cells) {
    if (cell.verdict_change == CellChange::Kind::Same && cell.figures.empty()) continue;
    ++changed;
    s += "  " + printable(cell.label) + " x " + printable(cell.scenario) + ": " +
         printable(cell.old_verdict) + (cell.old_borderline ? "?" : "") + " -> " +
         printable(cell.new_verdict) + (cell.new_borderline ? "?" : "");
    if (cell.verdict_change == CellChange::Kind::Uncertain)
      s += std::string(" (changed, uncertain: borderline in ") +
           (cell.old_borderline && cell.new_borderline ? "both"
            : cell.old_borderline                      ? old_name
                                                       : new_name) +
           ")";
    else if (cell.verdict_change != CellChange::Kind::Same)
      s += std::string(" (") + kind_text(cell.verdict_change) + ")";
    s += cell.regression() ? "  REGRESSION\n" : "\n";
    for (const auto& f : cell.figures)
      s += "      " + printable(f.name) + " " + number(f.old_value) + " -> " + number(f.new_value) +
           (f.worse ? " worse" : " better") + " (" + f.basis + ")\n";
  }
  if (changed == 0)
    s += "  no verdict changed and no figure moved beyond its intervals, spread or tolerance\n";
  for (const auto& k : c.only_in_old) s += "  only in " + old_name + ": " + printable(k) + "\n";
  for (const auto& k : c.only_in_new) s += "  only in " + new_name + ": " + printable(k) + "\n";
  s += std::to_string(c.cells.size()) + " cells compared, " + std::to_string(changed) + " changed, " +
       (c.uncertain() ? std::to_string(c.uncertain()) + " uncertain (borderline: not a regression), " : "") +
       std::to_string(c.regressions()) + " regressed\n";
  return s;
}

std::string compare_markdown(const Comparison& c, const std::string& old_name, const std::string& new_name) {
  // Escaped for a terminal first (Markdown is often read in one), then for Markdown.
  const auto cell_text = [](const std::string& given) {
    std::string out;
    for (char ch : printable(given)) {
      if (ch == '|' || ch == '\\' || ch == '<' || ch == '*' || ch == '_' || ch == '`') out += '\\';
      out += (ch == '\n' || ch == '\r') ? ' ' : ch;
    }
    return out;
  };
  std::string s = "**labour compare** `" + cell_text(old_name) + "` → `" + cell_text(new_name) +
                  "`: " + std::to_string(c.cells.size()) + " cells, " + std::to_string(c.regressions()) +
                  " regressed\n\n";
  s += "| server | scenario | verdict | figures that moved |\n| --- | --- | --- | --- |\n";
  for (const auto& cell : c.cells) {
    if (cell.verdict_change == CellChange::Kind::Same && cell.figures.empty()) continue;
    std::string moved;
    for (const auto& f : cell.figures)
      moved += (moved.empty() ? "" : "; ") + f.name + " " + number(f.old_value) + " → " +
               number(f.new_value) + (f.worse ? " (worse)" : " (better)");
    s += "| " + cell_text(cell.label) + " | " + cell_text(cell.scenario) + " | " +
         cell_text(cell.old_verdict) + (cell.old_borderline ? "?" : "") + " → " +
         cell_text(cell.new_verdict) + (cell.new_borderline ? "?" : "") +
         (cell.verdict_change == CellChange::Kind::Uncertain ? " (uncertain: borderline)" : "") +
         (cell.regression() ? " **regression**" : "") + " | " + cell_text(moved) + " |\n";
  }
  for (const auto& k : c.only_in_old) s += "\nonly in the old run: " + cell_text(k);
  for (const auto& k : c.only_in_new) s += "\nonly in the new run: " + cell_text(k);
  return s + "\n";
}

json compare_json(const Comparison& c, const std::string& old_name, const std::string& new_name) {
  json cells = json::array();
  for (const auto& cell : c.cells) {
    json figures = json::array();
    for (const auto& f : cell.figures)
      figures.push_back({{"name", f.name},
                         {"old", f.old_value},
                         {"new", f.new_value},
                         {"worse", f.worse},
                         {"uncertain", f.uncertain},
                         {"basis", f.basis}});
    cells.push_back({{"label", cell.label},
                     {"scenario", cell.scenario},
                     {"old_verdict", cell.old_verdict},
                     {"new_verdict", cell.new_verdict},
                     {"old_certainty", cell.old_borderline ? "borderline" : "certain"},
                     {"new_certainty", cell.new_borderline ? "borderline" : "certain"},
                     {"verdict_change", kind_text(cell.verdict_change)},
                     {"regression", cell.regression()},
                     {"figures", figures}});
  }
  return {{"old", old_name},
          {"new", new_name},
          {"cells", cells},
          {"only_in_old", c.only_in_old},
          {"only_in_new", c.only_in_new},
          {"regressions", c.regressions()},
          {"uncertain", c.uncertain()}};
}

}  // namespace labour::run
