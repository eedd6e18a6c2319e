// csv reporter: the results document (docs/results-schema.md) as one CSV table (RFC 4180)
// for spreadsheets and scripts: one row per test (a matrix cell) and behaviour of its fault
// phase (the test's `behaviours`, in their order), after one header row. A test without
// behaviours (skipped, failed, one that stopped before its fault phase) still has one row,
// its behaviour columns empty. docs/results-schema.md, "CSV columns", says the same.
//
// Columns, in this order:
//   label                the server configuration's label (the matrix row)
//   server               server.name, the adapter
//   server_version       server.version
//   scenario             scenario.name (the matrix column)
//   status               completed, failed, skipped, interrupted
//   error                why a test did not complete
//   verdict              verdict.value
//   verdict_summary      verdict.summary
//   verdict_reason       verdict.reason
//   labour_verdict       Labour's 2010 rule: passed or failed
//   behaviour            behaviours[].name
//   params               its parameters, "key=value" separated by "; ", in schema order
//   innocent             true or false
//   weight               its weight in the mix
//   sent, expected, unexpected   its requests of the fault phase
//   p50_ms, p99_ms       latency of its expected outcomes (latency_us.p50 / .p99 in ms)
//   innocent_failure_pct figures.innocent_failure_pct  } the test's figures, repeated on
//   innocent_p99_ratio   figures.p99_ratio             } every row of the test; empty when
//   recovery_s           figures.recovery_s            } absent or null (not measured)
//
// Encoding: UTF-8, CRLF line ends. A field holding a comma, a double quote, CR or LF is
// quoted, its quotes doubled. Other control characters (C0 but tab, DEL, C1) become U+FFFD. Empty: absent
// from the document (or null). Numbers are written in plain decimal notation, as short as reads back the
// same. Formula guard: a text field starting with = + - @, a tab or CR gets a leading ' so that a spreadsheet
// shows it rather than evaluating it (OWASP's advice on CSV injection); numbers are never guarded (a negative
// number stays a number).
#include <labour/results.hpp>
#include <labour/sdk.hpp>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using namespace labour::reporters;

const char* const kColumns[] = {"label",
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

// Control characters but tab and line ends (C0, DEL, C1: a terminal would act on them) as
// U+FFFD.
std::string printable(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool c1 = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(s[i + 1]) <= 0x9F;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F || c1) {
      out += "\xEF\xBF\xBD";
      i += c1 ? 1 : 0;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// One field as RFC 4180 wants it: quoted when it holds a separator, a quote or a line end.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Text from the document: guarded against being read as a formula.
std::string text(const std::optional<std::string>& s) {
  if (!s || s->empty()) return "";
  const char c = s->front();
  const bool formula = c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
  return field(printable(formula ? "'" + *s : *s));
}

std::string number(std::optional<double> v) {
  if (!v) return "";
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, *v, std::chars_format::fixed);
  return r.ec == std::errc() ? std::string(buf, r.ptr) : "";
}

std::string number(std::optional<std::uint64_t> v) { return v ? std::to_string(*v) : ""; }

std::optional<double> ms(const std::optional<Latency>& l, std::optional<double> Latency::*p) {
  if (!l || !((*l).*p)) return std::nullopt;
  return *((*l).*p) / 1000.0;  // the unit the column names, not a figure
}

class CsvReporter final : public labour::sdk::Reporter {
 public:
  static constexpr const char* name = "csv";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "CSV (RFC 4180): one row per test and behaviour, with the test's verdict and key figures";

  static std::vector<labour::sdk::Param> params() { return {}; }

  CsvReporter(const labour::sdk::Params&, const labour::sdk::Host&) {}

  void render(std::string_view results_json, labour::sdk::Sink& out) override {
    const Document doc = read_document(results_json);
    std::string header;
    for (const char* column : kColumns) header += (header.empty() ? "" : ",") + std::string(column);
    out << header << "\r\n";
    for (std::size_t i = 0; i < doc.tests.size(); ++i) {
      const TestView& t = doc.tests[i];
      const std::optional<VerdictView>& v = t.verdict;
      const std::string test = text(t.label) + "," + text(t.server_name) + "," + text(t.server_version) +
                               "," + text(t.scenario.name) + "," + text(t.status) + "," + text(t.error) +
                               "," + text(v ? std::optional(v->value) : std::nullopt) + "," +
                               text(v ? v->summary : std::nullopt) + "," +
                               text(v ? v->reason : std::nullopt) + "," + text(t.labour_verdict);
      const std::string figures = number(t.figure("innocent_failure_pct")) + "," +
                                  number(t.figure("p99_ratio")) + "," + number(t.figure("recovery_s"));
      if (t.behaviours.empty()) out << test << ",,,,,,,,,," << figures << "\r\n";
      for (const BehaviourView& b : t.behaviours) {
        std::string params;
        for (const auto& [key, value] : b.params) params += (params.empty() ? "" : "; ") + key + "=" + value;
        out << test << "," << text(b.name) << "," << text(params) << "," << (b.innocent ? "true" : "false")
            << "," << number(b.weight) << "," << number(b.sent) << "," << number(b.expected) << ","
            << number(b.unexpected) << "," << number(ms(b.latency, &Latency::p50_us)) << ","
            << number(ms(b.latency, &Latency::p99_us)) << "," << figures << "\r\n";
      }
    }
  }
};

}  // namespace

LABOUR_REPORTER_PLUGIN(CsvReporter)
