// OversizedHeaders: a request with one header of `bytes` bytes. Servers bound what they read
// before a request is complete (gunicorn's limit_request_field_size, 8190 by default; the
// stdlib's 64 KiB line limit; ...) and refuse past it, or read on and pass it to the
// application; a server without a bound reads as much as the client sends.
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace sdk = labour::sdk;

class OversizedHeaders : public sdk::ClientBehaviour {
 public:
  static constexpr const char* name = "OversizedHeaders";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "sends a request with one header of `bytes` bytes";
  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::integer("connections", 1, 1, 100000, "such clients at once, beside the mix"),
        sdk::Param::integer("bytes", 65536, 1, 16 << 20, "bytes of the header's value"),
    };
  }

  OversizedHeaders(const sdk::Params& p, const sdk::Host&)
      : connections_(static_cast<std::uint32_t>(p.integer("connections"))),
        bytes_(static_cast<std::size_t>(p.integer("bytes"))) {}

  sdk::Script script() override {
    const std::string request =
        sdk::request_head("GET", route(), {{"X-Labour-Big", std::string(bytes_, 'a')}}) + "\r\n";
    return {{sdk::Step::send(request), sdk::Step::read()}, connections_, 100};
  }

  // Expected: refused (a 4xx: 400, 413, 414, 431), served within the server's own limits (200),
  // or the connection closed before an answer. Unexpected: a 5xx, a malformed answer, no answer
  // in time.
  bool judge(const sdk::Outcome& o) const override {
    if (o.http()) return o.http_status == 200 || o.refused();
    return o.closed_before_response();
  }

 private:
  std::uint32_t connections_;
  std::size_t bytes_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(OversizedHeaders)
