// SIGSEGV: the worker process dies of a real segmentation fault (an invalid memory read
// from ctypes). The server should answer 5xx or drop the connection, then recover.
#include <labour/sdk.hpp>

#include <string>
#include <vector>

namespace {

class SegmentationFault : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "SIGSEGV";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "crashes the worker process with a real segmentation fault";
  static std::vector<labour::sdk::Param> params() { return {}; }

  SegmentationFault(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.failed(); }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(SegmentationFault)
