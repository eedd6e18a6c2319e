// EndlessBody: the application streams a body that never ends, until the client gives up
// (its timeout). Every server tested closes the iterator once the client has gone (PEP 3333
// close()); what differs is what the stream costs the others meanwhile: one thread busy
// for the whole timeout, or a pool that serves them beside it.
#include <labour/sdk.hpp>

#include <vector>

namespace {

class EndlessBody : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "EndlessBody";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "streams a body that never ends, until the client gives up";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer("block", 16384, 1, 16 * 1024 * 1024, "bytes per chunk of the stream")};
  }

  EndlessBody(const labour::sdk::Params&, const labour::sdk::Host&) {}

  // Expected: the stream never completes. The client gives up (a timeout) or the server cuts
  // it; a complete answer would mean it was not endless.
  bool judge(const labour::sdk::Outcome& o) const override { return o.broken_or_stalled(); }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(EndlessBody)
