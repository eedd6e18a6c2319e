// ExitProcess: the worker process ends itself with os._exit(code), as code that calls
// sys.exit() in a forked worker or a C library's exit() would: no exception, no cleanup, no
// answer. Servers differ on what an exit status means: gunicorn's master halts the whole
// server on 3 (WORKER_BOOT_ERROR) and 4 (APP_LOAD_ERROR) and replaces a worker on any
// other code (gunicorn/arbiter.py reap_workers); a single-process server is simply gone.
#include <labour/sdk.hpp>

#include <vector>

namespace {

class ExitProcess : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "ExitProcess";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "ends the worker process with os._exit(code), answering nothing";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::integer("code", 1, 0, 255, "the exit status the worker process ends with")};
  }

  ExitProcess(const labour::sdk::Params&, const labour::sdk::Host&) {}

  // Nothing can answer for a process that is gone: a broken connection or a 5xx from a
  // server that noticed. A refused connection is not this request's doing.
  bool judge(const labour::sdk::Outcome& o) const override { return o.failed(); }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(ExitProcess)
