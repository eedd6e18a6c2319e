// Slowloris: connections that send a request's headers one line every `interval` seconds and
// never finish them (or finish after `complete_after` lines), holding whatever the server gives
// a connection that has not yet sent a request: a thread, a process, a place in its connection
// limit. A server that reads requests in an I/O loop (or cuts slow clients off) keeps serving
// others; one that gives each connection a worker before its request is complete does not.
#include <labour/sdk.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace sdk = labour::sdk;

class Slowloris : public sdk::ClientBehaviour {
 public:
  static constexpr const char* name = "Slowloris";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "connections that trickle request headers, a line every `interval` s, never (or late) finished";
  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::integer("connections", 50, 1, 100000, "slow connections held at once, beside the mix"),
        sdk::Param::real("interval", 1.0, 0.01, 600, "seconds between two header lines"),
        sdk::Param::integer("complete_after", 0, 0, 100000,
                            "header lines before the request is finished and its answer read (0: never)"),
    };
  }

  Slowloris(const sdk::Params& p, const sdk::Host&)
      : connections_(static_cast<std::uint32_t>(p.integer("connections"))),
        interval_ms_(static_cast<std::uint32_t>(p.real("interval") * 1000)),
        lines_(static_cast<std::uint64_t>(p.integer("complete_after"))) {}

  sdk::Script script() override {
    static const std::string line = "X-Labour-Slowloris: 1\r\n";
    sdk::Script s;
    s.connections = connections_;
    s.repeat_after_ms = 100;
    s.steps.push_back(sdk::Step::send(sdk::request_head("GET", route())));
    s.steps.push_back(sdk::Step::trickle(line, lines_ * line.size(), static_cast<std::uint32_t>(line.size()),
                                         std::max<std::uint32_t>(interval_ms_, 1)));
    if (lines_ > 0) {
      s.steps.push_back(sdk::Step::send("\r\n"));
      s.steps.push_back(sdk::Step::read());
    }
    return s;
  }

  // Expected: the server answered the finished request (200), refused or cut off the slow
  // client (a 4xx such as 408, or a close), or was still waiting for the headers when the phase
  // ended. Unexpected: a 5xx, a malformed answer, no answer in time to a finished request.
  bool judge(const sdk::Outcome& o) const override {
    if (o.http()) return o.http_status == 200 || o.refused();
    return o.held() || o.closed_before_response() || o.not_accepted();
  }

 private:
  std::uint32_t connections_;
  std::uint32_t interval_ms_;
  std::uint64_t lines_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(Slowloris)
