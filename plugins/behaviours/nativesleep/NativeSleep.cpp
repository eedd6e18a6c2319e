// NativeSleep: the worker waits in a native call that releases the GIL (ctypes.CDLL), as a
// database driver or a blocking socket call does. The other threads of the process keep
// running: a threaded server keeps serving, a single-threaded one (wsgiref) waits with it.
// The partner of NativeWedge: the same call, the GIL held or not.
#include <labour/sdk.hpp>

#include <cstdint>
#include <vector>

namespace {

class NativeSleep : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "NativeSleep";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "waits in a native call that releases the GIL, then answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::real("seconds", 2, 0, 3600, "how long the native call lasts")};
  }

  NativeSleep(const labour::sdk::Params& p, const labour::sdk::Host&) : seconds_(p.real("seconds")) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }

  std::uint32_t timeout_ms(std::uint32_t scenario_timeout_ms) const override {
    return labour::sdk::timeout_plus(scenario_timeout_ms, seconds_);
  }

 private:
  double seconds_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(NativeSleep)
