// Runs tests: one scenario against one freshly started server configuration, end to end
// (worker app -> server -> load -> stop -> cleanup), and produces the test's part of the
// results document (docs/results-schema.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <labour/sdk.hpp>  // sdk::Lifecycle
#include <nlohmann/json.hpp>

#include "common/cpus.hpp"
#include "common/errors.hpp"
#include "engine/engine.hpp"
#include "plugins/registry.hpp"
#include "run/results.hpp"
#include "scenario/scenario.hpp"
#include "supervisor/supervisor.hpp"
#include "workerapp/worker_app.hpp"

namespace labour::run {

// What can be done to a running server (labour_lifecycle_t, ABI 2.1), as its adapter declares
// it for one configuration: the SDK's plain struct, read back from the C one.
using ServerLifecycle = labour::sdk::Lifecycle;

// One server configuration: an adapter plus validated options, under a label.
struct ServerConfig {
  std::string label;  // shown in reports; unique within a matrix
  const plugins::PluginInfo* adapter = nullptr;
  plugins::ParamValues options;
  plugins::RawParams given;  // the options the user wrote (for the default label)
  ServerLifecycle lifecycle;
};

// Why `server` cannot do `event` (the unsupported verdict's reason), or nullopt when it can.
std::optional<std::string> unsupported_event(const ServerConfig& server, const scenario::Event& event);

// "NAME[:opt=val,...]" with the reserved option label=TEXT. Throws UsageError.
ServerConfig parse_server_spec(const plugins::Registry& registry, const std::string& spec);

struct Settings {
  std::string python = "/usr/bin/python3";
  bool keep_run_dir = false;
  std::chrono::milliseconds ready_timeout{30000};
  std::chrono::milliseconds monitor_interval{100};  // how often the server's processes are sampled
  Pinning pinning;  // server and client on different cores (automatic unless told otherwise)
  supervisor::StopPolicy stop_policy{};
};

// Checks that --python names an executable. Throws UsageError.
void check_python(const std::string& python);

struct Availability {
  bool available = false;
  std::string version;  // when available
  std::string reason;   // when not: what failed and how to install it
};
Availability probe(const ServerConfig& server, const Settings& settings);

// A scenario's behaviours, created and checked once per matrix: the requests, weights,
// schedules and judges that every test of the scenario shares. Not copyable: the
// workloads' judges refer to its own behaviours.
struct PreparedScenario {
  struct Behaviour {
    const plugins::PluginInfo* plugin;
    plugins::ParamValues params;
    std::uint32_t weight;
    plugins::Instance instance;
    bool innocent = false;
    std::uint32_t connections = 0;  // client-driven: its own connections (its weight is 0)
  };
  scenario::Scenario scenario;
  std::vector<Behaviour> mix;                       // the scenario's order: engine indices
  std::vector<const plugins::PluginInfo*> plugins;  // each behaviour plugin once (worker app)
  engine::Workload workload;                        // the fault phase
  engine::Workload innocent_only;                   // baseline and recovery
  bool has_innocent = false;
  std::uint64_t script_connections = 0;  // the client-driven behaviours' own, beside the mix
  PreparedScenario() = default;
  PreparedScenario(const PreparedScenario&) = delete;
  PreparedScenario& operator=(const PreparedScenario&) = delete;
};

// Validates every behaviour's parameters, creates its instance and builds its request.
// Throws UsageError naming the scenario and behaviour.
std::shared_ptr<const PreparedScenario> prepare_scenario(const plugins::Registry& registry,
                                                         const scenario::Scenario& scenario);

// What a running test is doing, for a live progress display: run_test names its phase
// ("starting", "baseline", "fault", "recovery", "stopping") and lets the engine count the
// phase's load into live(); any thread may take a snapshot meanwhile.
class TestProgress {
 public:
  struct Snapshot {
    std::string phase;   // empty until a test starts
    double phase_s = 0;  // since the phase began
    std::uint64_t sent = 0, done = 0, innocent_done = 0, innocent_unexpected = 0;  // this phase's
  };
  // Starts a phase; its counts start from zero. Called between loads, never during one.
  void set_phase(std::string phase);
  engine::LiveCounters* live() { return &live_; }
  Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::string phase_;
  std::chrono::steady_clock::time_point since_{};
  engine::LiveCounters live_;
};

// Runs one test against a server whose `availability` was probed (once per configuration:
// an unavailable one gives status "skipped"): baseline -> fault -> recovery on one freshly
// started server, then summarise(). Never throws for a server that fails to start (status
// "failed"). `stop` interrupts the load (status "interrupted", with what was measured).
// `progress` (optional, outliving the call) follows the test as it runs.
TestResult run_test(const ServerConfig& server, const Availability& availability,
                    const PreparedScenario& scenario, const Settings& settings, const std::atomic<bool>& stop,
                    TestProgress* progress = nullptr);

// A started server hosting the worker app with the given behaviours; stops and cleans up on
// destruction. Used by run_test and `labour serve`.
class ServerSession {
 public:
  struct Behaviour {
    const plugins::PluginInfo* plugin;
    plugins::ParamValues params;
  };
  // Thrown when labour is interrupted while the server starts (the server is stopped).
  using Interrupted = labour::Interrupted;
  // port 0: a free loopback port (and another one if the server cannot bind it); cpus
  // empty: not pinned. Throws RunError if the server does not come up, Interrupted on
  // SIGINT/SIGTERM meanwhile.
  ServerSession(const ServerConfig& server, const std::vector<const plugins::PluginInfo*>& behaviours,
                const Settings& settings, std::uint16_t port = 0, const CpuList& cpus = {});
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  std::uint16_t port() const { return port_; }
  double start_seconds() const { return start_seconds_; }
  const std::filesystem::path& run_dir() const { return run_dir_; }
  supervisor::ServerProcess& process() { return *process_; }
  // Stops the server (idempotent); keeps the run dir if asked to or if `failed`.
  supervisor::StopReport stop(bool failed = false);

 private:
  Settings settings_;
  std::filesystem::path run_dir_;
  std::optional<supervisor::ServerProcess> process_;
  std::optional<supervisor::StopReport> stopped_;
  std::uint16_t port_ = 0;
  double start_seconds_ = 0;
};

// The "tool" and "environment" parts of a results document.
nlohmann::ordered_json document_header(const Settings& settings);

// The request a behaviour instance sends, checked against what its plugin declared. Throws
// UsageError naming `what`.
engine::PreparedRequest request_of(const plugins::Instance& instance, const std::string& what);

// A client-driven behaviour's connection script (ABI 2.1), checked; none for an ordinary
// behaviour. Throws UsageError naming `what`.
std::optional<engine::ConnectionScript> script_of(const plugins::Instance& instance, const std::string& what);

// What the worker app needs of a loaded behaviour: its worker half, parameters, method, files.
workerapp::BehaviourSource behaviour_source(const plugins::PluginInfo& behaviour);

// A behaviour whose worker half the worker app's dispatcher would fail to import: `error` is
// Python's own line for what was raised ("ModuleNotFoundError: No module named 'x'"), or
// "it defines no handle()", or what ended or stopped the import.
struct WorkerImportProblem {
  const plugins::PluginInfo* behaviour = nullptr;
  std::string error;
};
struct WorkerImportCheck {
  std::vector<WorkerImportProblem> problems;  // in the order the behaviours were given
  std::string not_checked;                    // non-empty: why the check itself could not run
  std::size_t checked = 0;                    // behaviours whose worker half was tried
  const WorkerImportProblem* find(const plugins::PluginInfo* behaviour) const;
};

// Imports every behaviour's worker half (each once) as the dispatcher does, under `python`:
// the halves are written into a private temporary run dir (workerapp::write_worker_app, removed
// afterwards) and ONE python process imports each in turn, stopped after `limit` (its output
// bounded). A half whose import hangs or ends Python is named; the ones after it are not tried.
// Never throws: a check that cannot run says why in not_checked.
WorkerImportCheck check_worker_imports(const std::vector<const plugins::PluginInfo*>& behaviours,
                                       const std::string& python,
                                       std::chrono::milliseconds limit = std::chrono::seconds(10));

// True if something listens on 127.0.0.1:port already.
bool port_in_use(std::uint16_t port);

}  // namespace labour::run
