// Apart from serialize.cpp because it needs only the engine: `labour load` and its tests
// link it without the rest of labour_core.
#include "run/serialize.hpp"

namespace labour::run {

nlohmann::ordered_json latency_json(const engine::Histogram& h) {
  if (h.count() == 0) return {{"count", 0}};
  return {{"count", h.count()},      {"min", h.min()},          {"p50", h.percentile(50)},
          {"p90", h.percentile(90)}, {"p99", h.percentile(99)}, {"p999", h.percentile(99.9)},
          {"max", h.max()},          {"mean", h.mean()}};
}

}  // namespace labour::run
