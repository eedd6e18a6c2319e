// SlowBody: the application streams its response slowly, a chunk every `interval` seconds,
// with no Content-Length (a report rendered as it goes, a long poll). The worker is busy for
// the whole stream: a server with one thread makes every other request wait for it, one
// with a pool of threads or processes serves them beside it.
#include <labour/sdk.hpp>

#include <cstdint>
#include <vector>

namespace {

class SlowBody : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "SlowBody";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "streams its body in chunks, `interval` seconds apart, answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer("chunks", 5, 1, 10000, "chunks of the body"),
        labour::sdk::Param::real("interval", 0.5, 0, 3600, "seconds between two chunks"),
    };
  }

  SlowBody(const labour::sdk::Params& p, const labour::sdk::Host&)
      : seconds_(static_cast<double>(p.integer("chunks") - 1) * p.real("interval")) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }

  std::uint32_t timeout_ms(std::uint32_t scenario_timeout_ms) const override {
    return labour::sdk::timeout_plus(scenario_timeout_ms, seconds_);
  }

 private:
  double seconds_;  // the stream's own length
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(SlowBody)
