// The plugin registry: finds labour_<kind>_<name>.so files, checks each against the ABI,
// keeps the good ones and the reasons for the rejected ones, and makes instances.
#pragma once

#include <labour/plugin_api.h>

#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace labour::plugins {

enum class Kind { Behaviour, Server, Reporter };
std::string_view kind_name(Kind kind);    // "behaviour"
std::string_view kind_plural(Kind kind);  // "behaviours"
std::optional<Kind> kind_from_plural(std::string_view plural);

struct ParamInfo {
  std::string name;
  labour_param_type_t type = LABOUR_PARAM_STRING;
  std::string default_value;  // empty: required
  std::optional<double> min, max;
  std::vector<std::string> choices;
  std::string help;
  std::string type_name() const;  // "int", "float", "bool", "string", "enum"
};

// Validated values in schema order, every parameter present.
using ParamValues = std::vector<std::pair<std::string, std::string>>;

// A behaviour's worker half and what it declares for it, read once when its file is loaded.
struct WorkerHalf {
  std::string source;                                      // Python
  std::string method;                                      // the one method its route accepts
  std::vector<std::pair<std::string, std::string>> files;  // relative path, content (ctx.files_dir)
};

struct PluginInfo {
  Kind kind;
  std::string name, version, summary;
  std::filesystem::path file;
  std::vector<ParamInfo> params;
  const labour_plugin_t* descriptor = nullptr;
  const void* api = nullptr;  // the capability group it is loaded as (labour_<kind>_api_t)
  WorkerHalf worker;          // behaviours only
  std::shared_ptr<boost::dll::shared_library> library;  // keeps the code loaded
};

struct Rejection {
  std::filesystem::path file;
  std::string reason;
};

// A live plugin instance. Holds its library alive; destroyed before it.
class Instance {
 public:
  // Throws UsageError when the plugin refuses the parameters (its one-line reason). `about`
  // names what its calls act for in the plugin's log lines, e.g. "gunicorn x SIGSEGV".
  static Instance create(const PluginInfo& plugin, const ParamValues& values, std::string about = {});
  Instance(Instance&& other) noexcept;
  Instance& operator=(Instance&& other) noexcept;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance();

  const PluginInfo& plugin() const { return *plugin_; }
  labour_instance_t* handle() const { return handle_; }
  // The host handle every call on this instance passes (labour_host_t).
  labour_host_t* host() const { return host_.get(); }
  std::string last_error() const;
  template <class Api>
  const Api& api() const {
    return *static_cast<const Api*>(plugin_->api);
  }

 private:
  Instance(const PluginInfo* plugin, labour_instance_t* handle, std::unique_ptr<labour_host_t> host);
  const PluginInfo* plugin_ = nullptr;
  std::shared_ptr<boost::dll::shared_library> library_;
  std::unique_ptr<labour_host_t> host_;
  labour_instance_t* handle_ = nullptr;
};

class Registry {
 public:
  // `probe_in_child`: load every file first in a forked child, so that a plugin that crashes,
  // exits or hangs while it is loaded is rejected, named, instead of ending labour.
  explicit Registry(bool probe_in_child = true) : probe_in_child_(probe_in_child) {}
  // Loads every labour_*.so in `dirs`, in order; the first plugin of a kind+name wins.
  void scan(const std::vector<std::filesystem::path>& dirs);
  // Loads one file; returns the reason it was rejected, if it was.
  std::optional<std::string> load_file(const std::filesystem::path& file);

  const std::deque<PluginInfo>& plugins() const { return plugins_; }
  // Development: each behaviour whose worker half is in `dir` (as in the source tree,
  // <dir>/<lower-case name>/<Name>.py, or <dir>/<Name>.py) takes it from there instead of the
  // copy built into its .so, so an edit of the .py needs no rebuild. Returns the files used.
  // Throws UsageError for a folder that is not there or a file that cannot be read.
  std::vector<std::filesystem::path> use_worker_sources(const std::filesystem::path& dir);
  const std::vector<Rejection>& rejections() const { return rejections_; }
  const PluginInfo* find(Kind kind, std::string_view name) const;
  // The plugin the run names: must be there, or UsageError listing the known names (and why
  // a file of that name was rejected, if one was).
  const PluginInfo& require(Kind kind, std::string_view name) const;
  std::vector<std::string> names(Kind kind) const;

 private:
  std::deque<PluginInfo> plugins_;  // stable addresses: instances and their hosts point into it
  std::vector<Rejection> rejections_;
  bool probe_in_child_ = true;
  // load_file once the file is known not to crash while loading.
  std::optional<std::string> load_probed(const std::filesystem::path& file, Kind kind);
};

// --plugin-dir folders, then LABOUR_PLUGIN_PATH (':'-separated), then the installed plugins
// folder next to the binary (<bindir>/../lib/labour/plugins).
std::vector<std::filesystem::path> search_path(const std::vector<std::filesystem::path>& cli_dirs);

// An array a plugin handed over: present if counted, its stride and each element's
// struct_size at least `min_size` (what ABI 2.0 puts in an element). What is wrong, if anything,
// naming `what` ("parameter", "file", ...).
std::optional<std::string> check_array(const void* first, uint32_t count, uint32_t stride,
                                       std::size_t min_size, const char* what);

// ABI 2.1's optional functions: NULL when the plugin does not implement them, or was built
// against 2.0 (its group's struct_size does not reach them).
using BuildScriptFn = int32_t (*)(labour_instance_t*, labour_host_t*, labour_script_t*);
using LifecycleFn = int32_t (*)(labour_instance_t*, labour_host_t*, labour_lifecycle_t*);
BuildScriptFn build_script_function(const PluginInfo& behaviour);
LifecycleFn lifecycle_function(const PluginInfo& server);

// The host's side of the ABI's services, for every instance (labour_host_api_t).
const labour_host_api_t& host_api();

}  // namespace labour::plugins

// The host's object behind labour_host_t: which plugin, and what its calls act for.
struct labour_host_t {
  const labour::plugins::PluginInfo* plugin = nullptr;
  std::string about;
};
