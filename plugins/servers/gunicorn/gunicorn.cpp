// gunicorn: pre-fork master + workers, one adapter for every worker class.
#include "server_support.hpp"

namespace labour::servers {

class Gunicorn : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "gunicorn";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "gunicorn: pre-fork master + workers (sync, gthread, gevent or eventlet)";
  static std::vector<sdk::Param> params() {
    using sdk::Param;
    return {
        Param::choice("worker_class", "sync", "sync|gthread|gevent|eventlet",
                      "worker type (-k); sync with threads > 1 becomes gthread, as gunicorn does"),
        Param::integer("workers", 1, 1, 64, "worker processes (-w)"),
        Param::integer("threads", 1, 1, 256, "threads per worker (--threads; gthread)"),
        Param::integer("timeout", 30, 0, 86400,
                       "seconds a silent worker may take before the master kills it (-t; 0 = never)"),
        Param::integer("graceful_timeout", 5, 0, 3600,
                       "seconds busy workers get to finish on a graceful stop (--graceful-timeout)"),
        Param::integer("max_requests", 0, 0, 100000000,
                       "restart a worker after this many requests (0 = never)"),
        Param::integer("max_requests_jitter", 0, 0, 100000000,
                       "random extra requests added to max_requests per worker (--max-requests-jitter)"),
    };
  }

  Gunicorn(const sdk::Params& p, const sdk::Host&)
      : worker_class_(p.text("worker_class")),
        workers_(p.integer("workers")),
        threads_(p.integer("threads")),
        timeout_(p.integer("timeout")),
        graceful_timeout_(p.integer("graceful_timeout")),
        max_requests_(p.integer("max_requests")),
        max_requests_jitter_(p.integer("max_requests_jitter")) {}

  // `python -m gunicorn` (not /usr/bin/gunicorn) so the context's interpreter is the one used.
  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    LaunchPlan p;
    p.argv = {c.python,
              "-m",
              "gunicorn",
              "--bind",
              endpoint(c),
              "--chdir",
              c.app_dir,
              "--worker-class",
              worker_class_,
              "--workers",
              std::to_string(workers_),
              "--threads",
              std::to_string(threads_),
              "--timeout",
              std::to_string(timeout_),
              "--graceful-timeout",
              std::to_string(graceful_timeout_),
              "--max-requests",
              std::to_string(max_requests_),
              "--max-requests-jitter",
              std::to_string(max_requests_jitter_),
              "--worker-tmp-dir",
              c.run_dir,
              "--error-logfile",
              "-",
              "--log-level",
              "info",
              c.app_module + ":" + c.app_callable};
    p.env = python_env();
    return p;
  }

  // Imports the worker class's module too: gevent/eventlet workers fail there when their
  // library is missing or incompatible, so "available" means this class can really start.
  LaunchPlan probe(const LaunchContext& c) override {
    std::string modules = "gunicorn";
    if (worker_class_ == "gthread") modules += ", gunicorn.workers.gthread";
    if (worker_class_ == "gevent") modules += ", gunicorn.workers.ggevent";
    if (worker_class_ == "eventlet") modules += ", gunicorn.workers.geventlet";
    return python_version_probe(c, modules, "gunicorn");
  }

 private:
  std::string worker_class_;
  std::int64_t workers_, threads_, timeout_, graceful_timeout_, max_requests_, max_requests_jitter_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Gunicorn,
                     "apt-get install gunicorn python3-gunicorn (plus python3-gevent or python3-eventlet for "
                     "those worker classes)")
