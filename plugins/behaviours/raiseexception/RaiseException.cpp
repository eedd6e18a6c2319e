// RaiseException: the application raises an uncaught exception, before start_response, after
// it (headers set, not yet sent), or in the body iterator after the first chunk. The process
// survives everywhere; what differs is what the client is told. Expected: a 5xx or a broken
// response (a chunked body without its end, a Content-Length not reached, no answer). A 200
// that arrives "complete" is unexpected: the application failed and the client was told it
// succeeded (uWSGI sends the 200 headers of an after_start failure with no body; a
// close-delimited body cut short looks whole).
#include <labour/sdk.hpp>

#include <vector>

namespace {

class RaiseException : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "RaiseException";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "raises an uncaught exception in the application";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::choice(
        "where", "before_start", "before_start|after_start|in_body",
        "before start_response; after it (headers set, not sent); or in the body, after the first chunk")};
  }

  RaiseException(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.failed(); }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(RaiseException)
