// PythonWedge: the worker spins in a pure-Python loop. With seconds=0 it never returns, so
// the server must time the request out, kill the worker or stall; a 200 then means the
// wedge did not happen. With seconds>0 the loop ends and the worker answers 200, which is
// expected as well as a 5xx or a broken/stalled connection.
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

class PythonWedge : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "PythonWedge";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "spins in a pure-Python busy loop in the worker (0 seconds = forever)";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::real("seconds", 0, 0, 3600,
                                     "how long the worker spins; 0 = forever, >0 = then answer 200")};
  }

  PythonWedge(const labour::sdk::Params& p, const labour::sdk::Host&) : seconds_(p.real("seconds")) {}

  bool judge(const labour::sdk::Outcome& o) const override {
    if (o.failed()) return true;
    return seconds_ > 0 && o.http() && o.http_status == 200;
  }

  // A bounded wedge gets the time to finish; a forever wedge just the scenario's timeout.
  std::uint32_t timeout_ms(std::uint32_t scenario_timeout_ms) const override {
    return labour::sdk::timeout_plus(scenario_timeout_ms, seconds_);
  }

 private:
  double seconds_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(PythonWedge)
