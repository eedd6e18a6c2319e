// wsgiref: the standard library's reference server, one process, one thread, serial.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_wsgiref_bootstrap)

namespace labour::servers {

class Wsgiref : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "wsgiref";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "Python's wsgiref.simple_server: one process, one thread, serial";
  static std::vector<sdk::Param> params() { return {}; }

  Wsgiref(const sdk::Params&, const sdk::Host&) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_wsgiref_bootstrap.py",
                          embedded(labour_server_wsgiref_bootstrap, labour_server_wsgiref_bootstrap_size),
                          {});
  }

  // The server is part of Python itself: its version is the interpreter's.
  sdk::Lifecycle lifecycle() override {
    return single_process("wsgiref has no signal handling, so no reload",
                          "wsgiref has no graceful stop: SIGINT during a request becomes that request's 500 "
                          "(wsgiref/handlers.py catches everything) and the server goes on");
  }

  LaunchPlan probe(const LaunchContext& c) override {
    LaunchPlan p;
    p.argv = {c.python, "-c", "import platform, wsgiref.simple_server; print(platform.python_version())"};
    p.env = python_env();
    return p;
  }
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Wsgiref, "apt-get install python3 (wsgiref is in the standard library)")
