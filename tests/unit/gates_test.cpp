// Gates for CI (run/gates.hpp): --fail-on and a scenario's [thresholds].
#include <catch2/catch.hpp>

#include "common/errors.hpp"
#include "run/gates.hpp"

using labour::run::Gate;
using json = nlohmann::ordered_json;

namespace {

const std::vector<std::string> kNames = {"innocent_failure_pct", "p99_ratio", "recovery_s"};

std::string gate_error(const std::string& text) {
  try {
    labour::run::parse_gate(text, kNames, "--fail-on '" + text + "'");
  } catch (const labour::UsageError& e) {
    return e.what();
  }
  return "";
}

json test(const std::string& label, const std::string& scenario, const std::string& verdict, json figures,
          const std::string& status = "completed") {
  json t = {{"label", label}, {"scenario", {{"name", scenario}}}, {"status", status}};
  if (status == "completed") t["verdict"] = {{"value", verdict}};
  t["figures"] = std::move(figures);
  return t;
}

}  // namespace

TEST_CASE("gates read a figure, an operator and a number, or a verdict list") {
  const Gate lt = labour::run::parse_gate(" innocent_failure_pct < 1 ", kNames, "x");
  CHECK(lt.figure == "innocent_failure_pct");
  CHECK(lt.op == Gate::Op::Less);
  CHECK(lt.value == 1);
  CHECK(lt.text == "innocent_failure_pct < 1");
  CHECK(labour::run::parse_gate("p99_ratio<=5", kNames, "x").op == Gate::Op::LessEqual);
  CHECK(labour::run::parse_gate("recovery_s>=0.5", kNames, "x").value == 0.5);
  const Gate in = labour::run::parse_gate("verdict in robust, degraded", kNames, "x");
  CHECK(in.figure == "verdict");
  CHECK(in.verdicts == std::vector<std::string>{"robust", "degraded"});
  CHECK(labour::run::parse_gate("verdict != down", kNames, "x").op == Gate::Op::NotEqual);
  CHECK(labour::run::parse_gate("verdict not in down,hung", kNames, "x").op == Gate::Op::NotIn);
}

TEST_CASE("a bad gate is one line naming it, with the known figures or verdicts") {
  CHECK_THAT(gate_error("latency<5"),
             Catch::Contains("--fail-on 'latency<5': unknown figure 'latency'") &&
                 Catch::Contains("innocent_failure_pct, p99_ratio, recovery_s, verdict"));
  CHECK_THAT(gate_error("p99_ratio~5"), Catch::Contains("OP one of < <= > >= == !="));
  CHECK_THAT(gate_error("p99_ratio<five"), Catch::Contains("'five' is not a finite number"));
  CHECK_THAT(gate_error("p99_ratio<inf"), Catch::Contains("not a finite number"));
  CHECK_THAT(gate_error("p99_ratio<nan"), Catch::Contains("not a finite number"));
  CHECK_THAT(gate_error("p99_ratio<5x"), Catch::Contains("'5x' is not a finite number"));
  CHECK_THAT(gate_error("p99_ratio<"), Catch::Contains("not a finite number"));
  CHECK_THAT(gate_error("verdict in robust,wobbly"),
             Catch::Contains("unknown verdict 'wobbly'") &&
                 Catch::Contains("robust, degraded, hung, down, inconclusive"));
  CHECK_THAT(gate_error("verdict is robust"), Catch::Contains("write verdict in"));
  CHECK_THAT(gate_error("verdict == robust,degraded"), Catch::Contains("take one verdict"));
  CHECK_THAT(gate_error("verdict_x<1"), Catch::Contains("unknown figure 'verdict_x'"));
}

TEST_CASE("gates check every test: absent figures and runs that did not complete breach") {
  const json doc = {
      {"tests", json::array({
                    test("a", "Plain", "robust", {{"innocent_failure_pct", 0}, {"recovery_s", 0.2}}),
                    test("b", "Plain", "degraded", {{"innocent_failure_pct", 12.5}}),
                    test("c", "SIGSEGV", "down", {{"innocent_failure_pct", nullptr}}),
                    test("d", "Plain", "", json::object(), "skipped"),
                    test("e", "Plain", "", json::object(), "failed"),
                })}};
  std::vector<Gate> gates = {labour::run::parse_gate("innocent_failure_pct<1", kNames, "x"),
                             labour::run::parse_gate("recovery_s<10", kNames, "x"),
                             labour::run::parse_gate("verdict in robust,degraded", kNames, "x")};
  gates.push_back(labour::run::parse_gate("innocent_failure_pct<20", kNames, "x"));
  gates.back().scenario = "Plain";
  const auto out = labour::run::check_gates(gates, doc);
  REQUIRE(out.size() == 4);
  CHECK(out[0].checked == 4);  // the skipped one is not checked
  CHECK(out[0].breaches ==
        std::vector<std::string>{"b x Plain (12.5)", "c x SIGSEGV (not measured)", "e x Plain (failed)"});
  CHECK(out[1].breaches == std::vector<std::string>{"b x Plain (not measured)", "c x SIGSEGV (not measured)",
                                                    "e x Plain (failed)"});
  CHECK(out[2].breaches == std::vector<std::string>{"c x SIGSEGV (down)", "e x Plain (failed)"});
  CHECK(out[3].checked == 3);  // Plain only
  CHECK(out[3].breaches == std::vector<std::string>{"e x Plain (failed)"});
  CHECK(labour::run::gate_line(out[2]) ==
        "FAIL verdict in robust,degraded: 2 of 4 tests: c x SIGSEGV (down), e x Plain (failed)");
  const auto pass = labour::run::check_gates({labour::run::parse_gate("verdict != hung", kNames, "x")},
                                             json{{"tests", json::array({doc["tests"][0]})}});
  CHECK(labour::run::gate_line(pass[0]) == "PASS verdict != hung (1 test)");
  const json block = labour::run::gates_json(out);
  CHECK(block[3]["scenario"] == "Plain");
  CHECK(block[0]["passed"] == false);
}

TEST_CASE("a certainty gate passes certain verdicts and breaches borderline ones") {
  CHECK(labour::run::parse_gate("certainty == certain", kNames, "x").figure == "certainty");
  CHECK(labour::run::parse_gate("certainty != borderline", kNames, "x").op == Gate::Op::NotEqual);
  CHECK(labour::run::parse_gate("certainty in certain,borderline", kNames, "x").verdicts ==
        std::vector<std::string>{"certain", "borderline"});
  CHECK_THAT(gate_error("certainty == sure"),
             Catch::Contains("--fail-on 'certainty == sure': unknown certainty 'sure'") &&
                 Catch::Contains("(known: certain, borderline)"));
  CHECK_THAT(gate_error("certainty is certain"),
             Catch::Contains("write certainty in C,C...") && Catch::Contains("C one of certain, borderline"));
  CHECK_THAT(gate_error("certainty == robust"), Catch::Contains("unknown certainty 'robust'"));
  CHECK_THAT(gate_error("verdict == certain"), Catch::Contains("unknown verdict 'certain'"));
  CHECK_THAT(gate_error("latency<5"), Catch::Contains("verdict, certainty)"));
  CHECK_THAT(gate_error("certainty == certain,borderline"), Catch::Contains("take one certainty"));
  try {  // `labour load` has no verdict, so no certainty either
    labour::run::parse_gate("certainty == certain", kNames, "x", false);
    FAIL("a certainty gate without verdicts was accepted");
  } catch (const labour::UsageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("there is no certainty here"));
  }

  json borderline = test("b", "Leak", "degraded", {{"p99_ratio", 11}});
  borderline["verdict"]["certainty"] = "borderline";
  json certain = test("a", "Leak", "robust", {{"p99_ratio", 1}});
  certain["verdict"]["certainty"] = "certain";
  const json old = test("c", "Leak", "robust", {{"p99_ratio", 1}});  // no certainty: certain
  const json doc = {{"tests", json::array({certain, borderline, old, test("d", "Leak", "", {}, "failed")})}};
  const auto out = labour::run::check_gates({labour::run::parse_gate("certainty == certain", kNames, "x"),
                                             labour::run::parse_gate("certainty != borderline", kNames, "x"),
                                             labour::run::parse_gate("certainty in borderline", kNames, "x")},
                                            doc);
  REQUIRE(out.size() == 3);
  CHECK(out[0].checked == 4);
  CHECK(out[0].breaches == std::vector<std::string>{"b x Leak (borderline)", "d x Leak (failed)"});
  CHECK(out[1].breaches == out[0].breaches);
  CHECK(out[2].breaches ==
        std::vector<std::string>{"a x Leak (certain)", "c x Leak (certain)", "d x Leak (failed)"});
}
