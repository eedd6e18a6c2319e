// werkzeug's development server: serial by default, a thread or a fork per request if asked.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_werkzeug_bootstrap)

namespace labour::servers {

class Werkzeug : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "werkzeug";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "werkzeug run_simple: one process, serial, threaded or forking";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::boolean("threaded", false, "a new thread per request"), "--threaded"},
        {Param::integer("processes", 1, 1, 64,
                        "fork a process per request, at most this many at once (1 = no forking)"),
         "--processes"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Werkzeug(const sdk::Params& p, const sdk::Host&) : values_(p) {
    // run_simple refuses the combination too, but only once started.
    if (p.boolean("threaded") && p.integer("processes") > 1)
      throw std::invalid_argument(
          "werkzeug options threaded=true and processes=" + std::to_string(p.integer("processes")) +
          " cannot be combined; choose threaded=true or processes > 1");
  }

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_werkzeug_bootstrap.py",
                          embedded(labour_server_werkzeug_bootstrap, labour_server_werkzeug_bootstrap_size),
                          options().flags(values_));
  }

  sdk::Lifecycle lifecycle() override {
    sdk::Lifecycle l =
        single_process("werkzeug's run_simple reloads on file changes only (use_reloader), not by signal",
                       "werkzeug has no graceful stop: SIGINT raises KeyboardInterrupt inside "
                       "the running request (werkzeug/serving.py)");
    l.workers_note = "processes=N forks a child per request, not a pool of workers";
    return l;
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "werkzeug.serving", "Werkzeug");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Werkzeug, "apt-get install python3-werkzeug")
