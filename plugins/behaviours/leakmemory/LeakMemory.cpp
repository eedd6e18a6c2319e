// LeakMemory: every request makes the worker keep another resident block of memory for
// the rest of its life, so RSS grows until the server (or the kernel) does something.
#include <labour/sdk.hpp>

#include <string>
#include <vector>

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

class LeakMemory : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "LeakMemory";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "keeps a resident memory block per request in the worker, answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::integer("bytes", 1048576, 0, kGiB,
                                        "bytes the worker keeps (and touches) per request, never freed")};
  }

  LeakMemory(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(LeakMemory)
