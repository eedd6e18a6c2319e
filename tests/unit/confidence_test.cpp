// The intervals verdicts rest on (run/confidence), checked against values computed by hand
// from the binomial law (and textbook results, e.g. the median's 95 % interval of 100 records
// is [X_(40), X_(61)]).
#include <catch2/catch.hpp>

#include "run/confidence.hpp"

using labour::engine::Histogram;
using labour::run::binomial_quantile;
using labour::run::percentile_interval;
using labour::run::rate_interval;
using labour::run::ratio_interval;

namespace {
Histogram sample(std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> values_and_counts) {
  Histogram h;
  for (const auto& [value, count] : values_and_counts)
    for (std::uint64_t i = 0; i < count; ++i) h.record(value);
  return h;
}
}  // namespace

TEST_CASE("binomial quantiles match the binomial law", "[confidence]") {
  CHECK(binomial_quantile(10, 0.5, 0.5) == 5);
  CHECK(binomial_quantile(20, 0.1, 0.975) == 5);
  CHECK(binomial_quantile(20, 0.1, 0.025) == 0);
  CHECK(binomial_quantile(100, 0.99, 0.0125) == 96);
  CHECK(binomial_quantile(100, 0.99, 0.9875) == 100);
  CHECK(binomial_quantile(100, 0.5, 0.025) == 40);
  CHECK(binomial_quantile(100, 0.5, 0.975) == 60);
  CHECK(binomial_quantile(2000, 0.005, 0.025) == 4);
  CHECK(binomial_quantile(7, 0.0, 0.9) == 0);
  CHECK(binomial_quantile(7, 1.0, 0.1) == 7);
}

TEST_CASE("a failure rate's interval is where a rerun of as many requests would find it", "[confidence]") {
  // One lost request in 12 000 (about Poisson(1)): a rerun sees 0 to 3.
  auto r = rate_interval(1, 12000, 0.95);
  CHECK(r.low == 0);
  CHECK(r.high == Approx(100.0 * 3 / 12000));
  CHECK(r.straddles(0));  // with a bound of 0 %, one failure is borderline
  // None failed: nothing says a rerun would see one.
  r = rate_interval(0, 500, 0.95);
  CHECK(r.low == 0);
  CHECK(r.high == 0);
  CHECK_FALSE(r.straddles(0));
  // Ten in 2000: at least four in a rerun, so a bound of 0 % is crossed for certain.
  r = rate_interval(10, 2000, 0.95);
  CHECK(r.low == Approx(100.0 * 4 / 2000));
  CHECK_FALSE(r.straddles(0));
  CHECK(rate_interval(0, 0, 0.95).high == 0);
}

TEST_CASE("a percentile's interval is the order statistics the binomial law gives", "[confidence]") {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);  // exact below 256
  const auto median = percentile_interval(h, 50, 0.95);
  CHECK(median.low == 40);
  CHECK(median.high == 61);
  // p99 of 100 records at 97.5 %: from X_(96) up to the slowest (the sample says no more).
  const auto p99 = percentile_interval(h, 99, 0.975);
  CHECK(p99.low == 96);
  CHECK(p99.high == 100);
}

TEST_CASE("a percentile ratio crosses a bound only when the sample says so", "[confidence]") {
  const Histogram baseline = sample({{1000, 1000}});  // 1 ms, under a 5 ms floor
  // One slow request in 50: the sample's p99 is it (x20), but the interval reaches x1.
  auto one = ratio_interval(sample({{1000, 49}, {100000, 1}}), baseline, 99, 5000, 0.95);
  REQUIRE(one);
  CHECK(one->low == Approx(1));
  CHECK(one->high == Approx(20).epsilon(0.01));
  CHECK(one->straddles(10));
  // Ten in 100: the p99 is slow beyond doubt.
  auto ten = ratio_interval(sample({{1000, 90}, {100000, 10}}), baseline, 99, 5000, 0.95);
  REQUIRE(ten);
  CHECK(ten->low == Approx(20).epsilon(0.01));
  CHECK_FALSE(ten->straddles(10));
  // A wobbling baseline widens the interval from below: its slowest bounds the ratio's low end.
  auto noisy = ratio_interval(sample({{100000, 100}}), sample({{1000, 99}, {40000, 1}}), 99, 5000, 0.95);
  REQUIRE(noisy);
  CHECK(noisy->low == Approx(2.5).epsilon(0.01));
  CHECK(noisy->high == Approx(20).epsilon(0.01));
  CHECK_FALSE(ratio_interval(Histogram{}, baseline, 99, 5000, 0.95));
}
