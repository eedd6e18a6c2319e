// ChildLeak: every request leaves a process behind that outlives it: a child never waited
// for (mode=child, in the server's process group, so stopping the server ends it too), or a
// daemon (mode=daemon: double fork and setsid, out of the group). A daemon survives every
// server's stop; labour finds it by its marker, kills it and counts it (supervision.orphans),
// and says whether it still held the server's listening socket (uWSGI's and werkzeug's
// sockets are inherited across exec; gunicorn's, waitress's and wsgiref's are not).
#include <labour/sdk.hpp>

#include <vector>

namespace {

class ChildLeak : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "ChildLeak";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "leaves a process per request that outlives it: a child, or a daemon out of the server's group";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::choice("mode", "child", "child|daemon",
                                   "child: subprocess.Popen, never waited for; daemon: double fork, "
                                   "setsid, exec, descriptors inherited as exec leaves them"),
        labour::sdk::Param::integer("seconds", 3600, 1, 86400, "how long the leaked process lives"),
    };
  }

  ChildLeak(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(ChildLeak)
