// gunicorn: pre-fork master + workers, one adapter for every worker class.
#include "server_support.hpp"

namespace labour::servers {

class Gunicorn : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "gunicorn";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "gunicorn: pre-fork master + workers (sync, gthread, gevent or eventlet)";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::choice("worker_class", "sync", "sync|gthread|gevent|eventlet",
                       "worker type (-k); sync with threads > 1 becomes gthread, as gunicorn does"),
         "--worker-class"},
        {Param::integer("workers", 1, 1, 64, "worker processes (-w)"), "--workers"},
        {Param::integer("threads", 1, 1, 256, "threads per worker (--threads; gthread)"), "--threads"},
        {Param::integer("timeout", 30, 0, 86400,
                        "seconds a silent worker may take before the master kills it (-t; 0 = never)"),
         "--timeout"},
        {Param::integer("graceful_timeout", 5, 0, 3600,
                        "seconds busy workers get to finish on a graceful stop (--graceful-timeout)"),
         "--graceful-timeout"},
        {Param::integer("max_requests", 0, 0, 100000000,
                        "restart a worker after this many requests (0 = never)"),
         "--max-requests"},
        {Param::integer("max_requests_jitter", 0, 0, 100000000,
                        "random extra requests added to max_requests per worker (--max-requests-jitter)"),
         "--max-requests-jitter"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Gunicorn(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  // `python -m gunicorn` (not /usr/bin/gunicorn) so the context's interpreter is the one used.
  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    LaunchPlan p;
    p.argv = {c.python, "-m", "gunicorn", "--bind", endpoint(c), "--chdir", c.app_dir};
    const auto flags = options().flags(values_);
    p.argv.insert(p.argv.end(), flags.begin(), flags.end());
    p.argv.insert(p.argv.end(), {"--worker-tmp-dir", c.run_dir, "--error-logfile", "-", "--log-level", "info",
                                 c.app_module + ":" + c.app_callable});
    p.env = python_env();
    return p;
  }

  // gunicorn's signals (docs/source/signals.rst; arbiter.py handle_hup, handle_term, stop):
  // the same for every worker class.
  sdk::Lifecycle lifecycle() override {
    sdk::Lifecycle l;
    l.reload_signal = SIGHUP;
    l.reload_note = "SIGHUP starts new workers and stops the old ones gracefully (gunicorn docs: signals)";
    l.graceful_stop_signal = SIGTERM;
    l.graceful_stop_note =
        "SIGTERM waits for running requests up to graceful_timeout, then kills (gunicorn docs: signals)";
    l.has_workers = true;
    l.workers_note = "every child of the master is a worker (workers=N)";
    return l;
  }

  // Imports the worker class's module too: gevent/eventlet workers fail there when their
  // library is missing or incompatible, so "available" means this class can really start.
  LaunchPlan probe(const LaunchContext& c) override {
    const std::string& worker_class = values_.text("worker_class");
    std::string modules = "gunicorn";
    if (worker_class == "gthread") modules += ", gunicorn.workers.gthread";
    if (worker_class == "gevent") modules += ", gunicorn.workers.ggevent";
    if (worker_class == "eventlet") modules += ", gunicorn.workers.geventlet";
    return python_version_probe(c, modules, "gunicorn");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Gunicorn,
                     "apt-get install gunicorn python3-gunicorn (plus python3-gevent or python3-eventlet for "
                     "those worker classes)")
