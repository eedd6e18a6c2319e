// Gates for CI, as k6's thresholds: `--fail-on EXPR` and a scenario's [thresholds], each a
// condition on a documented figure or on the verdict, checked against every test of a
// results document. labour exits 1 when any is breached (docs/cli.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace labour::run {

struct Gate {
  enum class Op { Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual, In, NotIn };
  std::string text;    // as written, for the pass/fail line
  std::string figure;  // a name of `figures`, "verdict" or "certainty"
  Op op = Op::Less;
  double value = 0;                     // figures
  std::vector<std::string> verdicts;    // verdict or certainty: ==/!= one, in/not in several
  std::optional<std::string> scenario;  // a scenario's [thresholds]: its tests only
};

// "innocent_failure_pct<1", "p99_ratio <= 5", "verdict in robust,degraded", "verdict != down",
// "certainty == certain" (a verdict without certainty, from an older document, is certain).
// `figures` are the names a gate may use (besides "verdict"). Throws UsageError naming
// `what` (e.g. "--fail-on 'x<1'"), what is wrong, and the known figures or verdicts.
// `verdicts`: false where there is no verdict (`labour load`).
Gate parse_gate(std::string_view text, const std::vector<std::string>& figures, const std::string& what,
                bool verdicts = true);

// The verdict values a gate may name.
const std::vector<std::string>& gate_verdicts();

// The certainties a gate may name ("certainty == certain", "certainty != borderline").
const std::vector<std::string>& gate_certainties();

struct GateOutcome {
  Gate gate;
  std::size_t checked = 0;            // tests the gate applied to
  std::vector<std::string> breaches;  // "label x scenario (value)"
  bool passed() const { return breaches.empty(); }
};

// Checks every gate against every test of `document` (docs/results-schema.md). A completed
// test breaches a figure's gate when the figure is absent (not measured: "no recovery" does
// not pass recovery_s<10); a test that failed or was interrupted breaches every gate; a
// skipped one (server not installed) is not checked.
std::vector<GateOutcome> check_gates(const std::vector<Gate>& gates, const nlohmann::ordered_json& document);

// "PASS innocent_failure_pct<1 (12 tests)" / "FAIL p99_ratio<5: 2 of 12 tests: a x B (101), ..."
std::string gate_line(const GateOutcome& outcome);

// One "labour: gate PASS|FAIL ..." line per gate on stderr (stdout may carry a JSON
// report); true if every gate passed.
bool print_gates(const std::vector<GateOutcome>& outcomes);

// The document's "gates" block: each gate's text, scope, result and breaches.
nlohmann::ordered_json gates_json(const std::vector<GateOutcome>& outcomes);

}  // namespace labour::run
