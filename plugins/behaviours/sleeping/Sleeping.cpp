// Sleeping: a slow but well-behaved request. The worker sleeps (releasing the GIL), then
// answers 200; the client waits long enough for it.
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

class Sleeping : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "Sleeping";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "sleeps in the worker, then answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::real("seconds", 1.0, 0, 3600, "how long the worker sleeps before answering")};
  }

  Sleeping(const labour::sdk::Params& p, const labour::sdk::Host&) : seconds_(p.real("seconds")) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }

  // The sleep comes on top of whatever the scenario allows for an answer.
  std::uint32_t timeout_ms(std::uint32_t scenario_timeout_ms) const override {
    return labour::sdk::timeout_plus(scenario_timeout_ms, seconds_);
  }

 private:
  double seconds_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(Sleeping)
