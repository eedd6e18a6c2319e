// hypercorn 0.13: no native WSGI, so the bootstrap wraps the app for ASGI.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_hypercorn_bootstrap)

namespace labour::servers {

class Hypercorn : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "hypercorn";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "hypercorn (asyncio) serving the app through a WSGI-to-ASGI wrapper";
  static std::vector<sdk::Param> params() {
    using sdk::Param;
    return {Param::choice("wrapper", "hypercorn", "hypercorn|asgiref",
                          "WSGI-to-ASGI wrapper: hypercorn's AsyncioWSGIMiddleware (thread pool) or "
                          "asgiref's WsgiToAsgi (one shared thread)"),
            Param::integer("threads", 10, 1, 1024,
                           "threads running the app with wrapper=hypercorn (the loop's default executor)"),
            Param::integer("graceful_timeout", 3, 0, 3600,
                           "seconds open requests get to finish after SIGINT/SIGTERM")};
  }

  Hypercorn(const sdk::Params& p, const sdk::Host&)
      : wrapper_(p.text("wrapper")),
        threads_(p.integer("threads")),
        graceful_timeout_(p.integer("graceful_timeout")) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_hypercorn_bootstrap.py",
                          embedded(labour_server_hypercorn_bootstrap, labour_server_hypercorn_bootstrap_size),
                          {"--wrapper", wrapper_, "--threads", std::to_string(threads_), "--graceful-timeout",
                           std::to_string(graceful_timeout_)});
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c,
                                wrapper_ == "asgiref"
                                    ? "hypercorn.asyncio, hypercorn.config, asgiref.wsgi"
                                    : "hypercorn.asyncio, hypercorn.config, hypercorn.middleware",
                                "hypercorn");
  }

 private:
  std::string wrapper_;
  std::int64_t threads_;
  std::int64_t graceful_timeout_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Hypercorn, "apt-get install python3-hypercorn python3-asgiref")
