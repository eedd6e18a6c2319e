// Constant-memory latency histograms (HDR-style log-linear buckets) of microseconds.
#pragma once

#include <cstdint>
#include <vector>

namespace labour::engine {

// Values below 2^SubBucketBits are exact; above, every power of two is split into
// 2^(SubBucketBits-1) linear buckets, so a bucket is at most 1/2^(SubBucketBits-1) of its
// values wide. Values above kMaxValue are clamped (kept exact in max()). Memory is fixed
// by the precision, independent of the number of records.
template <unsigned SubBucketBits, class Count>
class BasicHistogram {
 public:
  static constexpr unsigned kSubBucketBits = SubBucketBits;
  static constexpr unsigned kMaxBits = 40;  // 2^40 us ~ 12.7 days
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxBits) - 1;

  BasicHistogram();

  void record(std::uint64_t value_us);
  void merge(const BasicHistogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // p in [0, 100]; the value at or below which p % of the records lie (within the
  // precision); 0 when empty.
  std::uint64_t percentile(double p) const;
  // The rank-th smallest record (1-based, clamped to [1, count()]), as percentile() reports it.
  std::uint64_t value_at_rank(std::uint64_t rank) const;
  // How many records are above `value` (by the value each bucket reports).
  std::uint64_t count_above(std::uint64_t value) const;

  // The non-empty buckets in order, each with the value it reports: the sorted sample, for
  // resampling it (run/confidence).
  struct Bin {
    std::uint64_t value, count;
  };
  std::vector<Bin> bins() const;

  // The bucket a value falls in, and the range of a bucket (for tests and exporters).
  static std::size_t bucket_index(std::uint64_t value);
  static std::uint64_t bucket_lowest(std::size_t index);
  static std::uint64_t bucket_highest(std::size_t index);
  static std::size_t bucket_count();

 private:
  std::vector<Count> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  // Sum for the mean; 2^64 us of total latency is ~585 000 years, so no overflow.
  std::uint64_t sum_ = 0;
};

// Per behaviour and phase: 128 linear buckets per power of two, so a bucket's midpoint is
// within 0.4 % of any value in it; ~35 KB.
using Histogram = BasicHistogram<8, std::uint64_t>;

// One per timeline bucket: 8 per power of two (within ~6 %), 32-bit counts, ~1.2 KB.
using CoarseHistogram = BasicHistogram<4, std::uint32_t>;

// Both are instantiated in histogram.cpp, where the members are defined.

}  // namespace labour::engine
