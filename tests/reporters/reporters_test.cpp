// The console, json and html reporters, loaded from their .so files through the C
// descriptor the way the host loads them, rendering results documents built here (and one
// the producer wrote, results-v2.json); and the SDK's reader they share.
#include <labour/plugin_api.h>
#include <labour/results.hpp>

#include "reporter_fixture.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;  // ordered, so a round trip must keep the field order too

// ------------------------------------------------------------------ loading ----------

using labour::test::Instance;
using labour::test::Library;
using labour::test::Rendered;
using labour::test::text;

// ------------------------------------------------------------------ patterns ---------
// Expected lines are regular expressions (whole line) with placeholders for numbers that
// vary or do not matter: %int, %float.

std::regex pattern(const std::string& p) {
  std::string re;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p.compare(i, 4, "%int") == 0) {
      re += "[0-9]+";
      i += 3;
    } else if (p.compare(i, 6, "%float") == 0) {
      re += "[0-9]+\\.[0-9]+";
      i += 5;
    } else {
      re += p[i];
    }
  }
  return std::regex(re);
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Index of the first line at or after `from` that matches, or -1.
long find_line(const std::string& output, const std::string& p, std::size_t from = 0) {
  const std::regex re = pattern(p);
  const auto all = lines(output);
  for (std::size_t i = from; i < all.size(); ++i)
    if (std::regex_match(all[i], re)) return static_cast<long>(i);
  return -1;
}

#define CHECK_LINE(output, p)             \
  do {                                    \
    INFO("pattern: " << (p));             \
    CHECK(find_line((output), (p)) >= 0); \
  } while (false)

// ------------------------------------------------------------------ documents --------
// Documents as labour writes them (docs/results-schema.md, schema_version 2). Every figure
// and verdict is written here, as a producer would: the reporters must only show them.

Json latency(uint64_t count) {
  if (count == 0) return Json{{"count", 0}};
  return Json{{"count", count}, {"min", 90},    {"p50", 412},  {"p90", 900},
              {"p99", 1203},    {"p999", 4000}, {"max", 5100}, {"mean", 450.5}};
}

Json behaviour(const std::string& name, Json params, int weight, bool innocent, uint64_t sent,
               uint64_t unexpected, Json outcomes, Json unexpected_outcomes) {
  return Json{{"name", name},
              {"params", std::move(params)},
              {"weight", weight},
              {"innocent", innocent},
              {"sent", sent},
              {"expected", sent - unexpected},
              {"unexpected", unexpected},
              {"responses", sent - unexpected},
              {"outcomes", std::move(outcomes)},
              {"unexpected_outcomes", std::move(unexpected_outcomes)},
              {"latency_us", latency(sent - unexpected)},
              {"unexpected_latency_us", latency(unexpected)}};
}

Json verdict(const std::string& value, const std::string& summary, const std::string& reason,
             Json figure = nullptr) {
  return Json{{"value", value}, {"reason", reason}, {"summary", summary}, {"figure", std::move(figure)}};
}

Json phase(const std::string& name, double start_s, double duration_s, const std::string& ended_by,
           uint64_t sent, uint64_t unexpected, uint64_t innocent_sent, uint64_t innocent_unexpected) {
  return Json{{"name", name},
              {"start_s", start_s},
              {"duration_s", duration_s},
              {"ended_by", ended_by},
              {"sent", sent},
              {"responses", sent - unexpected},
              {"expected", sent - unexpected},
              {"unexpected", unexpected},
              {"abandoned", name == "recovery" ? 4 : 0},
              {"innocent_sent", innocent_sent},
              {"innocent_unexpected", innocent_unexpected},
              {"innocent_responses", innocent_sent - innocent_unexpected},
              {"innocent_latency_us", latency(innocent_sent - innocent_unexpected)}};
}

// A completed test: half PlainResponse (innocent, all fine), half SIGSEGV with `unexpected`
// failures; its verdict and Labour's verdict as given.
Json completed(const std::string& label, const std::string& version, const std::string& scenario,
               uint64_t sent, uint64_t unexpected, double rps, Json the_verdict,
               const std::string& labour_verdict) {
  const uint64_t half = sent / 2;
  const double pct = 100.0 * static_cast<double>(unexpected) / static_cast<double>(sent);
  return Json{
      {"label", label},
      {"server", {{"name", label}, {"label", label}, {"version", version}, {"options", {{"workers", "2"}}}}},
      {"scenario",
       {{"name", scenario},
        {"source", "builtin"},
        {"policy", "random"},
        {"requests", sent},
        {"duration_s", 0},
        {"concurrency", 8},
        {"rate", 0},
        {"timeout_ms", 10000},
        {"seed", 1}}},
      {"status", "completed"},
      {"verdict", std::move(the_verdict)},
      {"figures",
       {{"innocent_failure_pct", 0.0},
        {"baseline_p99_ms", 8.1},
        {"fault_p99_ms", 1070.0},
        {"p99_ratio", 132.1},
        {"recovery_s", 0.1},
        {"death_s", nullptr},
        {"outages", 0},
        {"worker_exits", 0},
        {"respawns", 0},
        {"rss_growth_mib", 0.5},
        {"failure_pct", pct},
        {"requests_per_second", rps}}},
      {"outages", Json::array()},
      {"innocent_failures", Json::object()},
      {"phases",
       Json::array(
           {phase("baseline", 0, 0.2, "requests", 300, 0, 300, 0),
            phase("fault", 0.2, static_cast<double>(sent) / rps, "requests", sent, unexpected, half, 0),
            phase("recovery", 0.2 + static_cast<double>(sent) / rps, 0.05, "recovered", 10, 0, 10, 0)})},
      {"labour_verdict", labour_verdict},
      {"duration_s", static_cast<double>(sent) / rps},
      {"requests_per_second", rps},
      {"totals",
       {{"sent", sent},
        {"expected", sent - unexpected},
        {"unexpected", unexpected},
        {"failure_pct", pct},
        {"innocent_sent", half},
        {"innocent_unexpected", 0}}},
      {"behaviours",
       {behaviour("PlainResponse", {{"status", "200"}, {"bytes", "6"}}, 50, true, half, 0,
                  {{"http_200", half}}, Json::object()),
        behaviour("SIGSEGV", Json::object(), 50, false, sent - half, unexpected,
                  {{"http_500", unexpected}, {"reset_before_response", sent - half - unexpected}},
                  unexpected ? Json{{"http_500", unexpected}} : Json::object())}},
      {"timeline",
       {{"bucket_ms", 100},
        {"sent", {{1, 2}}},
        {"expected", {{1, 2}}},
        {"unexpected", {{0, 0}}},
        {"completed", {{1, 2}}},
        {"innocent_p50_us", {412}},
        {"innocent_p99_us", {1203}}}},
      {"supervision",
       {{"port", 40123},
        {"start_seconds", 0.4},
        {"stop_signal", "SIGINT"},
        {"stop_seconds", 0.1},
        {"orphans", 0},
        {"exit", "exit status 0"}}}};
}

Json robust() {
  return verdict("robust", "robust", "no innocent request failed; innocent p99 x1.0 of baseline");
}

// A test that did not complete: only the fields such a test is guaranteed to have.
Json incomplete(const std::string& label, const std::string& scenario, const std::string& status,
                const std::string& error) {
  return Json{{"label", label},
              {"server", {{"name", label}, {"label", label}, {"version", "2.1.2"}}},
              {"scenario", {{"name", scenario}}},
              {"status", status},
              {"error", error}};
}

Json document(Json tests) {
  return Json{{"schema_version", 2},
              {"tool", {{"name", "labour"}, {"version", "0.1.0"}}},
              {"environment",
               {{"hostname", "testhost"},
                {"kernel", "Linux 6.1 x86_64"},
                {"cpus", 2},
                {"python", "/usr/bin/python3"},
                {"python_version", "3.11.2"},
                {"started_at", "2026-11-25T17:00:00Z"}}},
              {"tests", std::move(tests)}};
}

// gunicorn x {Plain robust, SIGSEGV degraded and Failed by Labour's rule}; waitress x Plain
// down, waitress x SIGSEGV failed before any load.
Json matrix_document() {
  Json down = completed(
      "waitress", "2.1.2", "Plain", 300, 3, 45.3,
      verdict("down", "down at 0.2 s",
              "the main process ended at 0.2 s (killed by SIGSEGV) and nothing answered after", "death_s"),
      "passed");
  down["figures"]["death_s"] = 0.2;
  return document(Json::array(
      {completed("gunicorn", "20.1.0", "Plain", 200, 0, 812.4, robust(), "passed"),
       completed(
           "gunicorn", "20.1.0", "SIGSEGV", 200, 90, 150.0,
           verdict("degraded", "p99 x132", "innocent p99 x132 of baseline (1070 ms vs 8.1 ms)", "p99_ratio"),
           "failed"),
       down,
       incomplete("waitress", "SIGSEGV", "failed", "waitress exited before it was ready: exit status 1")}));
}

std::string strip_colour(const std::string& s) {
  return std::regex_replace(s, std::regex("\033\\[[0-9;]*m"), "");
}

std::size_t longest_line(const std::string& s) {
  std::size_t n = 0;
  for (const auto& line : lines(s)) n = std::max(n, line.size());
  return n;
}

std::string read_fixture() {
  std::ifstream in(LABOUR_REPORTER_TEST_RESULTS_V2);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

// ------------------------------------------------------------------ the SDK reader ---

TEST_CASE("the SDK's reader holds the one schema version and reads v2 views", "[reporters][sdk]") {
  namespace r = labour::reporters;
  STATIC_REQUIRE(r::kSchemaVersion == 2);
  const r::Document doc = r::read_document(matrix_document().dump());
  REQUIRE(doc.tests.size() == 4);
  const r::TestView& segv = doc.tests[1];
  REQUIRE(segv.verdict);
  CHECK(segv.verdict->value == "degraded");
  CHECK(segv.verdict->figure == std::optional<std::string>("p99_ratio"));
  CHECK(segv.labour_verdict == std::optional<std::string>("failed"));
  CHECK(segv.figure("p99_ratio") == Approx(132.1));
  CHECK_FALSE(segv.figure("death_s"));  // null: not measured
  CHECK_FALSE(segv.figure("no_such_figure"));
  REQUIRE(segv.phases.size() == 3);
  CHECK(segv.phases[2].ended_by == std::optional<std::string>("recovered"));
  REQUIRE(segv.timeline);
  CHECK(segv.timeline->innocent_p99_us.size() == 1);
  CHECK(r::verdict_cell(segv) == "degraded p99 x132");
  CHECK(r::verdict_cell(doc.tests[2]) == "down at 0.2 s");  // the summary says the verdict already
  CHECK(r::verdict_cell(doc.tests[0]) == "robust");
  CHECK(r::verdict_cell(doc.tests[3]) == "failed");
  CHECK(r::labour_cell(segv) == "Failed 45.0%");

  // Lenient on presence: a completed test with nothing but its name still reads.
  Json bare =
      document(Json::array({{{"label", "x"}, {"status", "completed"}, {"scenario", {{"name", "Plain"}}}}}));
  const r::Document minimal = r::read_document(bare.dump());
  CHECK(r::verdict_cell(minimal.tests[0]) == "-");
  CHECK(r::labour_cell(minimal.tests[0]) == "-");
}

TEST_CASE("the SDK's reader reads certainty, intervals and gates, and older documents as certain",
          "[reporters][sdk]") {
  namespace r = labour::reporters;
  std::ifstream in(LABOUR_REPORTER_TEST_RESULTS_CERTAINTY);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  const r::Document doc = r::read_document(text.str());
  REQUIRE(doc.tests.size() == 4);
  const r::TestView& border = doc.tests[2];  // gunicorn x SIGSEGV
  REQUIRE(border.verdict);
  CHECK(border.verdict->certainty == std::optional<std::string>("borderline"));
  CHECK(border.verdict->borderline());
  CHECK(border.borderline());
  CHECK(border.verdict->confidence == Approx(0.95));
  REQUIRE(border.verdict->interval);
  CHECK(border.verdict->interval->figure == "p99_ratio");
  CHECK(border.verdict->interval->low == Approx(3.1));
  CHECK(border.verdict->interval->high == Approx(14.2));
  CHECK(border.verdict->interval->bound == Approx(10));
  REQUIRE(border.interval("innocent_failure_pct"));
  CHECK(border.interval("innocent_failure_pct")->high == Approx(0.03));
  CHECK_FALSE(border.interval("fault_p99_ms"));
  CHECK_FALSE(doc.tests[1].interval("p50_ratio"));  // null: not measured
  REQUIRE(border.repeat);
  CHECK(border.repeat->automatic);
  CHECK(border.repeat->runs[1].verdict->borderline());
  CHECK(r::verdict_cell_marked(border) == "degraded? p99 x132");
  CHECK(r::verdict_cell(border) == "degraded p99 x132");  // the unmarked cell stays as it was
  CHECK(r::interval_text(*border.verdict) == "p99_ratio 3.1..14.2 (bound 10) at 95 %");
  CHECK(r::damage_text(border) == "damage 12.5 %");
  CHECK(r::damage_text(doc.tests[0]).empty());  // down: no damage to rank
  // A verdict with certainty "certain", and one without (an older document): certain.
  CHECK(doc.tests[1].verdict->certainty == std::optional<std::string>("certain"));
  CHECK_FALSE(doc.tests[1].borderline());
  CHECK_FALSE(doc.tests[3].verdict->certainty);
  CHECK_FALSE(doc.tests[3].borderline());
  CHECK(r::certainty_note(doc.tests[3]).empty());
  CHECK(r::verdict_cell_marked(doc.tests[3]) == "robust");

  REQUIRE(doc.gates.size() == 3);
  CHECK(doc.gates[0].expression == "verdict in robust");
  CHECK_FALSE(doc.gates[0].passed);
  CHECK(doc.gates[0].checked == std::optional<std::uint64_t>(4));
  CHECK(doc.gates[2].scenario == std::optional<std::string>("Plain"));
  CHECK(r::gate_text(doc.gates[1]) ==
        "FAIL certainty == certain: 1 of 4 tests: gunicorn x SIGSEGV (borderline)");
  CHECK(r::gate_text(doc.gates[2]) == "PASS innocent_failure_pct<1 [scenario Plain] (2 tests)");

  // Strict on types: a certainty that is not text, an interval without its ends.
  Json bad = Json::parse(text.str());
  bad["tests"][2]["verdict"]["certainty"] = 1;
  CHECK_THROWS_WITH(r::read_document(bad.dump()),
                    Catch::Contains("tests[2].verdict.certainty is not a string"));
  bad = Json::parse(text.str());
  bad["tests"][2]["intervals"]["p99_ratio"] = {{"low", 1}};
  CHECK_THROWS_WITH(r::read_document(bad.dump()),
                    Catch::Contains("tests[2].intervals.p99_ratio has no low or high"));
  bad = Json::parse(text.str());
  bad["gates"][0]["passed"] = "no";
  CHECK_THROWS_WITH(r::read_document(bad.dump()), Catch::Contains("gates[0].passed is not true or false"));
}

// ------------------------------------------------------------------ descriptors ------

TEST_CASE("reporter descriptors declare their kind, name and options", "[reporters]") {
  Library console("console"), json("json");
  CHECK(console.plugin().reporter != nullptr);
  CHECK(console.plugin().abi_major == LABOUR_ABI_MAJOR);
  CHECK(text(console.plugin().name) == "console");
  REQUIRE(console.plugin().param_count == 4);
  CHECK(text(console.param(0).name) == "color");
  CHECK(console.param(0).type == LABOUR_PARAM_ENUM);
  CHECK(text(console.param(0).choices) == "auto|always|never");
  CHECK(text(console.param(0).default_value) == "auto");  // colour on a terminal, as users expect
  CHECK(text(console.param(1).name) == "matrix");
  CHECK(text(console.param(1).default_value) == "auto");
  CHECK(text(console.param(2).name) == "details");
  CHECK(console.param(2).type == LABOUR_PARAM_BOOL);
  CHECK(text(console.param(2).default_value) == "false");
  CHECK(text(console.param(3).name) == "width");
  CHECK(console.param(3).type == LABOUR_PARAM_INT);

  CHECK(json.plugin().reporter != nullptr);
  CHECK(text(json.plugin().name) == "json");
  REQUIRE(json.plugin().param_count == 1);
  CHECK(text(json.param(0).name) == "indent");
  CHECK(json.param(0).type == LABOUR_PARAM_INT);
  CHECK(json.param(0).min == 0);
  CHECK(json.param(0).max == 8);
}

// ------------------------------------------------------------------ console ----------

TEST_CASE("console starts with the scorecard: each cell the document's verdict and its summary",
          "[reporters][console]") {
  Library lib("console");
  Instance console(lib, {{"width", "100"}});
  REQUIRE(console.created());
  const Rendered r = console.render(matrix_document().dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  const std::string& out = r.output;

  CHECK(find_line(
            out,
            "labour 0\\.1\\.0 on testhost \\(Linux 6\\.1 x86_64, 2 cpus\\), started 2026-11-25T17:00:00Z") ==
        0);
  CHECK(find_line(out, "  python 3\\.11\\.2 \\(/usr/bin/python3\\)") == 1);
  const long card = find_line(out, "verdicts: servers x scenarios");
  REQUIRE(card == 3);
  CHECK(find_line(out, "  server +Plain +SIGSEGV", card) == card + 1);
  CHECK(find_line(out, "  gunicorn +robust +degraded p99 x132", card) == card + 2);
  CHECK(find_line(out, "  waitress +down at 0\\.2 s +failed", card) == card + 3);
  CHECK(find_line(out, "  waitress x SIGSEGV: failed: waitress exited before it was ready: exit status 1",
                  card) == card + 4);
  // Labour's table comes after it.
  CHECK(find_line(out, "Labour's matrix: .*") > card);
}

TEST_CASE("console shows unknown verdicts as they are", "[reporters][console]") {
  Library lib("console");
  Instance console(lib, {{"color", "always"}});
  Json doc = matrix_document();
  doc["tests"][0]["verdict"] = verdict("wobbly", "x", "a verdict this reporter has never heard of");
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output, "  gunicorn +wobbly x +\033\\[33mdegraded p99 x132\033\\[0m");  // not coloured
}

TEST_CASE("console's Labour matrix says Failed exactly when labour_verdict does", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  // 50 % unexpected but passed, 5 % but failed: the reporter must not apply a rule of its own.
  Json doc =
      document(Json::array({completed("gunicorn", "20.1.0", "Plain", 200, 100, 150.0, robust(), "passed"),
                            completed("gunicorn", "20.1.0", "SIGSEGV", 200, 10, 150.0, robust(), "failed"),
                            completed("uwsgi", "2.0.21", "Plain", 200, 100, 150.0, robust(), "waived")}));
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  const long title = find_line(
      r.output, "Labour's matrix: failure % and requests/s in the fault phase; \"Failed\" by Labour's rule");
  REQUIRE(title >= 0);
  CHECK(find_line(r.output, "  server +Plain +SIGSEGV", title) == title + 1);
  CHECK(find_line(r.output, "  gunicorn +50\\.0% 150/s +Failed 5\\.0%", title) == title + 2);
  CHECK(find_line(r.output, "  uwsgi +waived 50\\.0% +-", title) == title + 3);  // unknown value: as it is
  CHECK(r.output.find("10 %") == std::string::npos);
}

TEST_CASE("console shows each test's details only with details=true", "[reporters][console]") {
  Library lib("console");
  Json doc = matrix_document();
  doc["tests"][1]["outages"] = Json::array({{{"start_s", 0.3}, {"end_s", 0.5}, {"failed", 7}}});
  doc["tests"][1]["innocent_failures"] = {{"connect_refused", 7}};
  const std::string text = doc.dump();

  Instance brief(lib, {{"width", "100"}});
  const std::string without = brief.render(text).output;
  INFO(without);
  for (const std::string p : {"gunicorn 20\\.1\\.0 x SIGSEGV: completed", "  verdict: .*", "  phases .*",
                              "  figures.*", "  outages: .*", "  behaviours .*", "  supervision: .*"})
    CHECK(find_line(without, p) == -1);
  CHECK(without.find("innocent p99 x132 of baseline") == std::string::npos);

  Instance detailed(lib, {{"details", "true"}, {"width", "100"}});
  const std::string out = detailed.render(text).output;
  INFO(out);
  const long segv = find_line(out, "gunicorn 20\\.1\\.0 x SIGSEGV: completed");
  REQUIRE(segv >= 0);
  CHECK(find_line(out,
                  "  verdict: degraded p99 x132: innocent p99 x132 of baseline \\(1070 ms vs 8\\.1 ms\\)",
                  segv) == segv + 1);
  CHECK(find_line(out, "  server options: workers=2", segv) == segv + 2);
  CHECK(find_line(out,
                  "  scenario: builtin, random policy, 200 requests, concurrency 8, timeout 10000 ms, seed 1",
                  segv) == segv + 3);
  CHECK(find_line(out,
                  "  fault phase: 200 sent in 1\\.33 s \\(150\\.0 req/s\\), 110 expected, 90 unexpected "
                  "\\(45\\.0 % failures\\)",
                  segv) == segv + 4);
  CHECK(find_line(out, "  innocent: 100 sent, 0 unexpected; Labour's rule: failed", segv) == segv + 5);
  const long phases = find_line(out, "  phases .*", segv);
  CHECK(phases == segv + 6);
  CHECK(find_line(out, "    phase +start +duration +ended by +sent +unexpected +abandoned +innocent +p99 ms",
                  segv) == phases + 1);
  CHECK(find_line(out, "    baseline +0\\.000 +0\\.200 +requests +300 +0 +0 +0/300 +1\\.203", segv) ==
        phases + 2);
  CHECK(find_line(out, "    fault +0\\.200 +1\\.333 +requests +200 +90 +0 +0/100 +1\\.203", segv) ==
        phases + 3);
  CHECK(find_line(out, "    recovery +1\\.533 +0\\.050 +recovered +10 +0 +4 +0/10 +1\\.203", segv) ==
        phases + 4);
  CHECK(find_line(out, "  figures \\(\\*: decided the verdict\\):", segv) == phases + 5);
  CHECK(find_line(out, ".* p99_ratio\\* +132\\.1( .*)?", segv) > phases + 5);
  CHECK(find_line(out, ".*death_s +-( .*)?", segv) > phases + 5);
  CHECK(find_line(out, "  outages: 0\\.300-0\\.500 s \\(7 failed\\)", segv) > phases);
  CHECK(find_line(out, "  innocent failures: connect 7 \\(connect_refused 7\\)", segv) > phases);
  const long behaviours =
      find_line(out, "  behaviours \\(fault phase; latency of expected outcomes\\):", segv);
  REQUIRE(behaviours > phases);
  CHECK(find_line(out, "    behaviour +weight +sent +unexpected +p50 ms +p99 ms +max ms", segv) ==
        behaviours + 1);
  CHECK(
      find_line(
          out,
          "    PlainResponse\\(status=200, bytes=6\\) \\[innocent\\] +50 +100 +0 +0\\.412 +1\\.203 +5\\.100",
          segv) == behaviours + 2);
  CHECK(find_line(out, "    SIGSEGV\\(\\) +50 +100 +90 +0\\.412 +1\\.203 +5\\.100", segv) == behaviours + 3);
  CHECK(find_line(out, "        unexpected: http 90 \\(500 x90\\)", segv) == behaviours + 4);
  CHECK(find_line(
            out,
            "  supervision: port 40123, ready in 0\\.40 s, stopped by SIGINT in 0\\.10 s, exit status 0, 0 "
            "orphans",
            segv) == behaviours + 5);
  // A test without outages says so; one that did not run has only its error.
  CHECK(find_line(out, "  outages: none") >= 0);
  const long failed = find_line(out, "waitress 2\\.1\\.2 x SIGSEGV: failed");
  REQUIRE(failed >= 0);
  CHECK(find_line(out, "  error: waitress exited before it was ready: exit status 1", failed) == failed + 1);
  CHECK(static_cast<std::size_t>(failed + 2) == lines(out).size());
}

TEST_CASE("console adds a table of what the servers' processes went through", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  Json doc = matrix_document();
  doc["tests"][1]["figures"]["worker_exits"] = 101;
  doc["tests"][1]["figures"]["respawns"] = 100;
  doc["tests"][1]["figures"]["rss_growth_mib"] = -5.5;
  doc["tests"][2]["monitor"] = {
      {"exits",
       {{"total", 1},
        {"first", Json::array({{{"t_s", 0.2}, {"leader", true}, {"cause", "killed by SIGSEGV"}}})}}}};
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  const long title = find_line(r.output, "server processes: worker exits, respawns and RSS growth");
  REQUIRE(title >= 0);
  CHECK(find_line(r.output, "  server +Plain +SIGSEGV", title) == title + 1);
  CHECK(find_line(r.output, "  gunicorn +RSS \\+0\\.5 MiB +101 exits, 100 respawns, RSS -5\\.5 MiB", title) ==
        title + 2);
  CHECK(find_line(r.output, "  waitress +died: killed by SIGSEGV +-", title) == title + 3);

  for (auto& t : doc["tests"]) {
    if (!t.contains("figures")) continue;
    for (const char* f : {"worker_exits", "respawns", "rss_growth_mib", "death_s"}) t["figures"].erase(f);
  }
  CHECK(find_line(console.render(doc.dump()).output, "server processes: .*") == -1);  // nothing to show
}

TEST_CASE("console tables mark skipped and absent cells", "[reporters][console]") {
  Library lib("console");
  Instance console(lib);
  const Rendered r = console.render(
      document(Json::array({completed("uwsgi", "2.0.21", "Plain", 100, 10, 500.0, robust(), "passed"),
                            incomplete("cheroot", "SIGSEGV", "skipped",
                                       "cheroot is not installed: apt-get install python3-cheroot")}))
          .dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output, "  server +Plain +SIGSEGV");
  CHECK_LINE(r.output, "  uwsgi +robust +-");
  CHECK_LINE(r.output, "  cheroot +- +skipped");
  CHECK_LINE(r.output, "  uwsgi +10\\.0% 500/s +-");
  CHECK_LINE(r.output,
             "  cheroot x SIGSEGV: skipped: cheroot is not installed: apt-get install python3-cheroot");
}

TEST_CASE("console matrix option: auto, always, never", "[reporters][console]") {
  Library lib("console");
  const std::string one =
      document(Json::array({completed("gunicorn", "20.1.0", "Plain", 200, 0, 812.4, robust(), "passed")}))
          .dump();
  const std::string two = matrix_document().dump();
  const std::string title = "Labour's matrix: .*";
  {
    Instance console(lib, {{"matrix", "auto"}});
    CHECK(find_line(console.render(one).output, title) >= 0);  // without details it is the summary
    CHECK(find_line(console.render(two).output, title) >= 0);
    Instance detailed(lib, {{"matrix", "auto"}, {"details", "true"}});
    CHECK(find_line(detailed.render(one).output, title) == -1);  // the one test's details say it all
    CHECK(find_line(detailed.render(two).output, title) >= 0);
  }
  {
    Instance console(lib, {{"matrix", "always"}, {"details", "true"}});
    const std::string out = console.render(one).output;
    CHECK(find_line(out, title) >= 0);
    CHECK_LINE(out, "  gunicorn +0\\.0% 812/s");
  }
  {
    Instance console(lib, {{"matrix", "never"}});
    const std::string out = console.render(two).output;
    CHECK(find_line(out, title) == -1);
    CHECK(find_line(out, "verdicts: .*") >= 0);  // the scorecard always
  }
}

TEST_CASE("console colours by verdict only when asked", "[reporters][console]") {
  Library lib("console");
  const std::string doc = matrix_document().dump();
  Instance plain(lib, {{"color", "never"}, {"details", "true"}});
  Instance coloured(lib, {{"color", "always"}, {"details", "true"}});
  const std::string p = plain.render(doc).output;
  const std::string c = coloured.render(doc).output;
  CHECK(p.find('\033') == std::string::npos);
  CHECK(c.find("\033[32mrobust\033[0m") != std::string::npos);
  CHECK(c.find("\033[33mdegraded p99 x132\033[0m") != std::string::npos);
  CHECK(c.find("\033[31mdown at 0.2 s\033[0m") != std::string::npos);
  CHECK(c.find("\033[31mfailed\033[0m") != std::string::npos);  // the cell that did not run
  CHECK(c.find("\033[31mFailed 45.0%\033[0m") != std::string::npos);
  // Colour never changes the layout: without the escapes both outputs are the same text.
  CHECK(strip_colour(c) == p);
}

TEST_CASE("console keeps within its width: wide tables are split into blocks", "[reporters][console]") {
  Library lib("console");
  Json tests = Json::array();
  for (const char* server : {"gunicorn", "waitress"})
    for (int i = 0; i < 8; ++i)
      tests.push_back(completed(server, "1.0", "Scenario" + std::to_string(i), 200, 0, 812.4,
                                verdict("degraded", "p99 x132", "slow"), "passed"));
  const std::string doc = document(tests).dump();
  Instance narrow(lib, {{"width", "60"}});
  const std::string out = narrow.render(doc).output;
  INFO(out);
  CHECK(longest_line(out) <= 60);
  // Details too, but for the behaviours table: its first column and one more are wider.
  Instance detailed(lib, {{"width", "60"}, {"details", "true"}});
  bool in_behaviours = false;
  for (const auto& line : lines(detailed.render(doc).output)) {
    if (line.rfind("  behaviours ", 0) == 0 || line.rfind("  supervision: ", 0) == 0)
      in_behaviours = line.rfind("  behaviours ", 0) == 0;
    INFO(line);
    if (!in_behaviours) CHECK(line.size() <= 60);
  }
  // Every scenario is in some block's header, each block repeats the server column.
  for (int i = 0; i < 8; ++i)
    CHECK_LINE(out, "  server +(Scenario[0-7] +)*Scenario" + std::to_string(i) + "( .*)?");
  const long card = find_line(out, "verdicts: .*");
  CHECK(find_line(out, "  gunicorn +degraded p99 x132 +degraded p99 x132", card) == card + 2);
  CHECK(find_line(out, "  server +Scenario2 +Scenario3", card) == card + 5);  // after a blank line

  Instance wide(lib, {{"width", "400"}});
  CHECK_LINE(wide.render(doc).output, "  server +Scenario0 .*Scenario7");  // one block
}

TEST_CASE("console marks how many repeated runs gave the verdict", "[reporters][console]") {
  Library lib("console");
  Json doc = matrix_document();
  Json& segv = doc["tests"][1];
  segv["repeat"] = {{"count", 3},
                    {"verdicts", {{"degraded", 2}, {"robust", 1}}},
                    {"figures_min", {{"p99_ratio", 120.5}, {"recovery_s", 0.1}}},
                    {"figures_max", {{"p99_ratio", 140}, {"recovery_s", 0.1}}},
                    {"runs", Json::array({{{"verdict", verdict("degraded", "p99 x140", "slow")},
                                           {"figures", {{"p99_ratio", 140}}}}})}};
  Instance console(lib, {{"details", "true"}, {"width", "100"}});
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output, "verdicts: servers x scenarios; \\[n/N\\]: n of N runs gave this verdict");
  CHECK_LINE(r.output, "  gunicorn +robust +degraded p99 x132 \\[2/3\\]");
  CHECK_LINE(r.output, "  repeated: 3 runs: degraded 2, robust 1");
  CHECK_LINE(r.output, "  figures \\(\\*: decided the verdict\\), medians of the runs \\(min\\.\\.max\\):");
  CHECK_LINE(r.output, ".*p99_ratio\\* +132\\.1 \\(120\\.5\\.\\.140\\)( .*)?");
  CHECK_LINE(r.output, ".*recovery_s +0\\.1( .*)?");  // no range when min and max agree
}

TEST_CASE("console shows the judged split of unexpected outcomes, or every outcome without it",
          "[reporters][console]") {
  Library lib("console");
  Instance console(lib, {{"details", "true"}});
  Json doc =
      document(Json::array({completed("gunicorn", "20.1.0", "SIGSEGV", 200, 90, 150.0, robust(), "failed")}));
  doc["tests"][0]["behaviours"][1]["unexpected_outcomes"] = {
      {"http_500", 80}, {"http_502", 9}, {"eof_before_response", 1}};
  doc["tests"][0]["behaviours"][0].erase("unexpected_outcomes");  // another producer's document
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output,
             "        unexpected: http 89 \\(500 x80, 502 x9\\); broken 1 \\(eof_before_response 1\\)");
  CHECK_LINE(r.output, "        outcomes: http 100 \\(200 x100\\)");
}

TEST_CASE("console sums up what the monitor saw of the server's processes", "[reporters][console]") {
  Library lib("console");
  Instance console(lib, {{"details", "true"}, {"width", "200"}});
  Json doc =
      document(Json::array({completed("gunicorn", "20.1.0", "SIGSEGV", 200, 90, 150.0, robust(), "failed")}));
  doc["tests"][0]["monitor"] = {
      {"interval_ms", 100},
      {"processes", {{"start", 3}, {"end", 2}, {"peak", 3}}},
      {"joined", 41},
      {"exits", {{"total", 42}, {"causes", {{"exit status 0", 2}, {"killed by SIGSEGV", 40}}}}},
      {"rss_bytes", {{"start", 52428800}, {"end", 62914560}, {"peak", 73400320}}},
      {"cpu_seconds", 1.234}};
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(
      r.output,
      "  server: 2 processes \\(peak 3\\), 41 joined, 42 exited \\(exit status 0 x2, killed by SIGSEGV "
      "x40\\); RSS 50\\.0 -> 60\\.0 MiB \\(peak 70\\.0\\); CPU 1\\.23 s");

  doc["tests"][0]["monitor"]["rss_bytes"]["peak"] = -1;
  const Rendered bad = console.render(doc.dump());
  CHECK(bad.rc != 0);
  CHECK(bad.error.find("tests[0].monitor.rss_bytes.peak") != std::string::npos);
}

TEST_CASE("console says which CPUs the server and the client were pinned to", "[reporters][console]") {
  Library lib("console");
  Instance console(lib, {{"details", "true"}, {"width", "200"}});
  Json doc = matrix_document();
  doc["tests"][0]["supervision"]["server_cpus"] = "0-2";
  doc["tests"][0]["supervision"]["client_cpus"] = "3";
  doc["environment"]["cores"] = 4;
  doc["environment"]["cpu_model"] = "Some CPU @ 2.0GHz";
  doc["environment"]["pinning"] = {
      {"enabled", true}, {"allowed_cpus", "0-3"}, {"server_cpus", "0-2"}, {"future", {{"x", 1}}}};
  doc["tool"]["commit"] = "e868e23f00112233445566778899aabbccddeeff-dirty";
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output,
             "  supervision: port 40123, ready in 0\\.40 s, stopped by SIGINT in 0\\.10 s, exit status 0, 0 "
             "orphans, server on CPU 0-2, client on CPU 3");
  CHECK_LINE(
      r.output,
      "  python 3\\.11\\.2 \\(/usr/bin/python3\\); 4 cores, Some CPU @ 2\\.0GHz, pinning on, allowed 0-3, "
      "server 0-2, commit e868e23f0011-dirty");
}

TEST_CASE("console ignores unknown fields and survives missing sections", "[reporters][console]") {
  Library lib("console");
  Instance console(lib, {{"details", "true"}});
  Json doc = matrix_document();
  doc["future_section"] = {{"anything", Json::array({1, 2})}};
  doc["tests"][0]["future_field"] = "x";
  doc["tests"][0]["behaviours"][0]["future_field"] = 3;
  doc["tests"][0]["phases"][0]["future_field"] = Json::array();
  doc["tests"][0]["verdict"]["future_field"] = 1;
  doc.erase("environment");
  doc.erase("tool");
  for (const char* key : {"supervision", "behaviours", "phases", "figures", "outages", "timeline"})
    doc["tests"][1].erase(key);
  doc["tests"][1]["verdict"].erase("summary");
  const Rendered r = console.render(doc.dump());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output, "labour");
  CHECK_LINE(r.output, "  gunicorn +robust +degraded");
  CHECK_LINE(r.output, "  gunicorn +0\\.0% 812/s +Failed 45\\.0%");

  const Rendered empty = console.render(document(Json::array()).dump());
  REQUIRE(empty.rc == 0);
  CHECK_LINE(empty.output, "no tests in this document");
}

TEST_CASE("console renders a document the new producer wrote", "[reporters][console]") {
  Library lib("console");
  Instance console(lib, {{"width", "100"}});
  const Rendered r = console.render(read_fixture());
  REQUIRE(r.rc == 0);
  INFO(r.output);
  CHECK_LINE(r.output, "  wsgiref +down at 0\\.3 s +robust");
  CHECK_LINE(r.output, "  gunicorn +degraded p99 x132 +robust");
  CHECK_LINE(r.output, "  wsgiref +Failed 92\\.5% +0\\.0% 1332/s");
  CHECK_LINE(r.output, "  gunicorn +0\\.0% 10\\.2/s +0\\.0% 1586/s");
  CHECK(longest_line(r.output) <= 100);
  Instance detailed(lib, {{"details", "true"}, {"width", "100"}});
  const Rendered d = detailed.render(read_fixture());
  REQUIRE(d.rc == 0);
  CHECK(longest_line(d.output) <= 100);
  CHECK_LINE(d.output, "    recovery +2\\.183 +0\\.044 +recovered +10 +0 +4 +0/10 +37\\.5");
}

// ------------------------------------------------------------------ json -------------

TEST_CASE("json writes the document back, indented, and it reads back equal", "[reporters][json]") {
  Library lib("json");
  const Json doc = matrix_document();
  {
    Instance json(lib);
    const Rendered r = json.render(doc.dump());
    REQUIRE(r.rc == 0);
    CHECK(r.output.rfind("{\n  \"schema_version\": 2,\n  \"tool\": {\n    \"name\": \"labour\"", 0) == 0);
    CHECK(r.output.back() == '\n');
    CHECK(Json::parse(r.output) == doc);  // ordered: same fields, same values, same order
  }
  {
    Instance json(lib, {{"indent", "0"}});
    const Rendered r = json.render(doc.dump(4));
    REQUIRE(r.rc == 0);
    CHECK(r.output == doc.dump() + "\n");
  }
  {
    Instance json(lib, {{"indent", "4"}});
    const Rendered r = json.render(doc.dump());
    REQUIRE(r.rc == 0);
    CHECK(r.output == doc.dump(4) + "\n");
  }
}

TEST_CASE("json rejects an indent outside 0..8 at create", "[reporters][json]") {
  Library lib("json");
  Instance json(lib, {{"indent", "9"}});
  CHECK_FALSE(json.created());
  CHECK(json.create_error().find("indent") != std::string::npos);
}

// ------------------------------------------------------------------ html -------------

namespace {
std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

// The JSON block page.js draws test `index`'s chart from.
Json chart_data(const std::string& page, std::size_t index) {
  const std::string open = "<script type=\"application/json\" class=\"chart-data\" data-canvas=\"chart-" +
                           std::to_string(index) + "\">";
  const auto at = page.find(open);
  if (at == std::string::npos) return Json();
  const auto start = at + open.size();
  return Json::parse(page.substr(start, page.find("</script>", start) - start));
}

TEST_CASE("html is one page: scorecard, Labour's table, every test with its charts, nothing unescaped",
          "[reporters][html]") {
  Library lib("html");
  Instance html(lib);
  REQUIRE(html.created());
  Json doc = matrix_document();
  doc["tests"][1]["monitor"] = {
      {"processes", {{"start", 3}, {"end", 3}, {"peak", 3}}},
      {"joined", 2},
      {"exits",
       {{"total", 2},
        {"causes", {{"killed by SIGSEGV", 2}}},
        {"first",
         Json::array({{{"t_s", 0.5}, {"pid", 10}, {"leader", false}, {"cause", "killed by SIGSEGV"}},
                      {{"t_s", 0.7}, {"pid", 11}, {"leader", false}, {"cause", "</script><b>x</b>"}}})}}},
      {"rss_bytes", {{"start", 1048576}, {"end", 3145728}, {"peak", 3145728}}},
      {"cpu_seconds", 0.5},
      {"series",
       {{"t_s", {0, 0.5, 1}},
        {"processes", {3, 2, 3}},
        {"rss_bytes", {1048576, 2097152, 3145728}},
        {"cpu_s", {0, 0.2, 0.5}}}}};
  doc["tests"][1]["figures"]["worker_exits"] = 2;
  doc["tests"][1]["figures"]["rss_growth_mib"] = 2.0;
  doc["tests"][1]["outages"] = Json::array({{{"start_s", 0.3}, {"end_s", 0.5}, {"failed", 7}}});
  doc["tests"][1]["timeline"] = {{"bucket_ms", 50},
                                 {"expected", {{4, 1}, {3, 0}, {0, 0}, {5, 2}, {6, 1}}},
                                 {"unexpected", {{0, 1}, {2, 3}, {1, 0}, {0, 0}, {0, 0}}},
                                 {"innocent_p50_us", {600, 2000, nullptr, 500, 400}},
                                 {"innocent_p99_us", {1203, 4000, nullptr, 900, 800}}};
  doc["tests"][1]["server"]["options"] = {{"worker_class", "gthread"}, {"threads", "4"}};
  doc["tests"][1]["server"]["label"] = doc["tests"][1]["label"] = "g4 'quoted'";
  doc["tests"][1]["scenario"]["phases"] = {{"stall_s", 5.0}, {"recovered_after", 10}};
  doc["tests"][3]["error"] = "exited: <script>alert(1)</script> & \"quotes\"";
  const Rendered r = html.render(doc.dump());
  REQUIRE(r.rc == 0);
  const std::string& page = r.output;
  INFO(page.substr(0, 20000));
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  CHECK(page.find("<title>labour results</title>") != std::string::npos);
  CHECK(page.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">") !=
        std::string::npos);
  // Self-contained: Chart.js and the page's script inline, nothing fetched.
  CHECK(page.find("Chart.js v3") != std::string::npos);
  CHECK(page.find("Chart.Interaction.modes.labourTime") != std::string::npos);
  CHECK(page.find(" src=") == std::string::npos);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find("@import") == std::string::npos);
  CHECK(occurrences(page, "href=\"") == occurrences(page, "href=\"#"));
  // Nothing from the document ends an element early: text escaped, JSON's '<' escaped.
  CHECK(page.find("exited: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;") !=
        std::string::npos);
  CHECK(page.find("<b>x</b>") == std::string::npos);
  CHECK(occurrences(page, "<script") == occurrences(page, "</script>"));
  CHECK(occurrences(page, "<script type=\"application/json\" class=\"chart-data\"") == 3);
  for (const std::string element : {"section", "table", "tr", "h2", "h3", "p", "div", "td", "canvas", "pre"})
    CHECK(occurrences(page, "<" + element + ">") + occurrences(page, "<" + element + " ") ==
          occurrences(page, "</" + element + ">"));
  CHECK(occurrences(page, "<section id=\"test-") == 4);
  // The scorecard first: coloured by verdict, the deciding figure in the cell, the reason as
  // tooltip, linked to the test.
  const auto card = page.find("<table class=\"grid scorecard\">");
  REQUIRE(card != std::string::npos);
  CHECK(card < page.find("Labour's table"));
  CHECK(
      page.find("<td class=\"v-robust\" title=\"no innocent request failed; innocent p99 x1.0 of baseline\">"
                "<a href=\"#test-0\">robust</a></td>") != std::string::npos);
  CHECK(page.find("<td class=\"v-degraded\" title=\"innocent p99 x132 of baseline (1070 ms vs 8.1 ms)\">"
                  "<a href=\"#test-1\">degraded p99 x132</a></td>") != std::string::npos);
  CHECK(page.find("<a href=\"#test-2\">down at 0.2 s</a>") != std::string::npos);
  CHECK(page.find("<td class=\"s-failed\" title=\"exited: &lt;script&gt;") != std::string::npos);
  CHECK(page.find("td a{color:inherit") != std::string::npos);  // a link keeps its cell's colour
  // Labour's table with "Failed" from labour_verdict, the processes table from the figures.
  CHECK(page.find("<td class=\"failed\"><a href=\"#test-1\">Failed 45.0%</a></td>") != std::string::npos);
  CHECK(page.find("<td><a href=\"#test-1\">2 exits, RSS +2.0 MiB</a></td>") != std::string::npos);
  CHECK(page.find("<td class=\"failed\"><a href=\"#test-2\">died</a></td>") != std::string::npos);
  // Per test: the verdict in the heading (a failed test says so, never "completed"), the
  // reason, phases, figures, outages.
  CHECK(page.find("<h2>gunicorn 20.1.0 × Plain <span class=\"badge v-robust\">robust</span></h2>") !=
        std::string::npos);
  CHECK(page.find("× SIGSEGV <span class=\"badge s-failed\">failed</span></h2>") != std::string::npos);
  CHECK(page.find(">completed<") == std::string::npos);
  CHECK(page.find("<p class=\"reason\">innocent p99 x132 of baseline (1070 ms vs 8.1 ms)</p>") !=
        std::string::npos);
  CHECK(page.find("<tr><td>recovery</td><td>1.533</td><td>0.050</td><td>recovered</td>") !=
        std::string::npos);
  CHECK(page.find(
            "<td class=\"decisive\" title=\"decided the verdict\">p99_ratio</td><td class=\"decisive\">132.1"
            "</td>") != std::string::npos);
  CHECK(page.find("<td>death_s</td><td>-</td>") != std::string::npos);
  CHECK(page.find("<tr><td>1</td><td>0.300</td><td>0.500</td><td>7</td></tr>") != std::string::npos);
  CHECK(page.find("server: 3 processes, 2 joined, 2 exited") != std::string::npos);
  // Reproducible from the page: the command, the server's options, every scenario setting,
  // the environment.
  CHECK(
      page.find("<pre class=\"command\">labour run --server gunicorn:workers=2 --scenario Plain -n 200 -c 8 "
                "--timeout 10000 --seed 1 --policy random</pre>") != std::string::npos);
  CHECK(page.find("labour run --server &#39;gunicorn:worker_class=gthread,threads=4,label=g4 "
                  "&#39;\\&#39;&#39;quoted&#39;\\&#39;&#39;&#39; --scenario SIGSEGV") != std::string::npos);
  CHECK(page.find("<tr><td>worker_class</td><td>gthread</td></tr>") != std::string::npos);
  CHECK(page.find("<tr><td>phases.stall_s</td><td>5.0</td></tr>") != std::string::npos);
  CHECK(page.find("<tr><td>kernel</td><td>Linux 6.1 x86_64</td></tr>") != std::string::npos);
  CHECK(page.find("<tr><td>python</td><td>/usr/bin/python3 3.11.2</td></tr>") != std::string::npos);
  // The chart's data: one time axis for the phases, the buckets, the samples, the exits and
  // the outages; innocent and misbehaving outcomes apart (PlainResponse is the innocent one).
  const Json d = chart_data(page, 1);
  REQUIRE(d.is_object());
  CHECK(d["bucket_s"] == 0.05);
  CHECK(d["bucket_label"] == "50 ms");
  CHECK(d["buckets"]["t"] == Json({0.0, 0.05, 0.1, 0.15000000000000002, 0.2}));
  CHECK(d["buckets"]["innocent_expected"] == Json({4.0, 3.0, 0.0, 5.0, 6.0}));
  CHECK(d["buckets"]["misbehaving_expected"] == Json({1.0, 0.0, 0.0, 2.0, 1.0}));
  CHECK(d["buckets"]["innocent_unexpected"] == Json({0.0, 2.0, 1.0, 0.0, 0.0}));
  CHECK(d["buckets"]["misbehaving_unexpected"] == Json({1.0, 3.0, 0.0, 0.0, 0.0}));
  CHECK(d["buckets"]["p99_ms"] == Json({1.203, 4.0, nullptr, 0.9, 0.8}));
  CHECK(d["buckets"]["p50_ms"][2].is_null());
  CHECK(d["monitor"]["processes"] == Json({3.0, 2.0, 3.0}));
  CHECK(d["monitor"]["rss_mib"] == Json({1.0, 2.0, 3.0}));
  CHECK(d["exits"].size() == 2);
  CHECK(d["exits"][0] == Json({{"t", 0.5}, {"cause", "killed by SIGSEGV"}}));
  CHECK(d["exits"][1]["cause"] == "</script><b>x</b>");  // escaped in the page, intact in the data
  REQUIRE(d["phases"].size() == 3);
  CHECK(d["phases"][2]["name"] == "recovery");
  CHECK(d["phases"][2]["start"] == Approx(1.5333).epsilon(0.001));
  CHECK(d["outages"] == Json::array({{{"start", 0.3}, {"end", 0.5}}}));
  CHECK(d["t_max"].get<double>() >= 1.58);  // the recovery's end, the last thing drawn
  CHECK(chart_data(page, 3).is_null());     // a test that never ran has no chart

  Instance titled(lib, {{"title", "A & B"}});
  CHECK(titled.render(matrix_document().dump()).output.find("<title>A &amp; B</title>") != std::string::npos);
}

TEST_CASE("html shows unknown verdicts as they are", "[reporters][html]") {
  Library lib("html");
  Instance html(lib);
  Json doc = matrix_document();
  doc["tests"][0]["verdict"] = verdict("wobbly", "x", "never heard of it");
  const Rendered r = html.render(doc.dump());
  REQUIRE(r.rc == 0);
  CHECK(r.output.find(
            "<td class=\"v-wobbly\" title=\"never heard of it\"><a href=\"#test-0\">wobbly x</a></td>") !=
        std::string::npos);
  CHECK(r.output.find(".v-wobbly") == std::string::npos);  // no colour of its own
  doc["tests"][0]["verdict"] = verdict("Odd <value>", "", "");
  const Rendered odd = html.render(doc.dump());
  REQUIRE(odd.rc == 0);
  CHECK(odd.output.find("<td class=\"v-odd--value-\"><a href=\"#test-0\">Odd &lt;value&gt;</a></td>") !=
        std::string::npos);
}

TEST_CASE("html renders a document the new producer wrote", "[reporters][html]") {
  Library lib("html");
  Instance html(lib);
  const Rendered r = html.render(read_fixture());
  REQUIRE(r.rc == 0);
  CHECK(occurrences(r.output, "<section id=\"test-") == 4);
  CHECK(r.output.find("<a href=\"#test-2\">degraded p99 x132</a>") != std::string::npos);
  for (std::size_t i = 0; i < 4; ++i) {
    const Json d = chart_data(r.output, i);
    REQUIRE(d.is_object());
    CHECK(d["phases"].size() == 3);
    CHECK(!d["buckets"]["t"].empty());
  }
}

TEST_CASE("html marks a borderline verdict, shows damage, intervals and the gates with FAIL",
          "[reporters][html]") {
  Library lib("html");
  Instance html(lib);
  std::ifstream in(LABOUR_REPORTER_TEST_RESULTS_CERTAINTY);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  const Rendered r = html.render(text.str());
  REQUIRE(r.rc == 0);
  const std::string& page = r.output;
  CHECK(page.find("<td class=\"v-degraded borderline\" title=\"borderline: the evidence straddles a bound "
                  "(p99_ratio 3.1..14.2 (bound 10) at 95 %); a rerun may give another verdict\n") !=
        std::string::npos);
  CHECK(page.find("<a href=\"#test-2\">degraded? p99 x132, damage 12.5 %</a>") != std::string::npos);
  CHECK(page.find("<td class=\"v-robust\" title=") != std::string::npos);  // certain cells: as before
  CHECK(page.find("<span class=\"badge v-degraded borderline\">degraded? p99 x132, damage 12.5 %</span>") !=
        std::string::npos);
  CHECK(page.find("<span class=\"borderline\">verdict?</span> borderline") != std::string::npos);
  CHECK(page.find("<h2>Gates: 2 of 3 FAILED</h2>") != std::string::npos);
  CHECK(
      page.find("<tr><td class=\"failed\">FAIL</td><td>certainty == certain</td><td>every test</td><td>4</td>"
                "<td>gunicorn x SIGSEGV (borderline)</td></tr>") != std::string::npos);
  CHECK(page.find(
            "<tr><td class=\"passed\">PASS</td><td>innocent_failure_pct&lt;1</td><td>scenario Plain</td>") !=
        std::string::npos);
  CHECK(page.find("132.291 (8.2..140.5) [3.1..14.2]") != std::string::npos);  // median, runs' range, interval
  CHECK(page.find("3 runs (auto: rerun while borderline)") != std::string::npos);
  // A document without certainty or gates: nothing of it on the page.
  const Rendered before = html.render(read_fixture());
  REQUIRE(before.rc == 0);
  CHECK(before.output.find(" borderline\"") == std::string::npos);         // no cell or badge marked
  CHECK(before.output.find("class=\"borderline\"") == std::string::npos);  // nor the legend
  CHECK(before.output.find("Gates") == std::string::npos);
}

TEST_CASE("html chart data holds only numbers a chart can place, whatever the document says",
          "[reporters][html]") {
  Library lib("html");
  Instance html(lib);
  Json doc =
      document(Json::array({completed("gunicorn", "20.1.0", "Plain", 200, 0, 812.4, robust(), "passed")}));
  doc["tests"][0]["timeline"]["expected"] = Json::array({Json::array({-5, 2}), Json::array({1e300, 0})});
  doc["tests"][0]["timeline"]["innocent_p99_us"] = Json::array({-3, 1e300, nullptr, 5});
  doc["tests"][0]["phases"][0]["start_s"] = -2;
  doc["tests"][0]["phases"][1]["duration_s"] = 1e300;
  doc["tests"][0]["phases"][2]["duration_s"] = -1;
  doc["tests"][0]["monitor"] = {
      {"series",
       {{"t_s", {0, 2, 1}}, {"processes", {1, -1, 2}}, {"rss_bytes", {-1, 5e300, 0}}, {"cpu_s", {0, 0, 0}}}},
      {"exits",
       {{"total", 1},
        {"first", Json::array({{{"t_s", -9}, {"leader", true}, {"cause", "exit status 1"}}})}}}};
  const Rendered r = html.render(doc.dump());
  REQUIRE(r.rc == 0);
  const Json d = chart_data(r.output, 0);
  REQUIRE(d.is_object());
  INFO(d.dump());
  // Every number finite, every time, count and latency at or above zero.
  std::function<void(const Json&, const std::string&)> walk = [&](const Json& j, const std::string& key) {
    if (j.is_object())
      for (const auto& [k, v] : j.items()) walk(v, k);
    else if (j.is_array())
      for (const auto& v : j) walk(v, key);
    else if (j.is_number()) {
      CHECK(std::isfinite(j.get<double>()));
      CHECK(j.get<double>() >= 0);
    }
  };
  walk(d, "");
  CHECK(d["phases"][0]["start"] == 0.0);
  CHECK(d["exits"][0]["t"] == 0.0);
  CHECK(d["exits"][0]["cause"] == "exit status 1 (main process)");
}

// ------------------------------------------------------------------ bad input --------

TEST_CASE("a malformed document or another schema_version fails with a one-line reason", "[reporters]") {
  const std::string name = GENERATE(as<std::string>{}, "console", "json", "html");
  Library lib(name);
  Instance reporter(lib);
  INFO("reporter: " << name);

  const auto one_line = [](const Rendered& r) {
    CHECK(r.rc != 0);
    CHECK_FALSE(r.error.empty());
    CHECK(r.error.find('\n') == std::string::npos);
  };

  const Rendered garbage = reporter.render("{\"schema_version\": 2,\n \"tests\": [ oops");
  one_line(garbage);
  CHECK(garbage.error.rfind("results document is not valid JSON: ", 0) == 0);

  for (const int version : {1, 3}) {
    Json other = matrix_document();
    other["schema_version"] = version;
    const Rendered wrong = reporter.render(other.dump());
    one_line(wrong);
    CHECK(wrong.error ==
          "unsupported results schema_version " + std::to_string(version) + " (this reporter reads 2)");
  }

  Json none = matrix_document();
  none.erase("schema_version");
  const Rendered missing = reporter.render(none.dump());
  one_line(missing);
  CHECK(missing.error.find("schema_version") != std::string::npos);

  const Rendered array = reporter.render("[1, 2]");
  one_line(array);
}

TEST_CASE("console and html name the field that has the wrong type", "[reporters]") {
  const std::string name = GENERATE(as<std::string>{}, "console", "html");
  Library lib(name);
  Instance reporter(lib);
  INFO("reporter: " << name);
  const auto fails_at = [&](Json doc, const std::string& field) {
    const Rendered r = reporter.render(doc.dump());
    CHECK(r.rc != 0);
    CHECK(r.error.find(field) != std::string::npos);
    CHECK(r.error.find('\n') == std::string::npos);
  };
  Json doc = matrix_document();
  doc["tests"][2]["totals"]["sent"] = "three hundred";
  fails_at(doc, "tests[2].totals.sent is not a non-negative integer");

  doc = matrix_document();
  doc["tests"][0]["verdict"] = "passed";  // schema_version 1's verdict
  fails_at(doc, "tests[0].verdict is not an object");

  doc = matrix_document();
  doc["tests"][0]["verdict"].erase("value");
  fails_at(doc, "tests[0].verdict.value is missing");

  doc = matrix_document();
  doc["tests"][0]["figures"]["p99_ratio"] = "big";
  fails_at(doc, "tests[0].figures.p99_ratio is not a number or null");

  doc = matrix_document();
  doc["tests"][0]["phases"][1]["sent"] = -1;
  fails_at(doc, "tests[0].phases[1].sent");

  doc = matrix_document();
  doc["tests"][0]["timeline"]["innocent_p99_us"] = {1, "slow"};
  fails_at(doc, "tests[0].timeline.innocent_p99_us[1] is not a number or null");

  doc = matrix_document();
  doc["tests"][0]["labour_verdict"] = false;
  fails_at(doc, "tests[0].labour_verdict is not a string");

  doc = matrix_document();
  doc.erase("tests");
  fails_at(doc, "tests");
}

TEST_CASE("a sink that refuses the bytes makes render fail", "[reporters]") {
  const std::string name = GENERATE(as<std::string>{}, "console", "json", "html");
  Library lib(name);
  Instance reporter(lib);
  const Rendered r = reporter.render(matrix_document().dump(), /*sink_fails=*/true);
  CHECK(r.rc != 0);
  CHECK(r.error == "cannot write the report");
}

TEST_CASE("console and html show a merged matrix's plan, machines and warnings", "[reporters]") {
  Json doc = matrix_document();
  doc["plan"] = {{"fingerprint", "983645b1e0edf02e"}, {"shard", {{"index", nullptr}, {"count", 3}}}};
  doc["machines"] = Json::array({{{"cpus", 2}, {"cpu_model", "AMD EPYC"}, {"pinning", true}},
                                 {{"cpus", 8}, {"cpu_model", "Xeon <E5>"}, {"pinning", false}}});
  doc["warnings"] = Json::array({"the figures come from 2 kinds of machine (cpu_model differ)"});
  doc["tests"][0]["machine"] = 1;
  doc["tests"][1]["machine"] = 2;

  Library console_lib("console");
  Instance console(console_lib, {{"width", "100"}});
  const Rendered c = console.render(doc.dump());
  REQUIRE(c.rc == 0);
  INFO(c.output);
  CHECK(find_line(c.output, ".*merged from 3 shards of plan 983645b1e0edf02e") >= 0);
  CHECK(find_line(c.output, "  machine 1: 2 cpus, AMD EPYC, pinning on") >= 0);
  CHECK(find_line(c.output, "  machine 2: 8 cpus, Xeon <E5>, pinning off") >= 0);
  CHECK(find_line(c.output, "warning: the figures come from 2 kinds of machine \\(cpu_model differ\\)") >= 0);
  CHECK(find_line(c.output, "  gunicorn +robust \\(machine 1\\) +degraded p99 x132 \\(machine 2\\)") >= 0);

  Library html_lib("html");
  Instance html(html_lib);
  const Rendered h = html.render(doc.dump());
  REQUIRE(h.rc == 0);
  CHECK(h.output.find("<p class=\"warning\">warning: the figures come from 2 kinds of machine") !=
        std::string::npos);
  CHECK(h.output.find("machine 2: 8 cpus, Xeon &lt;E5&gt;, pinning off") != std::string::npos);
  CHECK(h.output.find("degraded p99 x132 (machine 2)</a>") != std::string::npos);
  CHECK(h.output.find("merged from 3 shards of plan 983645b1e0edf02e") != std::string::npos);

  // A shard's own document says which shard it is; a whole matrix says nothing of shards.
  doc["plan"]["shard"] = {{"index", 2}, {"count", 3}};
  CHECK(console.render(doc.dump()).output.find("shard 2/3 of plan 983645b1e0edf02e") != std::string::npos);
  doc["plan"]["shard"] = {{"index", 1}, {"count", 1}};
  CHECK(console.render(doc.dump()).output.find("of plan") == std::string::npos);
  doc["warnings"] = Json::array({42});
  CHECK_THAT(console.render(doc.dump()).error, Catch::Contains("warnings[0] is not a string"));
}
