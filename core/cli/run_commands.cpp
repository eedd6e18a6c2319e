// `labour run` (one server x one scenario) and `labour matrix` (servers x scenarios). Both
// run cells the same way; a matrix also skips unavailable servers, shows progress, appends
// each finished cell to --out at once and can --resume.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>

#include <spdlog/spdlog.h>

#include "cli/cli.hpp"
#include "common/errors.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Cell {
  const run::ServerConfig* server;
  const scenario::Scenario* scenario;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

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

struct MatrixArgs {
  std::vector<std::string> servers;    // specs
  std::vector<std::string> scenarios;  // names or files
  std::string out_dir;
  bool resume = false;
  bool single = false;  // `labour run`: an unavailable server is the user's error
};

int run_cells(Context& ctx, RunFlags& flags, const MatrixArgs& args) {
  flags.finish();
  auto& registry = ctx.registry();
  run::check_python(flags.settings.python);

  // Everything the user gave is checked before the first server starts.
  std::vector<run::ServerConfig> servers;
  std::set<std::string> labels;
  for (const auto& spec : args.servers) {
    servers.push_back(run::parse_server_spec(registry, spec));
    if (!labels.insert(servers.back().label).second)
      throw UsageError("--server '" + spec + "': label '" + servers.back().label +
                       "' is used twice (add label=NAME)");
  }
  std::vector<scenario::Scenario> scenarios;
  std::set<std::string> scenario_names;
  for (const auto& name : args.scenarios) {
    scenarios.push_back(scenario::load(name));
    if (!scenario_names.insert(scenarios.back().name).second)
      throw UsageError("--scenarios: scenario name '" + scenarios.back().name +
                       "' appears twice (results are kept by server label and scenario name)");
    flags.overrides.apply(scenarios.back());
    for (const auto& entry : scenarios.back().mix) {
      const auto& plugin = registry.require(plugins::Kind::Behaviour, entry.behaviour);
      plugins::validate(plugin, entry.params,
                        "scenario " + scenarios.back().name + ", behaviour " + entry.behaviour);
    }
  }
  const auto reports = plan_reports(ctx, flags.reports, flags.report_opts);

  ResultsFile results(args.out_dir, args.resume);
  json document = run::document_header(flags.settings);
  for (const auto& kept : results.kept()) document["tests"].push_back(kept);

  std::vector<Cell> cells;
  for (const auto& server : servers)
    for (const auto& sc : scenarios)
      if (!results.done(server.label, sc.name)) cells.push_back({&server, &sc});

  const auto& stop = supervisor::interrupt_flag();
  Progress progress(cells.size());
  bool any_failed = false;
  std::map<std::string, run::Availability> availability;  // probe each server once
  for (std::size_t i = 0; i < cells.size() && !stop.load(); ++i) {
    const auto& cell = cells[i];
    if (!args.single) progress.begin(i, cell.server->label, cell.scenario->name);
    auto it = availability.find(cell.server->label);
    if (it == availability.end()) {
      it = availability.emplace(cell.server->label, run::probe(*cell.server, flags.settings)).first;
      if (!it->second.available) {
        if (args.single)
          throw UsageError("server '" + cell.server->label + "' is not available: " + it->second.reason);
        spdlog::warn("skipping {}: {}", cell.server->label, it->second.reason);
      }
    }
    const auto& avail = it->second;
    json test = run::run_test(registry, *cell.server, avail, *cell.scenario, flags.settings, stop);
    if (test["status"] == "failed") {
      any_failed = true;
      spdlog::error("{} x {}: {}", cell.server->label, cell.scenario->name, test.value("error", ""));
    }
    results.append(test);
    document["tests"].push_back(test);
  }
  if (!args.single) progress.done();
  results.write_document(document);
  render_reports(reports, document);
  if (stop.load()) {
    const auto finished = std::count_if(document["tests"].begin(), document["tests"].end(),
                                        [](const json& t) { return t.value("status", "") != "interrupted"; });
    std::fprintf(stderr, "labour: interrupted; %ld finished cells kept%s\n", static_cast<long>(finished),
                 args.out_dir.empty() ? "" : (" in " + args.out_dir + " (add --resume to finish)").c_str());
    return kExitInterrupted;
  }
  return any_failed ? kExitRunFailed : kExitOk;
}

}  // namespace

void add_run_commands(CLI::App& root, Context& ctx, Action& action) {
  {
    auto* cmd = root.add_subcommand("run", "Run one scenario against one freshly started server");
    auto flags = std::make_shared<RunFlags>();
    auto args = std::make_shared<MatrixArgs>();
    auto server = std::make_shared<std::string>();
    auto scenario_name = std::make_shared<std::string>();
    cmd->add_option("-s,--server", *server, "Server NAME[:opt=val,...] (see labour list servers)")
        ->required();
    cmd->add_option("--scenario", *scenario_name,
                    "Built-in scenario name or a TOML file (see labour list scenarios)")
        ->required();
    flags->add_to(*cmd);
    cmd->callback([&ctx, &action, flags, args, server, scenario_name] {
      action = [&ctx, flags, args, server, scenario_name] {
        args->servers = {*server};
        args->scenarios = {*scenario_name};
        args->single = true;
        return run_cells(ctx, *flags, *args);
      };
    });
  }
  {
    auto* cmd =
        root.add_subcommand("matrix", "Run servers x scenarios, each cell against a freshly started server");
    auto flags = std::make_shared<RunFlags>();
    auto args = std::make_shared<MatrixArgs>();
    auto servers = std::make_shared<std::vector<std::string>>();
    auto scenarios = std::make_shared<std::string>("all");
    cmd->add_option(
        "--servers", *servers,
        "all, or servers NAME[:opt=val,...] separated by spaces or given repeatedly (default all)");
    cmd->add_option("--scenarios", *scenarios, "all, or scenario names/files separated by commas")
        ->capture_default_str();
    cmd->add_option("--out", args->out_dir,
                    "Folder for results: each finished cell is appended to cells.jsonl at once");
    cmd->add_flag("--resume", args->resume, "Run only the cells missing from --out");
    flags->add_to(*cmd);
    cmd->callback([&ctx, &action, flags, args, servers, scenarios, cmd] {
      action = [&ctx, flags, args, servers, scenarios] {
        if (args->resume && args->out_dir.empty())
          throw UsageError("--resume needs --out DIR (the folder of the matrix to finish)");
        args->servers.clear();
        const bool all_servers = servers->empty() || (servers->size() == 1 && (*servers)[0] == "all");
        if (all_servers) {
          args->servers = ctx.registry().names(plugins::Kind::Server);
          // `command` needs the user's own command line: it is never implied by "all".
          args->servers.erase(std::remove(args->servers.begin(), args->servers.end(), "command"),
                              args->servers.end());
        } else {
          // A spec holds commas between its options, so servers are separated by spaces,
          // or by commas where the next item is a server name.
          for (const auto& s : *servers) {
            std::string current;
            for (const auto& part : split_list(s)) {
              const bool is_option =
                  part.find('=') != std::string::npos && part.find(':') == std::string::npos;
              if (is_option && !current.empty())
                current += "," + part;
              else {
                if (!current.empty()) args->servers.push_back(current);
                current = part;
              }
            }
            if (!current.empty()) args->servers.push_back(current);
          }
        }
        args->scenarios = *scenarios == "all" ? scenario::builtin_names() : split_list(*scenarios);
        if (args->scenarios.empty())
          throw UsageError("--scenarios: no scenario given (use all or names, e.g. Plain,SIGSEGV)");
        return run_cells(ctx, *flags, *args);
      };
    });
  }
}

}  // namespace labour::cli
