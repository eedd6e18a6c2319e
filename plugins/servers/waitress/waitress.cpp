// waitress: one process, an asyncore-style I/O thread and a pool of worker threads.
#include "server_support.hpp"

namespace labour::servers {

class Waitress : public sdk::ServerAdapter {
 public:
  static constexpr const char* name = "waitress";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "waitress: one process, an I/O thread plus a pool of worker threads";
  static const Options& options() {
    using sdk::Param;
    using Emit = Option::Emit;
    static const Options table{{
        {Param::integer("threads", 4, 1, 1024, "worker threads that run the application (--threads)"),
         "--threads", Emit::Joined},
        {Param::integer("channel_timeout", 120, 1, 86400,
                        "seconds an inactive connection is kept before it is closed (--channel-timeout)"),
         "--channel-timeout", Emit::Joined},
        {Param::integer("connection_limit", 100, 1, 100000,
                        "simultaneous connections accepted before new ones wait (--connection-limit)"),
         "--connection-limit", Emit::Joined},
    }};
    return table;
  }
  static std::vector<sdk::Param> params() { return options().params(); }

  Waitress(const sdk::Params& p, const sdk::Host&) : values_(p) {}

  // waitress-serve puts its working directory on sys.path, so it runs in app_dir.
  // --listen (not --host/--port, which would also bind IPv6) binds exactly host:port.
  LaunchPlan launch(const LaunchContext& c) override {
    require_context(c, name);
    LaunchPlan p;
    p.argv = {c.python, "-m", "waitress", "--listen=" + endpoint(c)};
    const auto flags = options().flags(values_);
    p.argv.insert(p.argv.end(), flags.begin(), flags.end());
    p.argv.push_back(c.app_module + ":" + c.app_callable);
    p.env = python_env();
    p.workdir = c.app_dir;
    return p;
  }

  // waitress handles no signal itself; Ctrl-C ends its run loop, and it then waits for running
  // tasks (waitress/server.py run, task.py ThreadedTaskDispatcher.shutdown), the listener still
  // open until it exits.
  sdk::Lifecycle lifecycle() override {
    return single_process("waitress handles no signals, so no reload",
                          "SIGINT: its run loop ends and it waits up to 5 s for running requests "
                          "(waitress/server.py, task.py shutdown)",
                          SIGINT);
  }

  LaunchPlan probe(const LaunchContext& c) override {
    return python_version_probe(c, "waitress", "waitress");
  }

 private:
  sdk::Params values_;
};

}  // namespace labour::servers

LABOUR_SERVER_PLUGIN(labour::servers::Waitress, "apt-get install python3-waitress")
