// BadContentLength: the application declares a Content-Length its body does not have.
// short: fewer bytes; a server that checks closes the connection (waitress, gunicorn), one
// that does not leaves the client waiting for bytes that never come (cheroot, Twisted).
// long: more bytes; a server that checks cuts the body at the declared length (waitress,
// gunicorn), one that does not sends the rest, which a keep-alive client reads as the
// start of its next response (Twisted): the next request on the connection fails.
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

class BadContentLength : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "BadContentLength";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "declares a Content-Length its body does not match";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::choice("mode", "short", "short|long",
                                   "short: half the declared bytes; long: twice the declared bytes"),
        labour::sdk::Param::integer("length", 100, 2, 1048576, "the Content-Length declared"),
    };
  }

  BadContentLength(const labour::sdk::Params& p, const labour::sdk::Host&)
      : short_(p.text("mode") == "short"), length_(static_cast<std::uint64_t>(p.integer("length"))) {}

  // short: expected is a connection the server closed, so the client can tell the body is
  // cut; a client left waiting is not. long: expected is the body cut at the declared length.
  bool judge(const labour::sdk::Outcome& o) const override {
    if (short_) return o.kind == LABOUR_OUTCOME_TRUNCATED_BODY;
    return o.http() && o.http_status == 200 && o.body_length == length_;
  }

 private:
  bool short_;
  std::uint64_t length_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(BadContentLength)
