#include "run/gates.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include <iterator>
#include <labour/printable.hpp>
#include <labour/results.hpp>
#include "common/errors.hpp"

namespace labour::run {

using json = nlohmann::ordered_json;

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

struct OpText {
  const char* text;
  Gate::Op op;
};
// Longest first, so "<=" is not read as "<" followed by "=".
constexpr OpText kOps[] = {{"<=", Gate::Op::LessEqual}, {">=", Gate::Op::GreaterEqual},
                           {"==", Gate::Op::Equal},     {"!=", Gate::Op::NotEqual},
                           {"<", Gate::Op::Less},       {">", Gate::Op::Greater}};

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

bool holds(const Gate& g, double v) {
  switch (g.op) {
    case Gate::Op::Less:
      return v < g.value;
    case Gate::Op::LessEqual:
      return v <= g.value;
    case Gate::Op::Greater:
      return v > g.value;
    case Gate::Op::GreaterEqual:
      return v >= g.value;
    case Gate::Op::Equal:
      return v == g.value;
    case Gate::Op::NotEqual:
      return v != g.value;
    default:
      return false;
  }
}

bool holds(const Gate& g, const std::string& verdict) {
  const bool listed = std::find(g.verdicts.begin(), g.verdicts.end(), verdict) != g.verdicts.end();
  return (g.op == Gate::Op::In || g.op == Gate::Op::Equal) ? listed : !listed;
}

}  // namespace

const std::vector<std::string>& gate_verdicts() {
  static const std::vector<std::string> v(std::begin(reporters::kVerdicts), std::end(reporters::kVerdicts));
  return v;
}

const std::vector<std::string>& gate_certainties() {
  static const std::vector<std::string> v = {"certain", "borderline"};
  return v;
}

Gate parse_gate(std::string_view text, const std::vector<std::string>& figures, const std::string& what,
                bool verdicts) {
  Gate g;
  g.text = trim(text);
  const std::string& t = g.text;
  // "verdict in a,b" / "verdict not in a,b" / "verdict == a" / "verdict != a", and the same
  // forms for "certainty" (certain / borderline).
  for (const std::string word : {"verdict", "certainty"}) {
    const std::size_t n = word.size();
    if (t.rfind(word, 0) != 0 || !(t.size() == n || t[n] == ' ' || t[n] == '=' || t[n] == '!')) continue;
    const auto& known = word == "verdict" ? gate_verdicts() : gate_certainties();
    if (!verdicts) throw UsageError(what + ": there is no " + word + " here (known: " + join(figures) + ")");
    std::string rest = trim(std::string_view(t).substr(n));
    std::string list;
    if (rest.rfind("not in ", 0) == 0) {
      g.op = Gate::Op::NotIn;
      list = rest.substr(7);
    } else if (rest.rfind("in ", 0) == 0) {
      g.op = Gate::Op::In;
      list = rest.substr(3);
    } else if (rest.rfind("==", 0) == 0 || rest.rfind("!=", 0) == 0) {
      g.op = rest[0] == '=' ? Gate::Op::Equal : Gate::Op::NotEqual;
      list = rest.substr(2);
    } else {
      const std::string v = word == "verdict" ? "V" : "C";
      throw UsageError(what + ": write " + word + " in " + v + "," + v + "..., " + word + " not in " + v +
                       ",..., " + word + " == " + v + " or " + word + " != " + v + " (" + v + " one of " +
                       join(known) + ")");
    }
    std::size_t start = 0;
    while (start <= list.size()) {
      const auto comma = list.find(',', start);
      const std::string v = trim(std::string_view(list).substr(
          start, comma == std::string::npos ? std::string::npos : comma - start));
      if (std::find(known.begin(), known.end(), v) == known.end())
        throw UsageError(what + ": unknown " + word + " " + quote_input(v) + did_you_mean(v, known) +
                         " (known: " + join(known) + ")");
      g.verdicts.push_back(v);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if ((g.op == Gate::Op::Equal || g.op == Gate::Op::NotEqual) && g.verdicts.size() != 1)
      throw UsageError(what + ": == and != take one " + word + " (use in for several)");
    g.figure = word;
    return g;
  }
  std::size_t at = std::string::npos;
  const OpText* found = nullptr;
  for (const auto& op : kOps) {
    const auto pos = t.find(op.text);
    if (pos != std::string::npos && (at == std::string::npos || pos < at)) {  // at one place, the longer
      at = pos;
      found = &op;
    }
  }
  if (!found)
    throw UsageError(what +
                     ": write FIGURE OP NUMBER with OP one of < <= > >= == != (e.g. innocent_failure_pct<1), "
                     "or verdict in robust,degraded");
  g.figure = trim(std::string_view(t).substr(0, at));
  g.op = found->op;
  if (std::find(figures.begin(), figures.end(), g.figure) == figures.end())
    throw UsageError(what + ": unknown figure " + quote_input(g.figure) + did_you_mean(g.figure, figures) +
                     " (known: " + join(figures) + (verdicts ? ", verdict, certainty)" : ")"));
  const std::string number = trim(std::string_view(t).substr(at + std::string_view(found->text).size()));
  std::size_t used = 0;
  try {
    g.value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (number.empty() || used != number.size() || !std::isfinite(g.value))
    throw UsageError(what + ": " + quote_input(number) + " is not a finite number");
  return g;
}

std::vector<GateOutcome> check_gates(const std::vector<Gate>& gates, const json& document) {
  std::vector<GateOutcome> out;
  const json tests =
      document.contains("tests") && document["tests"].is_array() ? document["tests"] : json::array();
  for (const Gate& g : gates) {
    GateOutcome o{g, 0, {}};
    for (const json& t : tests) {
      if (!t.is_object()) continue;
      const std::string label = t.value("label", "?");
      const std::string scenario =
          t.contains("scenario") && t["scenario"].is_object() ? t["scenario"].value("name", "?") : "?";
      if (g.scenario && *g.scenario != scenario) continue;
      const std::string status = t.value("status", "");
      if (status == "skipped") continue;
      // Unsupported: the server cannot do what the scenario asks, so there is nothing to gate.
      if (t.contains("verdict") && t["verdict"].is_object() &&
          t["verdict"].value("value", "") == "unsupported")
        continue;
      ++o.checked;
      const std::string cell = label + " x " + scenario;
      if (status != "completed") {
        o.breaches.push_back(cell + " (" + status + ")");
        continue;
      }
      if (g.figure == "verdict" || g.figure == "certainty") {
        const json& v = t.contains("verdict") && t["verdict"].is_object() ? t["verdict"] : json::object();
        std::string value;
        if (g.figure == "verdict")
          value = v.contains("value") && v["value"].is_string() ? v["value"].get<std::string>() : "none";
        else  // a verdict without certainty (an older document) is certain
          value = v.contains("certainty") && v["certainty"].is_string() ? v["certainty"].get<std::string>()
                                                                        : "certain";
        if (!holds(g, value)) o.breaches.push_back(cell + " (" + value + ")");
        continue;
      }
      const json* f = nullptr;
      if (t.contains("figures") && t["figures"].is_object() && t["figures"].contains(g.figure))
        f = &t["figures"][g.figure];
      if (!f || !f->is_number())
        o.breaches.push_back(cell + " (not measured)");
      else if (!holds(g, f->get<double>()))
        o.breaches.push_back(cell + " (" + number_text(f->get<double>()) + ")");
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::string gate_line(const GateOutcome& o) {
  const std::string scope = o.gate.scenario ? " [scenario " + *o.gate.scenario + "]" : "";
  const std::string tests = std::to_string(o.checked) + (o.checked == 1 ? " test" : " tests");
  if (o.passed()) return "PASS " + o.gate.text + scope + " (" + tests + ")";
  std::string list;
  for (std::size_t i = 0; i < o.breaches.size() && i < 5; ++i) list += (i ? ", " : "") + o.breaches[i];
  if (o.breaches.size() > 5) list += ", ...";
  return "FAIL " + o.gate.text + scope + ": " + std::to_string(o.breaches.size()) + " of " + tests + ": " +
         list;
}

bool print_gates(const std::vector<GateOutcome>& outcomes) {
  bool all = true;
  for (const auto& o : outcomes) {
    // Expressions, scenario names and labels come from users and documents: escaped.
    std::fprintf(stderr, "labour: gate %s\n", printable(gate_line(o)).c_str());
    all = all && o.passed();
  }
  return all;
}

json gates_json(const std::vector<GateOutcome>& outcomes) {
  json out = json::array();
  for (const auto& o : outcomes) {
    json g = {{"expression", o.gate.text},
              {"passed", o.passed()},
              {"checked", o.checked},
              {"breaches", o.breaches}};
    if (o.gate.scenario) g["scenario"] = *o.gate.scenario;
    out.push_back(g);
  }
  return out;
}

}  // namespace labour::run
