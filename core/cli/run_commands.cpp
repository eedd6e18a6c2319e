// `labour run` (one server x one scenario) and `labour matrix` (servers x scenarios): the
// command lines only. Planning, the cells, cells.jsonl and --resume live in run/matrix.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "cli/cli.hpp"
#include "common/errors.hpp"
#include "common/output_file.hpp"
#include "plugins/params.hpp"
#include "run/compare.hpp"
#include "run/matrix.hpp"
#include "run/merge.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::cli {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // the document keeps the order it is written in
using Clock = std::chrono::steady_clock;

namespace {

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

struct MatrixArgs {
  run::MatrixRequest request;
  std::string out_dir;
  bool resume = false;
  bool shard_given = false;       // --shard was on the command line, even as '' (an unset variable)
  std::string shard;              // K/N or auto
  std::uint32_t shard_count = 0;  // with --shard auto
};

std::optional<std::string> getenv_text(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::optional<std::string>(value) : std::nullopt;
}

int run_cells(Context& ctx, RunFlags& flags, MatrixArgs& args) {
  flags.finish();
  auto& registry = ctx.registry();
  run::check_python(flags.settings.python);
  // Everything the user gave is checked before the first server starts.
  args.request.overrides = flags.overrides;
  args.request.repeat = flags.repeat;
  args.request.repeat_auto = flags.repeat_auto;
  if (flags.repeat_budget_s) args.request.repeat_budget_s = *flags.repeat_budget_s;
  args.request.fail_on = flags.fail_on;
  args.request.allow_no_innocent = flags.no_innocent;
  if (args.shard_given) {
    args.request.shard = run::parse_shard(args.shard, args.shard_count, getenv_text);
    if (args.out_dir.empty())
      throw UsageError("--shard " + args.shard + ": needs --out DIR (the shard's results, for labour merge)");
  } else if (args.shard_count) {
    throw UsageError("--shard-count: only with --shard auto");
  }
  const auto plan = run::plan_matrix(registry, args.request, flags.settings);
  // A scenario file is read, never written: no report or --out file may replace it.
  std::vector<InputFile> inputs;
  for (const auto& sc : plan.scenarios)
    if (sc->scenario.source != "builtin") inputs.push_back({sc->scenario.source, "scenario file"});
  const auto reports = plan_reports(ctx, flags.reports, flags.report_opts, args.out_dir, inputs);
  // Once for the whole run: a worker half that does not import would fail every cell's server.
  std::vector<const plugins::PluginInfo*> behaviours;
  for (const auto& sc : plan.scenarios)
    behaviours.insert(behaviours.end(), sc->plugins.begin(), sc->plugins.end());
  require_worker_imports(behaviours, flags.settings.python, [&plan](const plugins::PluginInfo& b) {
    for (const auto& sc : plan.scenarios)
      if (std::find(sc->plugins.begin(), sc->plugins.end(), &b) != sc->plugins.end())
        return "scenario " + sc->scenario.name;
    return std::string("the run");
  });
  const auto& stop = supervisor::interrupt_flag();
  const auto outcome = run::execute_matrix(plan, flags.settings, args.out_dir, args.resume, stop, ctx.quiet);
  render_reports(reports, outcome.document);
  const bool gates_passed = run::print_gates(outcome.gates);
  if (outcome.interrupted) {
    std::fprintf(stderr, "labour: interrupted; %zu finished cells kept%s\n", outcome.finished,
                 args.out_dir.empty() ? "" : (" in " + args.out_dir + " (add --resume to finish)").c_str());
    return kExitInterrupted;
  }
  return outcome.any_failed || !gates_passed ? kExitRunFailed : kExitOk;
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
        args->request.servers = {*server};
        args->request.scenarios = {*scenario_name};
        args->request.single = true;
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
    auto scenarios = std::make_shared<std::vector<std::string>>();
    cmd->add_option(
        "--servers", *servers,
        "all, or servers NAME[:opt=val,...] separated by spaces or given repeatedly (default all)");
    cmd->add_option("--scenarios", *scenarios,
                    "all, or scenario names/files separated by spaces or commas, or given repeatedly "
                    "(default all)");
    cmd->add_option("--out", args->out_dir,
                    "Folder for results: each finished cell is appended to cells.jsonl at once");
    cmd->add_flag("--resume", args->resume, "Run only the cells missing from --out");
    auto* shard =
        cmd->add_option("--shard", args->shard,
                        "Run shard K/N of the cells (1-based), or auto: K from JOB_COMPLETION_INDEX "
                        "(Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm job array); merge "
                        "the shards with labour merge");
    cmd->add_option("--shard-count", args->shard_count,
                    "With --shard auto: the number of shards (default: $LABOUR_SHARD_COUNT, or the Slurm "
                    "array's size)")
        ->check(CLI::Range(1u, 100000u));
    cmd->add_option("--jobs", args->request.jobs,
                    "Cells run side by side, each on CPUs of its own (default 1; with --no-pin they share)")
        ->check(CLI::Range(1u, 256u));
    flags->add_to(*cmd);
    cmd->callback([&ctx, &action, flags, args, servers, scenarios, shard] {
      args->shard_given = shard->count() > 0;
      action = [&ctx, flags, args, servers, scenarios] {
        if (args->resume && args->out_dir.empty())
          throw UsageError("--resume needs --out DIR (the folder of the matrix to finish)");
        auto& servers_out = args->request.servers;
        servers_out.clear();
        const bool all_servers = servers->empty() || (servers->size() == 1 && (*servers)[0] == "all");
        if (all_servers) {
          servers_out = ctx.registry().names(plugins::Kind::Server);
          // `command` needs the user's own command line: it is never implied by "all".
          servers_out.erase(std::remove(servers_out.begin(), servers_out.end(), "command"),
                            servers_out.end());
        } else {
          // A spec holds commas between its options, so servers are separated by spaces,
          // or by commas where the next item is a server name.
          for (const auto& s : *servers) {
            std::string current;
            for (const auto& part : plugins::split_options(s)) {
              if (part.empty()) continue;
              // An option is name=value with no ':' in its name; anything else starts a server.
              const auto eq = part.find('=');
              const bool is_option = eq != std::string::npos && part.find(':') > eq;
              if (is_option && !current.empty())
                current += "," + part;
              else {
                if (!current.empty()) servers_out.push_back(current);
                current = part;
              }
            }
            if (!current.empty()) servers_out.push_back(current);
          }
          if (servers_out.empty())
            throw UsageError(
                "--servers: no server given (use all, or names, e.g. wsgiref gunicorn:workers=2)");
        }
        // One list syntax for --servers and --scenarios: words, commas, or the option repeated.
        auto& scenarios_out = args->request.scenarios;
        scenarios_out.clear();
        for (const auto& s : *scenarios)
          for (const auto& name : split_list(s)) scenarios_out.push_back(name);
        const bool all_scenarios =
            scenarios->empty() || (scenarios_out.size() == 1 && scenarios_out[0] == "all");
        if (all_scenarios) scenarios_out = scenario::builtin_names();
        if (!scenarios->empty() && scenarios_out.empty())
          throw UsageError("--scenarios: no scenario given (use all or names, e.g. Plain,SIGSEGV)");
        return run_cells(ctx, *flags, *args);
      };
    });
  }
  {
    auto* cmd = root.add_subcommand("compare",
                                    "Compare two runs of the same cells: changed verdicts and figures that "
                                    "moved (exit 1 on a regression)");
    struct CompareArgs {
      std::string old_path, new_path;
      std::vector<std::string> reports;
      double tolerance_pct = run::kDefaultTolerancePct;
    };
    auto args = std::make_shared<CompareArgs>();
    cmd->add_option("old", args->old_path, "The earlier run: a results.json or an --out folder")->required();
    cmd->add_option("new", args->new_path, "The later run")->required();
    cmd->add_option("--report", args->reports,
                    "console, markdown or json, each to stdout or :PATH (repeatable; default console)");
    cmd->add_option("--tolerance", args->tolerance_pct,
                    "Percent a figure of runs without repetitions may move before it counts (default 25)")
        ->transform(within(scenario::limits::tolerance));  // finite: nan would hide every regression
    cmd->callback([&action, args] {
      action = [args] {
        struct Output {
          std::string format, path;
        };
        std::vector<Output> outputs;
        for (const auto& spec : args->reports.empty() ? std::vector<std::string>{"console"} : args->reports) {
          const auto colon = spec.find(':');
          Output o{spec.substr(0, colon), colon == std::string::npos ? "" : spec.substr(colon + 1)};
          if (o.format != "console" && o.format != "markdown" && o.format != "json")
            throw UsageError("--report '" + spec + "': compare renders console, markdown or json");
          outputs.push_back(o);
        }
        // The comparison never replaces a run it compares.
        const std::vector<InputFile> inputs = {{run::results_path(args->old_path), "OLD"},
                                               {run::results_path(args->new_path), "NEW"}};
        for (const auto& o : outputs)
          if (!o.path.empty() && o.path != "-") {
            refuse_input_as_output(o.path, inputs, "--report " + o.format + ":" + o.path);
            if (const std::string problem = output_file_problem(o.path); !problem.empty())
              throw UsageError("--report " + o.format + ":" + o.path + ": '" + o.path +
                               "' is not writable (" + problem + "); choose another path");
          }
        const auto old_doc = run::read_results_document(args->old_path, "compare");
        const auto new_doc = run::read_results_document(args->new_path, "compare");
        const auto comparison = run::compare_documents(old_doc, new_doc, args->tolerance_pct);
        for (const auto& o : outputs) {
          const std::string text =
              o.format == "console" ? run::compare_text(comparison, args->old_path, args->new_path)
              : o.format == "markdown"
                  ? run::compare_markdown(comparison, args->old_path, args->new_path)
                  : run::compare_json(comparison, args->old_path, args->new_path).dump(2) + "\n";
          if (o.path.empty() || o.path == "-")
            std::fwrite(text.data(), 1, text.size(), stdout);
          else
            write_output_file(o.path, text, "--report " + o.format + ":" + o.path);
        }
        std::fflush(stdout);
        return comparison.regressions() ? kExitRunFailed : kExitOk;
      };
    });
  }
  {
    auto* cmd = root.add_subcommand(
        "merge", "Merge the shards of a matrix (labour matrix --shard K/N) into one result");
    struct MergeArgs {
      std::vector<std::string> shards, reports, report_opts, fail_on;
      std::string out_dir;
      bool allow_partial = false;
    };
    auto args = std::make_shared<MergeArgs>();
    cmd->add_option("shards", args->shards, "Each shard's --out folder or results.json")->required();
    cmd->add_option("--out", args->out_dir, "Folder for the merged results.json");
    cmd->add_flag("--allow-partial", args->allow_partial,
                  "Merge even when planned cells have no result (they are listed as a warning)");
    cmd->add_option("--report", args->reports,
                    "Reporter and output: NAME[:PATH] (repeatable; default console to stdout)");
    cmd->add_option("--report-opt", args->report_opts, "Reporter option NAME.key=value (repeatable)");
    cmd->add_option("--fail-on", args->fail_on,
                    "Gate for CI (repeatable), as for matrix: exit 1 when breached");
    cmd->callback([&ctx, &action, args] {
      action = [&ctx, args] {
        std::vector<run::Gate> gates;
        for (const auto& text : args->fail_on)
          gates.push_back(run::parse_gate(text, run::gate_figures(), "--fail-on " + quote_input(text)));
        // The merge never replaces a shard it reads (merge s1 s2 --out s1), checked before
        // anything is read or written.
        std::vector<InputFile> inputs;
        for (const auto& path : args->shards) inputs.push_back({run::results_path(path), "a shard"});
        const auto reports = plan_reports(ctx, args->reports, args->report_opts, args->out_dir, inputs);
        std::vector<run::ShardDocument> shards;
        for (const auto& path : args->shards) shards.push_back(run::read_shard(path));
        auto merged = run::merge_shards(shards);
        const auto outcomes = run::check_gates(gates, merged.document);
        if (!gates.empty()) merged.document["gates"] = run::gates_json(outcomes);
        if (!merged.missing.empty() && !args->allow_partial) {
          std::string list;
          for (std::size_t i = 0; i < merged.missing.size() && i < 5; ++i)
            list += (i ? ", " : "") + merged.missing[i];
          if (merged.missing.size() > 5) list += ", ...";
          std::fprintf(stderr,
                       "labour: merge: %zu planned cells have no result: %s (run their shards, or add "
                       "--allow-partial)\n",
                       merged.missing.size(), list.c_str());
          return kExitRunFailed;
        }
        // Ctrl-C during the merge: nothing is written, and it is no success (exit 130).
        const auto& stop = supervisor::interrupt_flag();
        if (stop.load())
          throw Interrupted("merge: interrupted before the merged results were written; nothing was written");
        if (!args->out_dir.empty()) {
          std::error_code ec;
          fs::create_directories(args->out_dir, ec);
          if (ec)
            throw UsageError("--out '" + args->out_dir + "': cannot create the folder (" + ec.message() +
                             ")");
          write_output_file(fs::path(args->out_dir) / "results.json", merged.document.dump(2) + "\n",
                            "--out " + args->out_dir);
        }
        render_reports(reports, merged.document);
        const bool gates_passed = run::print_gates(outcomes);
        if (stop.load())
          throw Interrupted(
              "merge: interrupted" +
              (args->out_dir.empty()
                   ? std::string()
                   : "; " + (fs::path(args->out_dir) / "results.json").string() + " was written whole"));
        return gates_passed ? kExitOk : kExitRunFailed;
      };
    });
  }
}

}  // namespace labour::cli
