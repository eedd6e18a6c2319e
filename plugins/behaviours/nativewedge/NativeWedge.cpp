// NativeWedge: the worker is stuck in a native call that holds the GIL (ctypes.PyDLL), as a
// C extension spinning without releasing it is. Unlike PythonWedge, no other thread of the
// process runs meanwhile, the server's own I/O thread included, and no Python signal handler
// either: waitress, cheroot, gunicorn's gthread workers freeze whole, and only SIGKILL ends a
// wedge (gunicorn's worker timeout then kills, arbiter.py murder_workers).
#include <labour/sdk.hpp>

#include <cstdint>
#include <vector>

namespace {

class NativeWedge : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "NativeWedge";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "blocks the worker in a native call that holds the GIL (0 seconds = forever)";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::real("seconds", 2, 0, 3600,
                                     "how long the native call lasts; 0 = forever, >0 = then answer 200")};
  }

  NativeWedge(const labour::sdk::Params& p, const labour::sdk::Host&) : seconds_(p.real("seconds")) {}

  bool judge(const labour::sdk::Outcome& o) const override {
    if (o.failed()) return true;
    return seconds_ > 0 && o.http() && o.http_status == 200;
  }

  std::uint32_t timeout_ms(std::uint32_t scenario_timeout_ms) const override {
    return labour::sdk::timeout_plus(scenario_timeout_ms, seconds_);
  }

 private:
  double seconds_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(NativeWedge)
