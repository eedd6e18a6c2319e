// FDLeak: every request makes the worker open descriptors it never closes, so the process
// runs out of them (EMFILE) after enough requests. What a server does then differs: waitress
// answers 500, gunicorn and uWSGI close the connection without a response, wsgiref's error
// path fails and the server exits; an accept() at EMFILE makes some servers spin.
#include <labour/sdk.hpp>

#include <vector>

namespace {

class FDLeak : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "FDLeak";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "opens descriptors per request and never closes them, answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::integer("count", 100, 1, 100000,
                                        "descriptors (of /dev/null) the worker opens and keeps per request")};
  }

  FDLeak(const labour::sdk::Params&, const labour::sdk::Host&) {}

  // The leak itself answers 200; once the table is full the worker's own open() fails, and
  // what the server makes of that error is what the outcomes show.
  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(FDLeak)
