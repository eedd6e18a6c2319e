#include "plugins/registry.hpp"

#include <boost/dll/shared_library.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <system_error>
#include <thread>

#include "common/errors.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::plugins {
namespace fs = std::filesystem;

namespace {

std::string str(labour_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }

// The smallest struct each ABI 1.0 table may be: its fields as of 1.0. Later minors only append,
// so these never change within major 1.
constexpr std::size_t kDescriptorSize = offsetof(labour_plugin_t, kind_api) + sizeof(void*);
constexpr std::size_t kSchemaSize = offsetof(labour_param_schema_t, help) + sizeof(labour_str_t);
constexpr std::size_t kBehaviourApiSize =
    offsetof(labour_behaviour_api_t, behaviour_on_is_innocent) + sizeof(void*);
constexpr std::size_t kServerApiSize = offsetof(labour_server_api_t, server_on_plan_probe) + sizeof(void*);
constexpr std::size_t kReporterApiSize = offsetof(labour_reporter_api_t, reporter_on_render) + sizeof(void*);

std::string abi(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// The kind a file name promises: labour_<kind>_<name>.so.
std::optional<Kind> kind_from_file_name(const fs::path& file) {
  static const std::regex pattern(R"(labour_(behaviour|server|reporter)_[A-Za-z0-9_-]+\.so)");
  std::smatch m;
  const std::string name = file.filename().string();
  if (!std::regex_match(name, m, pattern)) return std::nullopt;
  if (m[1] == "behaviour") return Kind::Behaviour;
  if (m[1] == "server") return Kind::Server;
  return Kind::Reporter;
}

// Checks the kind's function table; returns what is wrong, if anything.
std::optional<std::string> check_kind_api(const labour_plugin_t& d) {
  auto missing = [](const char* what) { return std::string("required function ") + what + " is missing"; };
  if (!d.kind_api) return std::string("required kind_api table is missing");
  const auto size = *static_cast<const uint32_t*>(d.kind_api);  // every table starts with struct_size
  switch (d.kind) {
    case LABOUR_KIND_BEHAVIOUR: {
      if (size < kBehaviourApiSize)
        return "behaviour table is " + std::to_string(size) + " bytes, ABI 1.0 needs " +
               std::to_string(kBehaviourApiSize);
      const auto& api = *static_cast<const labour_behaviour_api_t*>(d.kind_api);
      if (!api.behaviour_on_build_request) return missing("behaviour_on_build_request");
      if (!api.behaviour_on_judge) return missing("behaviour_on_judge");
      if (!api.behaviour_on_timeout_ms) return missing("behaviour_on_timeout_ms");
      if (!api.behaviour_on_is_innocent) return missing("behaviour_on_is_innocent");
      if (!api.worker_source.data || api.worker_source.len == 0)
        return std::string("worker_source (the Python worker half) is empty");
      return std::nullopt;
    }
    case LABOUR_KIND_SERVER: {
      if (size < kServerApiSize)
        return "server table is " + std::to_string(size) + " bytes, ABI 1.0 needs " +
               std::to_string(kServerApiSize);
      const auto& api = *static_cast<const labour_server_api_t*>(d.kind_api);
      if (!api.server_on_plan_launch) return missing("server_on_plan_launch");
      if (!api.server_on_plan_probe) return missing("server_on_plan_probe");
      return std::nullopt;
    }
    case LABOUR_KIND_REPORTER: {
      if (size < kReporterApiSize)
        return "reporter table is " + std::to_string(size) + " bytes, ABI 1.0 needs " +
               std::to_string(kReporterApiSize);
      const auto& api = *static_cast<const labour_reporter_api_t*>(d.kind_api);
      if (!api.reporter_on_render) return missing("reporter_on_render");
      return std::nullopt;
    }
  }
  return std::string("unknown kind");
}

std::optional<std::string> read_params(const labour_plugin_t& d, std::vector<ParamInfo>& out) {
  static const std::regex name_pattern("[a-z_][a-z0-9_]*");
  if (d.param_count && !d.params)
    return std::string("param_count is ") + std::to_string(d.param_count) + " but params is missing";
  for (uint32_t i = 0; i < d.param_count; ++i) {
    const auto& s = d.params[i];
    if (s.struct_size < kSchemaSize)
      return "parameter #" + std::to_string(i) + " has struct_size " + std::to_string(s.struct_size);
    ParamInfo p;
    p.name = str(s.name);
    if (!std::regex_match(p.name, name_pattern))
      return "parameter name '" + p.name + "' is not [a-z_][a-z0-9_]*";
    if (s.type < LABOUR_PARAM_INT || s.type > LABOUR_PARAM_ENUM)
      return "parameter '" + p.name + "' has an unknown type";
    p.type = s.type;
    p.default_value = str(s.default_value);
    if (s.has_min) p.min = s.min;
    if (s.has_max) p.max = s.max;
    const std::string choices = str(s.choices);
    for (std::size_t start = 0; !choices.empty() && start <= choices.size();) {
      const auto bar = choices.find('|', start);
      p.choices.push_back(choices.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    if (p.type == LABOUR_PARAM_ENUM && p.choices.empty())
      return "enum parameter '" + p.name + "' declares no choices";
    p.help = str(s.help);
    out.push_back(std::move(p));
  }
  return std::nullopt;
}

}  // namespace

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::Behaviour:
      return "behaviour";
    case Kind::Server:
      return "server";
    case Kind::Reporter:
      return "reporter";
  }
  return "?";
}

std::string_view kind_plural(Kind kind) {
  switch (kind) {
    case Kind::Behaviour:
      return "behaviours";
    case Kind::Server:
      return "servers";
    case Kind::Reporter:
      return "reporters";
  }
  return "?";
}

std::optional<Kind> kind_from_plural(std::string_view plural) {
  for (Kind k : {Kind::Behaviour, Kind::Server, Kind::Reporter})
    if (kind_plural(k) == plural || kind_name(k) == plural) return k;
  return std::nullopt;
}

std::string ParamInfo::type_name() const {
  switch (type) {
    case LABOUR_PARAM_INT:
      return "int";
    case LABOUR_PARAM_FLOAT:
      return "float";
    case LABOUR_PARAM_BOOL:
      return "bool";
    case LABOUR_PARAM_STRING:
      return "string";
    case LABOUR_PARAM_ENUM:
      return "enum";
  }
  return "?";
}

// ------------------------------------------------------------------ Instance ----------

}  // namespace labour::plugins

// Logging bridge: plugins never link spdlog; the host forwards their lines.
#include <spdlog/spdlog.h>

namespace labour::plugins {
namespace {
void host_log(void* ctx, labour_log_level_t level, labour_str_t message) {
  const auto* plugin = static_cast<const PluginInfo*>(ctx);
  const std::string text = plugin->name + ": " + str(message);
  switch (level) {
    case LABOUR_LOG_DEBUG:
      spdlog::debug(text);
      break;
    case LABOUR_LOG_INFO:
      spdlog::info(text);
      break;
    case LABOUR_LOG_WARN:
      spdlog::warn(text);
      break;
    default:
      spdlog::error(text);
      break;
  }
}
}  // namespace

Instance Instance::create(const PluginInfo& plugin, const ParamValues& values) {
  std::vector<labour_param_value_t> c_values;
  for (const auto& [name, value] : values)
    c_values.push_back({{name.data(), name.size()}, {value.data(), value.size()}});
  char error[512] = "";
  labour_instance_t* handle = plugin.descriptor->plugin_on_create(
      &plugin.host_api, c_values.data(), static_cast<uint32_t>(c_values.size()), error, sizeof error);
  if (!handle) {
    throw UsageError(std::string(kind_name(plugin.kind)) + " '" + plugin.name +
                     "' refused its parameters: " + (error[0] ? error : "no reason given"));
  }
  Instance instance(&plugin, handle);
  instance.library_ = plugin.library;
  return instance;
}

Instance::Instance(Instance&& other) noexcept
    : plugin_(other.plugin_),
      library_(std::move(other.library_)),
      handle_(std::exchange(other.handle_, nullptr)) {}

Instance& Instance::operator=(Instance&& other) noexcept {
  if (this != &other) {
    if (handle_) plugin_->descriptor->plugin_on_destroy(handle_);
    plugin_ = other.plugin_;
    handle_ = std::exchange(other.handle_, nullptr);
    library_ = std::move(other.library_);
  }
  return *this;
}

Instance::~Instance() {
  if (handle_) plugin_->descriptor->plugin_on_destroy(handle_);  // before library_ lets go
}

std::string Instance::last_error() const {
  const std::string e = str(plugin_->descriptor->plugin_on_last_error(handle_));
  return e.empty() ? "no reason given" : e;
}

// ------------------------------------------------------------------ Registry ----------

namespace {

// A plugin's own code runs as soon as it is loaded (its constructors, its descriptor, its
// create): one that crashes, exits or hangs there would take labour down without naming the
// file. So each file is loaded first in a forked child that does nothing else, all of a
// scan's files side by side; per file, the reason when its child did not come back cleanly.
std::vector<std::optional<std::string>> crashes_when_loaded(const std::vector<fs::path>& files) {
  constexpr auto kLimit = std::chrono::seconds(10);
  std::vector<std::optional<std::string>> why(files.size());
  std::vector<pid_t> children(files.size(), -1);
  // A child says it came back from loading by one byte on its pipe, so that a plugin that
  // calls exit(0) while it is loaded is not taken for a clean load.
  std::vector<int> came_back(files.size(), -1);
  std::fflush(nullptr);
  const pid_t host = ::getpid();
  for (std::size_t i = 0; i < files.size(); ++i) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) continue;  // cannot probe: loaded as before
    children[i] = ::fork();  // < 0: cannot probe this one; it is loaded as before
    if (children[i] != 0) {
      ::close(pipe_fds[1]);
      if (children[i] > 0)
        came_back[i] = pipe_fds[0];
      else
        ::close(pipe_fds[0]);
    }
    if (children[i] == 0) {
      ::close(pipe_fds[0]);
      // Ends with labour, even a labour killed by SIGKILL meanwhile: no probe outlives it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != host) ::_exit(0);
      // The crash is the child's to die of: no handler inherited from the host (a test
      // framework's, say) may catch it and carry on as the host.
      for (const int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::signal(sig, SIG_DFL);
      // Ctrl-C reaches the whole process group: labour ends its probes itself, and a probe
      // must not die of it and be taken for a plugin that crashed.
      ::signal(SIGINT, SIG_IGN);
      ::signal(SIGTERM, SIG_IGN);
      Registry probe(false);
      // A rejection is the parent's to report (it loads the file again); only that loading
      // came back matters here. _exit: neither labour's atexit handlers nor the plugin's.
      probe.load_file(files[i]);
      const char done = 1;
      [[maybe_unused]] const ssize_t said = ::write(pipe_fds[1], &done, 1);
      ::_exit(0);
    }
  }
  const auto until = std::chrono::steady_clock::now() + kLimit;
  auto kill_child = [&](std::size_t i) {
    ::kill(children[i], SIGKILL);
    while (::waitpid(children[i], nullptr, 0) < 0 && errno == EINTR) {
    }
  };
  for (std::size_t left = std::count_if(children.begin(), children.end(), [](pid_t p) { return p > 0; });
       left > 0;) {
    if (supervisor::interrupt_flag().load()) {
      for (std::size_t i = 0; i < files.size(); ++i)
        if (children[i] > 0) kill_child(i), ::close(came_back[i]);
      throw Interrupted("interrupted while plugin files were checked");
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (children[i] <= 0) continue;
      int status = 0;
      const pid_t r = ::waitpid(children[i], &status, WNOHANG);
      const bool late = std::chrono::steady_clock::now() >= until;
      if (r == 0 && !late) continue;
      if (r == 0) {
        kill_child(i);
        why[i] = "hangs while it is loaded (stopped after 10 s)";
      } else if (r == children[i] && WIFSIGNALED(status)) {
        why[i] = "crashes while it is loaded (" +
                 supervisor::ExitStatus{false, 0, WTERMSIG(status)}.describe() + "): remove it or rebuild it";
      } else if (r == children[i] && WIFEXITED(status)) {
        char done = 0;
        if (::read(came_back[i], &done, 1) != 1)
          why[i] = "exits while it is loaded (" +
                   supervisor::ExitStatus{true, WEXITSTATUS(status), 0}.describe() +
                   "): remove it or rebuild it";
      }
      if (r < 0 && errno == EINTR) continue;
      ::close(came_back[i]);
      children[i] = -1;
      --left;
    }
    if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return why;
}

}  // namespace

std::optional<std::string> Registry::load_file(const fs::path& file) {
  auto reject = [&](std::string reason) -> std::optional<std::string> {
    rejections_.push_back({file, reason});
    return reason;
  };
  const auto file_kind = kind_from_file_name(file);
  if (!file_kind) return reject("file name is not labour_<behaviour|server|reporter>_<name>.so");
  if (probe_in_child_)
    if (auto why = crashes_when_loaded({file}).front()) return reject(*why);
  return load_probed(file, *file_kind);
}

std::optional<std::string> Registry::load_probed(const fs::path& file, Kind file_kind) {
  auto reject = [&](std::string reason) -> std::optional<std::string> {
    rejections_.push_back({file, reason});
    return reason;
  };

  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    library->load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return reject(std::string("not a loadable library: ") + e.what());
  }
  if (!library->has(LABOUR_PLUGIN_ENTRY_SYMBOL))
    return reject("not a labour plugin: it exports no " LABOUR_PLUGIN_ENTRY_SYMBOL " symbol");
  const auto entry = library->get<const labour_plugin_t*()>(LABOUR_PLUGIN_ENTRY_SYMBOL);
  const labour_plugin_t* d = entry();
  if (!d) return reject(LABOUR_PLUGIN_ENTRY_SYMBOL "() returned no descriptor");
  if (d->struct_size < sizeof(uint32_t) * 3) return reject("descriptor is too small to be a labour plugin");
  if (d->abi_major != LABOUR_ABI_MAJOR)
    return reject("built for ABI " + abi(d->abi_major, d->abi_minor) + ", this labour speaks ABI " +
                  abi(LABOUR_ABI_MAJOR, LABOUR_ABI_MINOR) +
                  ": major versions differ, rebuild the plugin against this SDK");
  if (d->abi_minor > LABOUR_ABI_MINOR)
    return reject("built for ABI " + abi(d->abi_major, d->abi_minor) + ", newer than this labour's ABI " +
                  abi(LABOUR_ABI_MAJOR, LABOUR_ABI_MINOR) + ": upgrade labour or rebuild the plugin");
  if (d->struct_size < kDescriptorSize)
    return reject("descriptor is " + std::to_string(d->struct_size) + " bytes, ABI 1.0 needs " +
                  std::to_string(kDescriptorSize));
  if (d->kind < LABOUR_KIND_BEHAVIOUR || d->kind > LABOUR_KIND_REPORTER)
    return reject("descriptor has an unknown kind");
  const Kind kind = static_cast<Kind>(d->kind - 1);
  if (kind != file_kind)
    return reject("kind mismatch: the descriptor says " + std::string(kind_name(kind)) +
                  " but the file name says " + std::string(kind_name(file_kind)));
  static const std::regex name_pattern("[A-Za-z][A-Za-z0-9_-]*");
  const std::string name = str(d->name);
  if (!std::regex_match(name, name_pattern))
    return reject("plugin name '" + name + "' is not [A-Za-z][A-Za-z0-9_-]*");
  if (!d->plugin_on_create) return reject("required function plugin_on_create is missing");
  if (!d->plugin_on_destroy) return reject("required function plugin_on_destroy is missing");
  if (!d->plugin_on_last_error) return reject("required function plugin_on_last_error is missing");
  if (auto why = check_kind_api(*d)) return reject(*why);

  PluginInfo info{kind, name, str(d->version), str(d->summary), file, {}, d, library, {}};
  if (auto why = read_params(*d, info.params)) return reject(*why);
  if (const PluginInfo* other = find(kind, name))
    return reject("duplicate " + std::string(kind_name(kind)) + " '" + name + "': already loaded from " +
                  other->file.string());

  // A plugin whose every parameter has a default must come up with them: try it once now,
  // so a plugin that cannot even be created is rejected here rather than mid-run.
  const bool all_defaults = std::all_of(info.params.begin(), info.params.end(),
                                        [](const ParamInfo& p) { return !p.default_value.empty(); });
  plugins_.push_back(std::move(info));
  PluginInfo& added = plugins_.back();  // deque: its address is stable from here on
  added.host_api = {sizeof(labour_host_api_t), &added, &host_log};
  if (all_defaults) {
    ParamValues defaults;
    for (const auto& p : plugins_.back().params) defaults.emplace_back(p.name, p.default_value);
    try {
      Instance probe = Instance::create(plugins_.back(), defaults);
    } catch (const std::exception& e) {
      plugins_.pop_back();
      return reject(std::string("create failed with the default parameters: ") + e.what());
    }
  }
  return std::nullopt;
}

void Registry::scan(const std::vector<fs::path>& dirs) {
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    std::sort(files.begin(), files.end());  // deterministic: the same tree always loads the same way
    std::vector<fs::path> named;            // the files whose name says what they are: probed side by side
    for (const auto& file : files)
      if (kind_from_file_name(file)) named.push_back(file);
    const auto why =
        probe_in_child_ ? crashes_when_loaded(named) : std::vector<std::optional<std::string>>(named.size());
    for (const auto& file : files) {
      const auto at = std::find(named.begin(), named.end(), file);
      if (at == named.end())
        load_file(file);  // rejected for its name
      else if (const auto& reason = why[static_cast<std::size_t>(at - named.begin())])
        rejections_.push_back({file, *reason});
      else
        load_probed(file, *kind_from_file_name(file));
    }
  }
}

const PluginInfo* Registry::find(Kind kind, std::string_view name) const {
  for (const auto& p : plugins_)
    if (p.kind == kind && p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> Registry::names(Kind kind) const {
  std::vector<std::string> out;
  for (const auto& p : plugins_)
    if (p.kind == kind) out.push_back(p.name);
  std::sort(out.begin(), out.end());
  return out;
}

const PluginInfo& Registry::require(Kind kind, std::string_view name) const {
  if (const PluginInfo* p = find(kind, name)) return *p;
  std::string message = "unknown " + std::string(kind_name(kind)) + " '" + std::string(name) + "'";
  // A file meant to be this plugin may have been rejected: its reason is the useful answer.
  for (const auto& r : rejections_) {
    const std::string stem = r.file.stem().string();
    const std::string suffix = "_" + std::string(name);
    if (stem.size() > suffix.size() &&
        std::equal(suffix.rbegin(), suffix.rend(), stem.rbegin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      message += " (" + r.file.string() + " was rejected: " + r.reason + ")";
  }
  const auto known = names(kind);
  message += known.empty() ? "; no " + std::string(kind_plural(kind)) + " are installed (check --plugin-dir)"
                           : "; known " + std::string(kind_plural(kind)) + ": " + join(known);
  throw UsageError(message);
}

std::vector<fs::path> search_path(const std::vector<fs::path>& cli_dirs) {
  std::vector<fs::path> dirs(cli_dirs.begin(), cli_dirs.end());
  if (const char* env = std::getenv("LABOUR_PLUGIN_PATH")) {
    std::string all = env;
    for (std::size_t start = 0; start <= all.size();) {
      const auto colon = all.find(':', start);
      const std::string part =
          all.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) dirs.emplace_back(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / LABOUR_PLUGIN_SUBDIR);
  return dirs;
}

}  // namespace labour::plugins
