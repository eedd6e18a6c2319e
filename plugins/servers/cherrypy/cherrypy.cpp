// CherryPy: the app grafted onto cherrypy.tree, served by the engine's cheroot server.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_cherrypy_bootstrap)

namespace labour::servers {

class CherryPy : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "cherrypy";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "CherryPy engine + tree.graft: one process, a pool of worker threads";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::integer("thread_pool", 10, 1, 1024, "worker threads (server.thread_pool)"), "--thread-pool"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  CherryPy(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_cherrypy_bootstrap.py",
                          embedded(labour_server_cherrypy_bootstrap, labour_server_cherrypy_bootstrap_size),
                          options().flags(values_));
  }

  sdk::Lifecycle lifecycle() override {
    return single_process(
        "CherryPy's SIGUSR1 (bus.graceful) restarts only its own helper threads and reopens logs, not the "
        "server or the app (cherrypy/process/plugins.py)",
        "SIGTERM: engine.exit stops the server once running requests end (cherrypy/process/plugins.py "
        "SignalHandler)",
        SIGTERM);
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "cherrypy", "CherryPy");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::CherryPy, "apt-get install python3-cherrypy3")
