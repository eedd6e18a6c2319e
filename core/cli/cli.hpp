// The command line: `labour run|matrix|serve|load|list|doctor|report`. Exit codes
// (docs/cli.md): 0 ok, 1 a run failed, 2 bad input, 130 interrupted.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/errors.hpp"
#include "common/output_file.hpp"
#include "plugins/registry.hpp"
#include "run/gates.hpp"
#include "run/runner.hpp"

namespace labour::cli {

using Action = std::function<int()>;

// What every command shares: global options and the plugin registry (scanned on first use).
struct Context {
  std::vector<std::string> plugin_dirs;
  std::string worker_source;  // --worker-source: behaviours' worker halves read from a folder
  int verbosity = 0;
  std::string color = "auto";  // --color: the console's, unless --report-opt console.color says
  bool quiet = false;          // --quiet: no console summary unless a --report asks for one
  plugins::Registry& registry();

 private:
  std::unique_ptr<plugins::Registry> registry_;
};

// Options shared by `run` and `matrix`: load overrides, reporting, supervision.
// A load setting's command-line value, checked against the limits a scenario file has too
// (scenario::limits): one set of rules, named in the error.
// Used as ->transform(within(...)): the checked text is rewritten in plain decimal.
inline CLI::Validator within(const scenario::SettingLimit& limit) {
  return CLI::Validator([limit](std::string& text) { return scenario::setting_error(text, limit); },
                        limit.name);
}

struct RunFlags {
  std::vector<std::string> reports;      // NAME[:PATH]
  std::vector<std::string> report_opts;  // NAME.key=value
  std::vector<std::string> fail_on;      // gates (run/gates.hpp)
  scenario::Overrides overrides;
  std::string policy;
  std::string duration;  // "10s", "500ms", "2m" or seconds
  std::string monitor_interval;
  std::string server_cpus, client_cpus;
  bool no_pin = false;
  bool no_keepalive = false;
  bool no_innocent = false;               // --no-innocent: a scenario may lack an innocent behaviour
  std::string repeat_text;                // --repeat N or auto
  std::uint32_t repeat = 1;               // runs of each cell, each on a fresh server
  bool repeat_auto = false;               // rerun borderline cells until they settle
  std::string repeat_budget;              // --repeat-budget: rerunning allowed to auto, the whole matrix
  std::optional<double> repeat_budget_s;  // given: the matrix's default otherwise
  run::Settings settings;
  double ready_timeout_s = 30;
  void add_to(CLI::App& cmd);
  void finish();  // moves parsed values into overrides/settings
};

// The --report and --report-opt flags, checked before any work starts (so bad input never
// costs a finished run). The console summary goes to stdout unless a report already writes
// there; -v (Context::verbosity) turns on its `details` unless --report-opt sets them.
struct PlannedReport {
  const plugins::PluginInfo* plugin;
  plugins::ParamValues options;
  std::string path;  // empty or "-": stdout
};
// `out_dir`: the command's --out folder, which it creates before writing: a report may go there,
// but not onto the files the command writes there (results.json, cells.jsonl, plan.json).
// `inputs`: the files the command reads; no report, and no file of `out_dir`, may be one of
// them (refuse_input_as_output).
std::vector<PlannedReport> plan_reports(Context& ctx, const std::vector<std::string>& reports,
                                        const std::vector<std::string>& report_opts,
                                        const std::string& out_dir = {},
                                        const std::vector<InputFile>& inputs = {});
void render_reports(const std::vector<PlannedReport>& planned, const nlohmann::ordered_json& document);

// Before any server starts: refuses (UsageError, one line) when a behaviour's worker half does
// not import under `python` (run::check_worker_imports: one python process for all of them),
// naming the first such behaviour with Python's line, and how many more there are. `used_by`
// says what needs the behaviour, e.g. "scenario Plain". A check that cannot run is logged
// (-v) and let pass: the server's own start then says what is wrong.
void require_worker_imports(const std::vector<const plugins::PluginInfo*>& behaviours,
                            const std::string& python,
                            const std::function<std::string(const plugins::PluginInfo&)>& used_by);

void add_run_commands(CLI::App& root, Context& ctx, Action& action);   // run, matrix
void add_info_commands(CLI::App& root, Context& ctx, Action& action);  // list, doctor, serve, report
void add_load_command(CLI::App& root, std::function<int()>& action);   // load (core/cli/load_command.cpp)

int main(int argc, char** argv);

}  // namespace labour::cli
