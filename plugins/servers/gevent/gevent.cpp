// gevent.pywsgi: one process; requests run in greenlets on one OS thread.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_gevent_bootstrap)

namespace labour::servers {

class Gevent : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "gevent";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "gevent.pywsgi.WSGIServer: one process, one greenlet per connection";
  static std::vector<sdk::Param> params() {
    using sdk::Param;
    return {Param::boolean("monkey_patch", false,
                           "gevent.monkey.patch_all() before loading the app, so blocking calls yield")};
  }

  Gevent(const sdk::Params& p, const sdk::Host&) : monkey_patch_(p.boolean("monkey_patch")) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_gevent_bootstrap.py",
                          embedded(labour_server_gevent_bootstrap, labour_server_gevent_bootstrap_size),
                          {"--monkey-patch", monkey_patch_ ? "true" : "false"});
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "gevent, gevent.pywsgi", "gevent");
  }

 private:
  bool monkey_patch_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Gevent, "apt-get install python3-gevent")
