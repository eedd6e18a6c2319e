// cheroot (CherryPy's HTTP server on its own): one process, a thread pool.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_cheroot_bootstrap)

namespace labour::servers {

class Cheroot : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "cheroot";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "cheroot.wsgi.Server: one process, a fixed pool of worker threads";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::integer("numthreads", 10, 1, 1024, "worker threads (numthreads)"), "--numthreads"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Cheroot(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_cheroot_bootstrap.py",
                          embedded(labour_server_cheroot_bootstrap, labour_server_cheroot_bootstrap_size),
                          options().flags(values_));
  }

  sdk::Lifecycle lifecycle() override {
    return single_process(
        "cheroot has no signals of its own, so no reload",
        "SIGINT: the bootstrap calls server.stop(), which closes the listener and waits for "
        "the worker threads (cheroot/server.py HTTPServer.stop)",
        SIGINT);
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "cheroot.wsgi", "cheroot");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Cheroot, "apt-get install python3-cheroot")
