// HugeBody: the application answers with a very large body, built whole in memory (one
// bytes object, as `return [data]` does) or streamed in blocks. What it costs the server
// beyond the application's own copy differs: waitress, cheroot and Twisted buffer another
// copy, cheroot keeps part of it afterwards; wsgiref and uWSGI send from the app's object.
#include <labour/sdk.hpp>

#include <vector>

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

class HugeBody : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "HugeBody";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "answers 200 with a body of `bytes` bytes, whole or in blocks";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer("bytes", 64 * kMiB, 0, 4096 * kMiB, "bytes of the body"),
        labour::sdk::Param::choice("mode", "whole", "whole|blocks",
                                   "whole: one bytes object with Content-Length; blocks: a generator "
                                   "of 64 KiB blocks, no Content-Length"),
    };
  }

  HugeBody(const labour::sdk::Params& p, const labour::sdk::Host&)
      : bytes_(static_cast<std::uint64_t>(p.integer("bytes"))) {}

  // Expected: the whole body, every byte of it.
  bool judge(const labour::sdk::Outcome& o) const override {
    return o.http() && o.http_status == 200 && o.body_length == bytes_;
  }

 private:
  std::uint64_t bytes_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(HugeBody)
