// eventlet.wsgi: one process; requests run in green threads on one OS thread.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_eventlet_bootstrap)

namespace labour::servers {

class Eventlet : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "eventlet";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "eventlet.wsgi.server: one process, one green thread per connection";
  static std::vector<sdk::Param> params() {
    using sdk::Param;
    return {
        Param::boolean("monkey_patch", false,
                       "eventlet.monkey_patch() before loading the app, so blocking calls yield"),
        Param::integer("max_size", 1024, 1, 100000, "green threads serving connections at once (max_size)")};
  }

  Eventlet(const sdk::Params& p, const sdk::Host&)
      : monkey_patch_(p.boolean("monkey_patch")), max_size_(p.integer("max_size")) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(
        c, "labour_eventlet_bootstrap.py",
        embedded(labour_server_eventlet_bootstrap, labour_server_eventlet_bootstrap_size),
        {"--monkey-patch", monkey_patch_ ? "true" : "false", "--max-size", std::to_string(max_size_)});
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "eventlet, eventlet.wsgi", "eventlet");
  }

 private:
  bool monkey_patch_;
  std::int64_t max_size_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Eventlet, "apt-get install python3-eventlet")
