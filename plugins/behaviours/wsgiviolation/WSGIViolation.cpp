// WSGIViolation: the application breaks the WSGI contract (PEP 3333) in one of five ways. A
// server that checks answers 500, or closes the connection; one that does not passes the
// violation to the client: a response that is not HTTP, a second status that wins, a str
// body sent as text, an invented status line, a header injected through a CR LF. Expected:
// a 5xx or a broken connection; anything the client takes for an answer is unexpected.
#include <labour/sdk.hpp>

#include <vector>

namespace {

class WSGIViolation : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "WSGIViolation";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "breaks the WSGI contract (PEP 3333) in the application";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::choice(
        "kind", "no_start_response", "no_start_response|start_response_twice|str_body|bad_status|bad_header",
        "returns a body without start_response; calls it twice; returns str, not bytes; status 'abc'; "
        "a header value with CR LF in it")};
  }

  WSGIViolation(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.failed(); }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(WSGIViolation)
