// ThreadLeak: every request starts threads that never end, so the worker's thread count
// grows for its whole life. No server reclaims them but by recycling the process: gunicorn
// does after max_requests; uWSGI's max-requests waits for min-worker-lifetime (60 s).
#include <labour/sdk.hpp>

#include <vector>

namespace {

class ThreadLeak : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "ThreadLeak";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "starts threads per request that never end, answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {labour::sdk::Param::integer("count", 10, 1, 1000,
                                        "daemon threads the worker starts per request; each waits for ever")};
  }

  ThreadLeak(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(ThreadLeak)
