// MemoryHog: the application needs a lot of memory for one request, touches all of it fast,
// and frees it before answering (a big report built in memory). Unlike LeakMemory nothing is
// kept: the cost is a peak. A server that polices memory while the request runs (uWSGI's
// evil-reload-on-rss) kills the worker mid-request; one that checks only between requests,
// or not at all, lets it finish. Capped at 4 GiB per request, well under this machine's memory.
#include <labour/sdk.hpp>

#include <cstdint>
#include <vector>

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

class MemoryHog : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "MemoryHog";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "allocates and touches `bytes` bytes, holds them `seconds`, frees them, answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer("bytes", 256 * kMiB, 0, 4096 * kMiB,
                                    "bytes allocated and touched per request"),
        labour::sdk::Param::real("seconds", 0, 0, 3600,
                                 "how long the request holds the memory before freeing it"),
    };
  }

  MemoryHog(const labour::sdk::Params& p, const labour::sdk::Host&) : seconds_(p.real("seconds")) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }

  std::uint32_t timeout_ms(std::uint32_t scenario_timeout_ms) const override {
    return labour::sdk::timeout_plus(scenario_timeout_ms, seconds_);
  }

 private:
  double seconds_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(MemoryHog)
