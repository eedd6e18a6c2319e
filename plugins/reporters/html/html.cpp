// html reporter: one self-contained page (no scripts, no external files) to keep or share.
// At the top the scorecard (servers x scenarios coloured by verdict, the reason on hover),
// Labour's table and the server-processes table; then per test its verdict and reason,
// phases, figures, outages, behaviours, a timeline of outcomes by send time with the three
// phases shaded and the innocent requests' p99 latency per bucket, and the server's memory
// and processes on the same time axis with every exit marked. Charts are inline SVG drawn
// here. Everything shown is read from the document (<labour/results.hpp>); nothing is derived.
#include <labour/results.hpp>
#include <labour/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// A CSS class for a value of an open set ("v-degraded"); any text becomes a safe name, and
// a value without a rule of its own is simply not coloured.
std::string css_class(const std::string& prefix, const std::string& value) {
  std::string out = prefix;
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    out += ok ? c : (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : '-';
  }
  return out;
}

// The class a test's scorecard cell is coloured with: its verdict, or its status.
std::string verdict_class(const TestView& t) {
  if (t.status == "completed" && t.verdict) return css_class("v-", t.verdict->value);
  return css_class("s-", t.status);
}

// ------------------------------------------------------------------ charts -----------
// A plot area with a y axis labelled at 0 and its top, and an x axis in seconds since the
// test's start, shared by every chart of a test so that they line up.

constexpr double kWidth = 760, kHeight = 180, kLeft = 60, kRight = 60, kTop = 14, kBottom = 24;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

std::string num(double v) { return fixed(std::isfinite(v) ? v : 0.0, 1); }

// A value a chart can draw: finite and not below zero.
double drawable(double v) { return std::isfinite(v) && v > 0 ? v : 0.0; }

// x of a time on the axis, kept inside the plot.
double x_of(double t_s, double t_max) { return kLeft + kPlotW * std::min(drawable(t_s) / t_max, 1.0); }

std::string chart_open(const std::string& label) {
  return "<svg class=\"chart\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) +
         "\" role=\"img\" aria-label=\"" + escape(label) + "\">";
}

std::string axis() {
  return "<line class=\"axis\" x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + kPlotH) + "\" x2=\"" +
         num(kLeft + kPlotW) + "\" y2=\"" + num(kTop + kPlotH) + "\"/>";
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

// Where the test's time axis ends: the last thing any of its charts draws.
double time_span(const TestView& t) {
  double end = 0.001;
  if (t.timeline && t.timeline->bucket_ms > 0) {
    const std::size_t n = std::max({t.timeline->sent.size(), t.timeline->expected.size(),
                                    t.timeline->unexpected.size(), t.timeline->innocent_p99_us.size()});
    end = std::max(end, drawable(t.timeline->bucket_ms * static_cast<double>(n) / 1000.0));
  }
  for (const PhaseView& p : t.phases)
    end = std::max(end, drawable(p.start_s.value_or(0) + p.duration_s.value_or(0)));
  if (t.monitor) {
    for (double v : t.monitor->t_s) end = std::max(end, drawable(v));
    for (const ExitView& e : t.monitor->first_exits) end = std::max(end, drawable(e.t_s));
  }
  return end;
}

// The phases as shaded bands behind a chart; `named`: each named above the plot when there
// is room for its name (the monitor chart keeps that margin for its exit marks).
std::string phase_bands(const std::vector<PhaseView>& phases, double t_max, bool named) {
  std::string svg;
  for (const PhaseView& p : phases) {
    if (!p.start_s || !p.duration_s) continue;
    const double x0 = x_of(*p.start_s, t_max), x1 = x_of(*p.start_s + drawable(*p.duration_s), t_max);
    std::string title = p.name + ": " + fixed(*p.start_s, 3) + " s for " + fixed(*p.duration_s, 3) + " s";
    if (p.ended_by) title += ", ended by " + *p.ended_by;
    // The tooltip on a group: a <rect> stays an empty element, as every other one here.
    svg += "<g><title>" + escape(title) + "</title><rect class=\"" + css_class("phase phase-", p.name) +
           "\" x=\"" + num(x0) + "\" y=\"" + num(kTop) + "\" width=\"" + num(std::max(x1 - x0, 0.0)) +
           "\" height=\"" + num(kPlotH) + "\"/></g>";
    if (named && x1 - x0 >= 6.5 * static_cast<double>(p.name.size()))
      svg += text_at((x0 + x1) / 2, kTop - 3, p.name, "middle", "label phase-label");
  }
  return svg;
}

// The innocent requests' p99 per bucket as a line (right axis), broken where a bucket had
// no innocent response; a lone bucket is a dot.
std::string p99_line(const std::vector<std::optional<double>>& p99_us, double bucket_s, double t_max,
                     double top_ms) {
  std::string svg, points;
  std::size_t run = 0;
  double last_x = 0, last_y = 0;
  auto end_run = [&] {
    if (run == 1)
      svg += "<circle class=\"p99dot\" cx=\"" + num(last_x) + "\" cy=\"" + num(last_y) + "\" r=\"2\"/>";
    else if (run > 1)
      svg += "<polyline class=\"p99\" points=\"" + points + "\"/>";
    points.clear();
    run = 0;
  };
  for (std::size_t i = 0; i < p99_us.size(); ++i) {
    if (!p99_us[i]) {
      end_run();
      continue;
    }
    last_x = x_of((static_cast<double>(i) + 0.5) * bucket_s, t_max);
    last_y = kTop + kPlotH - kPlotH * std::min(drawable(*p99_us[i] / 1000.0) / top_ms, 1.0);
    points += num(last_x) + "," + num(last_y) + " ";
    ++run;
  }
  end_run();
  return svg;
}

// Stacked bars per timeline bucket of what was sent in it: expected below, unexpected on
// top; the phases shaded behind; the innocent p99 latency over them.
std::string timeline_chart(const TestView& t, double t_max) {
  const TimelineView& tl = *t.timeline;
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
  const double bucket_s = tl.bucket_ms / 1000.0;
  std::string svg = chart_open("requests per " + plain(tl.bucket_ms) + " ms by send time") +
                    phase_bands(t.phases, t_max, true) + axis();
  for (std::size_t i = 0; i < n; ++i) {
    const double ok = total(tl.expected, i), bad = total(tl.unexpected, i);
    const double x = x_of(bucket_s * static_cast<double>(i), t_max);
    const double bar = x_of(bucket_s * static_cast<double>(i + 1), t_max) - x;
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
  double top_ms = 0;
  for (const auto& v : tl.innocent_p99_us)
    if (v) top_ms = std::max(top_ms, drawable(*v / 1000.0));
  if (top_ms > 0) {
    // The highest p99 at 90 % of the height, so that it does not hide in the top edge.
    svg += p99_line(tl.innocent_p99_us, bucket_s, t_max, top_ms / 0.9);
    svg += text_at(kLeft + kPlotW + 6, kTop + kPlotH * 0.1 + 4, ms(top_ms * 1000.0) + " ms", "start",
                   "label p99-label");
    svg += text_at(kLeft + kPlotW + 6, kTop + kPlotH, "0 ms", "start", "label p99-label");
  }
  svg += x_axis(t_max);
  return svg + "</svg>";
}

std::string polyline(const std::vector<double>& t, const std::vector<double>& v, double t_max, double v_max,
                     const std::string& cls) {
  std::string points;
  const std::size_t n = std::min(t.size(), v.size());
  for (std::size_t i = 0; i < n; ++i) {
    const double y = std::min(drawable(v[i]) / v_max, 1.0);
    points += num(x_of(t[i], t_max)) + "," + num(kTop + kPlotH - kPlotH * y) + " ";
  }
  return "<polyline class=\"" + cls + "\" points=\"" + points + "\"/>";
}

// RSS (left axis) and processes (right axis) over time, each exit a mark on the top edge.
std::string monitor_chart(const TestView& t, double t_max) {
  const MonitorView& m = *t.monitor;
  if (m.t_s.size() < 2) return "";
  double rss_max = 1, proc_max = 1;
  for (double v : m.series_rss_bytes) rss_max = std::max(rss_max, drawable(v));
  for (double v : m.series_processes) proc_max = std::max(proc_max, drawable(v));
  std::vector<double> rss_mib;
  for (double v : m.series_rss_bytes) rss_mib.push_back(drawable(v) / (1024.0 * 1024.0));
  const double mib_max = rss_max / (1024.0 * 1024.0);
  std::string svg = chart_open("server memory and processes") + phase_bands(t.phases, t_max, false) + axis();
  svg += polyline(m.t_s, rss_mib, t_max, mib_max, "rss");
  svg += polyline(m.t_s, m.series_processes, t_max, proc_max * 1.25, "procs");
  for (const ExitView& e : m.first_exits) {
    const double x = x_of(e.t_s, t_max);
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
    R"(body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}h3{font-size:1em;margin:1.2em 0 .2em}
table{border-collapse:collapse;margin:.6em 0}th,td{padding:.2em .6em;text-align:right;border-bottom:1px solid #eee}
th:first-child,td:first-child{text-align:left}th{font-weight:600;background:#fafafa}.meta,.note{color:#666}
.scroll{overflow-x:auto}td a{color:inherit;text-decoration:none}td a:hover{text-decoration:underline}
.failed{color:#b00;font-weight:600}.skipped{color:#a60}.passed{color:#070}
.grid td:not(:first-child),.grid th:not(:first-child){text-align:left}
.scorecard td:not(:first-child){font-weight:600;border:2px solid #fff;white-space:nowrap}
.v-robust{background:#d8f0d8;color:#05500f}.v-degraded{background:#fde9b5;color:#6b4400}
.v-hung{background:#f8cfc4;color:#8a1a00}.v-down{background:#e9a0a0;color:#5c0000}
.v-inconclusive{background:#e6e6e6;color:#444}.s-skipped{background:#f6efdc;color:#8a5a00}
.s-failed{background:#f3d6d6;color:#900}.s-interrupted{background:#ece4f3;color:#524}
.badge{padding:.1em .5em;border-radius:.3em;font-weight:600}.reason{margin-left:.4em}
.legend span{display:inline-block;padding:0 .6em;margin-right:.4em;border-radius:.3em}
.behaviours td:last-child,.behaviours th:last-child{text-align:left}
.warning{background:#fde9b5;color:#6b4400;padding:.4em .8em;border-radius:.3em;font-weight:600}
.figures td:nth-child(odd){text-align:left;color:#555}.figures td.decisive{font-weight:700;color:#222}
.chart{width:100%;max-width:760px;display:block;margin:.4em 0}.axis{stroke:#999}
.ok{fill:#5a5}.bad{fill:#d33}.rss{fill:none;stroke:#36c;stroke-width:1.5}
.p99{fill:none;stroke:#639;stroke-width:2}.p99dot{fill:#639}.p99-label{fill:#639}
.phase-baseline{fill:#e4ecf8}.phase-fault{fill:#f8e2e2}.phase-recovery{fill:#e2f2e2}.phase-label{fill:#777}
.procs{fill:none;stroke:#a60;stroke-width:1.5;stroke-dasharray:4 2}.exit{stroke:#d33;stroke-width:1.5}
.label{font-size:11px;fill:#555}.rss-label{fill:#36c}.procs-label{fill:#a60}
.key span{margin-right:1.2em}.key i{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
)";

class HtmlReporter final : public labour::sdk::Reporter {
 public:
  static constexpr const char* name = "html";
  static constexpr const char* version = "2.0.0";
  static constexpr const char* summary =
      "one self-contained HTML page: verdict scorecard, Labour's table, every test with its charts";

  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::text("title", "labour results", "the page's title")};
  }

  HtmlReporter(const labour::sdk::Params& params, const labour::sdk::Host&) : title_(params.text("title")) {}

  void render(std::string_view results_json, labour::sdk::Sink& out) override {
    const Document doc = read_document(results_json);
    std::string page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                       escape(title_) + "</title><style>" + kStyle + "</style></head><body>\n";
    page += tag("h1", title_) + "\n" + tag("p", preamble(doc), "meta") + "\n";
    for (std::size_t i = 0; i < doc.machines.size(); ++i)
      page += tag("p", "machine " + std::to_string(i + 1) + ": " + doc.machines[i], "meta") + "\n";
    for (const std::string& w : doc.warnings) page += tag("p", "warning: " + w, "warning") + "\n";
    if (!doc.tests.empty()) page += tables(doc);
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
    const std::string machine = machine_summary(d);
    if (!machine.empty()) s += "; " + machine;
    if (const std::string plan = plan_summary(d); !plan.empty()) s += "; " + plan;
    return s;
  }

  static std::string labour_class(const TestView& t) {
    if ((t.labour_verdict && *t.labour_verdict == "failed") || t.status == "failed") return "failed";
    if (t.status == "skipped") return "skipped";
    return "";
  }

  static std::string process_class(const TestView& t) {
    return process_cell(t).rfind("died", 0) == 0 ? "failed" : "";
  }

  // Rows servers, columns scenarios; `text` and `cls` make a cell, `hint` its tooltip. Each
  // cell links to its test; the link takes the cell's colour (td a: inherit).
  template <class Text, class Class, class Hint>
  static std::string grid(const Document& doc, const std::string& table_class, Text&& text, Class&& cls,
                          Hint&& hint) {
    std::vector<std::string> servers, scenarios;
    std::map<std::pair<std::string, std::string>, std::size_t> cells;
    for (std::size_t i = 0; i < doc.tests.size(); ++i) {
      const TestView& t = doc.tests[i];
      if (std::find(servers.begin(), servers.end(), t.label) == servers.end()) servers.push_back(t.label);
      if (std::find(scenarios.begin(), scenarios.end(), t.scenario.name) == scenarios.end())
        scenarios.push_back(t.scenario.name);
      cells.emplace(std::make_pair(t.label, t.scenario.name), i);  // first run of a pair wins
    }
    std::string s = "<div class=\"scroll\"><table class=\"" + table_class + "\"><tr><th>server</th>";
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
        const TestView& t = doc.tests[it->second];
        const std::string c = cls(t), h = hint(t);
        s += "<td" + (c.empty() ? "" : " class=\"" + c + "\"") +
             (h.empty() ? "" : " title=\"" + escape(h) + "\"") + "><a href=\"#test-" +
             std::to_string(it->second) + "\">" + escape(text(t)) + "</a></td>";
      }
      s += "</tr>\n";
    }
    return s + "</table></div>\n";
  }

  static std::string tables(const Document& doc) {
    const auto none = [](const TestView&) { return std::string(); };
    std::string s = tag("h2", "Verdicts") + "\n";
    const auto verdict_text = [](const TestView& t) {
      return verdict_cell(t) + (t.machine ? " (machine " + std::to_string(*t.machine) + ")" : "");
    };
    s += grid(doc, "grid scorecard", verdict_text, verdict_class, [](const TestView& t) {
      if (t.verdict) return t.verdict->reason.value_or("");
      return t.error.value_or("");
    });
    s += "<p class=\"legend note\">";
    for (const char* v : {"robust", "degraded", "hung", "down", "inconclusive"})
      s += "<span class=\"v-" + std::string(v) + "\">" + v + "</span>";
    s += " hover a cell for the reason</p>\n";
    s += tag("h2", "Labour's table: failure % and requests/s in the fault phase") + "\n";
    s += grid(doc, "grid", labour_cell, labour_class, none);
    s += tag("p", "\"Failed\": Labour's rule, as the document's labour_verdict says.", "note") + "\n";
    if (std::any_of(doc.tests.begin(), doc.tests.end(),
                    [](const TestView& t) { return process_cell(t) != "-"; })) {
      s += tag("h2", "Server processes: worker exits, respawns and RSS growth") + "\n";
      s += grid(doc, "grid", process_cell, process_class, none);
    }
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
    if (t.verdict)
      s += "<p>verdict: <span class=\"badge " + verdict_class(t) + "\">" + escape(verdict_cell(t)) +
           "</span>" + (t.verdict->reason ? tag("span", *t.verdict->reason, "reason") : "") + "</p>\n";
    if (t.repeat) s += repeat_block(*t.repeat);
    if (t.totals) {
      std::string line = "fault phase: sent " + count(t.totals->sent) + " requests";
      if (t.duration_s) line += " in " + fixed(*t.duration_s, 2) + " s";
      if (t.requests_per_second) line += ": " + fixed(*t.requests_per_second, 1) + " req/s";
      line += "; expected " + count(t.totals->expected) + ", unexpected " + count(t.totals->unexpected);
      if (auto pct = failure_pct(t)) line += " (" + fixed(*pct, 1) + " % failures)";
      if (t.totals->innocent_sent)
        line += "; innocent: " + count(t.totals->innocent_sent) + " sent, " +
                count(t.totals->innocent_unexpected) + " unexpected";
      s += tag("p", line) + "\n";
    }
    if (t.labour_verdict)
      s += "<p>Labour's rule: " +
           tag("span", *t.labour_verdict, *t.labour_verdict == "passed" ? "passed" : "failed") + "</p>\n";
    if (!t.phases.empty()) s += phases_table(t.phases);
    if (!t.figures.empty()) s += figures_table(t);
    if (t.status == "completed" || !t.outages.empty()) s += outages_block(t);
    if (!t.behaviours.empty()) s += behaviour_table(t.behaviours);
    const double t_max = time_span(t);
    if (t.timeline) {
      const std::string chart = timeline_chart(t, t_max);
      if (!chart.empty())
        s += "<p class=\"key\"><span><i style=\"background:#5a5\"></i>expected</span>"
             "<span><i style=\"background:#d33\"></i>unexpected (requests per " +
             plain(t.timeline->bucket_ms) +
             " ms, by send time)</span><span><i style=\"background:#639\"></i>innocent p99 latency "
             "(right axis)</span><span><i style=\"background:#e4ecf8\"></i><i "
             "style=\"background:#f8e2e2\"></i>"
             "<i style=\"background:#e2f2e2\"></i>baseline, fault, recovery</span></p>\n" +
             chart + "\n";
    }
    if (t.monitor) {
      s += tag("p", "server: " + monitor_summary(*t.monitor));
      const std::string chart = monitor_chart(t, t_max);
      if (!chart.empty())
        s += "<p class=\"key\"><span><i style=\"background:#36c\"></i>RSS</span>"
             "<span><i style=\"background:#a60\"></i>processes</span>"
             "<span><i style=\"background:#d33\"></i>an exit (hover for its cause)</span></p>\n" +
             chart + "\n";
    }
    if (t.supervision) s += tag("p", "supervision: " + supervision_summary(*t.supervision), "note") + "\n";
    return s + "</section>\n";
  }

  static std::string repeat_block(const RepeatView& r) {
    std::string s = tag("p", "repeated: " + repeat_summary(r) + "; figures are the runs' medians (min..max)");
    if (r.runs.empty()) return s + "\n";
    s += "\n<table><tr><th>run</th><th>verdict</th><th>reason</th></tr>\n";
    for (std::size_t i = 0; i < r.runs.size(); ++i) {
      const auto& v = r.runs[i].verdict;
      std::string cell = "-";
      if (v) {
        TestView one;  // the run's verdict, written as the scorecard writes one
        one.status = "completed";
        one.verdict = v;
        cell = "<span class=\"badge " + verdict_class(one) + "\">" + escape(verdict_cell(one)) + "</span>";
      }
      s += "<tr>" + tag("td", std::to_string(i + 1)) + "<td>" + cell + "</td>" +
           tag("td", v ? v->reason.value_or("") : "") + "</tr>\n";
    }
    return s + "</table>\n";
  }

  static std::string phases_table(const std::vector<PhaseView>& phases) {
    std::string s = tag("h3", "Phases") +
                    "\n<div class=\"scroll\"><table><tr><th>phase</th><th>start s</th><th>duration s</th>"
                    "<th>ended by</th><th>sent</th><th>responses</th><th>unexpected</th><th>abandoned</th>"
                    "<th>innocent unexpected</th><th>innocent p50 ms</th><th>innocent p99 ms</th></tr>\n";
    for (const PhaseView& p : phases) {
      const Latency lat = p.innocent_latency.value_or(Latency{});
      s += "<tr>" + tag("td", p.name) + tag("td", seconds(p.start_s)) + tag("td", seconds(p.duration_s)) +
           tag("td", p.ended_by.value_or("-")) + tag("td", count(p.sent)) + tag("td", count(p.responses)) +
           tag("td", count(p.unexpected)) + tag("td", count(p.abandoned)) +
           tag("td", count(p.innocent_unexpected) + " of " + count(p.innocent_sent),
               p.innocent_unexpected && *p.innocent_unexpected ? "failed" : "") +
           tag("td", ms(lat.p50_us)) + tag("td", ms(lat.p99_us)) + "</tr>\n";
    }
    return s + "</table></div>\n";
  }

  // Three name-value pairs a row, in the document's order; the deciding figure stands out.
  static std::string figures_table(const TestView& t) {
    const std::string decisive = t.verdict ? t.verdict->figure.value_or("") : "";
    constexpr std::size_t kPerRow = 3;
    std::string s = tag("h3", "Figures") + "\n<table class=\"figures\">\n";
    for (std::size_t i = 0; i < t.figures.size(); i += kPerRow) {
      s += "<tr>";
      for (std::size_t j = i; j < i + kPerRow; ++j) {
        if (j >= t.figures.size()) {
          s += "<td></td><td></td>";
          continue;
        }
        const auto& [name, value] = t.figures[j];
        const bool is_decisive = name == decisive;
        s += std::string(is_decisive ? "<td class=\"decisive\" title=\"decided the verdict\">" : "<td>") +
             escape(name) + "</td>" + (is_decisive ? "<td class=\"decisive\">" : "<td>") +
             escape(figure_text(t, name, value)) + "</td>";
      }
      s += "</tr>\n";
    }
    return s + "</table>\n";
  }

  static std::string outages_block(const TestView& t) {
    std::string s = tag("h3", "Outages") + "\n";
    if (t.outages.empty()) {
      s += tag("p", "no outage: innocent requests were answered throughout", "note") + "\n";
    } else {
      s += "<table><tr><th>outage</th><th>start s</th><th>end s</th><th>innocent failed</th></tr>\n";
      for (std::size_t i = 0; i < t.outages.size(); ++i)
        s += "<tr>" + tag("td", std::to_string(i + 1)) + tag("td", seconds(t.outages[i].start_s)) +
             tag("td", seconds(t.outages[i].end_s)) + tag("td", count(t.outages[i].failed)) + "</tr>\n";
      s += "</table>\n";
    }
    if (!t.innocent_failures.empty())
      s += tag("p", "innocent failures (fault phase): " + breakdown(t.innocent_failures)) + "\n";
    return s;
  }

  static std::string behaviour_table(const std::vector<BehaviourView>& behaviours) {
    std::string s = tag("h3", "Behaviours (fault phase)") +
                    "\n<div class=\"scroll\"><table "
                    "class=\"behaviours\"><tr><th>behaviour</th><th>weight</th><th>sent</th>"
                    "<th>responses</th><th>expected</th><th>unexpected</th><th>p50 ms</th><th>p99 ms</th>"
                    "<th>max ms</th><th>unexpected outcomes</th></tr>\n";
    for (const auto& b : behaviours) {
      const Latency lat = b.latency.value_or(Latency{});
      s += "<tr>" + tag("td", call_text(b) + (b.innocent ? " [innocent]" : "")) +
           tag("td", b.weight ? plain(*b.weight) : "-") + tag("td", count(b.sent)) +
           tag("td", count(b.responses)) + tag("td", count(b.expected)) +
           tag("td", count(b.unexpected), b.unexpected && *b.unexpected ? "failed" : "") +
           tag("td", ms(lat.p50_us)) + tag("td", ms(lat.p99_us)) + tag("td", ms(lat.max_us)) +
           tag("td", b.unexpected_outcomes ? breakdown(*b.unexpected_outcomes) : "-") + "</tr>\n";
    }
    return s + "</table></div>\n" + tag("p", "latency: of expected outcomes", "note") + "\n";
  }

  std::string title_;
};

}  // namespace

LABOUR_REPORTER_PLUGIN(HtmlReporter)
