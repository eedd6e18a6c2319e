// Constant-memory latency histogram (HDR-style log-linear buckets) of microseconds.
#pragma once

#include <cstdint>
#include <vector>

namespace labour::engine {

// Values below 2^kSubBucketBits are exact; above, every power of two is split into
// 2^(kSubBucketBits-1) linear buckets, so a bucket is at most 1/128 of its values wide and
// its midpoint is within 0.4 % of any value in it. Values above kMaxValue are clamped
// (kept exact in max()). Memory: ~35 KB, independent of the number of records.
class Histogram {
 public:
  static constexpr unsigned kSubBucketBits = 8;  // 256 exact values
  static constexpr unsigned kMaxBits = 40;       // 2^40 us ~ 12.7 days
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxBits) - 1;

  Histogram();

  void record(std::uint64_t value_us);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // p in [0, 100]; the value at or below which p % of the records lie (within 1 %);
  // 0 when empty.
  std::uint64_t percentile(double p) const;

  // The bucket a value falls in, and the range of a bucket (for tests and exporters).
  static std::size_t bucket_index(std::uint64_t value);
  static std::uint64_t bucket_lowest(std::size_t index);
  static std::uint64_t bucket_highest(std::size_t index);
  static std::size_t bucket_count();

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  // Sum for the mean; 2^64 us of total latency is ~585 000 years, so no overflow.
  std::uint64_t sum_ = 0;
};

// A small histogram for many short intervals (one per timeline bucket): 8 linear buckets
// per power of two (values within ~6 %), 32-bit counts, ~1.2 KB. Percentiles as Histogram's.
class CoarseHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 4;  // 16 exact values
  static constexpr unsigned kMaxBits = 40;

  CoarseHistogram();
  void record(std::uint64_t value_us);
  void merge(const CoarseHistogram& other);
  std::uint64_t count() const { return count_; }
  std::uint64_t percentile(double p) const;  // 0 when empty

 private:
  static std::size_t index(std::uint64_t value);
  static std::uint64_t midpoint(std::size_t index);
  std::vector<std::uint32_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0, max_ = 0;
};

}  // namespace labour::engine
