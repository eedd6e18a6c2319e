// IgnoreTermination: the application makes its worker process ignore SIGTERM and SIGINT,
// as code that installs its own signal handling does. How the server stops then differs:
// gunicorn's master ends its workers with SIGQUIT, which is not ignored, and is gone after
// labour's first signal; a server that is one process (waitress, wsgiref), or a uWSGI master
// waiting for its workers, stays until labour escalates to SIGKILL.
#include <labour/sdk.hpp>

#include <vector>

namespace {

class IgnoreTermination : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "IgnoreTermination";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "makes the worker process ignore SIGTERM and SIGINT, answers 200";
  static std::vector<labour::sdk::Param> params() { return {}; }

  IgnoreTermination(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(IgnoreTermination)
