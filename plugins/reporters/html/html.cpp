// html reporter: one self-contained page to keep or share, readable at phone width. At the
// top the scorecard (servers x scenarios coloured by verdict, each cell with its deciding
// figure, the reason on hover, a link to its test; a borderline verdict marked "?" with a
// dashed border, its interval on hover; a degraded one with its damage), the gates when the
// run had any (FAIL in red), Labour's table, the server-processes table; then per test its verdict and
// reason, one chart on the test's time axis (drawn in the browser by Chart.js and page.js, both inlined), its
// phases, figures, outages and behaviours, and how to run it again; last the environment. Everything shown is
// read from the document (<labour/results.hpp>); nothing is derived.
#include <labour/results.hpp>
#include <labour/sdk.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Chart.js (Debian's libjs-chart.js) and the page's own script (page.js), embedded at build
// time (CMakeLists.txt): a page works offline.
extern "C" const char labour_html_chart_js[];
extern "C" const char labour_html_page_js[];

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

// The class a test's scorecard cell is coloured with: its verdict, or its status; a
// borderline verdict is marked too.
std::string verdict_class(const TestView& t) {
  if (t.status == "completed" && t.verdict)
    return css_class("v-", t.verdict->value) + (t.borderline() ? " borderline" : "");
  return css_class("s-", t.status);
}

// A cell's text: the verdict ("?" when borderline) and, when degraded, the damage.
std::string verdict_text(const TestView& t) {
  const std::string damage = damage_text(t);
  return verdict_cell_marked(t) + (damage.empty() ? "" : ", " + damage);
}

// ------------------------------------------------------------------ charts -----------
// Each test's chart is drawn in the browser by Chart.js (inlined from Debian's
// libjs-chart.js) and page.js, from a JSON block written here: the document's series,
// placed on the test's time axis and grouped as the chart shows them.

// A value a chart can draw: finite and not below zero.
double drawable(double v) { return std::isfinite(v) && v > 0 ? v : 0.0; }

// Where the test's time axis ends: the last thing any of its panels draws.
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

// A latency to draw, or null where there is none (or none that makes sense).
Json number_or_null(std::optional<double> v, double scale = 1) {
  return v && std::isfinite(*v) && *v >= 0 ? Json(*v * scale) : Json(nullptr);
}

Json drawable_all(const std::vector<double>& values, double scale = 1) {
  Json out = Json::array();
  for (double v : values) out.push_back(drawable(v) * scale);
  return out;
}

// What one test's chart shows (page.js draws it): per bucket (from its start), by send time, the innocent
// and the misbehaving requests' outcomes and the innocent latency; the monitor's samples;
// exits, phases and outages.
Json chart_data(const TestView& t) {
  Json d = {{"t_max", time_span(t)}};
  const TimelineView tl = t.timeline.value_or(TimelineView{});
  const double bucket_s = tl.bucket_ms > 0 ? tl.bucket_ms / 1000.0 : 0.1;
  d["bucket_s"] = bucket_s;
  d["bucket_label"] = plain(tl.bucket_ms > 0 ? tl.bucket_ms : 100) + " ms";
  const std::size_t n = std::max({tl.expected.size(), tl.unexpected.size(), tl.innocent_p99_us.size()});
  // Sums of one bucket's counts over the innocent (or the misbehaving) behaviours.
  auto sum = [&](const std::vector<std::vector<double>>& rows, std::size_t i, bool innocent) {
    double total = 0;
    if (i < rows.size())
      for (std::size_t b = 0; b < rows[i].size() && b < t.behaviours.size(); ++b)
        if (t.behaviours[b].innocent == innocent) total += drawable(rows[i][b]);
    return total;
  };
  Json times = Json::array(), in_ok = Json::array(), in_bad = Json::array(), mis_ok = Json::array(),
       mis_bad = Json::array(), p50 = Json::array(), p99 = Json::array();
  for (std::size_t i = 0; i < n; ++i) {
    times.push_back(static_cast<double>(i) * bucket_s);  // the bucket's start
    in_ok.push_back(sum(tl.expected, i, true));
    in_bad.push_back(sum(tl.unexpected, i, true));
    mis_ok.push_back(sum(tl.expected, i, false));
    mis_bad.push_back(sum(tl.unexpected, i, false));
    p50.push_back(number_or_null(i < tl.innocent_p50_us.size() ? tl.innocent_p50_us[i] : std::nullopt, 1e-3));
    p99.push_back(number_or_null(i < tl.innocent_p99_us.size() ? tl.innocent_p99_us[i] : std::nullopt, 1e-3));
  }
  d["buckets"] = {{"t", times},
                  {"innocent_expected", in_ok},
                  {"innocent_unexpected", in_bad},
                  {"misbehaving_expected", mis_ok},
                  {"misbehaving_unexpected", mis_bad},
                  {"p50_ms", p50},
                  {"p99_ms", p99}};
  Json exits = Json::array();
  if (t.monitor && t.monitor->t_s.size() >= 2) {
    const MonitorView& m = *t.monitor;
    double top = 1;
    for (double v : m.series_processes) top = std::max(top, drawable(v));
    d["monitor"] = {{"t", drawable_all(m.t_s)},
                    {"processes", drawable_all(m.series_processes)},
                    {"rss_mib", drawable_all(m.series_rss_bytes, 1.0 / (1024.0 * 1024.0))},
                    {"interval_s", drawable(m.t_s[1] - m.t_s[0])},
                    {"processes_top", top + 1}};  // the exit marks' row, above the line
  }
  if (t.monitor)
    for (const ExitView& e : t.monitor->first_exits)
      exits.push_back({{"t", drawable(e.t_s)}, {"cause", e.cause + (e.leader ? " (main process)" : "")}});
  d["exits"] = exits;
  Json events = Json::array();
  for (const EventView& e : t.events)
    if (e.fired && e.fired_s)
      events.push_back(
          {{"t", drawable(*e.fired_s)}, {"label", e.action + (e.signal ? " (" + *e.signal + ")" : "")}});
  d["events"] = events;
  Json phases = Json::array();
  for (const PhaseView& p : t.phases)
    if (p.start_s && p.duration_s)
      phases.push_back({{"name", p.name},
                        {"start", drawable(*p.start_s)},
                        {"end", drawable(*p.start_s) + drawable(*p.duration_s)},
                        {"ended_by", p.ended_by.value_or("")}});
  d["phases"] = phases;
  Json outages = Json::array();
  for (const OutageView& o : t.outages)
    if (o.start_s && o.end_s)
      outages.push_back({{"start", drawable(*o.start_s)}, {"end", drawable(*o.end_s)}});
  d["outages"] = outages;
  return d;
}

// JSON inside a <script> element: "</script>" or "<!--" in a string must not end it early,
// so every '<' (only ever inside a string in JSON) is written as its escape.
std::string script_json(const Json& j) {
  const std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return out;
}

// ------------------------------------------------------------------ page -------------

const char* const kStyle =
    R"(body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}h3{font-size:1em;margin:1.2em 0 .2em}
table{border-collapse:collapse;margin:.6em 0}th,td{padding:.2em .6em;text-align:right;border-bottom:1px solid #eee}
th:first-child,td:first-child{text-align:left}th{font-weight:600;background:#fafafa}.meta,.note{color:#666}
.scroll{overflow-x:auto;max-width:100%}td a{color:inherit;text-decoration:none}td a:hover{text-decoration:underline}
.failed{color:#b00;font-weight:600}.skipped{color:#a60}.passed{color:#070}
.grid td:not(:first-child),.grid th:not(:first-child){text-align:left}
.grid td:first-child{position:sticky;left:0;background:#fff}
.scorecard td:not(:first-child){font-weight:600;border:2px solid #fff;white-space:nowrap;padding:.5em .8em}
.scorecard td a{display:block}
.v-robust{background:#cdebcd;color:#05500f}.v-degraded{background:#fde2a0;color:#6b4400}
.v-hung{background:#f6bfae;color:#8a1a00}.v-down{background:#e08c8c;color:#4a0000}
.v-inconclusive{background:#e0e0e0;color:#444}.v-unsupported{background:#e6e1f2;color:#463a6e}.s-skipped{background:#f6efdc;color:#8a5a00}
.s-failed{background:#f3d6d6;color:#900}.s-interrupted{background:#ece4f3;color:#524}
.badge{padding:.1em .5em;border-radius:.3em;font-weight:600}.reason{margin-left:.4em}
.scorecard td.borderline,.badge.borderline,.legend .borderline{border:2px dashed #555;font-style:italic}
.gates td{text-align:left}.gates .failed{background:#f3d6d6}
.legend span{display:inline-block;padding:0 .6em;margin:0 .4em .3em 0;border-radius:.3em}
.behaviours td:last-child,.behaviours th:last-child{text-align:left}
.warning{background:#fde9b5;color:#6b4400;padding:.4em .8em;border-radius:.3em;font-weight:600}
.figures td:nth-child(odd){text-align:left;color:#555}.figures td.decisive{font-weight:700;color:#222}
.settings td{text-align:left;vertical-align:top}.settings td:first-child{color:#555;white-space:nowrap}
.columns{display:flex;flex-wrap:wrap;gap:0 2.5em}.columns>div{min-width:0;max-width:100%}
pre.command{background:#f5f5f5;padding:.5em .8em;border-radius:.3em;white-space:pre-wrap;word-break:break-all}
.chart-box{position:relative;height:540px;max-width:100%}
.key span{margin-right:1.2em;display:inline-block}.key i{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
@media (max-width:640px){body{margin:1em auto;padding:0 .5em}.chart-box{height:480px}
.figures td{display:inline-block;border:0;padding:.1em .4em}}
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
    std::string page =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
        escape(title_) + "</title><style>" + kStyle + "</style></head><body>\n";
    page += tag("h1", title_) + "\n" + tag("p", preamble(doc), "meta") + "\n";
    for (std::size_t i = 0; i < doc.machines.size(); ++i)
      page += tag("p", "machine " + std::to_string(i + 1) + ": " + doc.machines[i], "meta") + "\n";
    for (const std::string& w : doc.warnings) page += tag("p", "warning: " + w, "warning") + "\n";
    if (!doc.tests.empty()) page += tables(doc);
    for (std::size_t i = 0; i < doc.tests.size(); ++i) page += test_section(doc, doc.tests[i], i);
    if (doc.tests.empty()) page += tag("p", "no tests in this document", "note") + "\n";
    page += environment_block(doc);
    if (std::any_of(doc.tests.begin(), doc.tests.end(),
                    [](const TestView& t) { return t.timeline || t.monitor; }))
      page += std::string("<noscript><p class=\"note\">the charts need JavaScript</p></noscript>\n<script>") +
              labour_html_chart_js + "</script>\n<script>" + labour_html_page_js + "</script>\n";
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
    const auto cell_text = [](const TestView& t) {
      return verdict_text(t) + (t.machine ? " (machine " + std::to_string(*t.machine) + ")" : "");
    };
    s += grid(doc, "grid scorecard", cell_text, verdict_class, [](const TestView& t) {
      if (!t.verdict) return t.error.value_or("");
      const std::string note = certainty_note(t), reason = t.verdict->reason.value_or("");
      return note.empty() ? reason : note + (reason.empty() ? "" : "\n" + reason);
    });
    s += "<p class=\"legend note\">";
    for (const char* v : labour::reporters::kVerdicts)
      s += "<span class=\"v-" + std::string(v) + "\">" + v + "</span>";
    if (std::any_of(doc.tests.begin(), doc.tests.end(), [](const TestView& t) { return t.borderline(); }))
      s += "<span class=\"borderline\">verdict?</span> borderline: the evidence straddles a bound, a rerun "
           "may give another verdict;";
    s += " hover a cell for the reason</p>\n";
    if (!doc.gates.empty()) s += gates_table(doc.gates);
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

  // The gates of the run: each with PASS or FAIL and what breached it.
  static std::string gates_table(const std::vector<GateView>& gates) {
    std::size_t failed = 0;
    for (const GateView& g : gates) failed += g.passed ? 0 : 1;
    std::string s =
        tag("h2", failed
                      ? "Gates: " + std::to_string(failed) + " of " + std::to_string(gates.size()) + " FAILED"
                      : "Gates: all " + std::to_string(gates.size()) + " passed") +
        "\n<div class=\"scroll\"><table class=\"gates\"><tr>" + tag("th", "result") + tag("th", "gate") +
        tag("th", "scope") + tag("th", "tests") + tag("th", "breaches") + "</tr>\n";
    for (const GateView& g : gates) {
      std::string breaches;
      for (const std::string& b : g.breaches) breaches += (breaches.empty() ? "" : ", ") + b;
      s += "<tr>" + tag("td", g.passed ? "PASS" : "FAIL", g.passed ? "passed" : "failed") +
           tag("td", g.expression) + tag("td", g.scenario ? "scenario " + *g.scenario : "every test") +
           tag("td", count(g.checked)) + tag("td", breaches.empty() ? "-" : breaches) + "</tr>\n";
    }
    return s + "</table></div>\n";
  }

  // A test: its verdict (or why there is none) in the heading, how to run it again, its
  // figures and tables, and one chart on the test's time axis.
  static std::string test_section(const Document& doc, const TestView& t, std::size_t index) {
    std::string s = "<section id=\"test-" + std::to_string(index) + "\">\n";
    const bool judged = t.status == "completed" && t.verdict;
    s += "<h2>" +
         escape(t.label + (t.server_version ? " " + *t.server_version : "") + " × " + t.scenario.name) +
         " <span class=\"badge " + verdict_class(t) + "\">" + escape(judged ? verdict_text(t) : t.status) +
         "</span></h2>\n";
    if (t.error) s += tag("p", "error: " + *t.error, "failed") + "\n";
    if (judged && t.verdict->reason) s += tag("p", *t.verdict->reason, "reason") + "\n";
    if (judged && t.borderline()) s += tag("p", certainty_note(t), "reason certainty") + "\n";
    if (t.status != "completed" && t.verdict)
      s += tag("p", "verdict so far: " + t.verdict->value, "note") + "\n";
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
    if (t.timeline || t.monitor) s += chart_block(t, index);
    if (t.monitor) s += tag("p", "server: " + monitor_summary(*t.monitor)) + "\n";
    if (!t.phases.empty()) s += phases_table(t.phases);
    if (!t.figures.empty()) s += figures_table(t);
    if (t.status == "completed" || !t.outages.empty()) s += outages_block(t);
    if (!t.events.empty()) s += events_table(t.events);
    if (!t.behaviours.empty()) s += behaviour_table(t.behaviours);
    s += reproduce_block(doc, t);
    if (t.supervision) s += tag("p", "supervision: " + supervision_summary(*t.supervision), "note") + "\n";
    return s + "</section>\n";
  }

  // The lifecycle events: when each fired, what it did, and what innocent requests saw in its
  // window (until the next one fired).
  static std::string events_table(const std::vector<EventView>& events) {
    std::string s = tag("h3", "Lifecycle events") + "\n<div class=\"scroll\"><table class=\"events\"><tr>" +
                    tag("th", "event") + tag("th", "at s") + tag("th", "what was done") +
                    tag("th", "answered") + tag("th", "dropped") + tag("th", "innocent back after s") +
                    tag("th", "slowest innocent ms") + tag("th", "exited") + tag("th", "joined") + "</tr>\n";
    for (const EventView& e : events) {
      const std::string name =
          e.action + (e.action == "freeze_worker" && e.seconds ? " " + plain(*e.seconds) + " s" : "");
      if (!e.fired) {
        s += "<tr>" + tag("td", name) + tag("td", seconds(e.at_s)) +
             "<td colspan=\"8\">not fired: the fault phase ended first</td></tr>\n";
        continue;
      }
      std::string dropped = count(e.dropped);
      if (e.dropped && *e.dropped > 0) dropped += " (" + breakdown(e.failures) + ")";
      if (e.refused && *e.refused > 0)
        dropped += "; " + count(e.refused) + " refused after its listener closed";
      s += "<tr>" + tag("td", name) + tag("td", seconds(e.fired_s)) +
           tag("td", e.detail.value_or("-"), e.failed ? "failed" : "") + tag("td", count(e.answered)) +
           tag("td", dropped, e.dropped && *e.dropped > 0 ? "failed" : "") +
           tag("td", e.back_after_s ? seconds(e.back_after_s) : std::string("not back")) +
           tag("td", e.innocent_slowest_ms ? ms(*e.innocent_slowest_ms * 1000) : std::string("-")) +
           tag("td", count(e.exited)) + tag("td", count(e.joined)) + "</tr>\n";
    }
    return s + "</table></div>\n";
  }

  // The canvas page.js draws on, its data, and a key to what the chart does not name itself.
  static std::string chart_block(const TestView& t, std::size_t index) {
    const std::string id = "chart-" + std::to_string(index);
    return "<p class=\"key note\"><span><i style=\"background:rgba(60,100,190,.25)\"></i>baseline</span>"
           "<span><i style=\"background:rgba(200,40,40,.25)\"></i>fault</span>"
           "<span><i style=\"background:rgba(40,150,60,.25)\"></i>recovery</span>"
           "<span><i style=\"background:#c00\"></i>an exit (dashed line; hover the mark for its cause)</span>"
           "<span><i style=\"background:rgba(200,0,0,.55)\"></i>an outage of innocent requests</span>"
           "<span><i style=\"background:#00838f\"></i>a lifecycle event (solid line)</span>"
           "<span>hover for the values at a moment; click a legend entry to hide it</span></p>\n"
           "<div class=\"chart-box\"><canvas id=\"" +
           id + "\" role=\"img\" aria-label=\"" +
           escape("timeline of " + t.label + " × " + t.scenario.name +
                  ": outcomes, innocent latency, processes and memory") +
           "\"></canvas></div>\n<script type=\"application/json\" class=\"chart-data\" data-canvas=\"" + id +
           "\">" + script_json(chart_data(t)) + "</script>\n";
  }

  // What the run was made of, to run it again: the command, the server's options as the
  // adapter applied them, and every scenario setting.
  static std::string reproduce_block(const Document& doc, const TestView& t) {
    std::string s = tag("h3", "Reproduce") + "\n";
    s += "<pre class=\"command\">" + escape(command_line(doc, t)) + "</pre>\n";
    const bool comma = std::any_of(t.server_options.begin(), t.server_options.end(),
                                   [](const auto& o) { return o.second.find(',') != std::string::npos; });
    if (comma) s += tag("p", "an option's value holds a comma, which a server spec cannot carry yet", "note");
    s += "<div class=\"columns\"><div>" + tag("h3", "Server") + "<table class=\"settings\">";
    auto row = [](const std::string& k, const std::string& v) {
      return "<tr>" + tag("td", k) + tag("td", v) + "</tr>";
    };
    s += row("adapter", t.server_name.value_or(t.label)) + row("label", t.label);
    if (t.server_version) s += row("version", *t.server_version);
    for (const auto& [k, v] : t.server_options) s += row(k, v);
    s += "</table></div><div>" + tag("h3", "Scenario") + "<table class=\"settings\">" +
         row("name", t.scenario.name);
    for (const auto& [k, v] : t.scenario.settings) s += row(k, v);
    s += "</table></div></div>\n";
    return s;
  }

  // `labour run` with what this test ran: the server spec with every option, the scenario
  // and its load settings as overrides.
  static std::string command_line(const Document& doc, const TestView& t) {
    const std::string name = t.server_name.value_or(t.label);
    std::string spec = name;
    std::vector<std::string> options;
    for (const auto& [k, v] : t.server_options) options.push_back(k + "=" + v);
    if (t.label != name) options.push_back("label=" + t.label);
    for (std::size_t i = 0; i < options.size(); ++i) spec += (i ? "," : ":") + options[i];
    const ScenarioView& sc = t.scenario;
    std::string cmd = "labour run --server " + shell_word(spec) + " --scenario " +
                      shell_word(sc.source && *sc.source != "builtin" ? *sc.source : sc.name);
    auto number = [&cmd](const char* flag, std::optional<double> v, bool zero_means_unset) {
      if (v && std::isfinite(*v) && !(zero_means_unset && *v == 0))
        cmd += std::string(" ") + flag + " " + plain(*v);
    };
    number("-n", sc.requests, true);
    number("-d", sc.duration_s, true);
    number("-c", sc.concurrency, false);
    number("--rate", sc.rate, true);
    number("--threads", sc.threads, false);
    number("--timeout", sc.timeout_ms, false);
    number("--seed", sc.seed, false);
    if (sc.policy) cmd += " --policy " + shell_word(*sc.policy);
    if (sc.keep_alive && !*sc.keep_alive) cmd += " --no-keepalive";
    if (doc.python && *doc.python != "/usr/bin/python3") cmd += " --python " + shell_word(*doc.python);
    return cmd;
  }

  // A word for a POSIX shell: as it is when it holds only safe characters, else quoted.
  static std::string shell_word(const std::string& w) {
    const bool safe = !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("-_./:=,+@%").find(c) != std::string_view::npos;
    });
    if (safe) return w;
    std::string out = "'";
    for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }

  // The machine and the build the document was measured on.
  static std::string environment_block(const Document& d) {
    std::vector<std::pair<std::string, std::string>> rows;
    auto add = [&rows](const std::string& k, const std::optional<std::string>& v) {
      if (v && !v->empty()) rows.emplace_back(k, *v);
    };
    add("labour", d.tool_version ? std::optional<std::string>(
                                       d.tool_name.value_or("labour") + " " + *d.tool_version +
                                       (d.tool_commit ? " (" + short_commit(*d.tool_commit) + ")" : ""))
                                 : std::nullopt);
    add("host", d.hostname);
    add("kernel", d.kernel);
    add("cpus", d.cpus ? std::optional<std::string>(plain(*d.cpus) +
                                                    (d.cores ? " (" + plain(*d.cores) + " cores)" : ""))
                       : std::nullopt);
    add("cpu model", d.cpu_model);
    add("pinning", d.pinning);
    add("python",
        d.python ? std::optional<std::string>(*d.python + (d.python_version ? " " + *d.python_version : ""))
                 : std::nullopt);
    add("started", d.started_at);
    const std::string plan = plan_summary(d);
    add("plan", plan.empty() ? std::nullopt : std::optional<std::string>(plan));
    if (rows.empty()) return "";
    std::string s = tag("h2", "Environment") + "\n<table class=\"settings\">";
    for (const auto& [k, v] : rows) s += "<tr>" + tag("td", k) + tag("td", v) + "</tr>";
    return s + "</table>\n";
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
        cell = "<span class=\"badge " + verdict_class(one) + "\">" + escape(verdict_cell_marked(one)) +
               "</span>";
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
    std::string s = tag("h3", "Figures") + "\n";
    if (!t.intervals.empty())
      s += tag("p",
               "[low..high]: the figure's interval" +
                   (t.verdict && t.verdict->confidence ? " at " + plain(*t.verdict->confidence * 100) + " %"
                                                       : "") +
                   " confidence; a rerun's figure lands in it",
               "note") +
           "\n";
    s += "<table class=\"figures\">\n";
    for (std::size_t i = 0; i < t.figures.size(); i += kPerRow) {
      s += "<tr>";
      for (std::size_t j = i; j < i + kPerRow; ++j) {
        if (j >= t.figures.size()) {
          s += "<td></td><td></td>";
          continue;
        }
        const auto& [name, value] = t.figures[j];
        const bool is_decisive = name == decisive;
        std::string text = figure_text(t, name, value);
        if (const auto i = t.interval(name)) text += " [" + plain(i->low) + ".." + plain(i->high) + "]";
        s += std::string(is_decisive ? "<td class=\"decisive\" title=\"decided the verdict\">" : "<td>") +
             escape(name) + "</td>" + (is_decisive ? "<td class=\"decisive\">" : "<td>") + escape(text) +
             "</td>";
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
             tag("td", seconds(t.outages[i].end_s)) +
             tag("td", t.outages[i].silent.value_or(false) ? "none answered" : count(t.outages[i].failed)) +
             "</tr>\n";
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
