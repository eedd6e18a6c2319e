// Helpers shared by the server adapters (header-only; each adapter .so compiles its own copy).
#pragma once

#include <labour/sdk.hpp>

#include <signal.h>
#include <string.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace labour::servers {

using sdk::LaunchContext;
using sdk::LaunchPlan;

// Rejects a context the host should never send, naming the field, instead of building a
// command line that fails later in a confusing way.
inline void require_context(const LaunchContext& c, std::string_view adapter) {
  auto missing = [&](std::string_view field) {
    return std::invalid_argument(std::string(adapter) + ": launch context has no " + std::string(field) +
                                 "; the host must fill it in");
  };
  if (c.python.empty()) throw missing("python");
  if (c.app_dir.empty()) throw missing("app_dir");
  if (c.app_module.empty()) throw missing("app_module");
  if (c.app_callable.empty()) throw missing("app_callable");
  if (c.host.empty()) throw missing("host");
  if (c.run_dir.empty()) throw missing("run_dir");
  if (c.port == 0 || c.port > 65535) throw missing("valid port (1-65535)");
}

// "127.0.0.1:8000", or "[::1]:8000" for an IPv6 literal.
inline std::string endpoint(const LaunchContext& c) {
  const bool v6 = c.host.find(':') != std::string::npos;
  return (v6 ? "[" + c.host + "]" : c.host) + ":" + std::to_string(c.port);
}

inline std::string in_dir(const std::string& dir, std::string_view name) {
  if (!dir.empty() && dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

// Unbuffered so log lines reach the host's files even if the server is SIGKILLed; no
// bytecode so nothing is written next to the worker app.
inline std::vector<std::string> python_env() { return {"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"}; }

// A probe that imports `modules` (comma separated) and prints the version of the
// installed distribution `dist`.
inline LaunchPlan python_version_probe(const LaunchContext& c, std::string_view modules,
                                       std::string_view dist) {
  LaunchPlan p;
  p.argv = {c.python, "-c",
            "import importlib.metadata, " + std::string(modules) + "; print(importlib.metadata.version('" +
                std::string(dist) + "'))"};
  p.env = python_env();
  return p;
}

extern "C" const char labour_server_bootstrap_prelude[];  // labour_prelude.py, embedded with a bootstrap
extern "C" const unsigned long labour_server_bootstrap_prelude_size;

// Runs an embedded bootstrap written into run_dir as `file`, next to the prelude it imports:
//   python <run_dir>/<file> --app-dir D --module M --callable C --host H --port P <extra...>
inline LaunchPlan bootstrap_plan(const LaunchContext& c, std::string file, std::string_view source,
                                 const std::vector<std::string>& extra) {
  LaunchPlan p;
  p.argv = {
      c.python,     in_dir(c.run_dir, file), "--app-dir", c.app_dir, "--module", c.app_module,
      "--callable", c.app_callable,          "--host",    c.host,    "--port",   std::to_string(c.port)};
  p.argv.insert(p.argv.end(), extra.begin(), extra.end());
  p.env = python_env();
  p.files.emplace_back(std::move(file), std::string(source));
  p.files.emplace_back("labour_prelude.py",
                       std::string(labour_server_bootstrap_prelude, labour_server_bootstrap_prelude_size));
  return p;
}

inline std::string_view embedded(const char* data, unsigned long size) { return {data, size}; }

// A server with one process and no reload or graceful stop of its own: each note says why,
// from the server's documentation or source.
inline sdk::Lifecycle single_process(std::string reload_note, std::string stop_note, int stop_signal = 0) {
  sdk::Lifecycle l;
  l.reload_note = std::move(reload_note);
  l.graceful_stop_signal = stop_signal;
  l.graceful_stop_note = std::move(stop_note);
  l.workers_note = "one process: its threads (or greenlets) run the requests";
  return l;
}

// The signal named "SIGHUP" or "HUP" (0 for "" or a name that is none).
inline int signal_by_name(std::string_view name) {
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (int s = 1; !name.empty() && s < NSIG; ++s)
    if (const char* abbrev = ::sigabbrev_np(s); abbrev && name == abbrev) return s;
  return 0;
}

// An adapter's options, each declared once: its parameter (name, type, default, help) bound
// to the command-line flag that carries it, the way Fluent Bit's config maps bind a key to a
// field. params() and the launch's flags both come from this one table.
struct Option {
  enum class Emit {
    Value,             // "--flag" "value"
    Joined,            // "--flag=value"
    UnlessZero,        // "--flag" "value", left out when the value is 0 (the server's own "off")
    JoinedUnlessZero,  // "--flag=value", left out when the value is 0
    WhenTrue,          // "--flag" alone, when true
    None,              // no flag: the adapter reads the value itself
  };
  sdk::Param param;
  std::string flag;
  Emit emit = Emit::Value;
};

class Options {
 public:
  Options(std::vector<Option> options) : options_(std::move(options)) {}

  std::vector<sdk::Param> params() const {
    std::vector<sdk::Param> out;
    for (const auto& o : options_) out.push_back(o.param);
    return out;
  }

  // The flags for `values` (validated by the host, in canonical text), in declaration order.
  std::vector<std::string> flags(const sdk::Params& values) const {
    std::vector<std::string> out;
    for (const auto& o : options_) {
      const std::string& v = values.text(o.param.name);
      switch (o.emit) {
        case Option::Emit::Value:
          out.insert(out.end(), {o.flag, v});
          break;
        case Option::Emit::Joined:
          out.push_back(o.flag + "=" + v);
          break;
        case Option::Emit::UnlessZero:
          if (v != "0") out.insert(out.end(), {o.flag, v});
          break;
        case Option::Emit::JoinedUnlessZero:
          if (v != "0") out.push_back(o.flag + "=" + v);
          break;
        case Option::Emit::WhenTrue:
          if (v == "true") out.push_back(o.flag);
          break;
        case Option::Emit::None:
          break;
      }
    }
    return out;
  }

 private:
  std::vector<Option> options_;
};

}  // namespace labour::servers

// Declares the bootstrap that labour_server_adapter(<target> BOOTSTRAP ...) embeds.
#define LABOUR_SERVER_BOOTSTRAP(symbol) \
  extern "C" const char symbol[];       \
  extern "C" const unsigned long symbol##_size;
