// html reporter: one self-contained page (no scripts, no external files) to keep or share:
// Labour's matrix and the server-processes matrix, then per test its tables, a timeline
// of expected and unexpected outcomes, and the server's memory and processes over time
// with every exit marked. Charts are inline SVG drawn here.
#include <labour/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "results_view.hpp"

namespace {

using namespace labour::reporters;

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string tag(const std::string& name, const std::string& text, const std::string& cls = "") {
  return "<" + name + (cls.empty() ? "" : " class=\"" + cls + "\"") + ">" + escape(text) + "</" + name + ">";
}

// ------------------------------------------------------------------ charts -----------
// A plot area with a y axis labelled at 0 and its top, and an x axis in seconds.

constexpr double kWidth = 760, kHeight = 180, kLeft = 60, kRight = 60, kTop = 14, kBottom = 24;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

std::string num(double v) { return fixed(std::isfinite(v) ? v : 0.0, 1); }

// A value a chart can draw: finite and not below zero.
double drawable(double v) { return std::isfinite(v) && v > 0 ? v : 0.0; }

std::string chart_open(const std::string& label) {
  return "<svg class=\"chart\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) +
         "\" role=\"img\" aria-label=\"" + escape(label) + "\">" + "<line class=\"axis\" x1=\"" + num(kLeft) +
         "\" y1=\"" + num(kTop + kPlotH) + "\" x2=\"" + num(kLeft + kPlotW) + "\" y2=\"" +
         num(kTop + kPlotH) + "\"/>";
}

std::string text_at(double x, double y, const std::string& text, const std::string& anchor,
                    const std::string& cls = "label") {
  return "<text class=\"" + cls + "\" x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor +
         "\">" + escape(text) + "</text>";
}

std::string x_axis(double seconds) {
  return text_at(kLeft, kHeight - 6, "0 s", "start") +
         text_at(kLeft + kPlotW, kHeight - 6, plain(seconds) + " s", "end");
}

// Stacked bars per timeline bucket: expected below, unexpected on top.
std::string timeline_chart(const TimelineView& tl) {
  const std::size_t n = std::max(tl.expected.size(), tl.unexpected.size());
  if (n == 0 || tl.bucket_ms <= 0) return "";
  auto total = [](const std::vector<std::vector<double>>& rows, std::size_t i) {
    double sum = 0;
    if (i < rows.size())
      for (double v : rows[i]) sum += drawable(v);
    return drawable(sum);
  };
  double top = 1;
  for (std::size_t i = 0; i < n; ++i) top = std::max(top, total(tl.expected, i) + total(tl.unexpected, i));
  const double bar = kPlotW / static_cast<double>(n);
  std::string svg = chart_open("outcomes per " + plain(tl.bucket_ms) + " ms");
  for (std::size_t i = 0; i < n; ++i) {
    const double ok = total(tl.expected, i), bad = total(tl.unexpected, i);
    const double x = kLeft + bar * static_cast<double>(i);
    const double ok_h = kPlotH * ok / top, bad_h = kPlotH * bad / top;
    const double w = std::max(bar - (bar > 3 ? 1 : 0), 0.5);
    if (ok > 0)
      svg += "<rect class=\"ok\" x=\"" + num(x) + "\" y=\"" + num(kTop + kPlotH - ok_h) + "\" width=\"" +
             num(w) + "\" height=\"" + num(ok_h) + "\"/>";
    if (bad > 0)
      svg += "<rect class=\"bad\" x=\"" + num(x) + "\" y=\"" + num(kTop + kPlotH - ok_h - bad_h) +
             "\" width=\"" + num(w) + "\" height=\"" + num(bad_h) + "\"/>";
  }
  svg += text_at(kLeft - 6, kTop + 8, plain(top), "end") + text_at(kLeft - 6, kTop + kPlotH, "0", "end");
  svg += text_at(kLeft + kPlotW + 6, kTop + 8, "per " + plain(tl.bucket_ms) + " ms", "start");
  svg += x_axis(tl.bucket_ms * static_cast<double>(n) / 1000.0);
  return svg + "</svg>";
}

std::string polyline(const std::vector<double>& t, const std::vector<double>& v, double t_max, double v_max,
                     const std::string& cls) {
  std::string points;
  const std::size_t n = std::min(t.size(), v.size());
  for (std::size_t i = 0; i < n; ++i) {
    const double x = std::min(drawable(t[i]) / t_max, 1.0), y = std::min(drawable(v[i]) / v_max, 1.0);
    points += num(kLeft + kPlotW * x) + "," + num(kTop + kPlotH - kPlotH * y) + " ";
  }
  return "<polyline class=\"" + cls + "\" points=\"" + points + "\"/>";
}

// RSS (left axis) and processes (right axis) over time, each exit a mark on the top edge.
std::string monitor_chart(const MonitorView& m) {
  if (m.t_s.size() < 2) return "";
  double t_max = 0.001, rss_max = 1, proc_max = 1;
  for (double v : m.t_s) t_max = std::max(t_max, drawable(v));
  for (double v : m.series_rss_bytes) rss_max = std::max(rss_max, drawable(v));
  for (double v : m.series_processes) proc_max = std::max(proc_max, drawable(v));
  std::vector<double> rss_mib;
  for (double v : m.series_rss_bytes) rss_mib.push_back(drawable(v) / (1024.0 * 1024.0));
  const double mib_max = rss_max / (1024.0 * 1024.0);
  std::string svg = chart_open("server memory and processes");
  svg += polyline(m.t_s, rss_mib, t_max, mib_max, "rss");
  svg += polyline(m.t_s, m.series_processes, t_max, proc_max * 1.25, "procs");
  for (const ExitView& e : m.first_exits) {
    const double x = kLeft + kPlotW * std::min(drawable(e.t_s) / t_max, 1.0);
    svg += "<line class=\"exit\" x1=\"" + num(x) + "\" y1=\"" + num(kTop - 8) + "\" x2=\"" + num(x) +
           "\" y2=\"" + num(kTop) + "\"><title>" +
           escape(fixed(e.t_s, 3) + " s: " + e.cause + (e.leader ? " (main process)" : "")) +
           "</title></line>";
  }
  svg += text_at(kLeft - 6, kTop + 8, fixed(mib_max, 1) + " MiB", "end", "label rss-label");
  svg += text_at(kLeft - 6, kTop + kPlotH, "0", "end");
  svg += text_at(kLeft + kPlotW + 6, kTop + kPlotH - kPlotH / 1.25 + 8, plain(proc_max) + " proc", "start",
                 "label procs-label");
  svg += x_axis(t_max);
  return svg + "</svg>";
}

// ------------------------------------------------------------------ page -------------

const char* const kStyle =
    R"(body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:62em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}th,td{padding:.2em .7em;text-align:right;border-bottom:1px solid #eee}
th:first-child,td:first-child{text-align:left}.meta,.note{color:#666}
.failed{color:#b00;font-weight:600}.skipped{color:#a60}.passed{color:#070}
.chart{width:100%;max-width:760px;display:block;margin:.4em 0}.axis{stroke:#999}
.ok{fill:#5a5}.bad{fill:#d33}.rss{fill:none;stroke:#36c;stroke-width:1.5}
.procs{fill:none;stroke:#a60;stroke-width:1.5;stroke-dasharray:4 2}.exit{stroke:#d33;stroke-width:1.5}
.label{font-size:11px;fill:#555}.rss-label{fill:#36c}.procs-label{fill:#a60}
.key span{margin-right:1.2em}.key i{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
)";

class HtmlReporter final : public labour::sdk::Reporter {
 public:
  static constexpr const char* name = "html";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "one self-contained HTML page: matrices, per-test tables, timeline and server charts";

  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::text("title", "labour results", "the page's title")};
  }

  HtmlReporter(const labour::sdk::Params& params, const labour::sdk::Host&) : title_(params.text("title")) {}

  void render(std::string_view results_json, labour::sdk::Sink& out) override {
    const Document doc = read_document(results_json);
    std::string page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                       escape(title_) + "</title><style>" + kStyle + "</style></head><body>\n";
    page += tag("h1", title_) + "\n" + tag("p", preamble(doc), "meta") + "\n";
    if (doc.tests.size() > 1) page += matrices(doc);
    for (std::size_t i = 0; i < doc.tests.size(); ++i) page += test_section(doc.tests[i], i);
    if (doc.tests.empty()) page += tag("p", "no tests in this document", "note");
    page += "</body></html>\n";
    out << page;
  }

 private:
  static std::string preamble(const Document& d) {
    std::string s = d.tool_name.value_or("labour") + (d.tool_version ? " " + *d.tool_version : "");
    if (d.hostname) s += " on " + *d.hostname;
    if (d.kernel) s += " (" + *d.kernel + (d.cpus ? ", " + plain(*d.cpus) + " cpus" : "") + ")";
    if (d.python_version) s += ", python " + *d.python_version;
    if (d.started_at) s += ", started " + *d.started_at;
    return s;
  }

  static std::string cell_class(const std::string& text) {
    if (text.rfind("Failed", 0) == 0 || text == "error" || text.rfind("died", 0) == 0) return "failed";
    if (text == "skipped") return "skipped";
    return "";
  }

  template <class CellText>
  static std::string grid(const Document& doc, const std::string& title, CellText&& text) {
    std::vector<std::string> servers, scenarios;
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::size_t>> cells;
    for (std::size_t i = 0; i < doc.tests.size(); ++i) {
      const TestView& t = doc.tests[i];
      if (std::find(servers.begin(), servers.end(), t.label) == servers.end()) servers.push_back(t.label);
      if (std::find(scenarios.begin(), scenarios.end(), t.scenario.name) == scenarios.end())
        scenarios.push_back(t.scenario.name);
      cells.emplace(std::make_pair(t.label, t.scenario.name), std::make_pair(text(t), i));
    }
    std::string s = tag("h2", title) + "\n<table><tr><th>server</th>";
    for (const auto& sc : scenarios) s += tag("th", sc);
    s += "</tr>\n";
    for (const auto& server : servers) {
      s += "<tr>" + tag("td", server);
      for (const auto& sc : scenarios) {
        const auto it = cells.find({server, sc});
        if (it == cells.end()) {
          s += tag("td", "-");
          continue;
        }
        const auto& [cell, index] = it->second;
        const std::string cls = cell_class(cell);
        s += "<td" + (cls.empty() ? "" : " class=\"" + cls + "\"") + "><a href=\"#test-" +
             std::to_string(index) + "\">" + escape(cell) + "</a></td>";
      }
      s += "</tr>\n";
    }
    return s + "</table>\n";
  }

  static std::string matrices(const Document& doc) {
    std::string s =
        grid(doc, "Matrix: failure % and requests/s (\"Failed\" above " + plain(kFailedAbovePct) + " %)",
             matrix_cell);
    if (std::any_of(doc.tests.begin(), doc.tests.end(), [](const TestView& t) { return t.monitor; }))
      s += grid(doc, "Server processes: exits during the load, and RSS growth", process_cell);
    return s;
  }

  static std::string test_section(const TestView& t, std::size_t index) {
    std::string s = "<section id=\"test-" + std::to_string(index) + "\">\n";
    s += "<h2>" +
         escape(t.label + (t.server_version ? " " + *t.server_version : "") + ", scenario " +
                t.scenario.name) +
         ": <span class=\"" +
         (t.status == "completed" ? "passed"
          : t.status == "skipped" ? "skipped"
                                  : "failed") +
         "\">" + escape(t.status) + "</span></h2>\n";
    if (t.error) s += tag("p", "error: " + *t.error, "failed") + "\n";
    if (t.totals) {
      std::string line = "sent " + count(t.totals->sent) + " requests";
      if (t.duration_s) line += " in " + fixed(*t.duration_s, 2) + " s";
      if (t.requests_per_second) line += ": " + fixed(*t.requests_per_second, 1) + " req/s";
      line += "; expected " + count(t.totals->expected) + ", unexpected " + count(t.totals->unexpected);
      if (auto pct = failure_pct(t)) line += " (" + fixed(*pct, 1) + " % failures)";
      s += tag("p", line);
    }
    if (t.verdict)
      s += "<p>verdict: " + tag("span", *t.verdict, *t.verdict == "passed" ? "passed" : "failed") + "</p>\n";
    if (!t.behaviours.empty()) s += behaviour_table(t.behaviours);
    if (t.timeline) {
      const std::string chart = timeline_chart(*t.timeline);
      if (!chart.empty())
        s += "<p class=\"key\"><span><i class=\"ok\" style=\"background:#5a5\"></i>expected</span>"
             "<span><i style=\"background:#d33\"></i>unexpected</span></p>\n" +
             chart + "\n";
    }
    if (t.monitor) {
      s += tag("p", "server: " + monitor_summary(*t.monitor));
      const std::string chart = monitor_chart(*t.monitor);
      if (!chart.empty())
        s += "<p class=\"key\"><span><i style=\"background:#36c\"></i>RSS</span>"
             "<span><i style=\"background:#a60\"></i>processes</span>"
             "<span><i style=\"background:#d33\"></i>an exit (hover for its cause)</span></p>\n" +
             chart + "\n";
    }
    if (t.supervision) s += tag("p", "supervision: " + supervision_summary(*t.supervision), "note") + "\n";
    return s + "</section>\n";
  }

  static std::string behaviour_table(const std::vector<BehaviourView>& behaviours) {
    std::string s =
        "<table><tr><th>behaviour</th><th>weight</th><th>sent</th><th>expected</th><th>unexpected</th>"
        "<th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>unexpected outcomes</th></tr>\n";
    for (const auto& b : behaviours) {
      const Latency lat = b.latency.value_or(Latency{});
      s += "<tr>" + tag("td", call_text(b) + (b.innocent ? " [innocent]" : "")) +
           tag("td", b.weight ? plain(*b.weight) : "-") + tag("td", count(b.sent)) +
           tag("td", count(b.expected)) +
           tag("td", count(b.unexpected), b.unexpected && *b.unexpected ? "failed" : "") +
           tag("td", ms(lat.p50_us)) + tag("td", ms(lat.p99_us)) + tag("td", ms(lat.max_us)) +
           tag("td", b.unexpected_outcomes ? breakdown(*b.unexpected_outcomes) : "-") + "</tr>\n";
    }
    return s + "</table>\n";
  }

  std::string title_;
};

}  // namespace

LABOUR_REPORTER_PLUGIN(HtmlReporter)
