// SlowRead: a large response read at `rate` bytes a second through a small receive window, as
// a slow mobile client or a stalled proxy reads. Once the kernel's buffers are full, the
// server's write blocks: a server that writes from the worker keeps that worker for the whole
// read; one that hands the body to an I/O loop (and buffers it) does not.
#include <labour/sdk.hpp>

#include <cstdint>
#include <vector>

namespace {

namespace sdk = labour::sdk;

class SlowRead : public sdk::ClientBehaviour {
 public:
  static constexpr const char* name = "SlowRead";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "reads a `bytes` response at `rate` bytes/s through a small window";
  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::integer("connections", 1, 1, 100000, "slow readers at once, beside the mix"),
        sdk::Param::integer("bytes", 16 << 20, 1, 1LL << 34, "bytes of the response body"),
        sdk::Param::integer("rate", 16384, 1, 1 << 30, "bytes read per second"),
        sdk::Param::integer("window", 4096, 256, 1 << 24, "the client's receive buffer (SO_RCVBUF) in bytes"),
    };
  }

  SlowRead(const sdk::Params& p, const sdk::Host&)
      : connections_(static_cast<std::uint32_t>(p.integer("connections"))),
        bytes_(static_cast<std::uint64_t>(p.integer("bytes"))),
        rate_(static_cast<std::uint64_t>(p.integer("rate"))),
        window_(static_cast<std::uint32_t>(p.integer("window"))) {}

  sdk::Script script() override {
    sdk::Script s;
    s.connections = connections_;
    s.repeat_after_ms = 100;
    s.steps.push_back(sdk::Step::send(sdk::request_head("GET", route()) + "\r\n"));
    s.steps.push_back(sdk::Step::read(1, rate_, window_));
    return s;
  }

  // Expected: the whole body (200 with every byte), still reading when the phase ended, or the
  // server dropping the slow reader (a close or reset, before or during the body). Unexpected:
  // a 5xx, a malformed answer, the server going silent (a timeout).
  bool judge(const sdk::Outcome& o) const override {
    if (o.http()) return o.http_status == 200 && o.body_length == bytes_;
    return o.held() || o.closed_before_response() || o.not_accepted() ||
           o.kind == LABOUR_OUTCOME_TRUNCATED_BODY || o.kind == LABOUR_OUTCOME_RESET_MID_RESPONSE;
  }

 private:
  std::uint32_t connections_;
  std::uint64_t bytes_, rate_;
  std::uint32_t window_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(SlowRead)
