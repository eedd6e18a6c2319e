// The client half of an out-of-tree behaviour: expects the worker's 418.
#include <labour/sdk.hpp>

struct Teapot : labour::sdk::Behaviour {
  static constexpr const char* name = "Teapot";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "answers 418 I'm a teapot";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::integer("cups", 1, 1, 10, "cups of tea in the body")};
  }
  Teapot(const labour::sdk::Params& p, const labour::sdk::Host&) : params_(p) {}
  bool judge(const labour::sdk::Outcome& o) const override {
    return o.http() && o.http_status == 418 &&
           o.body_length == static_cast<std::uint64_t>(params_.integer("cups")) * 4;
  }
  labour::sdk::Params params_;
};
LABOUR_BEHAVIOUR_PLUGIN(Teapot)
