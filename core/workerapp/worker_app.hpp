// The worker app: the Python WSGI application labour writes into a private run dir for
// each test (dispatcher + the worker half of every behaviour used). The layout and the
// behaviours.json format are the contract documented at the top of labour_app.py.
#pragma once

#include <labour/plugin_api.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace labour::workerapp {

// One parameter of a behaviour as the dispatcher validates it (no default: the host always
// sends every parameter).
struct ParamSpec {
  std::string name;  // [a-z_][a-z0-9_]*
  labour_param_type_t type;
  std::optional<double> min, max;    // INT, FLOAT
  std::vector<std::string> choices;  // ENUM
};

// A behaviour's worker half, its parameters and what it declares for its route.
struct BehaviourSource {
  std::string name;    // [A-Za-z][A-Za-z0-9_-]*, also the route and the file name
  std::string source;  // Python source of the worker half
  std::vector<ParamSpec> params;
  std::string method = "GET";                              // the one its route accepts (GET: also HEAD)
  std::vector<std::pair<std::string, std::string>> files;  // under labour_files/<name>/: path, content
};

// Where the server finds the app: app_dir on its Python path, module:callable.
struct AppLayout {
  std::filesystem::path app_dir;
  std::string module = "labour_app";
  std::string callable = "application";
  std::string ready_path = "/__labour__/ready";
};

// A fresh private folder "labour-XXXXXX" (mode 0700) under $TMPDIR, or /tmp when unset.
// Throws std::runtime_error with a one-line reason.
std::filesystem::path make_run_dir();

// Writes <run_dir>/app/{labour_app.py, labour_behaviours/<Name>.py, labour_files/<Name>/...,
// behaviours.json}. run_dir must exist; app/ must not. Throws std::runtime_error with a
// one-line reason (bad or duplicate names, bad specs, I/O errors).
AppLayout write_worker_app(const std::filesystem::path& run_dir,
                           const std::vector<BehaviourSource>& behaviours);

// The dispatcher's Python source (core/workerapp/labour_app.py, embedded at build time).
std::string dispatcher_source();

// The behaviours.json text write_worker_app writes for `behaviours` (validated the same way).
std::string behaviours_json(const std::vector<BehaviourSource>& behaviours);

}  // namespace labour::workerapp
