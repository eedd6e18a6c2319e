// OutputFlood: the application writes a flood of output to its stdout or stderr, as a
// debug print left in a loop does. No server throttles it; where it lands differs (uWSGI
// points sys.stdout at its log, fd 2). labour keeps each server log within its LogLimits
// (head and tail kept, the middle cut and said so), so a flood costs it neither memory nor
// disk beyond them.
#include <labour/sdk.hpp>

#include <vector>

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

class OutputFlood : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "OutputFlood";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "writes `bytes` bytes to its stdout or stderr, answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer("bytes", 16 * kMiB, 0, 4096 * kMiB, "bytes written per request"),
        labour::sdk::Param::choice("stream", "stdout", "stdout|stderr", "sys.stdout or sys.stderr"),
    };
  }

  OutputFlood(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(OutputFlood)
