// `labour compare` (run/compare.hpp) on hand-made documents: a change counts only beyond the
// noise the documents state (intervals, repetitions, else a tolerance), never inside an
// unchanged down or hung, and a verdict that changed where either run was borderline is
// uncertain, not a regression.
#include <catch2/catch.hpp>

#include "run/compare.hpp"

using labour::run::CellChange;
using labour::run::compare_documents;
using json = nlohmann::ordered_json;

namespace {

json cell(const std::string& verdict, json figures, const std::string& certainty = "",
          json intervals = nullptr) {
  json t = {{"label", "gunicorn"},
            {"scenario", {{"name", "Leak"}}},
            {"status", "completed"},
            {"verdict", {{"value", verdict}}},
            {"figures", std::move(figures)}};
  if (!certainty.empty()) {
    t["verdict"]["certainty"] = certainty;
    t["verdict"]["confidence"] = 0.95;
  }
  if (!intervals.is_null()) t["intervals"] = std::move(intervals);
  return t;
}

json doc(json test) { return {{"schema_version", 2}, {"tests", json::array({std::move(test)})}}; }

CellChange compared(const json& before, const json& after) {
  const auto c = compare_documents(doc(before), doc(after));
  REQUIRE(c.cells.size() == 1);
  return c.cells[0];
}

json range(double low, double high) { return {{"low", low}, {"high", high}}; }

}  // namespace

TEST_CASE("compare: a document against itself changes nothing") {
  const json t = cell("degraded", {{"innocent_failure_pct", 9.677}, {"p99_ratio", 14}}, "borderline",
                      {{"p99_ratio", range(3.1, 14.2)}});
  const auto c = compare_documents(doc(t), doc(t));
  CHECK(c.regressions() == 0);
  CHECK(c.uncertain() == 0);
  CHECK(c.cells[0].verdict_change == CellChange::Kind::Same);
  CHECK(c.cells[0].figures.empty());
}

TEST_CASE("compare: figures whose intervals overlap did not move, however far their values are") {
  // 3 and 5 of 31 innocent requests: the tolerance alone calls it a regression ...
  const json a = cell("degraded", {{"innocent_failure_pct", 9.677}, {"fault_p99_ms", 60}, {"p99_ratio", 12}});
  const json b = cell("degraded", {{"innocent_failure_pct", 16.13}, {"fault_p99_ms", 90}, {"p99_ratio", 18}});
  const auto plain = compared(a, b);
  CHECK(plain.regression());
  CHECK(plain.figures.size() == 3);
  // ... the same figures with their intervals, which overlap, are noise.
  json ai = a, bi = b;
  ai["intervals"] = {{"innocent_failure_pct", range(2, 26)}, {"p99_ratio", range(4, 20)}};
  bi["intervals"] = {{"innocent_failure_pct", range(5.4, 34)}, {"p99_ratio", range(6, 30)}};
  const auto noisy = compared(ai, bi);
  CHECK_FALSE(noisy.regression());
  CHECK(noisy.figures.empty());  // fault_p99_ms is judged by p99_ratio's interval
  // Intervals apart: a regression, and its basis names them.
  bi["intervals"]["p99_ratio"] = range(25, 40);
  const auto real = compared(ai, bi);
  CHECK(real.regression());
  REQUIRE(real.figures.size() == 2);
  CHECK(real.figures[0].name == "p99_ratio");
  CHECK(real.figures[0].basis == "intervals apart: 4..20 and 25..40");
  CHECK(real.figures[1].name == "fault_p99_ms");
  CHECK(real.figures[1].basis == "intervals of p99_ratio apart: 4..20 and 25..40");
}

TEST_CASE("compare: without intervals on both sides, the spread or the tolerance decides as before") {
  json a = cell("robust", {{"innocent_failure_pct", 0}});
  json b = cell("robust", {{"innocent_failure_pct", 5}});
  a["intervals"] = {{"innocent_failure_pct", range(0, 6)}};  // one side only: not comparable
  const auto c = compared(a, b);
  REQUIRE(c.figures.size() == 1);
  CHECK(c.figures[0].worse);
  CHECK(c.figures[0].basis == "beyond 25% and 1");
}

TEST_CASE("compare: no figure moves inside an unchanged down or hung") {
  for (const char* verdict : {"down", "hung"}) {
    INFO(verdict);
    const auto c = compared(cell(verdict, {{"innocent_failure_pct", 40}, {"p99_ratio", 2}}),
                            cell(verdict, {{"innocent_failure_pct", 90}, {"p99_ratio", 30}}));
    CHECK(c.figures.empty());
    CHECK_FALSE(c.regression());
  }
  // A degraded cell's figures still count.
  CHECK(compared(cell("degraded", {{"innocent_failure_pct", 40}}),
                 cell("degraded", {{"innocent_failure_pct", 90}}))
            .regression());
}

TEST_CASE("compare: a verdict change where either side is borderline is uncertain, not a regression") {
  const json robust = cell("robust", {{"p99_ratio", 8.6}}, "certain");
  const json border = cell("degraded", {{"p99_ratio", 11}}, "borderline");
  const auto c = compared(robust, border);
  CHECK(c.verdict_change == CellChange::Kind::Uncertain);
  CHECK(c.new_borderline);
  CHECK_FALSE(c.regression());
  // p99_ratio moved beyond the tolerance, which says nothing in a borderline cell: shown, not counted.
  REQUIRE(c.figures.size() == 1);
  CHECK(c.figures[0].worse);
  CHECK(c.figures[0].uncertain);
  CHECK(c.figures[0].basis == "beyond 25% and 0.5; a borderline verdict: not a regression");
  const auto back = compared(border, robust);
  CHECK(back.verdict_change == CellChange::Kind::Uncertain);
  CHECK(back.old_borderline);
  // Certain on both sides (or without certainty: an older document): a regression.
  CHECK(compared(robust, cell("degraded", {{"p99_ratio", 11}}, "certain")).regression());
  CHECK(compared(cell("robust", {{"p99_ratio", 8.6}}), cell("degraded", {{"p99_ratio", 11}})).regression());
  // Borderline, but the deciding figure's intervals are apart: a real regression.
  json low = robust, high = border;
  high["verdict"]["interval"] = {{"figure", "p99_ratio"}, {"low", 9}, {"high", 60}, {"bound", 10}};
  low["intervals"] = {{"p99_ratio", range(0.5, 2)}};
  high["intervals"] = {{"p99_ratio", range(9, 60)}};
  const auto real = compared(low, high);
  CHECK(real.verdict_change == CellChange::Kind::Worse);
  CHECK(real.regression());
  // Overlapping: uncertain again.
  low["intervals"]["p99_ratio"] = range(0.5, 9.5);
  CHECK(compared(low, high).verdict_change == CellChange::Kind::Uncertain);
}

TEST_CASE("compare: an uncertain change is shown as such in every format") {
  const auto c = compare_documents(doc(cell("robust", {{"p99_ratio", 8.6}}, "certain")),
                                   doc(cell("degraded", {{"p99_ratio", 11}}, "borderline")));
  const std::string text = labour::run::compare_text(c, "a", "b");
  CHECK_THAT(text,
             Catch::Contains("gunicorn x Leak: robust -> degraded? (changed, uncertain: borderline in b)\n"));
  CHECK_THAT(text, Catch::Contains("1 uncertain (borderline: not a regression), 0 regressed"));
  CHECK_THAT(labour::run::compare_markdown(c, "a", "b"),
             Catch::Contains("robust → degraded? (uncertain: borderline) |"));
  const json j = labour::run::compare_json(c, "a", "b");
  CHECK(j["cells"][0]["verdict_change"] == "uncertain");
  CHECK(j["cells"][0]["new_certainty"] == "borderline");
  CHECK(j["cells"][0]["regression"] == false);
  CHECK(j["cells"][0]["figures"][0]["uncertain"] == true);
  CHECK(j["uncertain"] == 1);
}
