// Pipelining: `depth` requests written at once on one connection, then their `depth` responses
// read in order (RFC 9112 section 9.3.2: a server must answer pipelined requests in order, and
// may close after any response, leaving the rest to be sent again).
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace sdk = labour::sdk;

class Pipelining : public sdk::ClientBehaviour {
 public:
  static constexpr const char* name = "Pipelining";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "writes `depth` requests at once on one connection, reads the answers";
  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::integer("connections", 1, 1, 100000, "pipelining connections at once, beside the mix"),
        sdk::Param::integer("depth", 4, 2, 100, "requests written at once"),
    };
  }

  Pipelining(const sdk::Params& p, const sdk::Host&)
      : connections_(static_cast<std::uint32_t>(p.integer("connections"))),
        depth_(static_cast<std::uint32_t>(p.integer("depth"))) {}

  sdk::Script script() override {
    std::string requests;
    for (std::uint32_t i = 0; i < depth_; ++i) requests += sdk::request_head("GET", route()) + "\r\n";
    return {{sdk::Step::send(requests), sdk::Step::read(depth_)}, connections_, 50};
  }

  // Expected: all `depth` answered, each 200 (the status is the highest of them). A server
  // that closes after fewer answers ends as eof_before_response with `responses` < depth: an
  // HTTP/1.0 server, or one that does not take pipelined requests.
  bool judge(const sdk::Outcome& o) const override {
    return o.http() && o.http_status == 200 && o.responses == depth_;
  }

 private:
  std::uint32_t connections_;
  std::uint32_t depth_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(Pipelining)
