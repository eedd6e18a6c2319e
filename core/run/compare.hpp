// `labour compare OLD NEW`: what changed between two runs of the same cells. The verdicts
// that changed, and the figures that moved beyond what the noise explains: their intervals
// apart when both runs have them (a figure's `intervals`, at the verdict's confidence; an
// absolute latency is judged by its ratio's), else beyond the spread of their repetitions
// when both runs have one (--repeat), else beyond a documented tolerance. Figures are not
// compared inside an unchanged `down` or `hung` (what a dead or hung server's innocent
// requests measured is no figure of its own). A verdict that got worse, or a figure that
// moved the bad way, is a regression; a verdict that changed where either run's was
// borderline is `uncertain` (an identical rerun may change it), unless the deciding
// figure's intervals are apart.
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
  std::string basis;   // "intervals apart ...", "beyond the spread of N and M runs", "beyond 25% and 1"
  // Moved by the spread or the tolerance alone in a cell where either run's verdict was
  // borderline: shown, but no regression (only intervals apart say more than the noise there).
  bool uncertain = false;
};

struct CellChange {
  std::string label, scenario;
  std::string old_verdict, new_verdict;                 // or the status of a test that did not complete
  bool old_borderline = false, new_borderline = false;  // verdict.certainty (absent: certain)
  // Changed: no order; Uncertain: changed where either side was borderline, no regression.
  enum class Kind { Same, Better, Worse, Changed, Uncertain } verdict_change = Kind::Same;
  std::vector<FigureChange> figures;  // only those that moved
  bool regression() const;
};

struct Comparison {
  std::vector<CellChange> cells;                      // in NEW's order, cells found in both
  std::vector<std::string> only_in_old, only_in_new;  // "label x scenario"
  std::size_t regressions() const;
  std::size_t uncertain() const;  // verdict changes where either run was borderline
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
