// How sure a verdict is: for each figure a verdict is decided on, an interval at a scenario's
// confidence, from the test's own outcomes alone (no model of the server is assumed). Pure
// and deterministic: the same measurements give the same interval.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/histogram.hpp"

namespace labour::run {

struct Interval {
  double low = 0, high = 0;
  // The evidence falls on both sides of `bound`: a rerun may find the figure above it or not.
  bool straddles(double bound) const { return low <= bound && bound < high; }
};

// The smallest k with P(Binomial(n, p) <= k) >= q, for q in [0, 1].
std::uint64_t binomial_quantile(std::uint64_t n, double p, double q);

// A failure rate in percent, `failed` of `sent`. Resampling `sent` outcomes draws
// Binomial(sent, failed/sent) failures, so the bootstrap interval is exact: no sampling.
Interval rate_interval(std::uint64_t failed, std::uint64_t sent, double confidence);

// A percentile's distribution-free interval from its sample alone: [X_(l), X_(u)], the order
// statistics whose ranks bound the number of records below the true percentile, which is
// Binomial(n, p/100). A sample too small for the percentile reaches its extremes (p99 of 50
// records: up to the slowest), which says no more than the sample does.
Interval percentile_interval(const engine::Histogram& h, double percentile, double confidence);

// The ratio of two percentiles, max(fault, floor) / max(baseline, floor), from each one's
// interval at half the risk (so both hold together at `confidence`): lowest fault over highest
// baseline, to highest over lowest. Absent when either sample is empty.
std::optional<Interval> ratio_interval(const engine::Histogram& fault, const engine::Histogram& baseline,
                                       double percentile, double floor_us, double confidence);

}  // namespace labour::run
