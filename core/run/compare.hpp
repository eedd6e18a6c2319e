// `labour compare OLD NEW`: what changed between two runs of the same cells. The verdicts
// that changed, and the figures that moved beyond what repetition explains: beyond the
// spread of their repetitions when both runs have one (--repeat), else beyond a documented
// tolerance. A verdict that got worse, or a figure that moved the bad way, is a regression.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace labour::run {

// The file a results argument names: itself, or an --out folder's results.json.
std::string results_path(const std::string& path_or_folder);

// A results document read from results_path(): a regular file of at most 1 GiB, JSON, this
// schema_version. Throws UsageError "<command>: '<path>' ..." naming what is wrong.
nlohmann::ordered_json read_results_document(const std::string& path_or_folder, const std::string& command);

struct FigureChange {
  std::string name;
  double old_value = 0, new_value = 0;
  bool worse = false;  // moved the bad way (higher innocent failures, slower, longer outages...)
  std::string basis;   // "beyond the spread of N and M runs" or "beyond 25% and 1 point"
};

struct CellChange {
  std::string label, scenario;
  std::string old_verdict, new_verdict;  // or the status of a test that did not complete
  enum class Kind { Same, Better, Worse, Changed } verdict_change = Kind::Same;  // Changed: no order
  std::vector<FigureChange> figures;                                             // only those that moved
  bool regression() const;
};

struct Comparison {
  std::vector<CellChange> cells;                      // in NEW's order, cells found in both
  std::vector<std::string> only_in_old, only_in_new;  // "label x scenario"
  std::size_t regressions() const;
};

// Relative tolerance for figures of runs without repetitions, in percent (--tolerance).
inline constexpr double kDefaultTolerancePct = 25;

// Throws UsageError when the documents have no cell in common.
Comparison compare_documents(const nlohmann::ordered_json& old_doc, const nlohmann::ordered_json& new_doc,
                             double tolerance_pct = kDefaultTolerancePct);

// The comparison as text for a terminal, as a GitHub-flavoured Markdown table, or as JSON.
std::string compare_text(const Comparison& c, const std::string& old_name, const std::string& new_name);
std::string compare_markdown(const Comparison& c, const std::string& old_name, const std::string& new_name);
nlohmann::ordered_json compare_json(const Comparison& c, const std::string& old_name,
                                    const std::string& new_name);

}  // namespace labour::run
