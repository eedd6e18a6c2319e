// uvicorn --interface wsgi: asyncio server, the app in uvicorn's WSGI thread pool (10 threads).
#include "server_support.hpp"

namespace labour::servers {

class Uvicorn : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "uvicorn";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "uvicorn --interface wsgi: asyncio + a 10-thread WSGI pool per process";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::integer("workers", 1, 1, 64,
                        "worker processes (--workers; more than 1 adds a supervising parent process)"),
         "--workers"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Uvicorn(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  // Debian ships no `uvicorn` script: always `python -m uvicorn`.
  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    LaunchPlan p;
    p.argv = {c.python, "-m",   "uvicorn", "--interface",         "wsgi",
              "--host", c.host, "--port",  std::to_string(c.port)};
    const auto flags = options().flags(values_);
    p.argv.insert(p.argv.end(), flags.begin(), flags.end());
    p.argv.insert(p.argv.end(),
                  {"--app-dir", c.app_dir, "--lifespan", "off",  // WSGI has no lifespan events
                   "--no-access-log", "--log-level", "info", c.app_module + ":" + c.app_callable});
    p.env = python_env();
    return p;
  }

  // uvicorn handles SIGINT and SIGTERM alike: stop accepting, wait for running requests, with no
  // time limit (uvicorn/server.py handle_exit, shutdown). workers=N: the parent starts N
  // spawned processes (supervisors/multiprocess.py) and never replaces one that dies.
  sdk::Lifecycle lifecycle() override {
    sdk::Lifecycle l;
    l.reload_note =
        "uvicorn has no reload signal (--reload is a development file watcher; server.py handles "
        "SIGINT and SIGTERM only)";
    l.graceful_stop_signal = SIGTERM;
    l.graceful_stop_note =
        "SIGTERM: stops accepting and waits for running requests (uvicorn/server.py shutdown)";
    l.has_workers = values_.integer("workers") > 1;
    l.workers_note = l.has_workers
                         ? "workers=N spawned processes (multiprocessing), never replaced when one dies"
                         : "one process (workers=1)";
    l.worker_cmdline = "multiprocessing.spawn";  // not the resource tracker beside them
    return l;
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "uvicorn, uvicorn.middleware.wsgi", "uvicorn");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Uvicorn, "apt-get install python3-uvicorn")
