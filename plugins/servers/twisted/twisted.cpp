// Twisted: the reactor serves HTTP, the app runs in the reactor's thread pool.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_twisted_bootstrap)

namespace labour::servers {

class Twisted : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "twisted";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "Twisted web WSGIResource: one process, reactor thread + thread pool";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::integer("threads", 10, 1, 1024, "maximum threads in the reactor's pool that run the app"),
         "--threads"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Twisted(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_twisted_bootstrap.py",
                          embedded(labour_server_twisted_bootstrap, labour_server_twisted_bootstrap_size),
                          options().flags(values_));
  }

  sdk::Lifecycle lifecycle() override {
    return single_process("twisted.web has no reload signal",
                          "twisted has no graceful stop: SIGINT and SIGTERM stop the reactor and drop open "
                          "connections, and with a WSGI request running the process never exits "
                          "(twisted/web/wsgi.py blockingCallFromThread)");
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "twisted.web.wsgi, twisted.internet.reactor", "Twisted");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Twisted, "apt-get install python3-twisted")
