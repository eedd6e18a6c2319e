// eventlet.wsgi: one process; requests run in green threads on one OS thread.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_eventlet_bootstrap)

namespace labour::servers {

class Eventlet : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "eventlet";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "eventlet.wsgi.server: one process, one green thread per connection";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::boolean("monkey_patch", false,
                        "eventlet.monkey_patch() before loading the app, so blocking calls yield"),
         "--monkey-patch"},
        {Param::integer("max_size", 1024, 1, 100000, "green threads serving connections at once (max_size)"),
         "--max-size"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Eventlet(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_eventlet_bootstrap.py",
                          embedded(labour_server_eventlet_bootstrap, labour_server_eventlet_bootstrap_size),
                          options().flags(values_));
  }

  sdk::Lifecycle lifecycle() override {
    return single_process(
        "eventlet.wsgi has no reload signal",
        "eventlet.wsgi.server ends on SIGINT (KeyboardInterrupt) and drops running requests "
        "(eventlet/wsgi.py server)");
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "eventlet, eventlet.wsgi", "eventlet");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Eventlet, "apt-get install python3-eventlet")
