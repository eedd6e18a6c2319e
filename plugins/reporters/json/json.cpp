// json reporter: writes the results document itself (docs/results-schema.md), pretty-printed.
// The output is what `labour report <file>` reads back, so it re-checks the schema version
// rather than passing along a document no reporter of this version can read.
#include <labour/results.hpp>
#include <labour/sdk.hpp>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;  // keeps the producer's field order
using labour::reporters::kSchemaVersion;

class JsonReporter final : public labour::sdk::Reporter {
 public:
  static constexpr const char* name = "json";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "the results document as JSON (re-readable by `labour report`)";

  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer("indent", 2, 0, 8, "spaces per nesting level; 0 = compact, one line")};
  }

  JsonReporter(const labour::sdk::Params& params, const labour::sdk::Host&)
      : indent_(static_cast<int>(params.integer("indent"))) {
    if (indent_ < 0 || indent_ > 8) throw std::invalid_argument("json reporter: indent must be 0..8");
  }

  void render(std::string_view results_json, labour::sdk::Sink& out) override {
    Json doc;
    try {
      doc = Json::parse(results_json.begin(), results_json.end());
    } catch (const Json::exception& e) {
      throw std::runtime_error("results document is not valid JSON: " + one_line(e.what()));
    }
    if (!doc.is_object())
      throw std::runtime_error("results document is not a JSON object (see docs/results-schema.md)");
    auto version = doc.find("schema_version");
    if (version == doc.end())
      throw std::runtime_error("results document has no schema_version: is it a labour results file?");
    if (!version->is_number_integer() || version->get<std::int64_t>() != kSchemaVersion)
      throw std::runtime_error("unsupported results schema_version " + version->dump() +
                               " (this reporter reads " + std::to_string(kSchemaVersion) + ")");
    std::string text;
    try {
      text = doc.dump(indent_ == 0 ? -1 : indent_);  // dump(0) would still break lines
    } catch (const Json::exception& e) {             // e.g. a string that is not UTF-8
      throw std::runtime_error("results document cannot be written as JSON: " + one_line(e.what()));
    }
    out << text << "\n";
  }

 private:
  static std::string one_line(std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
  }

  int indent_;
};

}  // namespace

LABOUR_REPORTER_PLUGIN(JsonReporter)
