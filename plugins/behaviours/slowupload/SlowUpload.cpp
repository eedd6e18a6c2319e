// SlowUpload: a POST whose body arrives at `rate` bytes a second, read whole by the application
// (ReadInput's mode=length). A server that buffers the body before calling the application
// (in an I/O thread) spends nothing on it meanwhile; one that hands the application the socket
// keeps a worker reading for the whole upload.
#include <labour/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace sdk = labour::sdk;

class SlowUpload : public sdk::ClientBehaviour {
 public:
  static constexpr const char* name = "SlowUpload";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "POSTs a body at `rate` bytes/s to a worker that reads it all";
  static constexpr const char* method = "POST";
  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::integer("connections", 1, 1, 100000, "slow uploads at once, beside the mix"),
        sdk::Param::integer("bytes", 65536, 1, 1 << 30, "bytes of the body (its Content-Length)"),
        sdk::Param::integer("rate", 1024, 1, 1 << 30, "bytes of the body sent per second"),
    };
  }

  SlowUpload(const sdk::Params& p, const sdk::Host&)
      : connections_(static_cast<std::uint32_t>(p.integer("connections"))),
        bytes_(static_cast<std::uint64_t>(p.integer("bytes"))),
        rate_(static_cast<std::uint64_t>(p.integer("rate"))),
        answer_("read " + std::to_string(bytes_) + " bytes\n") {}

  sdk::Request request() override { return {method, route(), std::string(16, 'u'), {}}; }

  // Ten writes a second (or one a second below 10 bytes/s), `rate` bytes a second in all.
  sdk::Script script() override {
    const std::uint32_t chunk = static_cast<std::uint32_t>(std::max<std::uint64_t>(rate_ / 10, 1));
    const auto interval =
        static_cast<std::uint32_t>(std::lround(1000.0 * chunk / static_cast<double>(rate_)));
    sdk::Script s;
    s.connections = connections_;
    s.repeat_after_ms = 100;
    s.steps.push_back(sdk::Step::send(sdk::request_head("POST", route(),
                                                        {{"Content-Type", "application/octet-stream"},
                                                         {"Content-Length", std::to_string(bytes_)}}) +
                                      "\r\n"));
    s.steps.push_back(sdk::Step::trickle("u", bytes_, chunk, std::max<std::uint32_t>(interval, 1)));
    s.steps.push_back(sdk::Step::read());
    return s;
  }

  // Expected: every byte read and answered (200 "read N bytes"), the slow client refused or cut
  // off (4xx, a close), or the upload still going when the phase ended. Unexpected: a 5xx, a
  // wrong count, no answer in time once the body was complete.
  bool judge(const sdk::Outcome& o) const override {
    if (o.http()) return (o.http_status == 200 && o.body == answer_) || o.refused();
    return o.held() || o.closed_before_response() || o.not_accepted();
  }

 private:
  std::uint32_t connections_;
  std::uint64_t bytes_, rate_;
  std::string answer_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(SlowUpload)
