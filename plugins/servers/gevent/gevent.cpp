// gevent.pywsgi: one process; requests run in greenlets on one OS thread.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_gevent_bootstrap)

namespace labour::servers {

class Gevent : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "gevent";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "gevent.pywsgi.WSGIServer: one process, one greenlet per connection";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::boolean("monkey_patch", false,
                        "gevent.monkey.patch_all() before loading the app, so blocking calls yield"),
         "--monkey-patch"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Gevent(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_gevent_bootstrap.py",
                          embedded(labour_server_gevent_bootstrap, labour_server_gevent_bootstrap_size),
                          options().flags(values_));
  }

  sdk::Lifecycle lifecycle() override {
    return single_process("gevent's WSGIServer has no reload signal",
                          "gevent has no graceful stop here: SIGINT is raised inside the running request "
                          "(the hub delivers KeyboardInterrupt), before server.stop() runs");
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "gevent, gevent.pywsgi", "gevent");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Gevent, "apt-get install python3-gevent")
