#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "engine/histogram.hpp"

using labour::engine::Histogram;

namespace {
// The exact value at percentile p of sorted data, with the rank rule the histogram uses.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double relative_error(std::uint64_t got, std::uint64_t want) {
  if (want == 0) return got == 0 ? 0.0 : 1.0;
  return std::abs(static_cast<double>(got) - static_cast<double>(want)) / static_cast<double>(want);
}
}  // namespace

TEST_CASE("histogram buckets cover every value and are at most 1/128 wide") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const std::uint64_t clamped = std::min(v, Histogram::kMaxValue);
    const std::size_t b = Histogram::bucket_index(v);
    REQUIRE(b < Histogram::bucket_count());
    REQUIRE(Histogram::bucket_lowest(b) <= clamped);
    REQUIRE(clamped <= Histogram::bucket_highest(b));
    const double width = static_cast<double>(Histogram::bucket_highest(b) - Histogram::bucket_lowest(b) + 1);
    REQUIRE(width <= std::max(1.0, static_cast<double>(Histogram::bucket_lowest(b)) / 128.0));
  }
  // Buckets are contiguous: each starts right after the previous one ends.
  for (std::size_t b = 1; b < Histogram::bucket_count(); ++b)
    REQUIRE(Histogram::bucket_lowest(b) == Histogram::bucket_highest(b - 1) + 1);
}

TEST_CASE("histogram percentiles are within 1 % of the exact ones") {
  std::mt19937_64 rng(42);
  // A long-tailed latency-like distribution from 1 us to ~100 s.
  std::lognormal_distribution<double> dist(7.0, 2.0);
  Histogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::uint64_t>(std::min(dist(rng), 1e8)) + 1;
    h.record(v);
    values.push_back(v);
  }
  std::sort(values.begin(), values.end());
  REQUIRE(h.count() == values.size());
  REQUIRE(h.min() == values.front());
  REQUIRE(h.max() == values.back());
  double sum = 0;
  for (auto v : values) sum += static_cast<double>(v);
  REQUIRE(h.mean() == Approx(sum / static_cast<double>(values.size())).epsilon(1e-9));
  for (double p : {0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99}) {
    INFO("p" << p);
    REQUIRE(relative_error(h.percentile(p), exact_percentile(values, p)) <= 0.01);
  }
  REQUIRE(h.percentile(0) == values.front());
  REQUIRE(h.percentile(100) == values.back());
}

TEST_CASE("histogram merge equals recording everything in one") {
  std::mt19937_64 rng(3);
  Histogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    const std::uint64_t v = rng() % 5000000;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  Histogram merged = a;  // copies are independent
  merged.merge(b);
  REQUIRE(merged.count() == all.count());
  REQUIRE(merged.min() == all.min());
  REQUIRE(merged.max() == all.max());
  REQUIRE(merged.mean() == Approx(all.mean()));
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) REQUIRE(merged.percentile(p) == all.percentile(p));
  REQUIRE(a.count() + b.count() == merged.count());  // the source was not changed

  Histogram empty;
  merged.merge(empty);
  REQUIRE(merged.count() == all.count());
  empty.merge(a);
  REQUIRE(empty.min() == a.min());
}

TEST_CASE("histogram edge cases: empty, zero, huge values") {
  Histogram h;
  REQUIRE(h.count() == 0);
  REQUIRE(h.percentile(50) == 0);
  REQUIRE(h.mean() == 0);
  h.record(0);
  REQUIRE(h.min() == 0);
  REQUIRE(h.percentile(50) == 0);
  h.record(UINT64_MAX);  // clamped into the last bucket, still the exact max
  REQUIRE(h.max() == UINT64_MAX);
  REQUIRE(h.percentile(100) == UINT64_MAX);
  h.reset();
  REQUIRE(h.count() == 0);
  h.record(1234);
  REQUIRE(h.percentile(50) == 1234);  // clamped to [min, max]
}

TEST_CASE("coarse histogram: percentiles within ~6 %, empty is 0") {
  labour::engine::CoarseHistogram h;
  CHECK(h.percentile(50) == 0);
  for (std::uint64_t v = 1; v <= 10000; ++v) h.record(v);
  CHECK(h.count() == 10000);
  for (double p : {10.0, 50.0, 90.0, 99.0}) {
    const double want = p * 100;
    const double got = static_cast<double>(h.percentile(p));
    INFO("p" << p << " got " << got);
    CHECK(std::abs(got - want) <= 0.07 * want);
  }
  CHECK(h.percentile(100) == 10000);
  CHECK(h.percentile(0) == 1);
  labour::engine::CoarseHistogram other;
  other.record(1000000);
  h.merge(other);
  CHECK(h.percentile(100) == 1000000);
}
