#include "run/confidence.hpp"

#include <algorithm>
#include <cmath>

namespace labour::run {

std::uint64_t binomial_quantile(std::uint64_t n, double p, double q) {
  if (n == 0 || p <= 0) return 0;
  if (p >= 1) return n;
  // Summed from 0 in linear space: terms too small for a double add nothing to the CDF.
  const double log_p = std::log(p), log_q = std::log1p(-p);
  const double log_n1 = std::lgamma(static_cast<double>(n) + 1);
  double cdf = 0;
  for (std::uint64_t k = 0; k < n; ++k) {
    const auto kd = static_cast<double>(k), rest = static_cast<double>(n - k);
    cdf += std::exp(log_n1 - std::lgamma(kd + 1) - std::lgamma(rest + 1) + kd * log_p + rest * log_q);
    if (cdf >= q - 1e-12) return k;
  }
  return n;
}

Interval rate_interval(std::uint64_t failed, std::uint64_t sent, double confidence) {
  if (sent == 0) return {};
  const double alpha = 1 - confidence, p = static_cast<double>(failed) / static_cast<double>(sent);
  const auto pct = [sent](std::uint64_t k) {
    return 100.0 * static_cast<double>(k) / static_cast<double>(sent);
  };
  return {pct(binomial_quantile(sent, p, alpha / 2)), pct(binomial_quantile(sent, p, 1 - alpha / 2))};
}

Interval percentile_interval(const engine::Histogram& h, double percentile, double confidence) {
  const std::uint64_t n = h.count();
  if (n == 0) return {};
  const double alpha = 1 - confidence, p = std::clamp(percentile / 100.0, 0.0, 1.0);
  // Records below the true percentile: B ~ Binomial(n, p); X_(l) <= it < X_(u) while l <= B < u.
  const std::uint64_t l = std::max<std::uint64_t>(1, binomial_quantile(n, p, alpha / 2));
  const std::uint64_t u = std::min<std::uint64_t>(n, binomial_quantile(n, p, 1 - alpha / 2) + 1);
  return {static_cast<double>(h.value_at_rank(l)), static_cast<double>(h.value_at_rank(u))};
}

std::optional<Interval> ratio_interval(const engine::Histogram& fault, const engine::Histogram& baseline,
                                       double percentile, double floor_us, double confidence) {
  if (fault.count() == 0 || baseline.count() == 0) return std::nullopt;
  const double each = 1 - (1 - confidence) / 2;  // Bonferroni: both intervals hold at `confidence`
  const Interval now = percentile_interval(fault, percentile, each);
  const Interval before = percentile_interval(baseline, percentile, each);
  const double least = std::max(floor_us, 1.0);
  return Interval{std::max(now.low, least) / std::max(before.high, least),
                  std::max(now.high, least) / std::max(before.low, least)};
}

}  // namespace labour::run
