// markdown reporter: the scorecard of a results document (docs/results-schema.md) as a
// GitHub-flavoured Markdown table, for pull requests, job summaries and READMEs:
//
//   **labour 0.1.0** robustness scorecard, started 2026-12-01T09:09:59Z on h
//
//   | server | SIGSEGV | Plain |
//   |---|---|---|
//   | gunicorn | degraded p99 x132 | robust |
//
//   Legend: ...
//
//   - waitress × SIGSEGV: failed: server 'waitress' did not start: ...
//
// Rows are server labels, columns scenarios, both in order of first appearance (the first
// test of a pair wins, as in the console's grid); each cell is verdict_cell (the verdict
// and the figure that decided it), with "[n/N]" when the cell ran N times and n gave this
// verdict. A borderline verdict (the evidence straddles a bound, so a rerun may give another)
// is marked "?" ("degraded? p99 x11"); a degraded cell adds its damage ("damage 12 %", the
// share of innocent requests that failed or were late). Under the table: a legend, the gates
// with PASS or FAIL when the run had any, one line per borderline test with its interval, one
// line per test that did not complete with its error, and the document's warnings. Option
// `emoji` prefixes each cell with a colour: 🟢 robust, 🟡 degraded, 🟠 hung, 🔴 down, ⚪
// anything else.
//
// Text from the document is escaped so that it stays text: backslash, | (it would split the
// cell), and the characters Markdown would read as emphasis, code or links get a backslash;
// & and < become entities (no HTML gets through); a line end becomes <br>, another control
// character U+FFFD; at the start of a list item, what would open a block is escaped too.
#include <labour/results.hpp>
#include <labour/sdk.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace labour::reporters;

std::string escape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '\\':
      case '|':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '~':
        out += '\\';
        out += c;
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '\r':
        if (i + 1 < s.size() && s[i + 1] == '\n') ++i;  // CRLF is one line end
        out += "<br>";
        break;
      case '\n':
        out += "<br>";
        break;
      default: {
        const auto b = static_cast<unsigned char>(c);
        const bool c1 = b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(s[i + 1]) <= 0x9F;
        if ((b < 0x20 && c != '\t') || b == 0x7F || c1) {
          out += "\xEF\xBF\xBD";  // a control character: U+FFFD
          i += c1 ? 1 : 0;
        } else {
          out += c;
        }
      }
    }
  }
  return out;
}

// Escaped text that starts a line (a list item's): what would open a block there (a
// heading, quote, list, code indent) is escaped too.
std::string line_start(const std::string& escaped) {
  if (escaped.empty()) return escaped;
  const char c = escaped.front();
  if (c == ' ' || c == '\t') return (c == ' ' ? "&#32;" : "&#9;") + escaped.substr(1);
  if (c == '#' || c == '>' || c == '+' || c == '-' || c == '=') return "\\" + escaped;
  std::size_t digits = 0;
  while (digits < escaped.size() && std::isdigit(static_cast<unsigned char>(escaped[digits]))) ++digits;
  if (digits > 0 && digits < escaped.size() && (escaped[digits] == '.' || escaped[digits] == ')'))
    return escaped.substr(0, digits) + "\\" + escaped.substr(digits);
  return escaped;
}

const char* emoji_of(const TestView& t) {
  const std::string value = t.status == "completed" && t.verdict ? t.verdict->value : "";
  if (value == "robust") return "🟢";
  if (value == "degraded") return "🟡";
  if (value == "hung") return "🟠";
  if (value == "down") return "🔴";
  return "⚪";  // inconclusive, a verdict this reporter does not know, a test that did not complete
}

std::string row(const std::vector<std::string>& cells) {
  std::string s = "|";
  for (const std::string& c : cells) s += " " + c + " |";
  return s + "\n";
}

class MarkdownReporter final : public labour::sdk::Reporter {
 public:
  static constexpr const char* name = "markdown";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "the scorecard as a GitHub-flavoured Markdown table";

  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::boolean(
        "emoji", false,
        "prefix each cell with a colour: 🟢 robust, 🟡 degraded, 🟠 hung, 🔴 down, ⚪ other")};
  }

  MarkdownReporter(const labour::sdk::Params& params, const labour::sdk::Host&)
      : emoji_(params.boolean("emoji")) {}

  void render(std::string_view results_json, labour::sdk::Sink& out) override {
    const Document doc = read_document(results_json);
    out << header(doc);

    std::vector<std::string> servers, scenarios;
    std::map<std::pair<std::string, std::string>, const TestView*> cells;
    bool repeated = false, borderline = false, damage = false;
    for (const TestView& t : doc.tests) {
      borderline = borderline || t.borderline();
      damage = damage || !damage_text(t).empty();
      if (std::find(servers.begin(), servers.end(), t.label) == servers.end()) servers.push_back(t.label);
      if (std::find(scenarios.begin(), scenarios.end(), t.scenario.name) == scenarios.end())
        scenarios.push_back(t.scenario.name);
      cells.emplace(std::make_pair(t.label, t.scenario.name), &t);  // first run of a pair wins
      repeated = repeated || t.repeat.has_value();
    }

    if (doc.tests.empty()) {
      out << "\nNo tests in this run.\n";
    } else {
      std::vector<std::string> head = {"server"};
      for (const auto& scenario : scenarios) head.push_back(escape(scenario));
      out << "\n" << row(head) << row(std::vector<std::string>(head.size(), "---"));
      for (const auto& server : servers) {
        std::vector<std::string> r = {escape(server)};
        for (const auto& scenario : scenarios) {
          auto it = cells.find({server, scenario});
          r.push_back(it == cells.end() ? "-" : cell(*it->second));
        }
        out << row(r);
      }
      out << "\n" << legend(repeated, borderline, damage);
    }

    if (!doc.gates.empty()) {
      std::size_t failed = 0;
      for (const GateView& g : doc.gates) failed += g.passed ? 0 : 1;
      out << "\n**Gates: "
          << (failed ? std::to_string(failed) + " of " + std::to_string(doc.gates.size()) + " FAILED"
                     : "all " + std::to_string(doc.gates.size()) + " passed")
          << "**\n\n";
      for (const GateView& g : doc.gates) {
        const std::string line = gate_text(g);  // "PASS ..." or "FAIL ...": the word first, in bold
        out << "- **" << line.substr(0, 4) << "**" << escape(line.substr(4)) << "\n";
      }
    }

    std::string notes;
    for (const TestView& t : doc.tests)
      if (t.borderline())
        notes += "- " + line_start(escape(t.label)) + " × " + escape(t.scenario.name) + ": " +
                 escape(certainty_note(t)) + "\n";
    for (const TestView& t : doc.tests)
      if (t.status != "completed")
        notes += "- " + line_start(escape(t.label)) + " × " + escape(t.scenario.name) + ": " +
                 escape(t.status) + (t.error ? ": " + escape(*t.error) : "") + "\n";
    for (const std::string& w : doc.warnings) notes += "- **Warning:** " + escape(w) + "\n";
    if (!notes.empty()) out << "\n" << notes;
  }

 private:
  static std::string header(const Document& d) {
    std::string s = "**" + escape(d.tool_name.value_or("labour"));
    if (d.tool_version) s += " " + escape(*d.tool_version);
    s += "** robustness scorecard";
    if (d.tool_commit) s += " (commit " + escape(short_commit(*d.tool_commit)) + ")";
    if (d.started_at) s += ", started " + escape(*d.started_at);
    if (d.hostname) s += " on " + escape(*d.hostname);
    if (const std::string plan = plan_summary(d); !plan.empty()) s += "; " + escape(plan);
    return s + "\n";
  }

  std::string cell(const TestView& t) const {
    std::string text = verdict_cell_marked(t);
    if (const std::string damage = damage_text(t); !damage.empty()) text += ", " + damage;
    if (t.verdict && t.repeat && t.repeat->count) {
      std::uint64_t seen = 0;
      for (const auto& [value, n] : t.repeat->verdicts)
        if (value == t.verdict->value) seen = n;
      text += " [" + std::to_string(seen) + "/" + std::to_string(*t.repeat->count) + "]";
    }
    if (t.machine) text += " (machine " + std::to_string(*t.machine) + ")";
    return (emoji_ ? std::string(emoji_of(t)) + " " : std::string()) + escape(text);
  }

  std::string legend(bool repeated, bool borderline, bool damage) const {
    std::string s =
        "Legend: rows are servers, columns scenarios; each cell is what happened to the good requests "
        "while the server was made to misbehave, with the figure that decided it. ";
    if (emoji_)
      s += "🟢 robust: unharmed; 🟡 degraded: they suffered, the server came back; 🟠 hung: they did "
           "not come "
           "back; 🔴 down: the server died and nothing answered; ⚪ other: inconclusive, or the test did not "
           "complete.";
    else
      s += "robust: unharmed; degraded: they suffered, the server came back; hung: they did not come back; "
           "down: the server died and nothing answered; inconclusive: the test could not judge.";
    s += " -: not run.";
    if (repeated) s += " [n/N]: n of N runs gave this verdict.";
    if (borderline)
      s += " ?: borderline, the evidence straddles a bound, so a rerun may give another verdict (listed "
           "below).";
    if (damage) s += " damage: the share of innocent requests that failed or were late in the fault phase.";
    return s + "\n";
  }

  bool emoji_;
};

}  // namespace

LABOUR_REPORTER_PLUGIN(MarkdownReporter)
