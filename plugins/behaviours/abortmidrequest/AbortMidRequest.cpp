// AbortMidRequest: a client that resets its connection (SO_LINGER 0: an RST, not a FIN) half
// way through its request, in the headers or in the body, 200 ms after it stopped sending: a
// browser tab closed during an upload, a proxy timing out. The server meets a reset where it
// expected bytes, in its parser or in the application's read of wsgi.input.
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace sdk = labour::sdk;

class AbortMidRequest : public sdk::ClientBehaviour {
 public:
  static constexpr const char* name = "AbortMidRequest";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "resets its connection half way through its request's headers or body";
  static constexpr const char* method = "POST";
  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::integer("connections", 1, 1, 100000, "aborting clients at once, beside the mix"),
        sdk::Param::integer("bytes", 65536, 2, 1 << 24, "the body's declared Content-Length"),
        sdk::Param::choice("at", "body", "headers|body",
                           "headers: reset after half the request head; body: after half the body"),
    };
  }

  AbortMidRequest(const sdk::Params& p, const sdk::Host&)
      : connections_(static_cast<std::uint32_t>(p.integer("connections"))),
        bytes_(static_cast<std::size_t>(p.integer("bytes"))),
        in_headers_(p.text("at") == "headers") {}

  sdk::Request request() override { return {method, route(), std::string(16, 'a'), {}}; }

  sdk::Script script() override {
    const std::string head = sdk::request_head("POST", route(),
                                               {{"Content-Type", "application/octet-stream"},
                                                {"Content-Length", std::to_string(bytes_)}}) +
                             "\r\n";
    const std::string sent =
        in_headers_ ? head.substr(0, head.size() / 2) : head + std::string(bytes_ / 2, 'a');
    return {{sdk::Step::send(sent), sdk::Step::pause(200), sdk::Step::reset()}, connections_, 200};
  }

  // Expected: the reset as planned, or the server answering or closing first with a refusal
  // (4xx, a close). Unexpected: a 5xx or 2xx to half a request, a malformed answer, a timeout.
  bool judge(const sdk::Outcome& o) const override {
    if (o.http()) return o.refused();
    return o.kind == LABOUR_OUTCOME_CLIENT_ABORT || o.closed_before_response() || o.not_accepted();
  }

 private:
  std::uint32_t connections_;
  std::size_t bytes_;
  bool in_headers_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(AbortMidRequest)
