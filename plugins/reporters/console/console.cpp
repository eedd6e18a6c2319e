// console reporter: labour's summary for a terminal. Reads the results document
// (docs/results-schema.md) through <labour/results.hpp>, so it renders live runs and saved
// files alike, and only formats what the document holds.
//
// First the scorecard (servers x scenarios, each cell the test's verdict and its deciding
// figure), then Labour's table (failure % and requests/s, "Failed" from labour_verdict) and
// what the servers' processes went through; with the option `details`, every test's phases,
// figures, outages, verdict reason and behaviours after that.
#include <sys/ioctl.h>
#include <unistd.h>
#include <labour/results.hpp>
#include <labour/sdk.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace labour::reporters;

// What a cell means, for colour: a terminal only (see decide_color).
enum class Tone { Plain, Good, Warn, Bad, Bold };

class Style {
 public:
  explicit Style(bool enabled) : enabled_(enabled) {}
  std::string operator()(Tone tone, const std::string& s) const {
    static const char* const kCodes[] = {"", "32", "33", "31", "1"};
    const char* code = kCodes[static_cast<int>(tone)];
    return enabled_ && *code && !s.empty() ? "\033[" + std::string(code) + "m" + s + "\033[0m" : s;
  }

 private:
  bool enabled_;
};

// Verdicts are an open set: a value this reporter does not know stays uncoloured.
Tone verdict_tone(const std::string& value) {
  if (value == "robust") return Tone::Good;
  if (value == "degraded") return Tone::Warn;
  if (value == "hung" || value == "down") return Tone::Bad;
  return Tone::Plain;
}

Tone status_tone(const std::string& status) {
  if (status == "completed") return Tone::Good;
  if (status == "skipped" || status == "interrupted") return Tone::Warn;
  return Tone::Bad;
}

struct Cell {
  std::string text;
  Tone tone = Tone::Plain;
  Cell(std::string t = "", Tone tn = Tone::Plain) : text(std::move(t)), tone(tn) {}
  Cell(const char* t) : text(t) {}
};

// A table whose column widths come from its content. Wider than the page, its columns are
// split into blocks that each repeat the first column, so that no line is wider than
// `width` (unless the first column and one more already are).
struct Table {
  std::vector<std::string> header;
  std::vector<bool> right_aligned;
  std::vector<std::vector<Cell>> rows;

  std::string render(const std::string& indent, std::size_t width, const Style& style) const {
    std::vector<std::size_t> w(header.size(), 0);
    for (std::size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
    for (const auto& r : rows)
      for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].text.size());
    const std::size_t room = width > indent.size() ? width - indent.size() : 0;
    std::string out;
    for (std::size_t first = 1;;) {
      std::size_t last = first, used = w[0];  // columns [first, last) in this block
      while (last < header.size() && (last == first || used + 2 + w[last] <= room)) used += 2 + w[last++];
      if (first > 1) out += "\n";
      out += line(header_cells(), w, first, last, indent, style);
      for (const auto& r : rows) out += line(r, w, first, last, indent, style);
      if (last >= header.size()) break;
      first = last;
    }
    return out;
  }

 private:
  std::vector<Cell> header_cells() const { return {header.begin(), header.end()}; }

  std::string line(const std::vector<Cell>& row, const std::vector<std::size_t>& w, std::size_t first,
                   std::size_t last, const std::string& indent, const Style& style) const {
    std::string out = indent;
    auto add = [&](std::size_t i, bool at_end) {
      const Cell cell = i < row.size() ? row[i] : Cell("");
      const std::string gap(w[i] > cell.text.size() ? w[i] - cell.text.size() : 0, ' ');
      const bool right = i < right_aligned.size() && right_aligned[i];
      const std::string text = style(cell.tone, cell.text);
      out += right ? gap + text : text + (at_end ? "" : gap);  // no trailing blanks
    };
    add(0, first >= last);
    for (std::size_t i = first; i < last; ++i) {
      out += "  ";
      add(i, i + 1 == last);
    }
    return out + "\n";
  }
};

// Prose broken at spaces so that no line is wider than `width`; follow-on lines indented.
std::string wrap(const std::string& text, const std::string& first, const std::string& next,
                 std::size_t width) {
  std::string out = first, word;
  std::size_t column = first.size();
  bool line_empty = true;
  auto flush = [&] {
    if (word.empty()) return;
    if (!line_empty && column + 1 + word.size() > width) {
      out += "\n" + next;
      column = next.size();
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    line_empty = false;
    word.clear();
  };
  for (char c : text) {
    if (c == ' ')
      flush();
    else
      word += c;
  }
  flush();
  return out + "\n";
}

// Colours `part` where it first appears in `text` at or after `from`: wrapping comes first,
// since escape codes would upset its count (a part split across lines stays plain).
std::string paint(std::string text, std::size_t from, const std::string& part, Tone tone,
                  const Style& style) {
  const std::size_t at = part.empty() ? std::string::npos : text.find(part, from);
  if (at != std::string::npos) text.replace(at, part.size(), style(tone, part));
  return text;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
  return s;
}

// ------------------------------------------------------------------ rendering --------

class ConsoleReporter final : public labour::sdk::Reporter {
 public:
  static constexpr const char* name = "console";
  static constexpr const char* version = "2.0.0";
  static constexpr const char* summary =
      "verdict scorecard, Labour's servers x scenarios table and, with details, every test";

  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::choice(
            "color", "auto", "auto|always|never",
            "ANSI colours: auto = when standard output is a terminal and NO_COLOR is unset"),
        labour::sdk::Param::choice(
            "matrix", "auto", "auto|always|never",
            "Labour's table and the server-processes table: auto = unless details show a single test"),
        labour::sdk::Param::boolean("details", false,
                                    "every test's phases, figures, outages, verdict reason and behaviours"),
        labour::sdk::Param::integer("width", 0, 0, 1000,
                                    "page width in columns; 0 = $COLUMNS, the terminal's, or 100"),
    };
  }

  ConsoleReporter(const labour::sdk::Params& params, const labour::sdk::Host&)
      : color_(decide_color(params.text("color"))),
        matrix_(params.text("matrix")),
        details_(params.boolean("details")),
        width_(decide_width(params.integer("width"))) {}

  void render(std::string_view results_json, labour::sdk::Sink& out) override {
    const Document doc = read_document(results_json, TextFor::Terminal);
    const Style style(color_);
    std::string text = preamble(doc);
    for (std::size_t i = 0; i < doc.machines.size(); ++i)
      text += wrap("machine " + std::to_string(i + 1) + ": " + doc.machines[i], "  ", "    ", width_);
    for (const std::string& w : doc.warnings)
      text += paint(wrap("warning: " + w, "", "  ", width_), 0, "warning:", Tone::Bad, style);
    if (doc.tests.empty()) {
      out << text + "\nno tests in this document\n";
      return;
    }
    text += "\n" + scorecard(doc, style);
    const bool tables = matrix_ == "always" || (matrix_ == "auto" && (!details_ || doc.tests.size() > 1));
    if (tables) text += "\n" + labour_table(doc, style) + processes_table(doc, style);
    if (details_)
      for (const TestView& t : doc.tests) text += "\n" + test_section(t, style);
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

  static std::size_t decide_width(std::int64_t given) {
    if (given > 0) return static_cast<std::size_t>(std::max<std::int64_t>(given, 40));
    if (const char* columns = std::getenv("COLUMNS")) {
      const long n = std::strtol(columns, nullptr, 10);
      if (n >= 40 && n <= 1000) return static_cast<std::size_t>(n);
    }
    winsize ws{};
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
      return ws.ws_col;
    return 100;
  }

  // Where and when the run happened, then what it ran with.
  std::string preamble(const Document& d) const {
    std::string s = d.tool_name.value_or("labour");
    if (d.tool_version) s += " " + *d.tool_version;
    std::vector<std::string> host;
    if (d.kernel) host.push_back(*d.kernel);
    if (d.cpus) host.push_back(plain(*d.cpus) + " cpus");
    if (d.hostname) s += " on " + *d.hostname;
    if (!host.empty()) s += " (" + join(host, ", ") + ")";
    if (d.started_at) s += ", started " + *d.started_at;
    std::vector<std::string> with;
    if (d.python_version || d.python)
      with.push_back("python" + (d.python_version ? " " + *d.python_version : "") +
                     (d.python ? " (" + *d.python + ")" : ""));
    const std::string machine = machine_summary(d);
    if (!machine.empty()) with.push_back(machine);
    if (const std::string plan = plan_summary(d); !plan.empty()) with.push_back(plan);
    return wrap(s, "", "  ", width_) + (with.empty() ? "" : wrap(join(with, "; "), "  ", "  ", width_));
  }

  // Rows servers, columns scenarios, in the order they first appear; `cell` makes a cell.
  template <class MakeCell>
  static Table grid(const Document& doc, MakeCell&& cell) {
    std::vector<std::string> servers, scenarios;
    std::map<std::pair<std::string, std::string>, Cell> cells;
    for (const TestView& t : doc.tests) {
      if (std::find(servers.begin(), servers.end(), t.label) == servers.end()) servers.push_back(t.label);
      if (std::find(scenarios.begin(), scenarios.end(), t.scenario.name) == scenarios.end())
        scenarios.push_back(t.scenario.name);
      cells.emplace(std::make_pair(t.label, t.scenario.name), cell(t));  // first run of a pair wins
    }
    Table table;
    table.header = {"server"};
    table.header.insert(table.header.end(), scenarios.begin(), scenarios.end());
    table.right_aligned.assign(table.header.size(), false);
    for (const auto& server : servers) {
      std::vector<Cell> row = {server};
      for (const auto& scenario : scenarios) {
        auto it = cells.find({server, scenario});
        row.push_back(it == cells.end() ? Cell("-") : it->second);
      }
      table.rows.push_back(std::move(row));
    }
    return table;
  }

  std::string scorecard(const Document& doc, const Style& style) const {
    const bool repeated = std::any_of(doc.tests.begin(), doc.tests.end(),
                                      [](const TestView& t) { return t.repeat.has_value(); });
    const bool borderline =
        std::any_of(doc.tests.begin(), doc.tests.end(), [](const TestView& t) { return t.borderline(); });
    const Table table = grid(doc, [](const TestView& t) {
      std::string text = verdict_cell_marked(t);
      if (t.verdict && t.repeat && t.repeat->count) {
        std::uint64_t seen = 0;
        for (const auto& [value, n] : t.repeat->verdicts)
          if (value == t.verdict->value) seen = n;
        text += " [" + std::to_string(seen) + "/" + std::to_string(*t.repeat->count) + "]";
      }
      if (t.machine) text += " (machine " + std::to_string(*t.machine) + ")";
      return Cell(text, t.status == "completed" && t.verdict ? verdict_tone(t.verdict->value)
                                                             : status_tone(t.status));
    });
    const std::string title =
        std::string("verdicts: servers x scenarios") +
        (repeated ? "; [n/N]: n of N runs gave this verdict" : "") +
        (borderline ? "; ?: borderline, an identical run may give another verdict" : "");
    std::string s = paint(wrap(title, "", "  ", width_), 0, "verdicts:", Tone::Bold, style);
    s += table.render("  ", width_, style);
    for (const TestView& t : doc.tests)
      if (t.status != "completed" && t.error)
        s +=
            wrap(t.label + " x " + t.scenario.name + ": " + t.status + ": " + *t.error, "  ", "    ", width_);
    return s;
  }

  std::string labour_table(const Document& doc, const Style& style) const {
    const Table table = grid(doc, [](const TestView& t) {
      const std::string text = labour_cell(t);
      const bool bad = (t.labour_verdict && *t.labour_verdict == "failed") || t.status == "failed";
      return Cell(text, bad ? Tone::Bad : t.status == "skipped" ? Tone::Warn : Tone::Plain);
    });
    const std::string title =
        "Labour's matrix: failure % and requests/s in the fault phase; \"Failed\" by Labour's rule";
    return paint(wrap(title, "", "  ", width_), 0, "Labour's matrix:", Tone::Bold, style) +
           table.render("  ", width_, style);
  }

  std::string processes_table(const Document& doc, const Style& style) const {
    if (std::none_of(doc.tests.begin(), doc.tests.end(),
                     [](const TestView& t) { return process_cell(t) != "-"; }))
      return "";
    const Table table = grid(doc, [](const TestView& t) {
      const std::string text = process_cell(t);
      return Cell(text, text.rfind("died", 0) == 0               ? Tone::Bad
                        : text.find("exit") != std::string::npos ? Tone::Warn
                                                                 : Tone::Plain);
    });
    const std::string title = "server processes: worker exits, respawns and RSS growth";
    return "\n" + paint(wrap(title, "", "  ", width_), 0, "server processes:", Tone::Bold, style) +
           table.render("  ", width_, style);
  }

  // ---------------------------------------------------------------- details ----------

  std::string test_section(const TestView& t, const Style& style) const {
    const std::string in = "  ", more = "    ";
    const std::string name =
        t.label + (t.server_version ? " " + *t.server_version : "") + " x " + t.scenario.name;
    std::string s = style(Tone::Bold, name) + ": " + style(status_tone(t.status), t.status) + "\n";
    if (t.error) s += wrap(t.error.value_or(""), in + "error: ", more, width_);
    if (t.verdict) {
      const std::string reason = t.verdict->reason ? ": " + *t.verdict->reason : "";
      const std::string cell = verdict_cell_marked(t), prefix = in + "verdict: ";
      s += paint(wrap(cell + reason, prefix, more, width_), prefix.size(), cell,
                 verdict_tone(t.verdict->value), style);
      if (const std::string note = certainty_note(t); !note.empty()) s += wrap(note, more, more, width_);
      if (const std::string damage = damage_text(t); !damage.empty()) s += wrap(damage, more, more, width_);
    }
    if (t.repeat) s += wrap(repeat_summary(*t.repeat), in + "repeated: ", more, width_);
    if (!t.server_options.empty()) {
      std::vector<std::string> options;
      for (const auto& [k, v] : t.server_options) options.push_back(k + "=" + v);
      s += wrap(join(options, " "), in + "server options: ", more, width_);
    }
    s += scenario_line(t.scenario, in);
    if (t.totals) s += totals_lines(t, in, style);
    if (!t.phases.empty()) s += phases_table(t.phases, in, style);
    if (!t.figures.empty()) s += figures_block(t, in);
    if (t.status == "completed" || !t.outages.empty()) s += outages_line(t.outages, in);
    if (!t.innocent_failures.empty())
      s += wrap(breakdown(t.innocent_failures), in + "innocent failures: ", more, width_);
    for (const EventView& e : t.events) s += wrap(event_text(e), in + "event: ", more, width_);
    if (!t.behaviours.empty()) s += behaviour_table(t.behaviours, in, style);
    if (t.monitor) {
      const std::string summary = monitor_summary(*t.monitor);
      if (!summary.empty()) s += wrap(summary, in + "server: ", more, width_);
    }
    if (t.supervision) s += wrap(supervision_summary(*t.supervision), in + "supervision: ", more, width_);
    return s;
  }

  std::string scenario_line(const ScenarioView& sc, const std::string& in) const {
    std::vector<std::string> parts;
    if (sc.source) parts.push_back(*sc.source);
    if (sc.policy) parts.push_back(*sc.policy + " policy");
    if (sc.requests && *sc.requests > 0) parts.push_back(plain(*sc.requests) + " requests");
    if (sc.duration_s && *sc.duration_s > 0) parts.push_back(plain(*sc.duration_s) + " s");
    if (sc.concurrency && *sc.concurrency > 0) parts.push_back("concurrency " + plain(*sc.concurrency));
    if (sc.rate && *sc.rate > 0) parts.push_back("rate " + plain(*sc.rate) + "/s");
    if (sc.timeout_ms) parts.push_back("timeout " + plain(*sc.timeout_ms) + " ms");
    if (sc.seed) parts.push_back("seed " + plain(*sc.seed));
    return parts.empty() ? "" : wrap(join(parts, ", "), in + "scenario: ", in + "  ", width_);
  }

  // The fault phase's counts, and Labour's rule on them as the document states it.
  std::string totals_lines(const TestView& t, const std::string& in, const Style& style) const {
    const Totals& tot = *t.totals;
    std::string load = count(tot.sent) + " sent";
    if (t.duration_s) load += " in " + fixed(*t.duration_s, 2) + " s";
    if (t.requests_per_second) load += " (" + fixed(*t.requests_per_second, 1) + " req/s)";
    load += ", " + count(tot.expected) + " expected, " + count(tot.unexpected) + " unexpected";
    if (auto pct = failure_pct(t)) load += " (" + fixed(*pct, 1) + " % failures)";
    std::string s = wrap(load, in + "fault phase: ", in + "  ", width_);
    std::vector<std::string> parts;
    if (tot.innocent_sent)
      parts.push_back("innocent: " + count(tot.innocent_sent) + " sent, " + count(tot.innocent_unexpected) +
                      " unexpected");
    if (t.labour_verdict) parts.push_back("Labour's rule: " + *t.labour_verdict);
    if (parts.empty()) return s;
    const std::string line = wrap(join(parts, "; "), in, in + "  ", width_);
    const std::size_t rule = line.find("Labour's rule: ");
    if (!t.labour_verdict || rule == std::string::npos) return s + line;
    const Tone tone = *t.labour_verdict == "failed"   ? Tone::Bad
                      : *t.labour_verdict == "passed" ? Tone::Good
                                                      : Tone::Plain;
    return s + paint(line, rule + 15, *t.labour_verdict, tone, style);
  }

  std::string phases_table(const std::vector<PhaseView>& phases, const std::string& in,
                           const Style& style) const {
    Table table;
    table.header = {"phase",      "start",     "duration", "ended by", "sent",
                    "unexpected", "abandoned", "innocent", "p99 ms"};
    table.right_aligned = {false, true, true, false, true, true, true, true, true};
    for (const PhaseView& p : phases) {
      const std::string innocent = count(p.innocent_unexpected) + "/" + count(p.innocent_sent);
      table.rows.push_back({p.name, seconds(p.start_s), seconds(p.duration_s), p.ended_by.value_or("-"),
                            count(p.sent), count(p.unexpected), count(p.abandoned), innocent,
                            ms(p.innocent_latency ? p.innocent_latency->p99_us : std::nullopt)});
    }
    return wrap("phases (times in s; innocent: unexpected/sent, and p99 of its expected ones):", in,
                in + "  ", width_) +
           table.render(in + "  ", width_, style);
  }

  // Figures as name-value pairs in columns, down then across, in the document's order.
  std::string figures_block(const TestView& t, const std::string& in) const {
    const std::string figure = t.verdict ? t.verdict->figure.value_or("") : "";
    std::vector<std::pair<std::string, std::string>> entries;
    std::size_t name_w = 0, value_w = 0;
    for (const auto& [name, value] : t.figures) {
      entries.emplace_back(name + (name == figure ? "*" : ""), figure_text(t, name, value));
      name_w = std::max(name_w, entries.back().first.size());
      value_w = std::max(value_w, entries.back().second.size());
    }
    const std::string indent = in + "  ";
    const std::size_t entry_w = name_w + 1 + value_w, gap = 3;
    const std::size_t room = width_ > indent.size() ? width_ - indent.size() : 0;
    const std::size_t columns = std::max<std::size_t>(1, (room + gap) / (entry_w + gap));
    const std::size_t rows = (entries.size() + columns - 1) / columns;
    std::string s = in + "figures" + (figure.empty() ? "" : " (*: decided the verdict)") +
                    (t.repeat ? ", medians of the runs (min..max)" : "") + ":\n";
    for (std::size_t r = 0; r < rows; ++r) {
      std::string line = indent;
      for (std::size_t c = 0; c < columns; ++c) {
        const std::size_t k = c * rows + r;
        if (k >= entries.size()) break;
        const auto& [name, value] = entries[k];
        if (c) line += std::string(gap, ' ');
        line += name + std::string(name_w - name.size() + 1 + value_w - value.size(), ' ') + value;
      }
      s += line + "\n";
    }
    return s;
  }

  // "reload at 1.0 s: SIGHUP to the main process 4242; 6410 answered, 0 dropped, back at once;
  // 2 exited, 2 joined"
  static std::string event_text(const EventView& e) {
    std::string s = e.action + " at " + seconds(e.at_s) + " s";
    if (e.action == "freeze_worker" && e.seconds) s += " for " + seconds(e.seconds) + " s";
    if (!e.fired) return s + ": not fired (the fault phase ended first)";
    s += ": " + e.detail.value_or("-");
    if (e.failed) return s;
    s += "; " + count(e.answered) + " answered, " + count(e.dropped) + " dropped";
    if (e.dropped && *e.dropped > 0) s += " (" + breakdown(e.failures) + ")";
    if (e.refused && *e.refused > 0) s += ", " + count(e.refused) + " refused after its listener closed";
    if (e.back_after_s)
      s += *e.back_after_s > 0 ? ", innocent ones back after " + seconds(e.back_after_s) + " s"
                               : ", no innocent one failed";
    else
      s += ", innocent ones not back by the end of its window";
    if (e.innocent_slowest_ms) s += ", the slowest answered in " + ms(*e.innocent_slowest_ms * 1000) + " ms";
    s += "; " + count(e.exited) + " exited, " + count(e.joined) + " joined";
    return s;
  }

  std::string outages_line(const std::vector<OutageView>& outages, const std::string& in) const {
    if (outages.empty()) return in + "outages: none\n";
    std::vector<std::string> parts;
    for (const OutageView& o : outages)
      parts.push_back(seconds(o.start_s) + "-" + seconds(o.end_s) + " s (" +
                      (o.silent.value_or(false) ? std::string("no answer") : count(o.failed) + " failed") +
                      ")");
    return wrap(join(parts, ", "), in + "outages: ", in + "  ", width_);
  }

  // Expected is left out (sent - unexpected) so that the usual table fits in 100 columns.
  std::string behaviour_table(const std::vector<BehaviourView>& behaviours, const std::string& in,
                              const Style& style) const {
    Table table;
    table.header = {"behaviour", "weight", "sent", "unexpected", "p50 ms", "p99 ms", "max ms"};
    table.right_aligned = {false, true, true, true, true, true, true};
    std::vector<std::string> notes;  // each behaviour's outcomes, for under its row
    for (const auto& b : behaviours) {
      const Latency lat = b.latency.value_or(Latency{});
      // A client-driven behaviour is not in the mix: its share is its own connections.
      const std::string share = b.client_driven ? count(b.connections) + " conn"
                                : b.weight      ? plain(*b.weight)
                                                : "-";
      table.rows.push_back({call_text(b) + (b.innocent ? " [innocent]" : ""), share, count(b.sent),
                            count(b.unexpected), ms(lat.p50_us), ms(lat.p99_us), ms(lat.max_us)});
      // Only the judged split says which outcomes were unexpected; without it, show them all.
      const std::string note =
          b.unexpected_outcomes ? breakdown(*b.unexpected_outcomes) : breakdown(b.outcomes);
      notes.push_back(note == "none" ? "" : (b.unexpected_outcomes ? "unexpected: " : "outcomes: ") + note);
    }
    const std::string rendered = table.render(in + "  ", width_, style);
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < rendered.size();) {
      const std::size_t end = rendered.find('\n', start);
      lines.push_back(rendered.substr(start, end - start));
      start = end + 1;
    }
    std::string s = wrap("behaviours (fault phase; latency of expected outcomes):", in, in + "  ", width_);
    if (lines.size() == behaviours.size() + 1) {  // one block: notes under their rows
      for (std::size_t i = 0; i < lines.size(); ++i) {
        s += lines[i] + "\n";
        if (i > 0 && !notes[i - 1].empty()) s += wrap(notes[i - 1], in + "      ", in + "        ", width_);
      }
      return s;
    }
    s += rendered;  // split into blocks to fit the width: notes after, by behaviour
    for (std::size_t i = 0; i < behaviours.size(); ++i)
      if (!notes[i].empty())
        s += wrap(call_text(behaviours[i]) + " " + notes[i], in + "  ", in + "      ", width_);
    return s;
  }

  bool color_;
  std::string matrix_;
  bool details_;
  std::size_t width_;
};

}  // namespace

LABOUR_REPORTER_PLUGIN(ConsoleReporter)
