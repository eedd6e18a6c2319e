// A behaviour whose constructor throws: the SDK glue must catch it at the boundary and the
// registry must reject the file with the exception's message.
#include <labour/sdk.hpp>

extern "C" const char labour_embedded_worker_source[] =
    "def handle(environ, start_response, params, ctx):\n    pass\n";
extern "C" const unsigned long labour_embedded_worker_source_size = sizeof(labour_embedded_worker_source) - 1;

struct Throws : labour::sdk::Behaviour {
  static constexpr const char* name = "Throws";
  static constexpr const char* version = "0.0.1";
  static constexpr const char* summary = "throws from its constructor";
  static std::vector<labour::sdk::Param> params() { return {}; }
  Throws(const labour::sdk::Params&, const labour::sdk::Host&) {
    throw std::runtime_error("constructor exploded");
  }
  labour::sdk::Request request() override { return {}; }
  bool judge(const labour::sdk::Outcome&) const override { return false; }
};
LABOUR_BEHAVIOUR_PLUGIN(Throws)
