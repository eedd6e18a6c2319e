#include "run/runner.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/errors.hpp"
#include "monitor/monitor.hpp"
#include "plugins/params.hpp"
#include "workerapp/worker_app.hpp"

namespace labour::run {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

labour_str_t c_str(const std::string& s) { return {s.data(), s.size()}; }
std::string str(labour_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

// A bound-then-closed loopback port: free at this instant (the server may still lose a race
// for it, which ServerSession answers by trying another).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw RunError("cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw RunError("cannot find a free loopback port");
  return ntohs(addr.sin_port);
}

// Holds the C view of a launch context for one call.
struct CContext {
  labour_launch_context_t c{};
  std::string python, app_dir, module, callable, host = "127.0.0.1", run_dir;
  CContext(const Settings& settings, const workerapp::AppLayout& app, const fs::path& dir, std::uint16_t port)
      : python(settings.python),
        app_dir(app.app_dir.string()),
        module(app.module),
        callable(app.callable),
        run_dir(dir.string()) {
    c = {sizeof c,        c_str(python), c_str(app_dir), c_str(module),
         c_str(callable), c_str(host),   port,           c_str(run_dir)};
  }
};

struct PlannedLaunch {
  supervisor::LaunchSpec spec;
  std::vector<std::pair<std::string, std::string>> files;
};

using PlanFn = int32_t (*)(labour_instance_t*, const labour_launch_context_t*, labour_launch_plan_t*);

PlannedLaunch plan(const plugins::Instance& adapter, PlanFn fn, const CContext& ctx, const fs::path& run_dir,
                   const char* what) {
  labour_launch_plan_t out{};
  out.struct_size = sizeof out;
  if (fn(adapter.handle(), &ctx.c, &out) != 0)
    throw UsageError("server '" + adapter.plugin().name + "' cannot plan its " + what + ": " +
                     adapter.last_error());
  if (out.argc == 0 || !out.argv)
    throw RunError("server '" + adapter.plugin().name + "' planned an empty command line");
  PlannedLaunch p;
  for (uint32_t i = 0; i < out.argc; ++i) p.spec.argv.push_back(str(out.argv[i]));
  for (uint32_t i = 0; i < out.envc; ++i) p.spec.env.push_back(str(out.env[i]));
  for (uint32_t i = 0; i < out.filec; ++i) {
    const fs::path rel = str(out.files[i].path);
    if (rel.empty() || rel.is_absolute() || rel.lexically_normal().string().rfind("..", 0) == 0)
      throw RunError("server '" + adapter.plugin().name + "' wants to write '" + rel.string() +
                     "' outside its run dir");
    p.files.emplace_back(rel.string(), str(out.files[i].content));
  }
  const std::string workdir = str(out.workdir);
  p.spec.workdir = workdir.empty() ? run_dir : fs::path(workdir);
  return p;
}

void write_files(const fs::path& run_dir, const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [rel, content] : files) {
    const fs::path path = run_dir / rel;
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw RunError("cannot write " + path.string());
  }
}

struct CommandOutput {
  bool exited_ok = false;
  std::string out, err, status;
};

// Runs a short command (a probe) to completion with a deadline; output captured in files.
CommandOutput run_command(supervisor::LaunchSpec spec, std::chrono::milliseconds deadline) {
  const fs::path dir = workerapp::make_run_dir();
  spec.stdout_path = dir / "out";
  spec.stderr_path = dir / "err";
  if (spec.workdir.empty()) spec.workdir = dir;
  spec.marker = supervisor::new_marker();
  CommandOutput result;
  try {
    auto process = supervisor::ServerProcess::start(spec);
    const auto until = Clock::now() + deadline;
    while (process.running() && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const bool timed_out = process.running();
    process.stop(
        {std::chrono::milliseconds(200), std::chrono::milliseconds(200), std::chrono::milliseconds(1000)});
    const auto status = process.exit_status();
    result.exited_ok = !timed_out && status && status->exited && status->code == 0;
    result.status = timed_out ? "did not finish in time" : status ? status->describe() : "unknown status";
  } catch (const supervisor::StartError& e) {
    result.status = e.what();
  }
  result.out = read_file(spec.stdout_path);
  result.err = read_file(spec.stderr_path);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  std::string line = text.substr(0, end);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

json options_json(const plugins::ParamValues& values) {
  json o = json::object();
  for (const auto& [k, v] : values) o[k] = v;
  return o;
}

}  // namespace

bool port_in_use(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool busy = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0;
  ::close(fd);
  return busy;
}

ServerConfig parse_server_spec(const plugins::Registry& registry, const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  if (name.empty())
    throw UsageError("--server '" + spec + "': no server name (write e.g. gunicorn:workers=2)");
  ServerConfig config;
  config.adapter = &registry.require(plugins::Kind::Server, name);
  if (colon != std::string::npos)
    config.given = plugins::parse_assignments(spec.substr(colon + 1), "--server " + spec);
  std::string label;
  for (auto it = config.given.begin(); it != config.given.end();) {
    if (it->first == "label") {
      label = it->second;
      it = config.given.erase(it);
    } else {
      ++it;
    }
  }
  config.options = plugins::validate(*config.adapter, config.given, "--server " + spec);
  if (label.empty()) {
    label = name;
    std::string sep = ":";
    for (const auto& [k, v] : config.given) {
      label += sep + k + "=" + v;
      sep = ",";
    }
  }
  config.label = label;
  return config;
}

void check_python(const std::string& python) {
  if (::access(python.c_str(), X_OK) != 0 || fs::is_directory(python))
    throw UsageError(
        "--python '" + python +
        "': no such executable (give the path of a Python 3 interpreter, e.g. /usr/bin/python3)");
}

Availability probe(const ServerConfig& server, const Settings& settings) {
  Availability result;
  const std::string hint =
      str(static_cast<const labour_server_api_t*>(server.adapter->descriptor->kind_api)->install_hint);
  try {
    check_python(settings.python);
    auto adapter = plugins::Instance::create(*server.adapter, server.options);
    const fs::path dir = workerapp::make_run_dir();
    CContext ctx(settings, workerapp::AppLayout{dir, "labour_app", "application", "/__labour__/ready"}, dir,
                 0);
    auto planned = plan(adapter, adapter.api<labour_server_api_t>().server_on_plan_probe, ctx, dir,
                        "availability probe");
    write_files(dir, planned.files);
    const auto out = run_command(planned.spec, std::chrono::seconds(20));
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (out.exited_ok && !first_line(out.out).empty()) {
      result.available = true;
      result.version = first_line(out.out);
      return result;
    }
    std::string why = last_line(out.err);
    if (why.empty()) why = last_line(out.out);
    if (why.empty()) why = out.status;
    result.reason = why + (hint.empty() ? "" : "; install it with: " + hint);
  } catch (const std::exception& e) {
    result.reason = e.what();
  }
  return result;
}

// ------------------------------------------------------------------ ServerSession ------

ServerSession::ServerSession(const ServerConfig& server,
                             const std::vector<const plugins::PluginInfo*>& behaviours,
                             const Settings& settings, std::uint16_t port, const CpuList& cpus)
    : settings_(settings) {
  check_python(settings.python);
  const auto started = Clock::now();
  run_dir_ = workerapp::make_run_dir();
  try {
    std::vector<workerapp::BehaviourSource> sources;
    for (const auto* b : behaviours) {
      workerapp::BehaviourSource src;
      src.name = b->name;
      src.source = str(static_cast<const labour_behaviour_api_t*>(b->descriptor->kind_api)->worker_source);
      for (const auto& p : b->params) src.params.push_back({p.name, p.type, p.min, p.max, p.choices});
      sources.push_back(std::move(src));
    }
    const auto app = workerapp::write_worker_app(run_dir_, sources);
    auto adapter = plugins::Instance::create(*server.adapter, server.options);
    const fs::path log = run_dir_ / "server.log";

    // A server that loses the race for an automatically chosen port gets another one.
    const int attempts = port ? 1 : 3;
    for (int attempt = 1;; ++attempt) {
      port_ = port ? port : free_port();
      if (port && port_in_use(port))
        throw UsageError("--port " + std::to_string(port) + ": 127.0.0.1:" + std::to_string(port) +
                         " is already in use (choose another port, or omit --port for a free one)");
      CContext ctx(settings, app, run_dir_, port_);
      auto planned =
          plan(adapter, adapter.api<labour_server_api_t>().server_on_plan_launch, ctx, run_dir_, "launch");
      write_files(run_dir_, planned.files);
      planned.spec.stdout_path = log;
      planned.spec.stderr_path = log;
      planned.spec.marker = supervisor::new_marker();
      planned.spec.cpus = cpus;
      spdlog::debug("starting {}: {}", server.label, join(planned.spec.argv, " "));
      try {
        process_.emplace(supervisor::ServerProcess::start(planned.spec));
      } catch (const supervisor::StartError& e) {
        throw RunError("server '" + server.label + "' did not start: " + e.what());
      }
      const auto ready = supervisor::wait_until_ready(*process_, "127.0.0.1", port_, app.ready_path,
                                                      settings.ready_timeout, log);
      if (ready.state == supervisor::Readiness::Ready) break;
      if (ready.state == supervisor::Readiness::Interrupted) throw Interrupted(ready.detail);
      process_->stop(settings.stop_policy);
      const bool lost_port = read_file(log).find("in use") != std::string::npos;
      if (ready.state == supervisor::Readiness::Exited && lost_port && attempt < attempts) {
        spdlog::warn("{}: port {} was taken, trying another", server.label, port_);
        process_.reset();
        continue;
      }
      throw RunError(
          "server '" + server.label + "' " +
          (ready.state == supervisor::Readiness::TimedOut
               ? "was not ready within " + std::to_string(settings.ready_timeout.count() / 1000) + " s"
               : "did not start") +
          ": " + ready.detail + " (run dir kept: " + run_dir_.string() + ")");
    }
    start_seconds_ = seconds_since(started);
  } catch (const Interrupted&) {
    stop();
    throw;
  } catch (...) {
    settings_.keep_run_dir = true;  // its logs explain the failure
    stop(true);
    throw;
  }
}

supervisor::StopReport ServerSession::stop(bool failed) {
  if (!stopped_) {
    stopped_ = process_ ? process_->stop(settings_.stop_policy) : supervisor::StopReport{};
    if (!settings_.keep_run_dir && !failed) {
      std::error_code ec;
      fs::remove_all(run_dir_, ec);
    } else {
      settings_.keep_run_dir = true;
    }
  }
  return *stopped_;
}

ServerSession::~ServerSession() {
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("stopping the server: {}", e.what());
  }
}

// ------------------------------------------------------------------ run_test -----------

namespace {

struct ResolvedBehaviour {
  const plugins::PluginInfo* plugin;
  plugins::ParamValues params;
  std::uint32_t weight;
  plugins::Instance instance;
  bool innocent = false;
};

json scenario_json(const scenario::Scenario& s) {
  return {{"name", s.name},
          {"source", s.source},
          {"policy", scenario::policy_name(s.policy)},
          {"requests", s.requests},
          {"duration_s", s.duration_s},
          {"concurrency", s.concurrency},
          {"threads", s.threads},
          {"rate", s.rate},
          {"timeout_ms", s.timeout_ms},
          {"keep_alive", s.keep_alive},
          {"seed", s.seed}};
}

json latency_json(const engine::Histogram& h) {
  if (h.count() == 0) return {{"count", 0}};
  return {{"count", h.count()},      {"min", h.min()},          {"p50", h.percentile(50)},
          {"p90", h.percentile(90)}, {"p99", h.percentile(99)}, {"p999", h.percentile(99.9)},
          {"max", h.max()},          {"mean", h.mean()}};
}

// The monitor's report: a summary a reader can quote, then the samples as columns.
json monitor_json(const monitor::Report& r) {
  json series = {{"t_s", json::array()},       {"processes", json::array()}, {"threads", json::array()},
                 {"rss_bytes", json::array()}, {"cpu_s", json::array()},     {"fds", json::array()}};
  std::uint32_t peak_processes = 0, peak_threads = 0;
  std::uint64_t peak_rss = 0;
  std::int64_t peak_fds = 0;
  bool fds_known = true;
  for (const auto& s : r.samples) {
    series["t_s"].push_back(std::round(s.at_s * 1000) / 1000);
    series["processes"].push_back(s.processes);
    series["threads"].push_back(s.threads);
    series["rss_bytes"].push_back(s.rss_bytes);
    series["cpu_s"].push_back(std::round(s.cpu_s * 1000) / 1000);
    series["fds"].push_back(s.fds);
    peak_processes = std::max(peak_processes, s.processes);
    peak_threads = std::max(peak_threads, s.threads);
    peak_rss = std::max(peak_rss, s.rss_bytes);
    peak_fds = std::max(peak_fds, s.fds);
    fds_known = fds_known && s.fds >= 0;
  }
  const monitor::Sample first = r.samples.empty() ? monitor::Sample{} : r.samples.front();
  const monitor::Sample last = r.samples.empty() ? monitor::Sample{} : r.samples.back();
  json causes = json::object();
  json exits = json::array();
  for (const auto& e : r.exits) {
    causes[e.cause] = causes.value(e.cause, 0) + 1;
    if (exits.size() < 100 || e.leader)  // the main process's end is always listed
      exits.push_back({{"t_s", std::round(e.at_s * 1000) / 1000},
                       {"pid", e.pid},
                       {"leader", e.leader},
                       {"cause", e.cause}});
  }
  json out = {{"interval_ms", r.interval.count()},
              {"exits_seen_by", r.exact_exits ? "process events" : "samples"},
              {"lost_events", r.lost_events},
              {"processes", {{"start", first.processes}, {"end", last.processes}, {"peak", peak_processes}}},
              {"joined", r.joined},
              {"exits", {{"total", r.exits.size()}, {"causes", causes}, {"first", exits}}},
              {"threads", {{"start", first.threads}, {"end", last.threads}, {"peak", peak_threads}}},
              {"rss_bytes", {{"start", first.rss_bytes}, {"end", last.rss_bytes}, {"peak", peak_rss}}},
              {"cpu_seconds", std::round(last.cpu_s * 1000) / 1000},
              {"series", series}};
  if (fds_known && !r.samples.empty())
    out["fds"] = {{"start", first.fds}, {"end", last.fds}, {"peak", peak_fds}};
  return out;
}

}  // namespace

json run_test(const plugins::Registry& registry, const ServerConfig& server, const Availability& availability,
              const scenario::Scenario& sc, const Settings& settings, const std::atomic<bool>& stop) {
  json test = {
      {"label", server.label},
      {"server",
       {{"name", server.adapter->name}, {"label", server.label}, {"options", options_json(server.options)}}},
      {"scenario", scenario_json(sc)}};

  // Behaviours first: a bad parameter is the user's error and must not cost a server start.
  std::vector<ResolvedBehaviour> mix;
  std::vector<const plugins::PluginInfo*> plugins_used;
  engine::Workload workload;
  workload.policy = sc.policy;
  workload.seed = sc.seed;
  for (std::size_t i = 0; i < sc.mix.size(); ++i) {
    const auto& entry = sc.mix[i];
    const auto& plugin = registry.require(plugins::Kind::Behaviour, entry.behaviour);
    const std::string what =
        "scenario " + sc.name + ", behaviour #" + std::to_string(i + 1) + " (" + entry.behaviour + ")";
    auto params = plugins::validate(plugin, entry.params, what);
    auto instance = plugins::Instance::create(plugin, params);
    const auto& api = instance.api<labour_behaviour_api_t>();
    labour_request_t request{};
    request.struct_size = sizeof request;
    if (api.behaviour_on_build_request(instance.handle(), &request) != 0)
      throw UsageError(what + ": cannot build its request: " + instance.last_error());
    engine::PreparedRequest prepared;
    prepared.method = str(request.method);
    prepared.target = str(request.target);
    prepared.body = str(request.body);
    prepared.timeout_ms = api.behaviour_on_timeout_ms(instance.handle(), sc.timeout_ms);
    workload.requests.push_back(std::move(prepared));
    workload.weights.push_back(entry.weight);
    const bool innocent = api.behaviour_on_is_innocent(instance.handle()) != 0;
    if (std::find(plugins_used.begin(), plugins_used.end(), &plugin) == plugins_used.end())
      plugins_used.push_back(&plugin);
    mix.push_back({&plugin, std::move(params), entry.weight, std::move(instance), innocent});
  }
  workload.judge = [&mix](std::size_t index, const engine::Observation& o) {
    const auto& b = mix[index];
    labour_outcome_t outcome{sizeof(labour_outcome_t),       o.kind,        o.http_status,
                             {o.body.data(), o.body.size()}, o.body_length, o.elapsed_us};
    return b.instance.api<labour_behaviour_api_t>().behaviour_on_judge(b.instance.handle(), &outcome) == 1;
  };

  test["server"]["version"] = availability.version;
  if (!availability.available) {
    test["status"] = "skipped";
    test["error"] = "server '" + server.label + "' is not available: " + availability.reason;
    return test;
  }

  const CpuSplit cpus = settings.pinning.plan(sc.threads);
  std::optional<ServerSession> session;
  try {
    session.emplace(server, plugins_used, settings, 0, cpus.server);
  } catch (const ServerSession::Interrupted& e) {
    test["status"] = "interrupted";
    test["error"] = e.what();
    return test;
  } catch (const RunError& e) {
    test["status"] = "failed";
    test["error"] = e.what();
    return test;
  }

  engine::LoadOptions options;
  options.concurrency = sc.concurrency;
  options.threads = sc.threads;
  options.requests = sc.requests;
  options.duration = std::chrono::milliseconds(static_cast<std::int64_t>(sc.duration_s * 1000));
  options.rate = sc.rate;
  options.keep_alive = sc.keep_alive;
  ThreadPin client_pin(cpus.client);  // the engine's and the monitor's threads inherit it
  if (!cpus.client.empty() && !client_pin.pinned())
    spdlog::warn("could not pin the client to CPUs {}: it runs unpinned", format_cpu_list(cpus.client));
  monitor::Monitor watch(session->process().pid(), session->process().marker(), settings.monitor_interval);
  const auto load = engine::run_load({"127.0.0.1", session->port()}, workload, options, &stop);
  const auto usage = watch.finish();  // before the stop, whose exits are not misbehaviour
  const auto stopped = session->stop();

  std::uint64_t sent = 0, expected = 0, unexpected = 0, innocent_sent = 0, innocent_unexpected = 0;
  json behaviours = json::array();
  for (std::size_t i = 0; i < mix.size(); ++i) {
    const auto& stats = load.behaviours[i];
    sent += stats.sent;
    expected += stats.expected;
    unexpected += stats.unexpected;
    if (mix[i].innocent) {
      innocent_sent += stats.sent;
      innocent_unexpected += stats.unexpected;
    }
    behaviours.push_back({{"name", mix[i].plugin->name},
                          {"params", options_json(mix[i].params)},
                          {"weight", mix[i].weight},
                          {"innocent", mix[i].innocent},
                          {"sent", stats.sent},
                          {"expected", stats.expected},
                          {"unexpected", stats.unexpected},
                          {"outcomes", stats.outcomes},
                          {"unexpected_outcomes", stats.unexpected_outcomes},
                          {"latency_us", latency_json(stats.latency)}});
  }
  const double failure_pct = sent ? 100.0 * static_cast<double>(unexpected) / static_cast<double>(sent) : 0.0;
  json timeline = {{"bucket_ms", load.timeline_bucket_ms},
                   {"sent", json::array()},
                   {"expected", json::array()},
                   {"unexpected", json::array()}};
  for (const auto& bucket : load.timeline) {
    timeline["sent"].push_back(bucket.sent);
    timeline["expected"].push_back(bucket.expected);
    timeline["unexpected"].push_back(bucket.unexpected);
  }
  test["status"] = load.interrupted ? "interrupted" : "completed";
  if (load.interrupted) test["error"] = "interrupted before the load finished";
  test["duration_s"] = load.duration_s;
  test["requests_per_second"] = load.duration_s > 0 ? static_cast<double>(sent) / load.duration_s : 0.0;
  test["totals"] = {{"sent", sent},
                    {"expected", expected},
                    {"unexpected", unexpected},
                    {"failure_pct", failure_pct},
                    {"innocent_sent", innocent_sent},
                    {"innocent_unexpected", innocent_unexpected}};
  test["verdict"] = failure_pct > 10.0 ? "failed" : "passed";  // Labour's rule
  test["behaviours"] = behaviours;
  test["timeline"] = timeline;
  test["monitor"] = monitor_json(usage);
  json supervision = {{"port", session->port()},
                      {"start_seconds", session->start_seconds()},
                      {"stop_signal", stopped.signal_needed},
                      {"stop_seconds", stopped.stop_seconds},
                      {"orphans", stopped.orphans_killed},
                      {"exit", stopped.status ? stopped.status->describe() : "unknown"}};
  if (!cpus.server.empty()) supervision["server_cpus"] = format_cpu_list(cpus.server);
  if (client_pin.pinned()) supervision["client_cpus"] = format_cpu_list(cpus.client);
  if (settings.keep_run_dir) supervision["run_dir"] = session->run_dir().string();
  test["supervision"] = supervision;
  return test;
}

json document_header(const Settings& settings) {
  utsname u{};
  ::uname(&u);
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  supervisor::LaunchSpec version_cmd;
  version_cmd.argv = {settings.python, "-c", "import platform; print(platform.python_version())"};
  const auto python_version = run_command(version_cmd, std::chrono::seconds(10));
  char started[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return {{"schema_version", 1},
          {"tool", {{"name", "labour"}, {"version", LABOUR_VERSION}}},
          {"environment",
           {{"hostname", host},
            {"kernel", std::string(u.sysname) + " " + u.release + " " + u.machine},
            {"cpus", std::thread::hardware_concurrency()},
            {"python", settings.python},
            {"python_version", python_version.exited_ok ? first_line(python_version.out) : "unknown"},
            {"started_at", started}}},
          {"tests", json::array()}};
}

}  // namespace labour::run
