// The machine-readable reporters (junit, csv, markdown), loaded from their .so files the
// way the host loads them, rendering three documents:
//   results-v2.json    the hand-made sample of reporters_test.cpp (two servers x SIGSEGV, Plain);
//   results-real.json  what the real binary wrote, made in the source folder with
//                        build/bin/labour matrix --servers wsgiref waitress --scenarios Plain,SIGSEGV
//                          -n 60 --no-pin --report json:tests/reporters/results-real.json
//                      (remake it the same way when the schema grows; the tests read it generically);
//   results-edge.json  hand-made: every status, an unknown verdict, labels with commas, quotes,
//                      formula starts, XML and Markdown specials, control characters.
// The JUnit output is also checked against junit.xsd by xmllint and parsed by a real XML
// parser, the CSV by Python's csv module (CMakeLists.txt, test_machine_readable.py).
#include <labour/plugin_api.h>
#include <labour/results.hpp>

#include "reporter_fixture.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;

// ------------------------------------------------------------------ loading ----------

using labour::test::Instance;
using labour::test::Library;
using labour::test::Rendered;
using labour::test::text;

std::string slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL("cannot read " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string& v2_text() {
  static const std::string s = slurp(LABOUR_REPORTER_TEST_RESULTS_V2);
  return s;
}
const std::string& real_text() {
  static const std::string s = slurp(LABOUR_REPORTER_TEST_RESULTS_REAL);
  return s;
}
const std::string& edge_text() {
  static const std::string s = slurp(LABOUR_REPORTER_TEST_RESULTS_EDGE);
  return s;
}
const std::string& certainty_text() {
  static const std::string s = slurp(LABOUR_REPORTER_TEST_RESULTS_CERTAINTY);
  return s;
}

std::string render(const std::string& reporter, const std::string& document,
                   const std::map<std::string, std::string>& options = {}) {
  Library lib(reporter);
  Instance instance(lib, options);
  INFO("create error: " << instance.create_error());
  REQUIRE(instance.created());
  const Rendered r = instance.render(document);
  INFO("render error: " << r.error);
  REQUIRE(r.rc == 0);
  return r.output;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::size_t occurrences(const std::string& s, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size())) ++n;
  return n;
}

// ------------------------------------------------------------------ JUnit -------------
// The reporter writes every '<' of the document as "&lt;", so elements can be found by
// their tags; xmllint and Python's XML parser check the rest (CMakeLists.txt).

std::string unxml(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const std::size_t end = s.find(';', i);
    const std::string entity = s.substr(i + 1, end - i - 1);
    if (entity == "amp") out += '&';
    if (entity == "lt") out += '<';
    if (entity == "gt") out += '>';
    if (entity == "quot") out += '"';
    if (entity == "apos") out += '\'';
    if (entity.size() > 1 && entity[0] == '#') out += static_cast<char>(std::stoi(entity.substr(1)));
    i = end;
  }
  return out;
}

std::string attribute(const std::string& tag, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(tag, m, std::regex(" " + name + "=\"([^\"]*)\""))) return "<absent>";
  return unxml(m[1]);
}

struct Counts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  bool operator==(const Counts& o) const {
    return tests == o.tests && failures == o.failures && errors == o.errors && skipped == o.skipped;
  }
};
std::ostream& operator<<(std::ostream& os, const Counts& c) {
  return os << "{tests " << c.tests << ", failures " << c.failures << ", errors " << c.errors << ", skipped "
            << c.skipped << "}";
}

Counts declared(const std::string& tag) {
  auto n = [&](const char* name) { return static_cast<std::size_t>(std::stoul(attribute(tag, name))); };
  return {n("tests"), n("failures"), n("errors"), n("skipped")};
}

// What the elements inside say, whatever the attributes claim.
Counts counted(const std::string& body) {
  return {occurrences(body, "<testcase "), occurrences(body, "<failure "), occurrences(body, "<error "),
          occurrences(body, "<skipped ")};
}

struct Suite {
  std::string tag, body;  // the start tag, and everything up to the end tag
  std::string name() const { return attribute(tag, "name"); }
};

struct Report {
  std::string tag;  // <testsuites ...>
  std::vector<Suite> suites;
};

Report parse_junit(const std::string& xml) {
  Report r;
  REQUIRE(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) == 0);
  const std::size_t top = xml.find("<testsuites");
  REQUIRE(top != std::string::npos);
  r.tag = xml.substr(top, xml.find('>', top) - top + 1);
  REQUIRE(occurrences(xml, "</testsuites>") == 1);
  for (std::size_t at = xml.find("<testsuite "); at != std::string::npos;
       at = xml.find("<testsuite ", at + 1)) {
    const std::size_t tag_end = xml.find('>', at), end = xml.find("</testsuite>", at);
    REQUIRE(end != std::string::npos);
    r.suites.push_back({xml.substr(at, tag_end - at + 1), xml.substr(tag_end + 1, end - tag_end - 1)});
  }
  return r;
}

// The testcase elements of a suite, each whole.
std::vector<std::string> testcases(const std::string& body) {
  std::vector<std::string> out;
  for (std::size_t at = body.find("<testcase "); at != std::string::npos;
       at = body.find("<testcase ", at + 1))
    out.push_back(body.substr(at, body.find("</testcase>", at) - at));
  return out;
}

void check_consistent(const Report& r) {
  Counts sum;
  for (const Suite& s : r.suites) {
    INFO("suite " << s.name());
    CHECK(declared(s.tag) == counted(s.body));
    const Counts c = counted(s.body);
    sum.tests += c.tests, sum.failures += c.failures, sum.errors += c.errors, sum.skipped += c.skipped;
  }
  CHECK(declared(r.tag) == sum);
}

// No character that XML 1.0 forbids, raw.
bool xml_clean(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

// ------------------------------------------------------------------ CSV ---------------
// RFC 4180, strictly: records end with CRLF; a quoted field doubles its quotes and may hold
// commas and line ends; a quote anywhere else is an error.

std::vector<std::vector<std::string>> parse_csv(const std::string& s) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '"') {
      for (++i;; ++i) {
        if (i >= s.size()) FAIL("unterminated quoted field in row " << rows.size() + 1);
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          field += s[i];
        }
      }
      if (i < s.size() && s[i] != ',' && s[i] != '\r')
        FAIL("text after a closing quote in row " << rows.size() + 1);
    } else {
      while (i < s.size() && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
        if (s[i] == '"') FAIL("a quote inside an unquoted field in row " << rows.size() + 1);
        field += s[i++];
      }
    }
    row.push_back(field);
    field.clear();
    if (i < s.size() && s[i] == ',') {
      ++i;
      if (i == s.size()) FAIL("the file ends after a comma");
      continue;
    }
    if (s.compare(i, 2, "\r\n") != 0) FAIL("row " << rows.size() + 1 << " does not end with CRLF");
    i += 2;
    rows.push_back(row);
    row.clear();
  }
  return rows;
}

const std::vector<std::string> kCsvColumns = {"label",
                                              "server",
                                              "server_version",
                                              "scenario",
                                              "status",
                                              "error",
                                              "verdict",
                                              "verdict_summary",
                                              "verdict_reason",
                                              "labour_verdict",
                                              "behaviour",
                                              "params",
                                              "innocent",
                                              "weight",
                                              "sent",
                                              "expected",
                                              "unexpected",
                                              "p50_ms",
                                              "p99_ms",
                                              "innocent_failure_pct",
                                              "innocent_p99_ratio",
                                              "recovery_s"};

std::size_t column(const std::string& name) {
  for (std::size_t i = 0; i < kCsvColumns.size(); ++i)
    if (kCsvColumns[i] == name) return i;
  FAIL("no column " << name);
  return 0;
}

// Rows of a document: one per behaviour, one for a test without behaviours.
std::size_t expected_rows(const Json& doc) {
  std::size_t n = 0;
  for (const Json& t : doc["tests"])
    n += t.contains("behaviours") ? std::max<std::size_t>(1, t["behaviours"].size()) : 1;
  return n;
}

void check_figure(const std::string& cell, const Json& test, const char* figure) {
  INFO("figure " << figure << " = " << cell);
  const bool has =
      test.contains("figures") && test["figures"].contains(figure) && !test["figures"][figure].is_null();
  if (!has) {
    CHECK(cell.empty());
  } else {
    REQUIRE_FALSE(cell.empty());
    CHECK(std::stod(cell) == Approx(test["figures"][figure].get<double>()));
  }
}

// ------------------------------------------------------------------ Markdown ----------

// The cells of a table row, split at every | that is not escaped.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      cell += line.substr(i, 2);
      ++i;
    } else if (line[i] == '|') {
      out.push_back(cell);
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  out.push_back(cell);
  // "| a | b |" splits into "", " a ", " b ", "": the row's cells are the ones between.
  if (out.size() < 2 || !out.front().empty() || !out.back().empty()) return {};
  std::vector<std::string> inner(out.begin() + 1, out.end() - 1);
  for (std::string& c : inner) {
    REQUIRE(c.size() >= 2);
    CHECK(c.front() == ' ');
    CHECK(c.back() == ' ');
    c = c.substr(1, c.size() - 2);
  }
  return inner;
}

std::vector<std::string> all_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The table's lines (those starting with '|'), which must be one block.
std::vector<std::vector<std::string>> table(const std::string& md) {
  std::vector<std::vector<std::string>> rows;
  const auto lines = all_lines(md);
  long first = -1, last = -1;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (!lines[i].empty() && lines[i][0] == '|') {
      if (first < 0) first = static_cast<long>(i);
      last = static_cast<long>(i);
    }
  REQUIRE(first >= 1);
  CHECK(lines[first - 1].empty());  // a table after a paragraph needs a blank line
  for (long i = first; i <= last; ++i) {
    INFO("line " << lines[i]);
    REQUIRE(lines[i].rfind("| ", 0) == 0);
    rows.push_back(cells(lines[i]));
  }
  return rows;
}

void check_shape(const std::vector<std::vector<std::string>>& rows) {
  REQUIRE(rows.size() >= 2);
  for (const auto& r : rows) CHECK(r.size() == rows[0].size());
  for (const std::string& c : rows[1]) CHECK(c == "---");
}

}  // namespace

// ------------------------------------------------------------------ descriptors ------

TEST_CASE("junit, csv and markdown are reporters with their options", "[reporters][machine]") {
  Library junit("junit"), csv("csv"), markdown("markdown");
  for (const Library* lib : {&junit, &csv, &markdown}) {
    CHECK(lib->plugin().reporter != nullptr);
    CHECK(lib->plugin().abi_major == LABOUR_ABI_MAJOR);
  }
  CHECK(text(junit.plugin().name) == "junit");
  REQUIRE(junit.plugin().param_count == 1);
  CHECK(text(junit.param(0).name) == "accept");
  CHECK(junit.param(0).type == LABOUR_PARAM_STRING);
  CHECK(text(junit.param(0).default_value) == "robust,degraded");

  CHECK(text(csv.plugin().name) == "csv");
  CHECK(csv.plugin().param_count == 0);

  CHECK(text(markdown.plugin().name) == "markdown");
  REQUIRE(markdown.plugin().param_count == 1);
  CHECK(text(markdown.param(0).name) == "emoji");
  CHECK(markdown.param(0).type == LABOUR_PARAM_BOOL);
  CHECK(text(markdown.param(0).default_value) == "false");
}

// ------------------------------------------------------------------ junit ------------

TEST_CASE("junit: one suite per server, one case per scenario, a failure for a verdict not accepted",
          "[reporters][machine][junit]") {
  const std::string xml = render("junit", v2_text());
  const Report r = parse_junit(xml);
  check_consistent(r);
  CHECK(attribute(r.tag, "name") == "labour");
  CHECK(declared(r.tag) == Counts{4, 1, 0, 0});
  REQUIRE(r.suites.size() == 2);
  CHECK(r.suites[0].name() == "wsgiref");
  CHECK(r.suites[1].name() == "gunicorn");
  CHECK(declared(r.suites[0].tag) == Counts{2, 1, 0, 0});  // down
  CHECK(declared(r.suites[1].tag) == Counts{2, 0, 0, 0});  // degraded, robust
  CHECK(attribute(r.suites[0].tag, "timestamp") == "2026-12-01T09:09:59Z");
  CHECK(attribute(r.suites[0].tag, "hostname") == "vm");

  const auto wsgiref = testcases(r.suites[0].body);
  REQUIRE(wsgiref.size() == 2);
  CHECK(attribute(wsgiref[0], "classname") == "wsgiref");
  CHECK(attribute(wsgiref[0], "name") == "SIGSEGV");
  CHECK(attribute(wsgiref[0], "time") == "0.007");  // the test's duration_s, as written
  CHECK(
      contains(wsgiref[0],
               "<failure message=\"the main process ended at 0.3 s (killed by SIGSEGV) and nothing answered "
               "after\" type=\"down\">"));
  CHECK(contains(wsgiref[0], "<property name=\"scenario\" value=\"SIGSEGV\"/>"));
  CHECK(contains(wsgiref[0], "<property name=\"verdict\" value=\"down\"/>"));
  CHECK(contains(wsgiref[0], "<system-out>verdict: down at 0.3 s\n"));
  CHECK(contains(wsgiref[0], "\n  death_s "));  // figures, as the document has them
  CHECK(attribute(wsgiref[1], "name") == "Plain");
  CHECK_FALSE(contains(wsgiref[1], "<failure"));

  CHECK(contains(r.suites[1].body, "<property name=\"server.name\" value=\"gunicorn\"/>"));
  CHECK(contains(r.suites[1].body, "<property name=\"server.version\" value=\"20.1.0\"/>"));
  CHECK(contains(r.suites[1].body, "<property name=\"server.option.workers\" value=\"1\"/>"));
  const auto gunicorn = testcases(r.suites[1].body);
  REQUIRE(gunicorn.size() == 2);
  CHECK(attribute(gunicorn[0], "time") == "1.969");
  CHECK(contains(gunicorn[0], "verdict: degraded p99 x132\n"));
  CHECK(contains(gunicorn[0], "\n  p99_ratio 132.291\n"));
}

TEST_CASE("junit of a real run: a suite per label, a case per test, counts that add up",
          "[reporters][machine][junit]") {
  const Json doc = Json::parse(real_text());
  const Report r = parse_junit(render("junit", real_text()));
  check_consistent(r);

  std::vector<std::string> labels;
  std::map<std::string, Counts> want;
  for (const Json& t : doc["tests"]) {
    const std::string label = t["label"];
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
    Counts& c = want[label];
    ++c.tests;
    const std::string status = t["status"];
    if (status == "completed") {
      const std::string v = t["verdict"]["value"];
      if (v != "robust" && v != "degraded") ++c.failures;
    } else if (status == "failed") {
      ++c.errors;
    } else {
      ++c.skipped;
    }
  }
  REQUIRE(r.suites.size() == labels.size());
  std::size_t i = 0;
  for (const Suite& s : r.suites) {
    CHECK(s.name() == labels[i++]);
    CHECK(declared(s.tag) == want[s.name()]);
    for (const std::string& tc : testcases(s.body)) {
      CHECK(attribute(tc, "classname") == s.name());
      bool found = false;
      for (const Json& t : doc["tests"])
        if (t["label"] == s.name() && t["scenario"]["name"] == attribute(tc, "name")) {
          found = true;
          CHECK(std::stod(attribute(tc, "time")) == Approx(t.value("duration_s", 0.0)));
          if (contains(tc, "<failure "))
            CHECK(attribute(tc.substr(tc.find("<failure ")), "message") == t["verdict"]["reason"]);
        }
      CHECK(found);
    }
  }
}

TEST_CASE("junit: errors, skips, unknown verdicts, and everything escaped", "[reporters][machine][junit]") {
  const std::string xml = render("junit", edge_text());
  CHECK(xml_clean(xml));
  const Report r = parse_junit(xml);
  check_consistent(r);
  CHECK(declared(r.tag) == Counts{9, 4, 2, 2});
  REQUIRE(r.suites.size() == 7);
  const std::vector<std::string> names = {"gunicorn \"fast\", sync",
                                          "=HYPERLINK(\"http://example.invalid\",\"x\")",
                                          "@evil",
                                          "waitress <b>&amp;</b>",
                                          "-dash",
                                          "uwsgi \\ back*slash_ | pipe",
                                          "\tTabbed"};
  const std::vector<Counts> counts = {{2, 1, 0, 0}, {1, 1, 0, 0}, {1, 0, 0, 1}, {1, 0, 1, 0},
                                      {1, 0, 0, 1}, {2, 2, 0, 0}, {1, 0, 1, 0}};
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(r.suites[i].name() == names[i]);
    CHECK(declared(r.suites[i].tag) == counts[i]);
  }
  // Attributes: quotes, markup and white space as references.
  CHECK(contains(xml, "<testsuite name=\"gunicorn &quot;fast&quot;, sync\""));
  CHECK(contains(xml, "<testsuite name=\"waitress &lt;b&gt;&amp;amp;&lt;/b&gt;\""));
  CHECK(contains(xml, "<testsuite name=\"&#9;Tabbed\""));
  // A verdict labour does not know is a failure of its own type.
  CHECK(contains(r.suites[0].body,
                 "<failure message=\"the server does not speak HTTP/1.1\" type=\"quarantined\">"));
  CHECK(contains(r.suites[1].body, "type=\"hung\""));
  CHECK(contains(r.suites[5].body, "type=\"inconclusive\""));
  // Statuses.
  CHECK(contains(r.suites[2].body,
                 "<skipped message=\"server &apos;meinheld&apos; is not available: apt-get install "
                 "python3-meinheld\"/>"));
  CHECK(contains(r.suites[4].body, "<skipped message=\"interrupted\">interrupted by the user</skipped>"));
  CHECK(
      contains(r.suites[6].body,
               "<error message=\"server &apos;tornado&apos; did not start: port in use\" type=\"failed\">"));
  // Control characters (BEL, ESC, NUL) become U+FFFD; the line break stays, as a reference.
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(contains(r.suites[3].body, "<error message=\"server &apos;waitress&apos; did not start:" + fffd +
                                       " " + fffd + "[31mexit status 1" + fffd +
                                       "[0m&#10;second line &quot;quoted&quot; "
                                       "&apos;apos&apos; ]]&gt; " +
                                       fffd + "end\" type=\"failed\">"));
  CHECK(contains(r.suites[3].body, "\nsecond line \"quoted\" 'apos' ]]&gt; " + fffd + "end</error>"));
  // The document's warnings, in every suite.
  CHECK(occurrences(xml, "<system-err>warning: figures from 2 kinds of machine &lt;see machines&gt;\n") == 7);
  // A repeated cell says how its runs went.
  CHECK(contains(r.suites[5].body, "repeat: 3 runs: down 2, robust 1\n"));
}

TEST_CASE("junit's accept option says which verdicts pass", "[reporters][machine][junit]") {
  CHECK(declared(parse_junit(render("junit", v2_text(), {{"accept", "robust"}})).tag) == Counts{4, 2, 0, 0});
  CHECK(declared(parse_junit(render("junit", v2_text(), {{"accept", " robust , degraded,down "}})).tag) ==
        Counts{4, 0, 0, 0});
  CHECK(declared(parse_junit(render("junit", edge_text(), {{"accept", "quarantined,hung"}})).tag) ==
        Counts{9, 3, 2, 2});  // degraded, down and inconclusive fail now

  Library lib("junit");
  Instance none(lib, {{"accept", " , "}});
  CHECK_FALSE(none.created());
  CHECK(contains(none.create_error(), "accept"));

  Instance typo(lib, {{"accept", "robus"}});  // verdicts are an open set: allowed, with a warning
  REQUIRE(typo.created());
  REQUIRE(typo.warnings().size() == 1);
  CHECK(contains(typo.warnings()[0], "'robus'"));
}

// ------------------------------------------------------------------ csv --------------

TEST_CASE("csv: a header, then one row per test and behaviour", "[reporters][machine][csv]") {
  for (const std::string* document : {&v2_text(), &real_text()}) {
    const Json doc = Json::parse(*document);
    const auto rows = parse_csv(render("csv", *document));
    REQUIRE(!rows.empty());
    CHECK(rows[0] == kCsvColumns);
    REQUIRE(rows.size() == 1 + expected_rows(doc));
    std::size_t row = 1;
    for (const Json& t : doc["tests"]) {
      if (!t.contains("behaviours") || t["behaviours"].empty()) {
        ++row;  // one row with the behaviour columns empty (the edge test checks those)
        continue;
      }
      for (const Json& b : t["behaviours"]) {
        const auto& r = rows[row++];
        INFO("row " << row - 1);
        REQUIRE(r.size() == kCsvColumns.size());
        CHECK(r[column("label")] == t["label"]);
        CHECK(r[column("server")] == t["server"]["name"]);
        CHECK(r[column("server_version")] == t["server"]["version"]);
        CHECK(r[column("scenario")] == t["scenario"]["name"]);
        CHECK(r[column("status")] == t["status"]);
        CHECK(r[column("verdict")] == t["verdict"]["value"]);
        CHECK(r[column("verdict_reason")] == t["verdict"]["reason"]);
        CHECK(r[column("behaviour")] == b["name"]);
        CHECK(r[column("innocent")] == (b["innocent"].get<bool>() ? "true" : "false"));
        CHECK(std::stod(r[column("weight")]) == b["weight"].get<double>());
        CHECK(r[column("sent")] == std::to_string(b["sent"].get<uint64_t>()));
        CHECK(r[column("expected")] == std::to_string(b["expected"].get<uint64_t>()));
        CHECK(r[column("unexpected")] == std::to_string(b["unexpected"].get<uint64_t>()));
        if (b["latency_us"]["count"].get<uint64_t>() > 0) {
          CHECK(std::stod(r[column("p50_ms")]) == Approx(b["latency_us"]["p50"].get<double>() / 1000));
          CHECK(std::stod(r[column("p99_ms")]) == Approx(b["latency_us"]["p99"].get<double>() / 1000));
        }
        check_figure(r[column("innocent_failure_pct")], t, "innocent_failure_pct");
        check_figure(r[column("innocent_p99_ratio")], t, "p99_ratio");
        check_figure(r[column("recovery_s")], t, "recovery_s");
      }
    }
  }
}

TEST_CASE("csv quotes what needs it, keeps cells without behaviours, and guards formulas",
          "[reporters][machine][csv]") {
  const std::string out = render("csv", edge_text());
  const auto rows = parse_csv(out);
  REQUIRE(rows.size() == 1 + expected_rows(Json::parse(edge_text())));
  REQUIRE(rows.size() == 1 + 13);
  for (const auto& r : rows) REQUIRE(r.size() == kCsvColumns.size());

  // A comma and quotes: quoted, quotes doubled, read back as they were.
  CHECK(out.rfind("\r\n\"gunicorn \"\"fast\"\", sync\",gunicorn,20.1.0,SIGSEGV,") != std::string::npos);
  CHECK(rows[1][column("label")] == "gunicorn \"fast\", sync");
  CHECK(rows[1][column("verdict_reason")] == "innocent p99 x12 of baseline (\"30 ms\", vs 2.5 ms)");
  CHECK(rows[1][column("params")] == "bytes=6; status=200");
  CHECK(rows[1][column("p99_ms")] == "30.125");
  CHECK(rows[1][column("innocent_p99_ratio")] == "12.05");

  // Formula guard on text; a number is never guarded.
  CHECK(rows[3][column("label")] == "'=HYPERLINK(\"http://example.invalid\",\"x\")");
  CHECK(rows[3][column("server_version")] == "'+dev");
  CHECK(rows[3][column("recovery_s")].empty());  // null: not measured
  CHECK(rows[4][column("label")] == "'@evil");
  CHECK(rows[6][column("label")] == "'-dash");
  CHECK(rows[13][column("label")] == "'\tTabbed");

  // Cells without behaviours: one row, behaviour columns (and absent figures) empty.
  for (const std::size_t i : {4, 5, 13}) {
    INFO("row " << i);
    CHECK(rows[i][column("status")] != "completed");
    CHECK_FALSE(rows[i][column("error")].empty());
    for (std::size_t c = column("behaviour"); c < kCsvColumns.size(); ++c) CHECK(rows[i][c].empty());
  }
  CHECK(rows[4][column("status")] == "skipped");
  // A line break stays inside its quoted field; other control characters become U+FFFD.
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(rows[5][column("error")] == "server 'waitress' did not start:" + fffd + " " + fffd +
                                        "[31mexit status 1" + fffd +
                                        "[0m\nsecond line \"quoted\" 'apos' ]]> " + fffd + "end");
  // An interrupted test keeps its partial behaviours.
  CHECK(rows[6][column("status")] == "interrupted");
  CHECK(rows[6][column("behaviour")] == "PlainResponse");
  CHECK(rows[6][column("sent")] == "7");
  // A behaviour with nothing expected has no latency.
  CHECK(rows[10][column("behaviour")] == "SIGSEGV");
  CHECK(rows[10][column("p50_ms")].empty());
  CHECK(rows[10][column("expected")] == "0");
}

// ------------------------------------------------------------------ markdown ---------

TEST_CASE("markdown: the scorecard as a table, servers x scenarios", "[reporters][machine][markdown]") {
  const std::string md = render("markdown", v2_text());
  CHECK(md.rfind("**labour 0.1.0** robustness scorecard, started 2026-12-01T09:09:59Z on vm\n", 0) == 0);
  const auto rows = table(md);
  check_shape(rows);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == std::vector<std::string>{"server", "SIGSEGV", "Plain"});  // order of first appearance
  CHECK(rows[2] == std::vector<std::string>{"wsgiref", "down at 0.3 s", "robust"});
  CHECK(rows[3] == std::vector<std::string>{"gunicorn", "degraded p99 x132", "robust"});
  CHECK(contains(md, "\nLegend: rows are servers, columns scenarios;"));
  CHECK_FALSE(contains(md, "🟢"));

  const auto emoji = table(render("markdown", v2_text(), {{"emoji", "true"}}));
  check_shape(emoji);
  CHECK(emoji[2] == std::vector<std::string>{"wsgiref", "🔴 down at 0.3 s", "🟢 robust"});
  CHECK(emoji[3] == std::vector<std::string>{"gunicorn", "🟡 degraded p99 x132", "🟢 robust"});
}

TEST_CASE("markdown of a real run: every label a row, every scenario a column, each cell verdict_cell",
          "[reporters][machine][markdown]") {
  namespace r = labour::reporters;
  const r::Document doc = r::read_document(real_text());
  const auto rows = table(render("markdown", real_text()));
  check_shape(rows);
  std::vector<std::string> labels, scenarios = {"server"};
  for (const r::TestView& t : doc.tests) {
    if (std::find(labels.begin(), labels.end(), t.label) == labels.end()) labels.push_back(t.label);
    if (std::find(scenarios.begin(), scenarios.end(), t.scenario.name) == scenarios.end())
      scenarios.push_back(t.scenario.name);
  }
  CHECK(rows[0] == scenarios);
  REQUIRE(rows.size() == 2 + labels.size());
  for (const r::TestView& t : doc.tests) {
    const std::size_t row = 2 + (std::find(labels.begin(), labels.end(), t.label) - labels.begin());
    const std::size_t col =
        std::find(scenarios.begin(), scenarios.end(), t.scenario.name) - scenarios.begin();
    CHECK(rows[row][0] == t.label);
    CHECK(rows[row][col] == r::verdict_cell(t));
  }
}

TEST_CASE("markdown escapes what would break the table or become markup", "[reporters][machine][markdown]") {
  const std::string md = render("markdown", edge_text(), {{"emoji", "true"}});
  const auto rows = table(md);
  check_shape(rows);
  REQUIRE(rows.size() == 2 + 7);
  CHECK(rows[0] == std::vector<std::string>{"server", "SIGSEGV", "Plain"});
  CHECK(rows[2] == std::vector<std::string>{"gunicorn \"fast\", sync", "🟡 degraded p99 x12",
                                            "⚪ quarantined no HTTP/1.1"});
  CHECK(rows[3][2] == "🟠 hung not back");
  CHECK(rows[4] == std::vector<std::string>{"@evil", "⚪ skipped", "-"});
  CHECK(rows[5][0] == "waitress &lt;b>&amp;amp;&lt;/b>");
  CHECK(rows[7] == std::vector<std::string>{"uwsgi \\\\ back\\*slash\\_ \\| pipe",
                                            "🔴 down at 0.3 s \\[2/3\\]",
                                            "⚪ inconclusive misbehaviour sent 0"});
  CHECK_FALSE(contains(md, "<b>"));
  CHECK_FALSE(contains(md, "<see"));
  CHECK(std::all_of(md.begin(), md.end(),
                    [](char c) { return static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t'; }));

  // One line per test that did not complete, with its error; then the warnings.
  const std::string fffd = "\xEF\xBF\xBD";
  const auto lines = all_lines(md);
  std::vector<std::string> items;
  for (const std::string& l : lines)
    if (l.rfind("- ", 0) == 0) items.push_back(l);
  REQUIRE(items.size() == 5);
  CHECK(items[0] ==
        "- @evil × SIGSEGV: skipped: server 'meinheld' is not available: apt-get install python3-meinheld");
  CHECK(items[1] == "- waitress &lt;b>&amp;amp;&lt;/b> × SIGSEGV: failed: server 'waitress' did not start:" +
                        fffd + " " + fffd + "\\[31mexit status 1" + fffd +
                        "\\[0m<br>second line \"quoted\" 'apos' \\]\\]> " + fffd + "end");
  CHECK(items[2] == "- \\-dash × Plain: interrupted: interrupted by the user");  // not a nested list
  CHECK(items[3] == "- &#9;Tabbed × SIGSEGV: failed: server 'tornado' did not start: port in use");
  CHECK(items[4] == "- **Warning:** figures from 2 kinds of machine &lt;see machines>");
  CHECK(contains(md, " [n/N]: n of N runs gave this verdict."));
}

// ------------------------------------------------------------------ certainty, gates --
// results-certainty.json: gunicorn x SIGSEGV is degraded but borderline (p99_ratio 3.1..14.2
// straddles 10), with damage_pct 12.5; two of its three gates failed.

TEST_CASE("junit: a gate that failed the run is a failing case, a borderline verdict says so",
          "[reporters][machine][junit]") {
  const Report r = parse_junit(render("junit", certainty_text()));
  check_consistent(r);
  // 4 tests (wsgiref x SIGSEGV down fails) + 3 gates, 2 of them breached.
  CHECK(declared(r.tag) == Counts{7, 3, 0, 0});
  REQUIRE(r.suites.size() == 3);
  CHECK(r.suites[2].name() == "gates");
  CHECK(declared(r.suites[2].tag) == Counts{3, 2, 0, 0});
  const auto gates = testcases(r.suites[2].body);
  REQUIRE(gates.size() == 3);
  CHECK(attribute(gates[0], "classname") == "gates");
  CHECK(attribute(gates[0], "name") == "verdict in robust");
  CHECK(contains(gates[0],
                 "<failure message=\"FAIL verdict in robust: 2 of 4 tests: wsgiref x SIGSEGV (down), "
                 "gunicorn x SIGSEGV (degraded)\" type=\"gate\">"));
  CHECK(attribute(gates[1], "name") == "certainty == certain");
  CHECK(contains(gates[1], "gunicorn x SIGSEGV (borderline)"));
  CHECK(attribute(gates[2], "name") == "innocent_failure_pct<1 [scenario Plain]");
  CHECK_FALSE(contains(gates[2], "<failure"));
  CHECK(contains(gates[2], "PASS innocent_failure_pct&lt;1 [scenario Plain] (2 tests)"));

  const auto gunicorn = testcases(r.suites[1].body);
  REQUIRE(gunicorn.size() == 2);
  CHECK(contains(gunicorn[0], "<property name=\"verdict.certainty\" value=\"borderline\"/>"));
  CHECK(contains(gunicorn[0], "<property name=\"verdict.confidence\" value=\"0.95\"/>"));
  CHECK(contains(gunicorn[0],
                 "<property name=\"verdict.interval\" value=\"p99_ratio 3.1..14.2 (bound 10) at 95 %\"/>"));
  CHECK(contains(gunicorn[0], "<property name=\"damage_pct\" value=\"12.5\"/>"));
  CHECK(contains(gunicorn[0], "verdict: degraded? p99 x132, damage 12.5 %\n"));
  CHECK(contains(gunicorn[0],
                 "certainty: borderline: the evidence straddles a bound (p99_ratio 3.1..14.2 (bound 10) "
                 "at 95 %); a rerun may give another verdict\n"));
  CHECK(contains(gunicorn[0], "repeat: 3 runs (auto: rerun while borderline): degraded 2, robust 1\n"));
  CHECK_FALSE(contains(gunicorn[1], "verdict.certainty"));  // an older verdict: no certainty written

  // Not accepted, a borderline verdict's failure says first that a rerun may pass.
  const std::string strict = render("junit", certainty_text(), {{"accept", "robust"}});
  CHECK(contains(strict,
                 "<failure message=\"borderline: the evidence straddles a bound (p99_ratio 3.1..14.2 "
                 "(bound 10) at 95 %); a rerun may give another verdict: innocent p99 x132"));
  // Without gates in the document, no gates suite.
  CHECK_FALSE(contains(render("junit", v2_text()), "name=\"gates\""));
}

TEST_CASE("markdown: a borderline cell is marked, a degraded one shows its damage, gates show FAIL",
          "[reporters][machine][markdown]") {
  const std::string md = render("markdown", certainty_text());
  const auto rows = table(md);
  check_shape(rows);
  REQUIRE(rows.size() == 4);
  CHECK(rows[2] == std::vector<std::string>{"wsgiref", "down at 0.3 s", "robust"});
  CHECK(rows[3] ==
        std::vector<std::string>{"gunicorn", "degraded? p99 x132, damage 12.5 % \\[2/3\\]", "robust"});
  CHECK(contains(md, " ?: borderline, the evidence straddles a bound"));
  CHECK(contains(md, " damage: the share of innocent requests that failed or were late"));
  CHECK(contains(md, "\n**Gates: 2 of 3 FAILED**\n\n"));
  CHECK(contains(md,
                 "\n- **FAIL** verdict in robust: 2 of 4 tests: wsgiref x SIGSEGV (down), gunicorn x SIGSEGV "
                 "(degraded)\n"));
  CHECK(contains(md, "\n- **FAIL** certainty == certain: 1 of 4 tests: gunicorn x SIGSEGV (borderline)\n"));
  CHECK(contains(md, "\n- **PASS** innocent\\_failure\\_pct&lt;1 \\[scenario Plain\\] (2 tests)\n"));
  CHECK(contains(md,
                 "\n- gunicorn × SIGSEGV: borderline: the evidence straddles a bound (p99\\_ratio 3.1..14.2 "
                 "(bound 10) at 95 %); a rerun may give another verdict\n"));
  // A document without any of it reads as before.
  const std::string before = render("markdown", v2_text());
  CHECK_FALSE(contains(before, "Gates"));
  CHECK_FALSE(contains(before, "borderline"));
  CHECK_FALSE(contains(before, "damage"));
}

// ------------------------------------------------------------------ bad input --------

TEST_CASE("junit, csv and markdown refuse what they cannot read, in one line", "[reporters][machine]") {
  const std::string name = GENERATE(as<std::string>{}, "junit", "csv", "markdown");
  INFO("reporter: " << name);
  Library lib(name);
  Instance reporter(lib);
  Json other = Json::parse(v2_text());
  other["schema_version"] = 3;
  const Rendered wrong = reporter.render(other.dump());
  CHECK(wrong.rc != 0);
  CHECK(wrong.error == "unsupported results schema_version 3 (this reporter reads 2)");
  CHECK(wrong.output.empty());

  Json typed = Json::parse(v2_text());
  typed["tests"][0]["server"]["name"] = 7;
  const Rendered bad = reporter.render(typed.dump());
  // The SDK's reader checks server.name for every reporter, as it does server.version.
  CHECK(bad.rc != 0);
  CHECK(contains(bad.error, "tests[0].server.name is not a string"));
  CHECK(bad.error.find('\n') == std::string::npos);
}
