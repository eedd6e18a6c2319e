#include "cli/cli.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <labour/printable.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/cpus.hpp"
#include "common/duration.hpp"
#include "common/errors.hpp"
#include "common/output_file.hpp"
#include "plugins/params.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::cli {
namespace fs = std::filesystem;

plugins::Registry& Context::registry() {
  if (!registry_) {
    registry_ = std::make_unique<plugins::Registry>();
    std::vector<fs::path> dirs(plugin_dirs.begin(), plugin_dirs.end());
    for (const auto& d : dirs)
      if (!fs::is_directory(d)) throw UsageError("--plugin-dir '" + d.string() + "': no such folder");
    registry_->scan(plugins::search_path(dirs));
    for (const auto& r : registry_->rejections())
      spdlog::warn("rejected plugin {}: {}", r.file.string(), r.reason);
    if (!worker_source.empty())
      for (const auto& file : registry_->use_worker_sources(worker_source))
        spdlog::info("worker half read from {} (--worker-source)", file.string());
  }
  return *registry_;
}

namespace {}  // namespace

void require_worker_imports(const std::vector<const plugins::PluginInfo*>& behaviours,
                            const std::string& python,
                            const std::function<std::string(const plugins::PluginInfo&)>& used_by) {
  const auto check = run::check_worker_imports(behaviours, python);
  if (!check.not_checked.empty()) spdlog::info("worker halves not checked: {}", check.not_checked);
  if (check.problems.empty()) return;
  const auto& first = check.problems.front();
  const std::size_t more = check.problems.size() - 1;
  throw UsageError(used_by(*first.behaviour) + ": behaviour '" + first.behaviour->name +
                   "': its worker half does not import under " + python + ": " + first.error + " (plugin " +
                   first.behaviour->file.string() + ")" +
                   (more ? "; " + std::to_string(more) + " more behaviour" + (more > 1 ? "s do" : " does") +
                               " not import either (see labour list behaviours)"
                         : ""));
}

void RunFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--report", reports,
                 "Reporter and output: NAME[:PATH] (repeatable; default console to stdout)");
  cmd.add_option("--report-opt", report_opts,
                 "Reporter option NAME.key=value (repeatable), e.g. json.indent=0");
  cmd.add_option("--fail-on", fail_on,
                 "Gate for CI (repeatable): exit 1 when a test breaches it, e.g. innocent_failure_pct<1, "
                 "p99_ratio<5, recovery_s<10, 'verdict in robust,degraded'");
  cmd.add_option("-n,--requests", overrides.requests, "Requests per test (overrides the scenario)")
      ->transform(within(scenario::limits::requests));
  cmd.add_option("-d,--duration", duration,
                 "Run each test this long instead of a request count: 10s, 500ms, 2m");
  cmd.add_option("-c,--concurrency", overrides.concurrency, "Concurrent connections")
      ->transform(within(scenario::limits::concurrency));
  cmd.add_option("--rate", overrides.rate, "Open model: requests per second on a fixed schedule")
      ->transform(within(scenario::limits::rate));
  cmd.add_option("--threads", overrides.threads, "Client threads (one event loop each)")
      ->transform(within(scenario::limits::threads));
  cmd.add_option("--seed", overrides.seed, "Seed of the behaviour selection")
      ->transform(within(scenario::limits::seed));
  cmd.add_option("--policy", policy, "Selection policy: random, repeat or spaced")
      ->check(CLI::IsMember({"random", "repeat", "spaced"}));
  cmd.add_option("--repeat", repeat_text,
                 "Run each cell N times, each on a fresh server (medians and ranges); auto: run a "
                 "borderline cell again until a run is certain (at most 5 runs, within --repeat-budget)");
  cmd.add_option("--repeat-budget", repeat_budget,
                 "With --repeat auto: the reruns the whole matrix may take, e.g. 5m (default 300s)");
  cmd.add_flag("--no-keepalive", no_keepalive, "One connection per request");
  cmd.add_flag("--no-innocent", no_innocent,
               "Allow a scenario without an innocent behaviour, to watch what a server makes of a "
               "behaviour alone (nothing measures good requests: such a test is inconclusive)");
  cmd.add_option("--timeout", overrides.timeout_ms, "Per-request timeout in milliseconds")
      ->transform(within(scenario::limits::timeout_ms));
  cmd.add_option("--python", settings.python, "Python interpreter that runs the server")
      ->capture_default_str();
  cmd.add_option("--ready-timeout", ready_timeout_s, "Seconds to wait for a server to answer")
      ->capture_default_str()
      ->transform(within(scenario::limits::ready_timeout));
  cmd.add_flag("--keep-run-dir", settings.keep_run_dir,
               "Keep each test's run dir (worker app, configs, server logs)");
  cmd.add_option("--monitor-interval", monitor_interval,
                 "How often the server's processes are sampled (RSS, CPU, ...): 100ms, 1s");
  cmd.add_option("--server-cpus", server_cpus,
                 "CPUs the server runs on, e.g. 0 or 0-2 (default: all but the client's)");
  cmd.add_option("--client-cpus", client_cpus,
                 "CPUs labour's client runs on, e.g. 3 (default: the last, one per client thread)");
  cmd.add_flag("--no-pin", no_pin, "Pin neither server nor client to CPUs");
}

void RunFlags::finish() {
  if (!duration.empty()) {
    const std::string what = "-d '" + duration + "'";
    overrides.duration_s = scenario::check_setting(parse_duration(duration, what).count() / 1000.0,
                                                   scenario::limits::duration, what);
  }
  if (!policy.empty())
    overrides.policy = policy == "repeat"   ? engine::Policy::Repeat
                       : policy == "spaced" ? engine::Policy::Spaced
                                            : engine::Policy::Random;
  if (no_keepalive) overrides.keep_alive = false;
  if (repeat_text == "auto") {
    repeat_auto = true;
  } else if (!repeat_text.empty()) {
    const std::string what = "--repeat '" + repeat_text + "'";
    std::size_t used = 0;
    unsigned long n = 0;
    try {
      n = std::stoul(repeat_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != repeat_text.size() || repeat_text[0] == '-' || n < 1 || n > 1000)
      throw UsageError(what + ": give a number of runs from 1 to 1000, or auto");
    repeat = static_cast<std::uint32_t>(n);
  }
  if (!repeat_budget.empty()) {
    const std::string what = "--repeat-budget '" + repeat_budget + "'";
    if (!repeat_auto)
      throw UsageError(what + ": only means something with --repeat auto (add it, or drop this)");
    repeat_budget_s = static_cast<double>(parse_duration(repeat_budget, what).count()) / 1000.0;
    if (*repeat_budget_s <= 0) throw UsageError(what + ": must be more than 0 (e.g. 5m)");
  }
  settings.ready_timeout = std::chrono::milliseconds(static_cast<long>(ready_timeout_s * 1000));
  if (!monitor_interval.empty()) {
    const std::string what = "--monitor-interval '" + monitor_interval + "'";
    settings.monitor_interval = parse_duration(monitor_interval, what);
    if (settings.monitor_interval < std::chrono::milliseconds(10) ||
        settings.monitor_interval > std::chrono::minutes(1))
      throw UsageError(what + ": must be between 10ms and 1m (sampling more often costs the client CPU)");
  }
  Pinning& pin = settings.pinning;
  pin.allowed = allowed_cpus();
  pin.enabled = !no_pin;
  if (no_pin && (!server_cpus.empty() || !client_cpus.empty()))
    throw UsageError("--no-pin: cannot be combined with --server-cpus or --client-cpus (drop one of them)");
  if (!server_cpus.empty())
    pin.server = parse_cpu_list(server_cpus, "--server-cpus '" + server_cpus + "'", pin.allowed);
  if (!client_cpus.empty())
    pin.client = parse_cpu_list(client_cpus, "--client-cpus '" + client_cpus + "'", pin.allowed);
}

namespace {

int write_to_file(void* ctx, labour_str_t bytes) {
  auto* out = static_cast<std::ostream*>(ctx);
  out->write(bytes.data, static_cast<std::streamsize>(bytes.len));
  return out->good() ? 0 : 1;
}

// Every error and log line reaches the terminal with its control characters escaped: they
// carry labels, paths, server output and plugin messages.
void print_error(const std::exception& e) {
  std::fprintf(stderr, "labour: %s\n", printable(e.what()).c_str());
}

class PrintableMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string text = printable(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PrintableMessage>();
  }
};

}  // namespace

std::vector<PlannedReport> plan_reports(Context& ctx, const std::vector<std::string>& reports_given,
                                        const std::vector<std::string>& report_opts,
                                        const std::string& out_dir, const std::vector<InputFile>& inputs) {
  std::vector<std::string> reports = reports_given;
  // The console summary always reaches stdout, also when the reports asked for go to files;
  // a report that already writes to stdout takes its place (output must stay parseable).
  const bool to_stdout = std::any_of(reports.begin(), reports.end(), [](const std::string& spec) {
    const auto colon = spec.find(':');
    return colon == std::string::npos || colon + 1 == spec.size() || spec.substr(colon + 1) == "-";
  });
  auto& registry = ctx.registry();
  if (!ctx.quiet && !to_stdout && (reports.empty() || registry.find(plugins::Kind::Reporter, "console")))
    reports.push_back("console");
  // An option for a reporter that is not used would be dropped without a word.
  for (const auto& opt : report_opts) {
    const std::string name = opt.substr(0, opt.find('.'));
    const bool used = std::any_of(reports.begin(), reports.end(), [&](const std::string& spec) {
      return spec.substr(0, spec.find(':')) == name;
    });
    if (!used && opt.find('.') != std::string::npos)
      throw UsageError("--report-opt '" + opt + "': reporter '" + name + "' is not used (add --report " +
                       name + "[:PATH], or drop the option)");
  }
  std::vector<PlannedReport> planned;
  std::vector<std::pair<std::string, std::string>> written;  // files written so far: path, by what
  std::error_code ec;
  if (!out_dir.empty())
    for (const char* name : {"results.json", "cells.jsonl", "plan.json"}) {
      const fs::path file = fs::path(out_dir) / name;
      refuse_input_as_output(file, inputs, "--out " + out_dir);
      written.emplace_back(fs::weakly_canonical(fs::absolute(file, ec), ec).string(), "--out " + out_dir);
    }
  for (const auto& spec : reports) {
    const auto colon = spec.find(':');
    const std::string name = spec.substr(0, colon);
    const std::string path = colon == std::string::npos ? "" : spec.substr(colon + 1);
    const auto& plugin = registry.require(plugins::Kind::Reporter, name);
    plugins::RawParams given;
    for (const auto& opt : report_opts) {
      const auto dot = opt.find('.');
      if (dot == std::string::npos)
        throw UsageError("--report-opt '" + opt + "': write NAME.key=value, e.g. json.indent=0");
      if (opt.substr(0, dot) != name) continue;
      for (auto& kv : plugins::parse_assignments(opt.substr(dot + 1), "--report-opt " + opt))
        given.push_back(kv);
    }
    // -v asks the console for every test's details, unless its own option says otherwise.
    const auto declares = [&](const std::string& key) {
      return std::any_of(plugin.params.begin(), plugin.params.end(),
                         [&](const plugins::ParamInfo& p) { return p.name == key; });
    };
    const bool details_given =
        std::any_of(given.begin(), given.end(), [](const auto& kv) { return kv.first == "details"; });
    if (ctx.verbosity > 0 && name == "console" && declares("details") && !details_given)
      given.emplace_back("details", "true");
    // --color for the console, as a terminal wants it; a file gets no escape codes unless
    // asked for them (always).
    const bool color_given =
        std::any_of(given.begin(), given.end(), [](const auto& kv) { return kv.first == "color"; });
    if (name == "console" && declares("color") && !color_given) {
      const bool to_file = !path.empty() && path != "-";
      given.emplace_back("color", to_file && ctx.color == "auto" ? "never" : ctx.color);
    }
    if (!path.empty() && path != "-") {
      const fs::path parent = fs::path(path).parent_path();
      // "out/" and "out" are one folder: compare without a trailing separator.
      const auto folder = [](const fs::path& p) {
        fs::path n = p.lexically_normal();
        return n.has_filename() ? n : n.parent_path();
      };
      const bool in_out_dir = !out_dir.empty() && folder(parent) == folder(out_dir);
      if (!parent.empty() && !fs::is_directory(parent) && !in_out_dir)
        throw UsageError("--report " + spec + ": folder '" + parent.string() + "' does not exist");
      refuse_input_as_output(path, inputs, "--report " + spec);
      // Found now, not after the run: a report that cannot be written would lose it.
      const auto status = fs::status(path, ec);  // a link: what it leads to
      if (fs::is_directory(status))
        throw UsageError("--report " + spec + ": '" + path + "' is a folder; give a file name in it");
      const bool in_place = fs::exists(status) && !fs::is_regular_file(status);  // a FIFO, a device
      // A folder that does not exist yet is one the command creates (its --out): nothing to try.
      const fs::path target_parent = fs::path(path).parent_path();
      if (in_place || target_parent.empty() || fs::is_directory(target_parent, ec) ||
          fs::is_symlink(path, ec))
        if (const std::string problem = output_file_problem(path); !problem.empty())
          throw UsageError("--report " + spec + ": '" + path + "' is not writable (" + problem +
                           "); choose another path");
      // Two reports to one file would overwrite each other.
      const std::string same = fs::weakly_canonical(fs::absolute(path, ec), ec).string();
      for (const auto& [other, other_spec] : written)
        if (other == same && !in_place)
          throw UsageError("--report " + spec + ": '" + path + "' is also written by " +
                           (other_spec.rfind("--out", 0) == 0 ? other_spec : "--report " + other_spec) +
                           "; give each report its own file");
      written.emplace_back(same, spec);
    }
    planned.push_back({&plugin, plugins::validate(plugin, given, "--report " + spec), path});
  }
  return planned;
}

void render_reports(const std::vector<PlannedReport>& planned, const nlohmann::ordered_json& document) {
  const std::string text = document.dump();
  for (const auto& p : planned) {
    const std::string what = "--report " + p.plugin->name + (p.path.empty() ? "" : ":" + p.path);
    auto reporter = plugins::Instance::create(*p.plugin, p.options, what);
    const bool to_file = !p.path.empty() && p.path != "-";
    std::ostringstream rendered;  // a report file is written whole or not at all
    labour_sink_t sink{sizeof(labour_sink_t), to_file ? static_cast<std::ostream*>(&rendered) : &std::cout,
                       &write_to_file};
    const int32_t rc = reporter.api<labour_reporter_api_t>().reporter_on_render(
        reporter.handle(), reporter.host(), {text.data(), text.size()}, &sink);
    if (rc != 0) throw RunError("reporter '" + p.plugin->name + "' failed: " + reporter.last_error());
    if (to_file)
      write_output_file(p.path, rendered.str(), "--report " + p.plugin->name + ":" + p.path);
    else
      std::cout.flush();
  }
}

int main(int argc, char** argv) {
  // Before any thread exists: subreaper, SIGPIPE, the watchdog that outlives a SIGKILL.
  supervisor::init_process_supervision();
  supervisor::install_interrupt_handlers();

  CLI::App app{
      "labour: which Python WSGI server survives your bad code, and how badly do good requests suffer "
      "meanwhile"};
  app.set_version_flag("--version", std::string("labour ") + LABOUR_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  Context ctx;
  app.add_option("--plugin-dir", ctx.plugin_dirs,
                 "Also load plugins from this folder (repeatable; searched first)");
  app.add_option("--worker-source", ctx.worker_source,
                 "Development: read behaviours' worker halves (<Name>.py) from this folder, laid out "
                 "as the source tree's plugins/behaviours, instead of the copies built into their .so")
      ->type_name("DIR");
  app.add_flag("-v,--verbose", ctx.verbosity, "More log output (-vv for debug)");
  app.add_flag("-q,--quiet", ctx.quiet,
               "No console summary (reports asked for with --report are still written)");
  app.add_option("--color", ctx.color,
                 "Colour in the console: auto (a terminal, unless NO_COLOR is set), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  Action action;
  add_run_commands(app, ctx, action);
  add_info_commands(app, ctx, action);
  add_load_command(app, action);
  app.footer("Exit codes: 0 ok, 1 a run failed, 2 bad input, 130 interrupted. Docs: docs/cli.md");

  auto logger = spdlog::stderr_color_mt("labour");
  spdlog::set_default_logger(logger);
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<PrintableMessage>('*').set_pattern("labour: %^%l%$: %*");
  spdlog::set_formatter(std::move(formatter));
  spdlog::set_level(spdlog::level::warn);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, naming the input, plus where to look. CLI11 reports a missing required
    // option before an unknown one; the unknown one is what went wrong.
    std::string what = e.what();
    const auto extra = app.remaining(true);
    const auto chosen = app.get_subcommands();
    const std::string help =
        chosen.empty() ? "labour --help" : "labour " + chosen.front()->get_name() + " --help";
    if (!extra.empty() &&
        (dynamic_cast<const CLI::RequiredError*>(&e) || dynamic_cast<const CLI::ExtrasError*>(&e))) {
      std::vector<std::string> commands;
      for (const CLI::App* sub : app.get_subcommands({})) commands.push_back(sub->get_name());
      std::vector<std::string> options;  // the flags the chosen command (or labour itself) takes
      for (const CLI::App* where : {chosen.empty() ? static_cast<const CLI::App*>(&app) : chosen.front(),
                                    static_cast<const CLI::App*>(&app)})
        for (const CLI::Option* o : where->get_options())
          for (const auto& n : o->get_lnames()) options.push_back("--" + n);
      if (extra.front().rfind('-', 0) == 0)
        what = "unknown option '" + extra.front() + "'" + did_you_mean(extra.front(), options);
      else if (!chosen.empty())
        what = chosen.front()->get_name() + ": unexpected argument '" + extra.front() + "'";
      else
        what = "unknown command '" + extra.front() + "'" + did_you_mean(extra.front(), commands) +
               " (commands: " + join(commands) + ")";
    }
    std::fprintf(stderr, "labour: %s (see %s)\n", printable(what).c_str(), help.c_str());
    return kExitUsage;
  }
  spdlog::set_level(ctx.verbosity >= 2   ? spdlog::level::debug
                    : ctx.verbosity == 1 ? spdlog::level::info
                                         : spdlog::level::warn);
  try {
    return action ? action() : kExitUsage;
  } catch (const UsageError& e) {
    print_error(e);
    return kExitUsage;
  } catch (const Interrupted& e) {
    print_error(e);
    return kExitInterrupted;
  } catch (const RunError& e) {
    print_error(e);
    return kExitRunFailed;
  } catch (const std::exception& e) {
    print_error(e);
    return kExitRunFailed;
  }
}

}  // namespace labour::cli
