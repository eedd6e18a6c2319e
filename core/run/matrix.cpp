#include "run/matrix.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "common/errors.hpp"
#include "plugins/params.hpp"
#include "run/serialize.hpp"

namespace labour::run {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // the document keeps the order it is written in
using Clock = std::chrono::steady_clock;

namespace {

// Appends one finished cell to <out>/cells.jsonl at once, so an interrupted matrix keeps it.
class ResultsFile {
 public:
  ResultsFile(const std::string& dir, bool resume) {
    if (dir.empty()) return;
    path_ = fs::path(dir) / "cells.jsonl";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw UsageError("--out '" + dir + "': cannot create the folder (" + ec.message() + ")");
    if (resume) {
      std::ifstream in(path_);
      std::string line;
      int number = 0;
      while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        json cell = json::parse(line, nullptr, false);
        if (cell.is_discarded() || !cell.contains("label") || !cell.contains("scenario"))
          throw UsageError(path_.string() + ":" + std::to_string(number) +
                           ": not a labour results line (remove it or start without --resume)");
        if (cell.value("status", "") != "interrupted") kept_.push_back(cell);
      }
    } else if (fs::exists(path_)) {
      throw UsageError("--out '" + dir +
                       "' already holds results (add --resume to finish them, or choose another folder)");
    }
    // Rewrite without interrupted cells: they will be run again.
    std::ofstream out(path_, std::ios::trunc);
    for (const auto& c : kept_) out << c.dump() << "\n";
    if (!out) throw UsageError("--out '" + dir + "': cannot write " + path_.string());
  }
  const std::vector<json>& kept() const { return kept_; }
  bool done(const std::string& label, const std::string& scenario) const {
    for (const auto& c : kept_)
      if (c["label"] == label && c["scenario"]["name"] == scenario) return true;
    return false;
  }
  void append(const json& cell) {
    if (path_.empty()) return;
    std::ofstream out(path_, std::ios::app);
    out << cell.dump() << "\n";
    out.flush();
  }
  void write_document(const json& document) {
    if (path_.empty()) return;
    const fs::path final_path = path_.parent_path() / "results.json";
    const fs::path tmp = path_.parent_path() / "results.json.tmp";
    std::ofstream(tmp, std::ios::trunc) << document.dump(2) << "\n";
    fs::rename(tmp, final_path);
  }

 private:
  fs::path path_;
  std::vector<json> kept_;
};

// "cell 3/8  gunicorn × SIGSEGV  elapsed 0:42  eta 1:10" on a terminal (redrawn), plain lines otherwise.
class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), tty_(::isatty(STDERR_FILENO)), start_(Clock::now()) {}
  void begin(std::size_t index, const std::string& server, const std::string& scenario) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    std::string eta = "?";
    if (index > 0) eta = clock(elapsed / static_cast<double>(index) * static_cast<double>(total_ - index));
    std::fprintf(stderr, "%scell %zu/%zu  %s x %s  elapsed %s  eta %s%s", tty_ ? "\r\033[K" : "", index + 1,
                 total_, server.c_str(), scenario.c_str(), clock(elapsed).c_str(), eta.c_str(),
                 tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  void done() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  static std::string clock(double seconds) {
    const long s = static_cast<long>(seconds);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
  }
  std::size_t total_;
  bool tty_;
  Clock::time_point start_;
};

}  // namespace

MatrixPlan plan_matrix(const plugins::Registry& registry, const MatrixRequest& request) {
  MatrixPlan plan;
  plan.repeat = request.repeat;
  plan.single = request.single;
  if (request.repeat == 0) throw UsageError("--repeat 0: give the number of runs of each cell (1 or more)");
  std::set<std::string> labels;
  for (const auto& spec : request.servers) {
    plan.servers.push_back(parse_server_spec(registry, spec));
    if (!labels.insert(plan.servers.back().label).second)
      throw UsageError("--server '" + spec + "': label '" + plan.servers.back().label +
                       "' is used twice (add label=NAME)");
  }
  std::set<std::string> names;
  for (const auto& name : request.scenarios) {
    scenario::Scenario sc = scenario::load(name);
    if (!names.insert(sc.name).second)
      throw UsageError("--scenarios: scenario name '" + sc.name +
                       "' appears twice (results are kept by server label and scenario name)");
    request.overrides.apply(sc);
    plan.scenarios.push_back(prepare_scenario(registry, sc));
  }
  return plan;
}

TestResult run_repeated(const ServerConfig& server, const Availability& availability,
                        const PreparedScenario& scenario, const Settings& settings, std::uint32_t repeat,
                        const std::atomic<bool>& stop) {
  TestResult first = run_test(server, availability, scenario, settings, stop);
  if (repeat <= 1 || first.status != "completed") return first;
  std::vector<Summary> runs{*first.summary};
  for (std::uint32_t i = 1; i < repeat && !stop.load(); ++i) {
    TestResult next = run_test(server, availability, scenario, settings, stop);
    if (next.status != "completed") break;  // an interrupted run is not a repetition
    runs.push_back(*next.summary);
  }
  Repeats repeats;
  first.summary = combine(runs, repeats);
  first.repeats = std::move(repeats);
  return first;
}

MatrixOutcome execute_matrix(const MatrixPlan& plan, const Settings& settings, const std::string& out_dir,
                             bool resume, const std::atomic<bool>& stop) {
  ResultsFile results(out_dir, resume);
  MatrixOutcome outcome;
  outcome.document = document_header(settings);
  for (const auto& kept : results.kept()) outcome.document["tests"].push_back(kept);

  struct Cell {
    const ServerConfig* server;
    const PreparedScenario* scenario;
  };
  std::vector<Cell> cells;
  for (const auto& server : plan.servers)
    for (const auto& sc : plan.scenarios)
      if (!results.done(server.label, sc->scenario.name)) cells.push_back({&server, sc.get()});

  Progress progress(cells.size());
  std::map<std::string, Availability> availability;  // probe each server once
  for (std::size_t i = 0; i < cells.size() && !stop.load(); ++i) {
    const auto& cell = cells[i];
    const std::string& scenario_name = cell.scenario->scenario.name;
    if (!plan.single) progress.begin(i, cell.server->label, scenario_name);
    auto it = availability.find(cell.server->label);
    if (it == availability.end()) {
      it = availability.emplace(cell.server->label, probe(*cell.server, settings)).first;
      if (!it->second.available) {
        if (plan.single)
          throw UsageError("server '" + cell.server->label + "' is not available: " + it->second.reason);
        spdlog::warn("skipping {}: {}", cell.server->label, it->second.reason);
      }
    }
    const TestResult test =
        run_repeated(*cell.server, it->second, *cell.scenario, settings, plan.repeat, stop);
    if (test.status == "failed") {
      outcome.any_failed = true;
      spdlog::error("{} x {}: {}", cell.server->label, scenario_name, test.error);
    }
    const json entry = to_json(test);
    results.append(entry);
    outcome.document["tests"].push_back(entry);
  }
  if (!plan.single) progress.done();
  results.write_document(outcome.document);
  outcome.interrupted = stop.load();
  for (const auto& t : outcome.document["tests"])
    if (t.value("status", "") != "interrupted") ++outcome.finished;
  return outcome;
}

}  // namespace labour::run
