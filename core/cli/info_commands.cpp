// `labour list`, `labour doctor`, `labour serve` and `labour report`.
#include <labour/printable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/cli.hpp"
#include "common/errors.hpp"
#include "plugins/params.hpp"
#include "run/compare.hpp"
#include "run/matrix.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::cli {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // the document keeps the order it is written in

namespace {

// The seed's servers that cannot be offered, and why (docs/servers.md).
struct Unsupported {
  const char* name;
  const char* reason;
};
constexpr Unsupported kUnsupported[] = {
    {"cogen", "Python-2-only and abandoned since 2009; no Debian package; cannot run on Python 3"},
    {"fapws3", "Python-2-only and abandoned; no Debian package; cannot run on Python 3"},
};

json param_json(const plugins::ParamInfo& p) {
  json j = {{"name", p.name}, {"type", p.type_name()}, {"default", p.default_value}, {"help", p.help}};
  if (p.min) j["min"] = *p.min;
  if (p.max) j["max"] = *p.max;
  if (!p.choices.empty()) j["choices"] = p.choices;
  if (p.default_value.empty()) j["required"] = true;
  return j;
}

void print_params(const std::vector<plugins::ParamInfo>& params) {
  for (const auto& p : params) {
    std::printf("    %-20s %s, %s%s%s\n", printable(p.name).c_str(),
                printable(plugins::describe_domain(p)).c_str(),
                p.default_value.empty() ? "required" : "default ", printable(p.default_value).c_str(),
                p.help.empty() ? "" : printable("  " + p.help).c_str());
  }
}

std::vector<const plugins::PluginInfo*> behaviour_plugins(const plugins::Registry& registry) {
  std::vector<const plugins::PluginInfo*> behaviours;
  for (const auto& name : registry.names(plugins::Kind::Behaviour))
    behaviours.push_back(registry.find(plugins::Kind::Behaviour, name));
  return behaviours;
}

int list(Context& ctx, const std::string& what, bool as_json) {
  std::vector<plugins::Kind> kinds;
  bool scenarios = what.empty() || what == "scenarios" || what == "scenario";
  if (what.empty())
    kinds = {plugins::Kind::Behaviour, plugins::Kind::Server, plugins::Kind::Reporter};
  else if (auto k = plugins::kind_from_plural(what))
    kinds = {*k};
  else if (!scenarios)
    throw UsageError("list '" + what +
                     "': unknown category (use behaviours, servers, reporters or scenarios)");
  auto& registry = ctx.registry();
  // Every behaviour's worker half, imported as the servers will (one python process for all).
  run::WorkerImportCheck imports;
  if (std::find(kinds.begin(), kinds.end(), plugins::Kind::Behaviour) != kinds.end()) {
    imports = run::check_worker_imports(behaviour_plugins(registry), run::Settings{}.python);
    if (!imports.not_checked.empty()) spdlog::warn("worker halves not checked: {}", imports.not_checked);
  }
  json out = json::array();
  for (auto kind : kinds) {
    if (!as_json) std::printf("%s:\n", std::string(plugins::kind_plural(kind)).c_str());
    for (const auto& name : registry.names(kind)) {
      const auto& p = *registry.find(kind, name);
      const auto* problem = kind == plugins::Kind::Behaviour ? imports.find(&p) : nullptr;
      if (as_json) {
        json params = json::array();
        for (const auto& param : p.params) params.push_back(param_json(param));
        json entry = {{"kind", plugins::kind_name(kind)}, {"name", p.name},       {"version", p.version},
                      {"file", p.file.string()},          {"summary", p.summary}, {"params", params}};
        if (kind == plugins::Kind::Behaviour)
          entry["worker_import_error"] = problem ? json(problem->error) : json(nullptr);
        out.push_back(std::move(entry));
      } else {
        std::printf("  %-16s %-8s %s%s\n", printable(p.name).c_str(), printable(p.version).c_str(),
                    printable(p.summary).c_str(), problem ? "  [broken]" : "");
        if (problem) std::printf("    worker half does not import: %s\n", printable(problem->error).c_str());
        std::printf("    file: %s\n", printable(p.file.string()).c_str());
        print_params(p.params);
      }
    }
  }
  if (scenarios) {
    if (!as_json) std::printf("scenarios:\n");
    for (const auto& s : scenario::builtin()) {
      json mix = json::array();
      std::string mix_text;
      for (const auto& e : s.mix) {
        json params = json::object();
        std::string ptext;
        for (const auto& [k, v] : e.params) {
          params[k] = v;
          ptext += (ptext.empty() ? "" : ",") + k + "=" + v;
        }
        mix.push_back({{"behaviour", e.behaviour}, {"weight", e.weight}, {"params", params}});
        mix_text += (mix_text.empty() ? "" : " : ") + std::to_string(e.weight) + " " + e.behaviour +
                    (ptext.empty() ? "" : "(" + ptext + ")");
      }
      if (as_json) {
        out.push_back({{"kind", "scenario"},
                       {"name", s.name},
                       {"version", LABOUR_VERSION},
                       {"file", "builtin"},
                       {"summary", s.description},
                       {"policy", scenario::policy_name(s.policy)},
                       {"requests", s.requests},
                       {"concurrency", s.concurrency},
                       {"mix", mix}});
      } else {
        std::printf("  %-16s %s\n    %s, %s, %llu requests, concurrency %u\n", printable(s.name).c_str(),
                    printable(s.description).c_str(), printable(mix_text).c_str(),
                    std::string(scenario::policy_name(s.policy)).c_str(),
                    static_cast<unsigned long long>(s.requests), s.concurrency);
      }
    }
  }
  if (as_json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int doctor(Context& ctx, const run::Settings& settings, bool as_json) {
  auto& registry = ctx.registry();
  json rows = json::array();
  for (const auto& name : registry.names(plugins::Kind::Server)) {
    const auto& plugin = *registry.find(plugins::Kind::Server, name);
    run::ServerConfig config;
    config.label = name;
    config.adapter = &plugin;
    run::Availability a;
    try {
      config.options = plugins::validate(plugin, {}, "doctor");
      a = run::probe(config, settings);
    } catch (const UsageError&) {
      // An adapter with a required option (e.g. `command`) has nothing to probe on its own.
      a.available = true;
      a.version = "n/a";
      a.reason = "needs options to run (see labour list servers)";
    }
    rows.push_back({{"kind", "server"},
                    {"name", name},
                    {"available", a.available},
                    {"version", a.version},
                    {"reason", a.reason},
                    {"interpreter", settings.python},
                    {"file", plugin.file.string()}});
  }
  for (const auto& u : kUnsupported)
    rows.push_back({{"kind", "server"},
                    {"name", u.name},
                    {"available", false},
                    {"version", ""},
                    {"reason", u.reason},
                    {"interpreter", settings.python}});
  // A behaviour whose worker half does not import under this interpreter: every server
  // hosting it fails to start. One row each, after the servers.
  const auto behaviours = behaviour_plugins(registry);
  const auto imports = run::check_worker_imports(behaviours, settings.python);
  for (const auto& problem : imports.problems)
    rows.push_back({{"kind", "behaviour"},
                    {"name", problem.behaviour->name},
                    {"available", false},
                    {"version", problem.behaviour->version},
                    {"reason", "worker half does not import: " + problem.error},
                    {"interpreter", settings.python},
                    {"file", problem.behaviour->file.string()}});
  if (as_json) {
    std::cout << rows.dump(2) << "\n";
    return kExitOk;
  }
  int name_width = 6, version_width = 7;  // at least the headings
  for (const auto& r : rows) {
    if (r["kind"] != "server") continue;
    name_width = std::max(name_width, static_cast<int>(r["name"].get<std::string>().size()));
    version_width = std::max(version_width, static_cast<int>(r["version"].get<std::string>().size()));
  }
  std::printf("%-*s  %-9s  %-*s  %s\n", name_width, "server", "available", version_width, "version",
              "interpreter / why not");
  for (const auto& r : rows) {
    if (r["kind"] != "server") continue;
    const bool ok = r["available"];
    const std::string reason = r["reason"];
    const std::string detail = ok ? settings.python + (reason.empty() ? "" : "; " + reason) : reason;
    std::printf("%-*s  %-9s  %-*s  %s\n", name_width, printable(r["name"].get<std::string>()).c_str(),
                ok ? "yes" : "no", version_width, printable(r["version"].get<std::string>()).c_str(),
                printable(detail).c_str());
  }
  for (const auto& r : registry.rejections())
    std::printf("rejected plugin %s: %s\n", printable(r.file.string()).c_str(), printable(r.reason).c_str());
  for (const auto& problem : imports.problems)
    std::printf("broken behaviour %s: worker half does not import under %s: %s (%s)\n",
                printable(problem.behaviour->name).c_str(), printable(settings.python).c_str(),
                printable(problem.error).c_str(), printable(problem.behaviour->file.string()).c_str());
  if (!imports.not_checked.empty())
    std::printf("behaviours: worker halves not checked: %s\n", printable(imports.not_checked).c_str());
  else if (imports.problems.empty() && !behaviours.empty())
    std::printf("behaviours: the worker halves of all %zu import under %s\n", behaviours.size(),
                printable(settings.python).c_str());
  return kExitOk;
}

int serve(Context& ctx, const std::string& spec, std::uint16_t port, const run::Settings& settings) {
  auto& registry = ctx.registry();
  run::check_python(settings.python);
  const auto server = run::parse_server_spec(registry, spec);
  const auto availability = run::probe(server, settings);
  if (!availability.available)
    throw UsageError("server '" + server.label + "' is not available: " + availability.reason);
  const auto behaviours = behaviour_plugins(registry);
  require_worker_imports(behaviours, settings.python, [](const plugins::PluginInfo&) {
    return std::string("serve (it hosts every behaviour)");
  });
  run::ServerSession session(server, behaviours, settings, port);
  std::printf("%s %s serving labour's worker app at http://127.0.0.1:%u/\n", printable(server.label).c_str(),
              printable(availability.version).c_str(), session.port());
  // Each behaviour's own request with its defaults: a URL that answers as a test would see it.
  for (const auto* b : behaviours) {
    const std::string what = "behaviour " + b->name;
    std::string line;
    try {
      const auto request =
          run::request_of(plugins::Instance::create(*b, plugins::validate(*b, {}, what), what), what);
      line = (request.method == "GET" ? "" : request.method + " ") +
             "http://127.0.0.1:" + std::to_string(session.port()) + request.target;
    } catch (const UsageError&) {
      line = "/" + b->name + "  (needs parameters: labour list behaviours)";
    }
    std::printf("  %s\n", printable(line).c_str());
  }
  std::printf("Press Ctrl-C to stop.\n");
  std::fflush(stdout);
  const auto& stop = supervisor::interrupt_flag();
  while (!stop.load() && session.process().running())
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const bool died = !stop.load();
  const auto report = session.stop(died);
  if (died) {
    std::fprintf(stderr, "labour: the server exited by itself (%s); its logs are in %s\n",
                 report.status ? report.status->describe().c_str() : "unknown status",
                 printable(session.run_dir().string()).c_str());
    return kExitRunFailed;
  }
  std::printf("stopped (%s, %.2f s, %d orphans)\n",
              report.signal_needed.empty() ? "already exited" : report.signal_needed.c_str(),
              report.stop_seconds, report.orphans_killed);
  return kExitOk;
}

int report(Context& ctx, const std::string& file, const std::vector<std::string>& reports,
           const std::vector<std::string>& opts) {
  // An interrupted matrix's folder may hold only cells.jsonl: its finished cells are shown.
  fs::path cells = file;
  std::error_code ec;
  if (fs::is_directory(file, ec) && !fs::exists(fs::path(file) / "results.json"))
    cells = fs::path(file) / "cells.jsonl";
  const auto planned = plan_reports(
      ctx, reports, opts, {},
      {{cells.extension() == ".jsonl" ? cells : fs::path(run::results_path(file)), "the document shown"}});
  json document;
  if (cells.extension() == ".jsonl") {
    auto tests = run::read_cells_file(cells, "it is not a matrix's cells.jsonl");
    document = {
        {"schema_version", run::kSchemaVersion},
        {"tool", {{"name", "labour"}, {"version", LABOUR_VERSION}}},
        {"warnings", json::array({"made from " + cells.string() + ": the " + std::to_string(tests.size()) +
                                  " cells an unfinished matrix kept; its results.json was not written"})},
        {"tests", tests}};
  } else {
    document = run::read_results_document(file, "report");
  }
  render_reports(planned, document);
  return kExitOk;
}

}  // namespace

void add_info_commands(CLI::App& root, Context& ctx, Action& action) {
  {
    auto* cmd = root.add_subcommand("list", "List plugins and scenarios with their parameters");
    auto what = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    cmd->add_option("what", *what, "behaviours, servers, reporters or scenarios (default: all)");
    cmd->add_flag("--json", *as_json, "One JSON object per plugin/scenario");
    cmd->callback([&ctx, &action, what, as_json] {
      action = [&ctx, what, as_json] { return list(ctx, *what, *as_json); };
    });
  }
  {
    auto* cmd = root.add_subcommand(
        "doctor", "Which servers are available here, their versions, and how to install the rest");
    auto settings = std::make_shared<run::Settings>();
    auto as_json = std::make_shared<bool>(false);
    cmd->add_option("--python", settings->python, "Python interpreter that runs the servers")
        ->capture_default_str();
    cmd->add_flag("--json", *as_json, "One JSON object per server adapter");
    cmd->callback([&ctx, &action, settings, as_json] {
      action = [&ctx, settings, as_json] { return doctor(ctx, *settings, *as_json); };
    });
  }
  {
    auto* cmd = root.add_subcommand("serve", "Start a server hosting labour's worker app until Ctrl-C");
    auto spec = std::make_shared<std::string>();
    auto port = std::make_shared<std::uint16_t>(0);
    auto settings = std::make_shared<run::Settings>();
    cmd->add_option("-s,--server", *spec, "Server NAME[:opt=val,...]")->required();
    cmd->add_option("-p,--port", *port, "Port on 127.0.0.1 (default: a free one)")
        ->check(CLI::Range(1, 65535));
    cmd->add_option("--python", settings->python, "Python interpreter that runs the server")
        ->capture_default_str();
    cmd->add_flag("--keep-run-dir", settings->keep_run_dir, "Keep the run dir (worker app, configs, logs)");
    cmd->callback([&ctx, &action, spec, port, settings] {
      action = [&ctx, spec, port, settings] { return serve(ctx, *spec, *port, *settings); };
    });
  }
  {
    auto* cmd = root.add_subcommand("report", "Render a saved results document with any reporter");
    auto file = std::make_shared<std::string>();
    auto reports = std::make_shared<std::vector<std::string>>();
    auto opts = std::make_shared<std::vector<std::string>>();
    cmd->add_option("file", *file, "results.json from an earlier run")->required();
    cmd->add_option("--report", *reports, "Reporter and output: NAME[:PATH] (repeatable; default console)");
    cmd->add_option("--report-opt", *opts, "Reporter option NAME.key=value (repeatable)");
    cmd->callback([&ctx, &action, file, reports, opts] {
      action = [&ctx, file, reports, opts] { return report(ctx, *file, *reports, *opts); };
    });
  }
}

}  // namespace labour::cli
