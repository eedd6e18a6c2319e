// hypercorn 0.13: no native WSGI, so the bootstrap wraps the app for ASGI.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_hypercorn_bootstrap)

namespace labour::servers {

class Hypercorn : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "hypercorn";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "hypercorn (asyncio) serving the app through a WSGI-to-ASGI wrapper";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::choice("wrapper", "hypercorn", "hypercorn|asgiref",
                       "WSGI-to-ASGI wrapper: hypercorn's AsyncioWSGIMiddleware (thread pool) or "
                       "asgiref's WsgiToAsgi (one shared thread)"),
         "--wrapper"},
        {Param::integer("threads", 10, 1, 1024,
                        "threads running the app with wrapper=hypercorn (the loop's default executor)"),
         "--threads"},
        {Param::integer("graceful_timeout", 3, 0, 3600,
                        "seconds open requests get to finish after SIGINT/SIGTERM"),
         "--graceful-timeout"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Hypercorn(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_hypercorn_bootstrap.py",
                          embedded(labour_server_hypercorn_bootstrap, labour_server_hypercorn_bootstrap_size),
                          options().flags(values_));
  }

  sdk::Lifecycle lifecycle() override {
    return single_process("hypercorn has no reload signal (--reload is a development file watcher)",
                          "SIGTERM: the bootstrap's shutdown trigger closes the listener, then waits up to "
                          "graceful_timeout for "
                          "running requests (hypercorn/asyncio/run.py)",
                          SIGTERM);
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c,
                                values_.text("wrapper") == "asgiref"
                                    ? "hypercorn.asyncio, hypercorn.config, asgiref.wsgi"
                                    : "hypercorn.asyncio, hypercorn.config, hypercorn.middleware",
                                "hypercorn");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Hypercorn, "apt-get install python3-hypercorn python3-asgiref")
