// Paste's httpserver: one process, a thread pool that watches for hung threads.
#include "server_support.hpp"

LABOUR_SERVER_BOOTSTRAP(labour_server_paste_bootstrap)

namespace labour::servers {

class Paste : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "paste";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "paste.httpserver: one process, a thread pool with hung-thread handling";
  static const Options& options() {
    using sdk::Param;
    static const Options table{{
        {Param::integer("threadpool", 10, 1, 1024, "worker threads (threadpool_workers)"), "--threadpool"},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Paste(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    return bootstrap_plan(c, "labour_paste_bootstrap.py",
                          embedded(labour_server_paste_bootstrap, labour_server_paste_bootstrap_size),
                          options().flags(values_));
  }

  sdk::Lifecycle lifecycle() override {
    return single_process("paste's httpserver has no reload signal",
                          "paste has no graceful stop: on SIGINT its thread pool kills threads still running "
                          "after 0.5 s (paste/httpserver.py ThreadPool.shutdown)");
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "paste.httpserver", "Paste");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Paste, "apt-get install python3-paste")
