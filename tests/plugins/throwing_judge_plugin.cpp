// A behaviour whose judge throws on every outcome: the plugin's failure, which the host must
// report against the plugin (the test inconclusive, naming it), never as the server's outcome.
#include <labour/sdk.hpp>

#include <stdexcept>

extern "C" const char labour_embedded_worker_source[] =
    "def handle(environ, start_response, params, ctx):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [b'judged by a plugin that throws']\n";
extern "C" const unsigned long labour_embedded_worker_source_size = sizeof(labour_embedded_worker_source) - 1;

struct ThrowingJudge : labour::sdk::Behaviour {
  static constexpr const char* name = "ThrowingJudge";
  static constexpr const char* version = "0.0.1";
  static constexpr const char* summary = "answers 200; its judge throws";
  static std::vector<labour::sdk::Param> params() { return {}; }
  ThrowingJudge(const labour::sdk::Params&, const labour::sdk::Host&) {}
  bool judge(const labour::sdk::Outcome&) const override {
    throw std::logic_error("this judge always throws");
  }
};
LABOUR_BEHAVIOUR_PLUGIN(ThrowingJudge)
