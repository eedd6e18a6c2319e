// IdleHog: connections opened and held idle, sending nothing, for the whole phase (a crowd of
// idle keep-alive clients, or an attacker's). A server that gives each accepted connection a
// worker, or caps its connections, runs out; one that waits on them in an I/O loop does not.
#include <labour/sdk.hpp>

#include <cstdint>
#include <vector>

namespace {

namespace sdk = labour::sdk;

class IdleHog : public sdk::ClientBehaviour {
 public:
  static constexpr const char* name = "IdleHog";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "opens `connections` connections and holds them idle, sending nothing";
  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::integer("connections", 100, 1, 100000, "idle connections held at once, beside the mix")};
  }

  IdleHog(const sdk::Params& p, const sdk::Host&)
      : connections_(static_cast<std::uint32_t>(p.integer("connections"))) {}

  // One endless pause; a connection the server closes is opened again 100 ms later.
  sdk::Script script() override { return {{sdk::Step::pause(0)}, connections_, 100}; }

  // Expected: held to the end, closed by the server (an idle timeout, a 408), or not taken (its
  // accept queue full). Unexpected: a 5xx, or bytes that are not HTTP.
  bool judge(const sdk::Outcome& o) const override {
    if (o.http()) return o.refused();
    return o.held() || o.closed_before_response() || o.not_accepted();
  }

 private:
  std::uint32_t connections_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(IdleHog)
