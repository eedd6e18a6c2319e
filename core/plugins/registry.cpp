#include "plugins/registry.hpp"

#include <boost/dll/shared_library.hpp>

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <system_error>
#include <thread>

#include "common/errors.hpp"
#include "common/input_file.hpp"
#include "engine/engine.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::plugins {
namespace fs = std::filesystem;

namespace {

std::string str(labour_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }

// The smallest struct each ABI 2.0 table may be: its fields as of 2.0. Later minors only append,
// so these never change within major 2.
constexpr std::size_t kDescriptorSize = offsetof(labour_plugin_t, reporter) + sizeof(void*);
constexpr std::size_t kSchemaSize = offsetof(labour_param_schema_t, help) + sizeof(labour_str_t);
constexpr std::size_t kFileSize = offsetof(labour_file_t, content) + sizeof(labour_str_t);
constexpr std::size_t kBehaviourApiSize =
    offsetof(labour_behaviour_api_t, behaviour_on_is_innocent) + sizeof(void*);
constexpr std::size_t kServerApiSize = offsetof(labour_server_api_t, server_on_plan_probe) + sizeof(void*);
constexpr std::size_t kReporterApiSize = offsetof(labour_reporter_api_t, reporter_on_render) + sizeof(void*);

// A data file's path: words of [A-Za-z0-9._-] separated by '/', none "." or "..".
bool is_safe_relative_path(const std::string& path) {
  static const std::regex word(R"([A-Za-z0-9_][A-Za-z0-9._-]*)");
  if (path.empty() || path.size() > 255) return false;
  for (std::size_t start = 0; start <= path.size();) {
    const auto slash = path.find('/', start);
    const std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!std::regex_match(part, word)) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

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

// The capability group the file's kind needs: there, big enough, its required functions
// set. Returns what is wrong, if anything.
std::optional<std::string> check_group(const labour_plugin_t& d, Kind kind, const void*& group) {
  auto missing = [](const char* what) { return std::string("required function ") + what + " is missing"; };
  const char* const names[] = {"behaviour", "server", "reporter"};
  const void* const groups[] = {d.behaviour, d.server, d.reporter};
  const std::size_t minimum[] = {kBehaviourApiSize, kServerApiSize, kReporterApiSize};
  const auto k = static_cast<std::size_t>(kind);
  group = groups[k];
  if (!group) {
    std::string has;
    for (std::size_t i = 0; i < 3; ++i)
      if (groups[i]) has += std::string(has.empty() ? "" : ", ") + names[i];
    return "a " + std::string(names[k]) + " file must provide the " + names[k] +
           " group; this plugin provides " + (has.empty() ? std::string("none") : has);
  }
  const auto size = *static_cast<const uint32_t*>(group);  // every group starts with struct_size
  if (size < minimum[k])
    return std::string(names[k]) + " group is " + std::to_string(size) + " bytes, ABI 2.0 needs " +
           std::to_string(minimum[k]);
  switch (kind) {
    case Kind::Behaviour: {
      const auto& api = *static_cast<const labour_behaviour_api_t*>(group);
      if (!api.behaviour_on_build_request) return missing("behaviour_on_build_request");
      if (!api.behaviour_on_judge) return missing("behaviour_on_judge");
      if (!api.behaviour_on_timeout_ms) return missing("behaviour_on_timeout_ms");
      if (!api.behaviour_on_is_innocent) return missing("behaviour_on_is_innocent");
      if (!api.worker_source.data || api.worker_source.len == 0)
        return std::string("worker_source (the Python worker half) is empty");
      if (!engine::valid_method(str(api.method)))
        return "method '" + str(api.method) +
               "' is not an HTTP method of upper-case letters (e.g. GET, POST)";
      return check_array(api.files, api.file_count, api.file_stride, kFileSize, "file");
    }
    case Kind::Server: {
      const auto& api = *static_cast<const labour_server_api_t*>(group);
      if (!api.server_on_plan_launch) return missing("server_on_plan_launch");
      if (!api.server_on_plan_probe) return missing("server_on_plan_probe");
      return std::nullopt;
    }
    case Kind::Reporter: {
      const auto& api = *static_cast<const labour_reporter_api_t*>(group);
      if (!api.reporter_on_render) return missing("reporter_on_render");
      return std::nullopt;
    }
  }
  return std::string("unknown kind");
}

// What a behaviour declares for its worker half, copied out of the library.
std::optional<std::string> read_worker_half(const labour_behaviour_api_t& api, WorkerHalf& out) {
  out.source = str(api.worker_source);
  out.method = str(api.method);
  for (uint32_t i = 0; i < api.file_count; ++i) {
    const auto& f = *LABOUR_ELEMENT(labour_file_t, api.files, api.file_stride, i);
    const std::string path = str(f.path);
    if (!is_safe_relative_path(path))
      return "data file '" + path + "' is not a relative path of [A-Za-z0-9._-] words";
    for (const auto& [other, content] : out.files)
      if (other == path) return "data file '" + path + "' is declared twice";
    out.files.emplace_back(path, str(f.content));
  }
  return std::nullopt;
}

std::optional<std::string> read_params(const labour_plugin_t& d, std::vector<ParamInfo>& out) {
  static const std::regex name_pattern("[a-z_][a-z0-9_]*");
  if (auto why = check_array(d.params, d.param_count, d.param_stride, kSchemaSize, "parameter")) return why;
  for (uint32_t i = 0; i < d.param_count; ++i) {
    const auto& s = *LABOUR_ELEMENT(labour_param_schema_t, d.params, d.param_stride, i);
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

namespace {
// A field of a group that starts with struct_size, if the plugin's struct reaches it.
template <class Group, class Field>
Field field_if_present(const void* group, std::size_t offset) {
  if (!group || *static_cast<const uint32_t*>(group) < offset + sizeof(Field)) return Field{};
  return *reinterpret_cast<const Field*>(static_cast<const char*>(group) + offset);
}
}  // namespace

BuildScriptFn build_script_function(const PluginInfo& behaviour) {
  if (behaviour.kind != Kind::Behaviour) return nullptr;
  return field_if_present<labour_behaviour_api_t, BuildScriptFn>(
      behaviour.api, offsetof(labour_behaviour_api_t, behaviour_on_build_script));
}

LifecycleFn lifecycle_function(const PluginInfo& server) {
  if (server.kind != Kind::Server) return nullptr;
  return field_if_present<labour_server_api_t, LifecycleFn>(
      server.api, offsetof(labour_server_api_t, server_on_lifecycle));
}

std::optional<std::string> check_array(const void* first, uint32_t count, uint32_t stride,
                                       std::size_t min_size, const char* what) {
  if (count == 0) return std::nullopt;
  if (!first) return std::string(what) + ": count is " + std::to_string(count) + " but the array is missing";
  if (stride < min_size || stride % alignof(void*) != 0)
    return std::string(what) + ": element stride " + std::to_string(stride) +
           " is not a whole element (ABI 2.0 needs at least " + std::to_string(min_size) + ")";
  for (uint32_t i = 0; i < count; ++i) {
    const auto size = *LABOUR_ELEMENT(uint32_t, first, stride, i);  // every element starts with struct_size
    if (size < min_size || size > stride)
      return std::string(what) + " #" + std::to_string(i) + " has struct_size " + std::to_string(size) +
             " (ABI 2.0 needs " + std::to_string(min_size) + " to the stride, " + std::to_string(stride) +
             ")";
  }
  return std::nullopt;
}

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
void host_log(labour_host_t* host, labour_log_level_t level, labour_str_t message) {
  const std::string about = host && !host->about.empty() ? host->about + ": " : "";
  const std::string text = about + (host && host->plugin ? host->plugin->name + ": " : "") + str(message);
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

const labour_host_api_t& host_api() {
  static const labour_host_api_t api = {sizeof(labour_host_api_t), &host_log};
  return api;
}

Instance Instance::create(const PluginInfo& plugin, const ParamValues& values, std::string about) {
  std::vector<labour_param_value_t> c_values;
  for (const auto& [name, value] : values)
    c_values.push_back(
        {sizeof(labour_param_value_t), {name.data(), name.size()}, {value.data(), value.size()}});
  auto host = std::make_unique<labour_host_t>(labour_host_t{&plugin, std::move(about)});
  char error[512] = "";
  labour_instance_t* handle = plugin.descriptor->plugin_on_create(
      &host_api(), host.get(), c_values.data(), static_cast<uint32_t>(c_values.size()),
      sizeof(labour_param_value_t), error, sizeof error);
  if (!handle) {
    throw UsageError(std::string(kind_name(plugin.kind)) + " '" + plugin.name +
                     "' refused its parameters: " + (error[0] ? error : "no reason given"));
  }
  Instance instance(&plugin, handle, std::move(host));
  instance.library_ = plugin.library;
  return instance;
}

Instance::Instance(const PluginInfo* plugin, labour_instance_t* handle, std::unique_ptr<labour_host_t> host)
    : plugin_(plugin), host_(std::move(host)), handle_(handle) {}

Instance::Instance(Instance&& other) noexcept
    : plugin_(other.plugin_),
      library_(std::move(other.library_)),
      host_(std::move(other.host_)),
      handle_(std::exchange(other.handle_, nullptr)) {}

Instance& Instance::operator=(Instance&& other) noexcept {
  if (this != &other) {
    if (handle_) plugin_->descriptor->plugin_on_destroy(handle_);
    plugin_ = other.plugin_;
    handle_ = std::exchange(other.handle_, nullptr);
    library_ = std::move(other.library_);
    host_ = std::move(other.host_);
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

// Why `file` cannot be loaded into this process, from its ELF header, when that is the reason:
// built for another machine, word size or byte order. dlopen says "No such file or directory"
// for a library of another machine, which sends the user looking for a file that is there.
std::optional<std::string> foreign_elf(const fs::path& file) {
  const auto header = [](const fs::path& path) -> std::optional<Elf64_Ehdr> {
    std::ifstream in(path, std::ios::binary);
    Elf64_Ehdr h{};  // e_ident and e_machine sit at the same offsets in 32-bit headers
    if (!in.read(reinterpret_cast<char*>(&h), 20) || std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0)
      return std::nullopt;
    return h;
  };
  const auto plugin = header(file);
  if (!plugin) return "not a loadable library: not an ELF file";
  const auto self = header("/proc/self/exe");
  if (!self) return std::nullopt;
  const auto machine = [](const Elf64_Ehdr& h) {
    const bool same_order =
        h.e_ident[EI_DATA] == (std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB);
    const unsigned m =
        same_order ? h.e_machine : static_cast<unsigned>(((h.e_machine & 0xff) << 8) | (h.e_machine >> 8));
    std::string name;
    switch (m) {
      case EM_386:
        name = "x86 (32-bit)";
        break;
      case EM_X86_64:
        name = "x86-64";
        break;
      case EM_AARCH64:
        name = "aarch64";
        break;
      case EM_ARM:
        name = "arm";
        break;
      case EM_RISCV:
        name = "riscv";
        break;
      case EM_PPC64:
        name = "ppc64";
        break;
      case EM_S390:
        name = "s390x";
        break;
      case EM_MIPS:
        name = "mips";
        break;
      default:
        name = "machine " + std::to_string(m);
    }
    name += h.e_ident[EI_CLASS] == ELFCLASS64 ? ", 64-bit" : ", 32-bit";
    name += h.e_ident[EI_DATA] == ELFDATA2LSB ? ", little-endian" : ", big-endian";
    return name;
  };
  if (plugin->e_machine != self->e_machine || plugin->e_ident[EI_CLASS] != self->e_ident[EI_CLASS] ||
      plugin->e_ident[EI_DATA] != self->e_ident[EI_DATA])
    return "not a loadable library: built for another machine (" + machine(*plugin) + "; this labour is " +
           machine(*self) + "): rebuild it for this one";
  return std::nullopt;
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
    if (auto foreign = foreign_elf(file)) return reject(*foreign);
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
    return reject("descriptor is " + std::to_string(d->struct_size) + " bytes, ABI 2.0 needs " +
                  std::to_string(kDescriptorSize));
  const Kind kind = file_kind;
  static const std::regex name_pattern("[A-Za-z][A-Za-z0-9_-]*");
  const std::string name = str(d->name);
  if (!std::regex_match(name, name_pattern))
    return reject("plugin name '" + name + "' is not [A-Za-z][A-Za-z0-9_-]*");
  if (!d->plugin_on_create) return reject("required function plugin_on_create is missing");
  if (!d->plugin_on_destroy) return reject("required function plugin_on_destroy is missing");
  if (!d->plugin_on_last_error) return reject("required function plugin_on_last_error is missing");
  const void* group = nullptr;
  if (auto why = check_group(*d, kind, group)) return reject(*why);

  PluginInfo info{kind, name, str(d->version), str(d->summary), file, {}, d, group, {}, library};
  if (auto why = read_params(*d, info.params)) return reject(*why);
  if (kind == Kind::Behaviour)
    if (auto why = read_worker_half(*static_cast<const labour_behaviour_api_t*>(group), info.worker))
      return reject(*why);
  if (const PluginInfo* other = find(kind, name))
    return reject("duplicate " + std::string(kind_name(kind)) + " '" + name + "': already loaded from " +
                  other->file.string());

  // A plugin whose every parameter has a default must come up with them: try it once now,
  // so a plugin that cannot even be created is rejected here rather than mid-run.
  const bool all_defaults = std::all_of(info.params.begin(), info.params.end(),
                                        [](const ParamInfo& p) { return !p.default_value.empty(); });
  plugins_.push_back(std::move(info));
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

std::vector<std::filesystem::path> Registry::use_worker_sources(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UsageError("--worker-source '" + dir.string() +
                     "': no such folder (give the source tree's plugins/behaviours)");
  std::vector<fs::path> used;
  for (PluginInfo& p : plugins_) {
    if (p.kind != Kind::Behaviour) continue;
    std::string lower = p.name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    for (const fs::path& file : {dir / lower / (p.name + ".py"), dir / (p.name + ".py")}) {
      if (!fs::is_regular_file(file, ec)) continue;
      p.worker.source = read_input_file(file, "--worker-source: the worker half", kMaxScenarioBytes);
      used.push_back(file);
      break;
    }
  }
  return used;
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
  message += did_you_mean(name, known);
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
