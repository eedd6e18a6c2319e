// Abort: the worker process dies of SIGABRT (os.abort()), as a C extension's failed assert()
// or glibc's heap-corruption check ends it. A death by signal, which servers log
// differently from an exit: gunicorn warns "terminated due to signal 6" and replaces the
// worker, uWSGI respawns it, a single-process server is gone.
#include <labour/sdk.hpp>

#include <vector>

namespace {

class Abort : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "Abort";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "kills the worker process with SIGABRT (os.abort()), answering nothing";
  static std::vector<labour::sdk::Param> params() { return {}; }

  Abort(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.failed(); }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(Abort)
