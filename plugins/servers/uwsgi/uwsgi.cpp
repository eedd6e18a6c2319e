// uWSGI with the python3 plugin, speaking HTTP directly from its workers (--http-socket).
#include "server_support.hpp"

namespace labour::servers {

class Uwsgi : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "uwsgi";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "uWSGI (python3 plugin, --http-socket): optional master + worker processes";
  // The master's own flags (--master --no-orphans) and the limits that need it are written
  // by launch(); the rest go as they are declared.
  static const Options& options() {
    using sdk::Param;
    using Emit = Option::Emit;
    static const Options table{{
        {Param::boolean("master", true,
                        "run a master process that supervises and respawns workers (--master)"),
         "", Emit::None},
        {Param::integer("processes", 1, 1, 64, "worker processes (--processes)"), "--processes"},
        {Param::integer("threads", 1, 1, 256, "threads per worker (--threads)"), "--threads"},
        {Param::integer(
             "harakiri", 0, 0, 86400,
             "seconds after which the master kills a worker stuck in one request (0 = off; needs master)"),
         "--harakiri", Emit::UnlessZero},
        {Param::integer("max_requests", 0, 0, 100000000,
                        "recycle a worker after this many requests (0 = never; needs master); uWSGI does so "
                        "only once the worker has lived its --min-worker-lifetime, 60 s"),
         "--max-requests", Emit::UnlessZero},
        {Param::integer(
             "reload_on_rss", 0, 0, 1048576,
             "recycle a worker after a request leaves its RSS above this many MB (0 = off; needs master)"),
         "--reload-on-rss", Emit::UnlessZero},
        {Param::integer("evil_reload_on_rss", 0, 0, 1048576,
                        "master kills a worker whose RSS is above this many MB, even mid-request (0 = off; "
                        "needs master)"),
         "--evil-reload-on-rss", Emit::UnlessZero},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Uwsgi(const sdk::Params& p, const sdk::Host&) : values_(p) {
    // Without a master nothing enforces these or respawns the worker they retire: the
    // server would just die. Say so instead of measuring that by accident.
    if (!p.boolean("master")) {
      for (const char* option : {"harakiri", "max_requests", "reload_on_rss", "evil_reload_on_rss"})
        if (p.integer(option) != 0)
          throw std::invalid_argument(
              std::string("uwsgi option ") + option + "=" + p.text(option) +
              " needs master=true (without a master no one enforces it or respawns the "
              "worker); set master=true or " +
              option + "=0");
    }
  }

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    LaunchPlan p;
    p.argv = {"uwsgi",
              "--strict",  // unknown options are errors, not warnings
              "--need-plugin",
              "python3",  // fail at once if the plugin is missing
              "--http-socket",
              endpoint(c),
              "--pythonpath",
              c.app_dir,
              "--module",
              c.app_module + ":" + c.app_callable,
              "--need-app",         // exit if the app does not import
              "--enable-threads",   // behaviours may start Python threads
              "--die-on-term",      // SIGTERM stops instead of reloading
              "--disable-logging",  // no per-request lines; errors are still logged
              "--pidfile",
              in_dir(c.run_dir, "uwsgi.pid")};
    if (values_.boolean("master")) p.argv.insert(p.argv.end(), {"--master", "--no-orphans"});
    const auto flags = options().flags(values_);
    p.argv.insert(p.argv.end(), flags.begin(), flags.end());
    p.env = python_env();
    return p;
  }

  // uWSGI's signals (docs: Management, "Signals for controlling uWSGI"; core/master.c).
  sdk::Lifecycle lifecycle() override {
    sdk::Lifecycle l;
    const bool master = values_.boolean("master");
    l.reload_signal = master ? SIGHUP : 0;
    l.reload_note =
        master ? "SIGHUP reloads the workers and the master gracefully; the master serves again once "
                 "every old worker has finished (uWSGI docs: Management)"
               : "a graceful reload needs the master (master=true)";
    l.graceful_stop_note =
        "uWSGI 2.0 stops gracefully only on its master FIFO's q command; every stop signal is brutal: "
        "SIGINT, "
        "SIGTERM with --die-on-term, SIGQUIT (core/master.c)";
    l.has_workers = master;
    l.workers_note = master ? "every child of the master is a worker (processes=N)"
                            : "without a master, the one process is the worker";
    return l;
  }

  // Prints "2.0.21-debian"; --need-plugin makes it fail when the python3 plugin is missing.
  LaunchPlan probe(const LaunchContext&) override {
    LaunchPlan p;
    p.argv = {"uwsgi", "--need-plugin", "python3", "--version"};
    return p;
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Uwsgi, "apt-get install uwsgi-core uwsgi-plugin-python3")
