// Deadlock: the worker blocks for ever on a lock it already holds, using no CPU, as two
// threads taking two locks in opposite orders end. Nothing answers: a server that watches
// its workers kills this one (gunicorn's sync worker timeout), one that does not (uWSGI
// without harakiri) keeps the request until the client gives up.
#include <labour/sdk.hpp>

#include <vector>

namespace {

class Deadlock : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "Deadlock";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "blocks the worker for ever on a lock it holds, with no CPU";
  static std::vector<labour::sdk::Param> params() { return {}; }

  Deadlock(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.failed(); }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(Deadlock)
