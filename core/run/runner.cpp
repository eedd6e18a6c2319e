#include "run/runner.hpp"

#include "run/events.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/build_info.hpp"
#include "common/errors.hpp"
#include "engine/probe.hpp"
#include "monitor/monitor.hpp"
#include "plugins/params.hpp"
#include "supervisor/procfs.hpp"
#include "workerapp/worker_app.hpp"

namespace labour::run {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;  // the document keeps the order it is written in

namespace {

labour_str_t c_str(const std::string& s) { return {s.data(), s.size()}; }
std::string str(labour_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A probe's output, bounded: all of it when short, else its first and last 32 KiB (a probe
// that floods its output says what it is at the start and why it failed at the end).
std::string read_probe_output(const fs::path& path) {
  constexpr std::streamoff kPart = 32 * 1024;
  std::ifstream in(path, std::ios::binary);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in ? static_cast<std::streamoff>(in.tellg()) : 0;
  auto read_part = [&](std::streamoff from, std::streamoff count) {
    std::string part(static_cast<std::size_t>(std::max<std::streamoff>(count, 0)), '\0');
    in.seekg(from);
    in.read(part.data(), count);
    part.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    return part;
  };
  if (size <= 2 * kPart) return read_part(0, size);
  return read_part(0, kPart) + "\n" + read_part(size - kPart, kPart);
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

using PlanFn = int32_t (*)(labour_instance_t*, labour_host_t*, const labour_launch_context_t*,
                           labour_launch_plan_t*);

PlannedLaunch plan(const plugins::Instance& adapter, PlanFn fn, const CContext& ctx, const fs::path& run_dir,
                   const char* what) {
  labour_launch_plan_t out{};
  out.struct_size = sizeof out;
  if (fn(adapter.handle(), adapter.host(), &ctx.c, &out) != 0)
    throw UsageError("server '" + adapter.plugin().name + "' cannot plan its " + what + ": " +
                     adapter.last_error());
  if (out.argc == 0 || !out.argv)
    throw RunError("server '" + adapter.plugin().name + "' planned an empty command line");
  PlannedLaunch p;
  for (uint32_t i = 0; i < out.argc; ++i) p.spec.argv.push_back(str(out.argv[i]));
  for (uint32_t i = 0; i < out.envc; ++i) p.spec.env.push_back(str(out.env[i]));
  if (auto why =
          plugins::check_array(out.files, out.filec, out.file_stride,
                               offsetof(labour_file_t, content) + sizeof(labour_str_t), "planned file"))
    throw RunError("server '" + adapter.plugin().name + "': " + *why);
  for (uint32_t i = 0; i < out.filec; ++i) {
    const auto& file = *LABOUR_ELEMENT(labour_file_t, out.files, out.file_stride, i);
    const fs::path rel = str(file.path);
    if (rel.empty() || rel.is_absolute() || rel.lexically_normal().string().rfind("..", 0) == 0)
      throw RunError("server '" + adapter.plugin().name + "' wants to write '" + rel.string() +
                     "' outside its run dir");
    p.files.emplace_back(rel.string(), str(file.content));
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
  bool timed_out = false;  // stopped at the deadline
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
    result.timed_out = timed_out;
    result.exited_ok = !timed_out && status && status->exited && status->code == 0;
    result.status = timed_out ? "did not finish in time" : status ? status->describe() : "unknown status";
  } catch (const supervisor::StartError& e) {
    result.status = e.what();
  }
  result.out = read_probe_output(spec.stdout_path);
  result.err = read_probe_output(spec.stderr_path);
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

namespace {

// An option's value as a default label shows it: whole when short, else its start and a hash
// of all of it ("/usr/bin/python3...#5c1e"), so a command line does not become a 200-column
// label and two long values still give two labels.
std::string short_value(const std::string& value) {
  constexpr std::size_t kShown = 16, kLongest = 24;
  if (value.size() <= kLongest) return value;
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (const unsigned char c : value) hash = (hash ^ c) * 16777619u;
  char tail[8];
  std::snprintf(tail, sizeof tail, "#%04x", hash & 0xffffu);
  std::string head = value.substr(0, kShown);
  while (!head.empty() && head.back() == ' ') head.pop_back();
  return head + "..." + tail;
}

}  // namespace

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
      label += sep + k + "=" + short_value(v);
      sep = ",";
    }
  }
  config.label = label;
  if (const auto read = plugins::lifecycle_function(*config.adapter)) {
    const auto instance = plugins::Instance::create(*config.adapter, config.options, label);
    labour_lifecycle_t l{};
    l.struct_size = sizeof l;
    if (read(instance.handle(), instance.host(), &l) != 0)
      throw UsageError("--server " + spec + ": cannot say what it supports: " + instance.last_error());
    // Fields past the plugin's own struct_size are not there: they keep their defaults.
    auto has = [&](std::size_t offset, std::size_t size) { return l.struct_size >= offset + size; };
    ServerLifecycle& out = config.lifecycle;
    if (has(offsetof(labour_lifecycle_t, worker_cmdline), sizeof(labour_str_t))) {
      out.reload_signal = l.reload_signal;
      out.reload_note = str(l.reload_note);
      out.graceful_stop_signal = l.graceful_stop_signal;
      out.graceful_stop_note = str(l.graceful_stop_note);
      out.has_workers = l.has_workers != 0;
      out.workers_note = str(l.workers_note);
      out.worker_cmdline = str(l.worker_cmdline);
    }
    for (const int sig : {out.reload_signal, out.graceful_stop_signal})
      if (sig < 0 || sig >= NSIG)
        throw UsageError("--server " + spec + ": its adapter declares signal " + std::to_string(sig) +
                         ", which is not a signal; fix the adapter");
  }
  return config;
}

std::optional<std::string> unsupported_event(const ServerConfig& server, const scenario::Event& event) {
  const ServerLifecycle& l = server.lifecycle;
  auto because = [&](const std::string& what, const std::string& note) {
    return server.label + " " + what + (note.empty() ? "" : ": " + note);
  };
  switch (event.action) {
    case scenario::EventAction::Reload:
      if (l.reload_signal == 0) return because("has no graceful reload", l.reload_note);
      break;
    case scenario::EventAction::GracefulStop:
      if (l.graceful_stop_signal == 0) return because("has no graceful stop", l.graceful_stop_note);
      break;
    case scenario::EventAction::KillWorker:
    case scenario::EventAction::FreezeWorker:
      if (!l.has_workers) return because("has no worker processes apart from its main one", l.workers_note);
      break;
    case scenario::EventAction::Signal:
      break;  // the main process can always be sent a signal
  }
  return std::nullopt;
}

void check_python(const std::string& python) {
  if (::access(python.c_str(), X_OK) != 0 || fs::is_directory(python))
    throw UsageError(
        "--python '" + python +
        "': no such executable (give the path of a Python 3 interpreter, e.g. /usr/bin/python3)");
}

engine::PreparedRequest request_of(const plugins::Instance& instance, const std::string& what) {
  const auto& plugin = instance.plugin();
  labour_request_t request{};
  request.struct_size = sizeof request;
  if (instance.api<labour_behaviour_api_t>().behaviour_on_build_request(instance.handle(), instance.host(),
                                                                        &request) != 0)
    throw UsageError(what + ": cannot build its request: " + instance.last_error());
  engine::PreparedRequest req;
  req.method = str(request.method);
  req.target = str(request.target);
  req.body = str(request.body);
  if (req.method != plugin.worker.method && !(req.method == "HEAD" && plugin.worker.method == "GET"))
    throw UsageError(what + ": its request is a " + req.method + " but its route accepts " +
                     plugin.worker.method + " only; rebuild the plugin with one method");
  if (auto why =
          plugins::check_array(request.headers, request.header_count, request.header_stride,
                               offsetof(labour_header_t, value) + sizeof(labour_str_t), "request header"))
    throw UsageError(what + ": " + *why);
  for (uint32_t h = 0; h < request.header_count; ++h) {
    const auto& header = *LABOUR_ELEMENT(labour_header_t, request.headers, request.header_stride, h);
    req.headers.emplace_back(str(header.name), str(header.value));
  }
  return req;
}

std::optional<engine::ConnectionScript> script_of(const plugins::Instance& instance,
                                                  const std::string& what) {
  const auto build = plugins::build_script_function(instance.plugin());
  if (!build) return std::nullopt;
  labour_script_t script{};
  script.struct_size = sizeof script;
  if (build(instance.handle(), instance.host(), &script) != 0)
    throw UsageError(what + ": cannot build its connection script: " + instance.last_error());
  // A plugin that says its struct is shorter than ABI 2.1's (where it first appeared) wrote
  // some other layout: read none of it.
  constexpr auto kScriptSize = offsetof(labour_script_t, repeat_after_ms) + sizeof(uint32_t);
  if (script.struct_size < kScriptSize)
    throw UsageError(what + ": its labour_script_t says it is " + std::to_string(script.struct_size) +
                     " bytes; ABI 2.1's is " + std::to_string(kScriptSize) +
                     " (rebuild it against this SDK)");
  if (auto why = plugins::check_array(script.steps, script.step_count, script.step_stride,
                                      offsetof(labour_step_t, count) + sizeof(uint32_t), "script step"))
    throw UsageError(what + ": " + *why);
  engine::ConnectionScript out;
  out.connections = script.connections;
  out.repeat_after = std::chrono::milliseconds(script.repeat_after_ms);
  for (uint32_t i = 0; i < script.step_count; ++i) {
    const auto& st = *LABOUR_ELEMENT(labour_step_t, script.steps, script.step_stride, i);
    engine::ScriptStep step;
    using Kind = engine::ScriptStep::Kind;
    switch (st.kind) {
      case LABOUR_STEP_SEND:
        step.kind = Kind::Send;
        break;
      case LABOUR_STEP_TRICKLE:
        step.kind = Kind::Trickle;
        break;
      case LABOUR_STEP_PAUSE:
        step.kind = Kind::Pause;
        break;
      case LABOUR_STEP_HALF_CLOSE:
        step.kind = Kind::HalfClose;
        break;
      case LABOUR_STEP_RESET:
        step.kind = Kind::Reset;
        break;
      case LABOUR_STEP_READ:
        step.kind = Kind::Read;
        break;
      default:
        throw UsageError(what + ": step " + std::to_string(i + 1) + " of its connection script has kind " +
                         std::to_string(static_cast<int>(st.kind)) + ", which this labour does not know");
    }
    if (st.bytes.len > engine::kMaxStepBytes)
      throw UsageError(what + ": step " + std::to_string(i + 1) + " of its connection script is " +
                       std::to_string(st.bytes.len) + " bytes; at most " +
                       std::to_string(engine::kMaxStepBytes));
    step.bytes = str(st.bytes);
    step.total = st.total;
    step.chunk = st.chunk;
    step.interval = std::chrono::milliseconds(st.interval_ms);
    step.rate = st.rate;
    step.count = std::max<uint32_t>(st.count, 1);
    out.steps.push_back(std::move(step));
  }
  if (const std::string why = engine::check_script(out); !why.empty()) throw UsageError(what + ": " + why);
  return out;
}

workerapp::BehaviourSource behaviour_source(const plugins::PluginInfo& b) {
  workerapp::BehaviourSource src;
  src.name = b.name;
  src.source = b.worker.source;
  for (const auto& p : b.params) src.params.push_back({p.name, p.type, p.min, p.max, p.choices});
  src.method = b.worker.method;
  src.files = b.worker.files;
  return src;
}

namespace {

// Run by check_worker_imports as `python -B -c <this> <app_dir>`: imports each worker half of
// <app_dir>/behaviours.json as labour_app.py does, and says on fd 1, one tab-separated line
// each, "labour-check begin <Name>" before an import, "labour-check fail <Name> <why>" after
// one that failed, "labour-check end" when all were tried. What a worker half prints goes to
// stderr, so it is never taken for a result.
constexpr const char* kImportCheck = R"py(
import importlib.util, json, os, signal, sys, traceback

signal.signal(signal.SIGINT, signal.SIG_DFL)  # labour's stop at the deadline is no KeyboardInterrupt

def say(*fields):
    os.write(1, ("\t".join(("labour-check",) + fields) + "\n").encode("utf-8", "backslashreplace"))

app = os.path.abspath(sys.argv[1])
sys.path.insert(0, app)
sys.stdout = sys.stderr
with open(os.path.join(app, "behaviours.json"), encoding="utf-8") as f:
    entries = json.load(f)["behaviours"]
for entry in entries:
    name = entry["name"]
    say("begin", name)
    why = None
    try:
        spec = importlib.util.spec_from_file_location(
            "labour_behaviour_" + name.replace("-", "_"), os.path.join(app, entry["module"]))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not callable(getattr(module, "handle", None)):
            why = "it defines no handle()"
    except BaseException as e:
        try:
            del e.__notes__  # Python's line is the exception's own, not a note added to it
        except Exception:
            pass
        lines = [l for l in traceback.format_exception_only(type(e), e) if l.strip()]
        why = lines[-1] if lines else type(e).__name__
    if why is not None:
        say("fail", name, " ".join(why.split())[:300])
say("end")
os._exit(0)
)py";

std::string seconds_text(std::chrono::milliseconds ms) {
  std::ostringstream text;
  text << ms.count() / 1000.0;
  return text.str();
}

std::vector<std::string> split_tabs(const std::string& line, std::size_t max_fields) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (fields.size() + 1 < max_fields) {
    const auto tab = line.find('\t', start);
    if (tab == std::string::npos) break;
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  fields.push_back(line.substr(start));
  return fields;
}

}  // namespace

const WorkerImportProblem* WorkerImportCheck::find(const plugins::PluginInfo* behaviour) const {
  for (const auto& p : problems)
    if (p.behaviour == behaviour) return &p;
  return nullptr;
}

WorkerImportCheck check_worker_imports(const std::vector<const plugins::PluginInfo*>& given,
                                       const std::string& python, std::chrono::milliseconds limit) {
  WorkerImportCheck result;
  std::vector<const plugins::PluginInfo*> behaviours;
  for (const auto* b : given)
    if (b && std::find(behaviours.begin(), behaviours.end(), b) == behaviours.end()) behaviours.push_back(b);
  if (behaviours.empty()) return result;
  const auto started = Clock::now();
  fs::path dir;
  try {
    check_python(python);
    dir = workerapp::make_run_dir();
    std::vector<workerapp::BehaviourSource> sources;
    for (const auto* b : behaviours) sources.push_back(behaviour_source(*b));
    const auto app = workerapp::write_worker_app(dir, sources);
    supervisor::LaunchSpec spec;
    spec.argv = {python, "-B", "-c", kImportCheck, app.app_dir.string()};
    spec.workdir = app.app_dir;
    spec.log_limits = {1ULL << 20, 64ULL << 10, 64ULL << 10};  // read back: at most 64 KiB
    const auto out = run_command(spec, limit);
    auto by_name = [&](const std::string& name) -> const plugins::PluginInfo* {
      for (const auto* b : behaviours)
        if (b->name == name) return b;
      return nullptr;
    };
    const plugins::PluginInfo* begun = nullptr;
    bool ended = false;
    std::istringstream lines(out.out);
    std::string line;
    while (std::getline(lines, line)) {
      const auto f = split_tabs(line, 4);
      if (f.size() < 2 || f[0] != "labour-check") continue;
      if (f[1] == "end") {
        ended = true;
      } else if (f[1] == "begin" && f.size() == 3 && by_name(f[2])) {
        begun = by_name(f[2]);
        ++result.checked;
      } else if (f[1] == "fail" && f.size() == 4 && by_name(f[2]) && !result.find(by_name(f[2]))) {
        result.problems.push_back({by_name(f[2]), f[3]});
      }
    }
    if (!ended && begun && !result.find(begun)) {
      result.problems.push_back(
          {begun, out.timed_out ? "its import was still running after " + seconds_text(limit) + " s (stopped)"
                                : "Python ended while it was imported (" + out.status + ")"});
    } else if (!ended && !begun) {
      std::string why = last_line(out.err);
      result.not_checked =
          python + " did not run the check (" + out.status + (why.empty() ? "" : ": " + why) + ")";
    }
  } catch (const std::exception& e) {
    result.not_checked = e.what();
  }
  std::error_code ec;
  if (!dir.empty()) fs::remove_all(dir, ec);
  spdlog::debug("worker halves: {} of {} tried in one {} process in {:.2f} s, {} do not import{}",
                result.checked, behaviours.size(), python, seconds_since(started), result.problems.size(),
                result.not_checked.empty() ? "" : "; not checked: " + result.not_checked);
  return result;
}

Availability probe(const ServerConfig& server, const Settings& settings) {
  Availability result;
  const std::string hint = str(static_cast<const labour_server_api_t*>(server.adapter->api)->install_hint);
  try {
    check_python(settings.python);
    auto adapter = plugins::Instance::create(*server.adapter, server.options, server.label + " (probe)");
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
  if (port && port_in_use(port))
    throw UsageError("--port " + std::to_string(port) + ": 127.0.0.1:" + std::to_string(port) +
                     " is already in use (choose another port, or omit --port for a free one)");
  const auto started = Clock::now();
  run_dir_ = workerapp::make_run_dir();
  bool launched = false;  // from then on the run dir holds a server log that explains a failure
  try {
    std::vector<workerapp::BehaviourSource> sources;
    for (const auto* b : behaviours) sources.push_back(behaviour_source(*b));
    const auto app = workerapp::write_worker_app(run_dir_, sources);
    auto adapter = plugins::Instance::create(*server.adapter, server.options, server.label);
    const fs::path log = run_dir_ / "server.log";

    // A server that loses the race for an automatically chosen port gets another one.
    const int attempts = port ? 1 : 5;  // other jobs and labours pick ports too
    for (int attempt = 1;; ++attempt) {
      port_ = port ? port : free_port();
      CContext ctx(settings, app, run_dir_, port_);
      auto planned =
          plan(adapter, adapter.api<labour_server_api_t>().server_on_plan_launch, ctx, run_dir_, "launch");
      write_files(run_dir_, planned.files);
      planned.spec.stdout_path = log;
      planned.spec.stderr_path = log;
      planned.spec.marker = supervisor::new_marker();
      planned.spec.cpus = cpus;
      spdlog::debug("starting {}: {}", server.label, join(planned.spec.argv, " "));
      launched = true;
      try {
        process_.emplace(supervisor::ServerProcess::start(planned.spec));
      } catch (const supervisor::StartError& e) {
        throw RunError("server '" + server.label + "' did not start: " + e.what());
      }
      const auto ready = supervisor::wait_until_ready(
          *process_,
          [&](std::chrono::milliseconds timeout) {
            // The answer names the run dir: a server of another labour that took the port
            // meanwhile (--jobs, shards side by side) is not taken for this one.
            return engine::answers_http({"127.0.0.1", port_}, app.ready_path, timeout,
                                        &supervisor::interrupt_flag(), " " + run_dir_.filename().string());
          },
          "GET http://127.0.0.1:" + std::to_string(port_) + app.ready_path, settings.ready_timeout, log);
      if (ready.state == supervisor::Readiness::Ready) break;
      if (ready.state == supervisor::Readiness::Interrupted) throw Interrupted(ready.detail);
      process_->stop(settings.stop_policy);
      const bool lost_port = supervisor::log_excerpt(log, 20, 1000).find("in use") != std::string::npos;
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
    if (launched) settings_.keep_run_dir = true;  // its logs explain the failure
    stop(launched);
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

// The innocent behaviours only, at their weights: the load of the baseline and recovery.
std::vector<std::size_t> innocent_schedule(const std::vector<PreparedScenario::Behaviour>& mix) {
  std::vector<std::uint32_t> weights;
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < mix.size(); ++i)
    if (mix[i].innocent) {
      weights.push_back(mix[i].weight);
      index.push_back(i);
    }
  std::uint64_t total = 0;
  for (auto w : weights) total += w;
  std::vector<std::size_t> schedule;
  for (const std::size_t k : engine::spaced_schedule(weights, {}, total)) schedule.push_back(index[k]);
  return schedule;
}

// How long a server with workers may take to settle after it answered (wait_until_settled).
constexpr std::chrono::seconds kSettleBound{10};

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

}  // namespace

std::shared_ptr<const PreparedScenario> prepare_scenario(const plugins::Registry& registry,
                                                         const scenario::Scenario& sc) {
  auto prepared = std::make_shared<PreparedScenario>();
  PreparedScenario& p = *prepared;
  p.scenario = sc;
  engine::Workload& workload = p.workload;
  workload.policy = sc.policy;
  workload.seed = sc.seed;
  for (std::size_t i = 0; i < sc.mix.size(); ++i) {
    const auto& entry = sc.mix[i];
    const auto& plugin = registry.require(plugins::Kind::Behaviour, entry.behaviour);
    const std::string what = (entry.where.empty() ? "" : entry.where + ": ") + "scenario " + sc.name +
                             ", behaviour #" + std::to_string(i + 1) + " (" + entry.behaviour + ")";
    auto params = plugins::validate(plugin, entry.params, what);
    auto instance = plugins::Instance::create(plugin, params, what);
    const auto& api = instance.api<labour_behaviour_api_t>();
    engine::PreparedRequest req = request_of(instance, what);
    req.timeout_ms = api.behaviour_on_timeout_ms(instance.handle(), sc.timeout_ms);
    req.script = script_of(instance, what);
    std::uint32_t weight = entry.weight;
    if (req.script) {
      // It runs on its own connections beside the mix: a weight would mean nothing.
      if (entry.weight_given)
        throw UsageError(what + ": a client-driven behaviour runs its own " +
                         std::to_string(req.script->connections) +
                         " connection(s) beside the mix and takes no weight; remove 'weight' (its "
                         "parameters set how many connections)");
      weight = 0;
      p.script_connections += req.script->connections;
    }
    const bool innocent = api.behaviour_on_is_innocent(instance.handle()) != 0;
    // Innocent requests are the measure; a script's outcomes are its attack's, judged apart.
    if (req.script && innocent)
      throw UsageError(what +
                       ": the plugin says it is innocent and client-driven; a client-driven "
                       "behaviour is the misbehaviour, never the measure (fix the plugin)");
    workload.requests.push_back(std::move(req));
    workload.weights.push_back(weight);
    workload.innocent.push_back(innocent);
    if (std::find(p.plugins.begin(), p.plugins.end(), &plugin) == p.plugins.end())
      p.plugins.push_back(&plugin);
    const std::uint32_t connections =
        workload.requests.back().script ? workload.requests.back().script->connections : 0;
    p.mix.push_back({&plugin, std::move(params), weight, std::move(instance), innocent, connections});
  }
  if (p.script_connections > engine::kMaxScriptConnections)
    throw UsageError("scenario " + sc.name + ": its client-driven behaviours open " +
                     std::to_string(p.script_connections) + " connections together; at most " +
                     std::to_string(engine::kMaxScriptConnections) + " (lower their 'connections')");
  if (std::none_of(workload.weights.begin(), workload.weights.end(), [](std::uint32_t w) { return w > 0; }))
    throw UsageError("scenario " + sc.name +
                     ": every behaviour is client-driven; add an innocent one to the mix (e.g. "
                     "[[behaviour]] name = \"PlainResponse\"), whose answers are what the test measures");
  // The judges live as long as the prepared scenario, which the tests share.
  workload.judge = [&mix = p.mix](std::size_t index, const engine::Observation& o) {
    const auto& b = mix[index];
    labour_outcome_t outcome{sizeof(labour_outcome_t),
                             o.kind,
                             o.http_status,
                             {o.body.data(), o.body.size()},
                             o.body_length,
                             o.elapsed_us,
                             o.responses};
    const int32_t judged =
        b.instance.api<labour_behaviour_api_t>().behaviour_on_judge(b.instance.handle(), &outcome);
    // Neither yes nor no: the plugin failed (the SDK says -1 when its judge threw). The engine
    // counts it as the plugin's error, never as the server's outcome.
    if (judged != 0 && judged != 1) throw std::runtime_error("judge failed");
    return judged == 1;
  };
  if (sc.policy == engine::Policy::Spaced) {
    // Every misbehaviour its minimum, spaced evenly over the requests (past 100 000, over
    // each 100 000: memory). A duration's cycle is long enough for each minimum to be the
    // misbehaviour's own share, so repeating it keeps the mix's proportions.
    std::vector<std::uint64_t> minimums;
    std::uint64_t total = 0;
    for (const auto& b : p.mix) {
      minimums.push_back(b.innocent || b.weight == 0 ? 0 : sc.thresholds.min_misbehaviour);
      total += b.weight;
    }
    std::uint64_t cycle = total;
    for (const auto& b : p.mix)
      if (!b.innocent && b.weight > 0)
        cycle = std::max(cycle, (sc.thresholds.min_misbehaviour * total + b.weight - 1) / b.weight);
    cycle = std::min<std::uint64_t>(cycle, 100000);
    const std::uint64_t length = sc.requests ? std::min<std::uint64_t>(sc.requests, 100000) : cycle;
    workload.schedule = engine::spaced_schedule(workload.weights, minimums, length);
  }
  p.has_innocent = std::any_of(p.mix.begin(), p.mix.end(), [](const auto& b) { return b.innocent; });
  p.innocent_only = workload;
  p.innocent_only.run_scripts = false;  // the baseline and recovery measure the server alone
  if (p.has_innocent) {
    p.innocent_only.policy = engine::Policy::Spaced;
    p.innocent_only.schedule = innocent_schedule(p.mix);
  }
  return prepared;
}

void TestProgress::set_phase(std::string phase) {
  std::lock_guard lock(mutex_);
  phase_ = std::move(phase);
  since_ = Clock::now();
  live_.reset();
}

TestProgress::Snapshot TestProgress::snapshot() const {
  constexpr auto relaxed = std::memory_order_relaxed;
  std::lock_guard lock(mutex_);
  Snapshot s;
  s.phase = phase_;
  if (!phase_.empty()) s.phase_s = seconds_since(since_);
  s.sent = live_.sent.load(relaxed);
  s.done = live_.done.load(relaxed);
  s.innocent_done = live_.innocent_done.load(relaxed);
  s.innocent_unexpected = live_.innocent_unexpected.load(relaxed);
  return s;
}

TestResult run_test(const ServerConfig& server, const Availability& availability,
                    const PreparedScenario& prepared, const Settings& settings, const std::atomic<bool>& stop,
                    TestProgress* progress) {
  const auto set_phase = [progress](std::string_view phase) {
    if (progress) progress->set_phase(std::string(phase));
  };
  const scenario::Scenario& sc = prepared.scenario;
  const auto& mix = prepared.mix;
  const engine::Workload& workload = prepared.workload;
  const engine::Workload& innocent_only = prepared.innocent_only;
  const bool has_innocent = prepared.has_innocent;
  TestResult result;
  result.label = server.label;
  result.server_name = server.adapter->name;
  result.server_version = availability.version;
  result.server_options = server.options;
  result.scenario = sc;

  if (!availability.available) {
    result.status = "skipped";
    result.error = "server '" + server.label + "' is not available: " + availability.reason;
    return result;
  }
  // An event the server cannot do (its adapter says so): the test does not run, and says why.
  for (const auto& e : sc.events)
    if (auto why = unsupported_event(server, e)) {
      result.summary.emplace();
      result.summary->verdict = {Verdict::Unsupported, *why, "unsupported", "", false, std::nullopt};
      return result;
    }

  const CpuSplit cpus = settings.pinning.plan(sc.threads);
  set_phase("starting");  // the server, then the warm-up
  std::optional<ServerSession> session;
  try {
    session.emplace(server, prepared.plugins, settings, 0, cpus.server);
  } catch (const ServerSession::Interrupted& e) {
    result.status = "interrupted";
    result.error = e.what();
    return result;
  } catch (const RunError& e) {
    result.status = "failed";
    result.error = e.what();
    return result;
  }

  Measurements m;
  for (const auto& b : mix)
    m.behaviours.push_back({b.plugin->name, b.params, b.weight, b.innocent, b.connections});

  engine::LoadOptions options;
  options.concurrency = sc.concurrency;
  options.threads = sc.threads;
  options.rate = sc.rate;
  options.keep_alive = sc.keep_alive;
  options.timeline_bucket_ms = scenario::timeline_bucket_ms(sc);
  ThreadPin client_pin(cpus.client);  // the engine's and the monitor's threads inherit it
  if (!cpus.client.empty() && !client_pin.pinned())
    spdlog::warn("could not pin the client to CPUs {}: it runs unpinned", format_cpu_list(cpus.client));
  const engine::Target target{"127.0.0.1", session->port()};
  // The reference is a fully started server: a master answers with its first worker while the
  // others still start (and grow). A single process that answered is up.
  if (server.lifecycle.has_workers) {
    set_phase("settling");
    const auto settled = monitor::wait_until_settled(session->process().pid(), session->process().marker(),
                                                     std::chrono::milliseconds(50), kSettleBound, &stop);
    m.settle_s = settled.waited_s;
    m.settled = settled.settled;
  }
  if (has_innocent) {
    // Warm-up, not measured: first connections, imports and caches would be the baseline's tail.
    engine::LoadOptions warm = options;
    warm.requests = 2 * std::uint64_t{sc.concurrency} + 20;
    warm.duration = std::chrono::seconds(2);
    engine::run_load(target, innocent_only, warm, &stop);
  }
  monitor::Monitor watch(session->process().pid(), session->process().marker(), settings.monitor_interval);
  options.epoch = Clock::now();  // the monitor's time zero, to within its first sample
  options.end_now = [&watch] { return watch.leader_exited(); };
  if (progress) options.live = progress->live();
  auto run_phase = [&](Phase phase, const engine::Workload& w, const engine::LoadOptions& o) {
    set_phase(phase_name(phase));
    m.phases[static_cast<std::size_t>(phase)] = engine::run_load(target, w, o, &stop);
    return m.phases[static_cast<std::size_t>(phase)]->interrupted;
  };

  // baseline -> fault -> recovery; an interruption ends the test where it is.
  bool interrupted = false;
  if (has_innocent) {
    engine::LoadOptions baseline = options;
    baseline.requests = sc.phases.baseline_requests;
    baseline.duration = millis(sc.phases.baseline_s);
    interrupted = run_phase(Phase::Baseline, innocent_only, baseline);
  }
  bool stopped_on_purpose = false;  // a graceful stop fired: there is nothing to recover
  if (!interrupted) {
    engine::LoadOptions fault = options;
    fault.requests = sc.requests;
    fault.duration = millis(sc.duration_s);
    // A graceful stop refuses what comes after it, as it must: that is no stall to end on.
    const bool stops = std::any_of(sc.events.begin(), sc.events.end(), [](const scenario::Event& e) {
      return e.action == scenario::EventAction::GracefulStop;
    });
    if (has_innocent && !stops) fault.end_when_stalled = millis(sc.phases.stall_s);
    std::optional<EventDriver> driver;
    if (!sc.events.empty()) {
      driver.emplace(sc.events, server.lifecycle, session->process().pid(), *options.epoch, Clock::now());
      fault.events_fired = &driver->fired();
      fault.event_count = static_cast<std::uint32_t>(sc.events.size());
    }
    interrupted = run_phase(Phase::Fault, workload, fault);
    if (driver) m.events = driver->finish();  // a frozen worker is resumed before anything else
    stopped_on_purpose = std::any_of(m.events.begin(), m.events.end(), [](const FiredEvent& e) {
      return e.fired && e.event.action == scenario::EventAction::GracefulStop;
    });
    // A stop that is still draining (finishing a long request, within its own grace) may take
    // the recovery phase's bound to end, watched but sent nothing.
    if (stopped_on_purpose && !interrupted) {
      set_phase("draining");
      const auto until = Clock::now() + millis(sc.phases.recovery_s);
      while (!watch.leader_exited() && Clock::now() < until && !stop.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (!interrupted && has_innocent && !stopped_on_purpose) {
    engine::LoadOptions recovery = options;
    recovery.duration = millis(sc.phases.recovery_s);
    // Probes at its own pace (as fast as the server answers), whatever the fault phase's rate:
    // at 1 request/s, ten in a row would take longer than the phase may.
    recovery.rate = 0;
    recovery.end_after_successes = sc.phases.recovered_after;
    // "Back" means answering as in the baseline: within the latency a degraded verdict allows.
    if (const auto* base = m.phase(Phase::Baseline)) {
      const auto innocent = innocent_stats(*base, m.behaviours);
      const double p99_ms = static_cast<double>(innocent.latency.percentile(99)) / 1000.0;
      const double limit_ms = std::max(sc.thresholds.latency_floor_ms, p99_ms) * sc.thresholds.max_p99_ratio;
      if (innocent.latency.count() > 0)
        recovery.recovered_latency_us = static_cast<std::uint64_t>(limit_ms * 1000);
    }
    // A dead main process: a few requests confirm that nothing else answers. (The monitor
    // sees an exit at its next sample; a fault phase that ended at once asks /proc itself.)
    const auto leader = procfs::read_stat(session->process().pid());
    if (watch.leader_exited() || !leader || leader->state == 'Z')
      recovery.requests = sc.phases.recovered_after;
    // The main process dying during the recovery phase ends it after a second.
    const auto confirmed_after = Clock::now() + std::chrono::seconds(1);
    recovery.end_now = [&watch, confirmed_after] {
      return watch.leader_exited() && Clock::now() >= confirmed_after;
    };
    interrupted = run_phase(Phase::Recovery, innocent_only, recovery);
  }
  // Left idle a moment with nothing in flight: a worker that still burns CPU now spins on a
  // request long gone (summarise: busy_after_pct).
  if (!interrupted && !watch.leader_exited()) {
    set_phase("idle");
    m.idle_from_s = std::chrono::duration<double>(Clock::now() - *options.epoch).count();
    std::this_thread::sleep_for(std::chrono::duration<double>(kIdleWatchS));
  }
  set_phase("stopping");
  m.monitor = watch.finish();  // before the stop, whose exits are not misbehaviour
  m.stop = session->stop();
  m.port = session->port();
  m.start_seconds = session->start_seconds();
  if (!cpus.server.empty()) m.server_cpus = format_cpu_list(cpus.server);
  if (client_pin.pinned()) m.client_cpus = format_cpu_list(cpus.client);
  if (settings.keep_run_dir) m.run_dir = session->run_dir().string();

  result.status = interrupted ? "interrupted" : "completed";
  if (interrupted) result.error = "interrupted before the load finished";
  result.summary = summarise(m, sc);
  result.measured = std::move(m);
  return result;
}

namespace {

// "model name" and the number of distinct physical cores, from /proc/cpuinfo.
std::pair<std::string, unsigned> cpu_model_and_cores() {
  std::istringstream in(procfs::read_small_file("/proc/cpuinfo"));
  std::string line, model, physical = "0";
  std::set<std::string> cores;
  auto value = [](const std::string& l) {
    const auto colon = l.find(':');
    return colon == std::string::npos ? std::string() : l.substr(l.find_first_not_of(" \t", colon + 1));
  };
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 && model.empty()) model = value(line);
    if (line.rfind("physical id", 0) == 0) physical = value(line);
    if (line.rfind("core id", 0) == 0) cores.insert(physical + "/" + value(line));
  }
  return {model.empty() ? "unknown" : model, static_cast<unsigned>(cores.size())};
}

}  // namespace

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
  const auto [cpu_model, cores] = cpu_model_and_cores();
  const auto& pin = settings.pinning;
  json pinning = {{"enabled", pin.enabled}, {"allowed_cpus", format_cpu_list(pin.allowed)}};
  if (pin.server) pinning["server_cpus"] = format_cpu_list(*pin.server);
  if (pin.client) pinning["client_cpus"] = format_cpu_list(*pin.client);
  json tool = {{"name", "labour"}, {"version", LABOUR_VERSION}};
  if (const std::string commit = build_commit(); !commit.empty()) tool["commit"] = commit;
  return {{"schema_version", kSchemaVersion},
          {"tool", tool},
          {"environment",
           {{"hostname", host},
            {"kernel", std::string(u.sysname) + " " + u.release + " " + u.machine},
            {"cpus", std::thread::hardware_concurrency()},
            {"cpu_model", cpu_model},
            {"cores", cores ? cores : std::thread::hardware_concurrency()},
            {"python", settings.python},
            {"python_version", python_version.exited_ok ? first_line(python_version.out) : "unknown"},
            {"pinning", pinning},
            {"started_at", started}}},
          {"tests", json::array()}};
}

}  // namespace labour::run
