// tornado: WSGIContainer in an HTTPServer; the app runs on the IOLoop thread, one request at a time.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_tornado_bootstrap)

namespace labour::servers {

class Tornado : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "tornado";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "tornado HTTPServer + WSGIContainer: one process, app on the IOLoop thread";
  static std::vector<sdk::Param> params() {
    using sdk::Param;
    return {};
  }

  Tornado(const sdk::Params&, const sdk::Host&) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_tornado_bootstrap.py",
                          embedded(labour_server_tornado_bootstrap, labour_server_tornado_bootstrap_size),
                          {});
  }

  sdk::Lifecycle lifecycle() override {
    return single_process("tornado has no reload signal",
                          "tornado's WSGIContainer has no shutdown of its own: Ctrl-C cancels the IOLoop "
                          "(asyncio.run) and connections it accepted meanwhile are reset");
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "tornado.wsgi, tornado.httpserver", "tornado");
  }
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Tornado, "apt-get install python3-tornado")
