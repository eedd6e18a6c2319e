// junit reporter: the results document (docs/results-schema.md) as JUnit XML, the test
// report format CI systems read (Jenkins' junit step, GitLab's artifacts:reports:junit,
// GitHub test-report actions). tests/reporters/junit.xsd is the schema of what it writes.
//
//   <testsuites name="labour" tests= failures= errors= skipped=>
//     <testsuite name=LABEL tests= failures= errors= skipped= [timestamp=] [hostname=]>
//       <properties>  labour.version, labour.commit, server.name, server.version,
//                     server.option.<key>, environment.kernel, environment.python_version,
//                     plan.fingerprint (each when the document has it)
//       <testcase classname=LABEL name=SCENARIO time=DURATION>
//         <properties>  scenario, scenario.source, status, verdict, verdict.figure,
//                       verdict.certainty, verdict.confidence, verdict.interval, damage_pct,
//                       labour_verdict, machine
//         one of: <failure message=REASON type=VERDICT>  a verdict not in `accept` (a
//                                                        borderline one says so)
//                 <error message=ERROR type="failed">   status "failed" (did not run)
//                 <skipped message=ERROR/>              status "skipped"
//                 <skipped message="interrupted">       status "interrupted"
//         <system-out>  the verdict cell, its reason, labour_verdict, what the processes
//                       went through and every figure, as the document holds them
//       <system-err>    the document's warnings, in every suite
//     <testsuite name="gates">    when the run had gates (--fail-on, [thresholds])
//       <testcase classname="gates" name=EXPRESSION [scenario S] time="0">
//         <failure message="FAIL ..." type="gate">  a gate that was breached, with its breaches
//
// One suite per server label (in order of first appearance), one case per test (a matrix
// cell) in the document's order. A completed test passes when its verdict is one of the
// option `accept` (default "robust,degraded"); a gate that failed the run is a failure of its
// own, so a job that labour failed by a gate is never green. `time` is the test's `duration_s` (its fault
// phase), 0 when absent; suites carry no time, since a sum would be a figure of the
// reporter's making. Counts are of the cases written. Text is XML-escaped; characters XML
// 1.0 forbids (control characters, U+FFFE/U+FFFF, bytes that are not UTF-8) become U+FFFD.
#include <labour/results.hpp>
#include <labour/sdk.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace {

using namespace labour::reporters;

// ------------------------------------------------------------------ XML text ----------

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool xml_char(std::uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when it is not well-formed
// (overlong, surrogate, beyond U+10FFFF, truncated).
std::size_t decode(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  cp = b;
  if (b < 0x80) return 1;
  const std::size_t len = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0) return 0;  // a continuation byte, or not UTF-8 at all
  cp = b & (0x7F >> len);  // the lead byte's payload bits
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// `s` as XML character data; in an attribute (`attribute`), quotes and the white space a
// parser would otherwise normalise to blanks are written as references too.
std::string xml(std::string_view s, bool attribute) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = decode(s, i, cp);
    if (len == 0) {  // not UTF-8: one replacement per byte
      out += kReplacement;
      ++i;
      continue;
    }
    if (!xml_char(cp)) {
      out += kReplacement;
    } else if (cp == '&') {
      out += "&amp;";
    } else if (cp == '<') {
      out += "&lt;";
    } else if (cp == '>') {
      out += "&gt;";
    } else if (cp == '\r') {
      out += "&#13;";  // a parser reads a raw CR as LF
    } else if (attribute && cp == '"') {
      out += "&quot;";
    } else if (attribute && cp == '\'') {
      out += "&apos;";
    } else if (attribute && cp == '\n') {
      out += "&#10;";
    } else if (attribute && cp == '\t') {
      out += "&#9;";
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string attr(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=\"" + xml(value, true) + "\"";
}

// A number in plain decimal notation (xs:decimal has no exponent), as short as reads back
// the same.
std::string decimal(double v) {
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return r.ec == std::errc() ? std::string(buf, r.ptr) : "0";
}

// ------------------------------------------------------------------ the document ------

enum class Result { Passed, Failure, Error, Skipped };

struct Case {
  const TestView* test;
  std::optional<std::string> server_name;
  Result result;
};

struct Counts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  void add(Result r) {
    ++tests;
    if (r == Result::Failure) ++failures;
    if (r == Result::Error) ++errors;
    if (r == Result::Skipped) ++skipped;
  }
  std::string attributes() const {
    return attr("tests", std::to_string(tests)) + attr("failures", std::to_string(failures)) +
           attr("errors", std::to_string(errors)) + attr("skipped", std::to_string(skipped));
  }
};

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string item = list.substr(start, end - start);
    const auto first = item.find_first_not_of(" \t");
    item = first == std::string::npos ? "" : item.substr(first, item.find_last_not_of(" \t") - first + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

class JunitReporter final : public labour::sdk::Reporter {
 public:
  static constexpr const char* name = "junit";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "JUnit XML for CI: one testsuite per server, one testcase per scenario, failures by verdict";

  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::text(
        "accept", "robust,degraded",
        "comma list of verdicts that pass; any other verdict is a <failure> (values as in the document)")};
  }

  JunitReporter(const labour::sdk::Params& params, const labour::sdk::Host& host)
      : accept_(split_list(params.text("accept"))) {
    if (accept_.empty())
      throw std::invalid_argument("junit reporter: accept names no verdict (e.g. accept=robust,degraded)");
    for (const std::string& v : accept_) {
      bool known = false;
      for (const char* k : labour::reporters::kVerdicts) known = known || v == k;
      if (!known)  // verdicts are an open set: accepted, but likely a typo
        host.log(LABOUR_LOG_WARN, "junit reporter: accept names '" + v + "', not a verdict labour knows");
    }
  }

  void render(std::string_view results_json, labour::sdk::Sink& out) override {
    const Document doc = read_document(results_json);

    std::vector<std::string> labels;  // suites, in order of first appearance
    std::vector<std::vector<Case>> suites;
    Counts total;
    for (std::size_t i = 0; i < doc.tests.size(); ++i) {
      const TestView& t = doc.tests[i];
      std::size_t s = 0;
      while (s < labels.size() && labels[s] != t.label) ++s;
      if (s == labels.size()) {
        labels.push_back(t.label);
        suites.emplace_back();
      }
      const Case c{&t, t.server_name, classify(t)};
      suites[s].push_back(c);
      total.add(c.result);
    }

    Counts gates;
    for (const GateView& g : doc.gates) gates.add(g.passed ? Result::Passed : Result::Failure);
    total.tests += gates.tests;
    total.failures += gates.failures;

    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << "<testsuites" << attr("name", doc.tool_name.value_or("labour")) << total.attributes() << ">\n";
    for (std::size_t s = 0; s < suites.size(); ++s) out << suite(doc, labels[s], suites[s]);
    if (!doc.gates.empty()) out << gate_suite(doc, gates);
    out << "</testsuites>\n";
  }

 private:
  bool accepted(const std::string& verdict) const {
    for (const std::string& a : accept_)
      if (a == verdict) return true;
    return false;
  }

  // An unsupported test did not run (the server cannot do what the scenario asks): skipped,
  // like a server that is not installed.
  static bool unsupported(const TestView& t) {
    return t.status == "completed" && t.verdict && t.verdict->value == "unsupported";
  }

  Result classify(const TestView& t) const {
    if (unsupported(t)) return Result::Skipped;
    if (t.status == "completed")
      return t.verdict && accepted(t.verdict->value) ? Result::Passed : Result::Failure;
    if (t.status == "skipped" || t.status == "interrupted") return Result::Skipped;
    return Result::Error;  // "failed", and a status this reporter does not know
  }

  static std::string property(const std::string& indent, std::string_view name, std::string_view value) {
    return indent + "<property" + attr("name", name) + attr("value", value) + "/>\n";
  }

  static std::string suite(const Document& doc, const std::string& label, const std::vector<Case>& cases) {
    Counts counts;
    for (const Case& c : cases) counts.add(c.result);
    const TestView& first = *cases.front().test;  // a label is one server configuration
    std::string s = "  <testsuite" + attr("name", label) + counts.attributes();
    if (doc.started_at) s += attr("timestamp", *doc.started_at);
    if (doc.hostname) s += attr("hostname", *doc.hostname);
    s += ">\n";

    std::string props;
    const std::string in = "      ";
    if (doc.tool_version) props += property(in, "labour.version", *doc.tool_version);
    if (doc.tool_commit) props += property(in, "labour.commit", *doc.tool_commit);
    if (cases.front().server_name) props += property(in, "server.name", *cases.front().server_name);
    if (first.server_version) props += property(in, "server.version", *first.server_version);
    for (const auto& [key, value] : first.server_options)
      props += property(in, "server.option." + key, value);
    if (doc.kernel) props += property(in, "environment.kernel", *doc.kernel);
    if (doc.python_version) props += property(in, "environment.python_version", *doc.python_version);
    if (doc.plan_fingerprint) props += property(in, "plan.fingerprint", *doc.plan_fingerprint);
    if (!props.empty()) s += "    <properties>\n" + props + "    </properties>\n";

    for (const Case& c : cases) s += testcase(c);

    if (!doc.warnings.empty()) {
      s += "    <system-err>";
      for (const std::string& w : doc.warnings) s += xml("warning: " + w + "\n", false);
      s += "</system-err>\n";
    }
    return s + "  </testsuite>\n";
  }

  // The gates (--fail-on, a scenario's [thresholds]): one case each, a failure when breached.
  static std::string gate_suite(const Document& doc, const Counts& counts) {
    std::string s = "  <testsuite" + attr("name", "gates") + counts.attributes();
    if (doc.started_at) s += attr("timestamp", *doc.started_at);
    if (doc.hostname) s += attr("hostname", *doc.hostname);
    s += ">\n";
    for (const GateView& g : doc.gates) {
      const std::string name = g.expression + (g.scenario ? " [scenario " + *g.scenario + "]" : "");
      s += "    <testcase" + attr("classname", "gates") + attr("name", name) + attr("time", "0") + ">\n";
      const std::string line = gate_text(g);
      if (!g.passed) {
        std::string breaches;
        for (const std::string& b : g.breaches) breaches += b + "\n";
        s += "      <failure" + attr("message", line) + attr("type", "gate") + ">" + xml(breaches, false) +
             "</failure>\n";
      }
      s += "      <system-out>" + xml(line + "\n", false) + "</system-out>\n";
      s += "    </testcase>\n";
    }
    return s + "  </testsuite>\n";
  }

  static std::string testcase(const Case& c) {
    const TestView& t = *c.test;
    std::string s = "    <testcase" + attr("classname", t.label) + attr("name", t.scenario.name) +
                    attr("time", decimal(t.duration_s.value_or(0))) + ">\n";

    const std::string in = "        ";
    s += "      <properties>\n" + property(in, "scenario", t.scenario.name);
    if (t.scenario.source) s += property(in, "scenario.source", *t.scenario.source);
    s += property(in, "status", t.status);
    if (t.verdict) {
      s += property(in, "verdict", t.verdict->value);
      if (t.verdict->figure) s += property(in, "verdict.figure", *t.verdict->figure);
      if (t.verdict->certainty) s += property(in, "verdict.certainty", *t.verdict->certainty);
      if (t.verdict->confidence) s += property(in, "verdict.confidence", plain(*t.verdict->confidence));
      if (t.verdict->interval) s += property(in, "verdict.interval", interval_text(*t.verdict));
      if (const auto damage = t.figure("damage_pct"); damage && t.verdict->value == "degraded")
        s += property(in, "damage_pct", plain(*damage));
    }
    if (t.labour_verdict) s += property(in, "labour_verdict", *t.labour_verdict);
    if (t.machine) s += property(in, "machine", std::to_string(*t.machine));
    s += "      </properties>\n";

    const std::string error = t.error.value_or("");
    switch (c.result) {
      case Result::Passed:
        break;
      case Result::Failure:
        if (t.verdict) {
          // A borderline verdict says so first: a rerun may pass.
          const std::string note = certainty_note(t);
          const std::string reason =
              (note.empty() ? "" : note + ": ") + t.verdict->reason.value_or(verdict_cell_marked(t));
          s += "      <failure" + attr("message", reason) + attr("type", t.verdict->value) + ">" +
               xml(verdict_cell_marked(t) + ": " + reason, false) + "</failure>\n";
        } else {
          s += "      <failure" + attr("message", "completed without a verdict") + attr("type", "none") +
               "/>\n";
        }
        break;
      case Result::Error:
        s += "      <error" + attr("message", error.empty() ? t.status : error) + attr("type", t.status) +
             ">" + xml(t.status + (error.empty() ? "" : ": " + error), false) + "</error>\n";
        break;
      case Result::Skipped:
        if (t.status == "interrupted")
          s += "      <skipped" + attr("message", "interrupted") + ">" + xml(error, false) + "</skipped>\n";
        else if (unsupported(t))
          s += "      <skipped" + attr("message", "unsupported: " + t.verdict->reason.value_or("")) + "/>\n";
        else
          s += "      <skipped" + attr("message", error.empty() ? t.status : error) + "/>\n";
        break;
    }

    const std::string report = system_out(t);
    if (!report.empty()) s += "      <system-out>" + xml(report, false) + "</system-out>\n";
    return s + "    </testcase>\n";
  }

  // What a CI page shows under the case: the verdict and the figures, as the document has them.
  static std::string system_out(const TestView& t) {
    std::string s;
    if (t.verdict) {
      const std::string damage = damage_text(t);
      s += "verdict: " + verdict_cell_marked(t) + (damage.empty() ? "" : ", " + damage) + "\n";
      if (t.verdict->reason) s += "reason: " + *t.verdict->reason + "\n";
      if (t.borderline()) s += "certainty: " + certainty_note(t) + "\n";
    }
    if (t.labour_verdict) s += "labour_verdict: " + labour_cell(t) + "\n";
    if (t.repeat) s += "repeat: " + repeat_summary(*t.repeat) + "\n";
    if (!t.figures.empty()) {
      s += "processes: " + process_cell(t) + "\n";
      s += "figures:\n";
      for (const auto& [figure, value] : t.figures)
        s += "  " + figure + " " + figure_text(t, figure, value) + "\n";
    }
    return s;
  }

  std::vector<std::string> accept_;
};

}  // namespace

LABOUR_REPORTER_PLUGIN(JunitReporter)
