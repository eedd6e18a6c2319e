#include "engine/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace labour::engine {

namespace {
constexpr std::uint64_t kExact = std::uint64_t{1} << Histogram::kSubBucketBits;  // 256
constexpr std::uint64_t kHalf = kExact / 2;                                      // 128 per octave
}  // namespace

std::size_t Histogram::bucket_count() { return kExact + (kMaxBits - kSubBucketBits) * kHalf; }

std::size_t Histogram::bucket_index(std::uint64_t value) {
  if (value > kMaxValue) value = kMaxValue;
  if (value < kExact) return static_cast<std::size_t>(value);
  const unsigned octave = static_cast<unsigned>(std::bit_width(value)) - 1;  // >= kSubBucketBits
  const unsigned shift = octave - (kSubBucketBits - 1);
  const std::uint64_t sub = (value >> shift) - kHalf;  // 0..127
  return static_cast<std::size_t>(kExact + (octave - kSubBucketBits) * kHalf + sub);
}

std::uint64_t Histogram::bucket_lowest(std::size_t index) {
  if (index < kExact) return index;
  const std::size_t rel = index - kExact;
  const unsigned octave = static_cast<unsigned>(rel / kHalf) + kSubBucketBits;
  const std::uint64_t sub = rel % kHalf;
  const unsigned shift = octave - (kSubBucketBits - 1);
  return (kHalf + sub) << shift;
}

std::uint64_t Histogram::bucket_highest(std::size_t index) {
  if (index < kExact) return index;
  const std::size_t rel = index - kExact;
  const unsigned octave = static_cast<unsigned>(rel / kHalf) + kSubBucketBits;
  const unsigned shift = octave - (kSubBucketBits - 1);
  return bucket_lowest(index) + (std::uint64_t{1} << shift) - 1;
}

Histogram::Histogram() : counts_(bucket_count(), 0) {}

void Histogram::record(std::uint64_t value_us) {
  ++counts_[bucket_index(value_us)];
  if (count_ == 0 || value_us < min_) min_ = value_us;
  if (value_us > max_) max_ = value_us;
  ++count_;
  sum_ += value_us;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = min_ = max_ = sum_ = 0;
}

std::uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (!(p > 0)) return min();  // also NaN
  if (p >= 100) return max_;
  // Rank of the wanted record, 1-based: the smallest value with at least p % at or below it.
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t lo = bucket_lowest(i), hi = bucket_highest(i);
      const std::uint64_t mid = lo + (hi - lo) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

// ------------------------------------------------------------------ CoarseHistogram ----

namespace {
constexpr std::uint64_t kCoarseExact = std::uint64_t{1} << CoarseHistogram::kSubBucketBits;  // 16
constexpr std::uint64_t kCoarseHalf = kCoarseExact / 2;                                      // 8 per octave
constexpr std::uint64_t kCoarseMax = (std::uint64_t{1} << CoarseHistogram::kMaxBits) - 1;
}  // namespace

CoarseHistogram::CoarseHistogram() : counts_(kCoarseExact + (kMaxBits - kSubBucketBits) * kCoarseHalf, 0) {}

std::size_t CoarseHistogram::index(std::uint64_t value) {
  value = std::min(value, kCoarseMax);
  if (value < kCoarseExact) return static_cast<std::size_t>(value);
  const unsigned octave = static_cast<unsigned>(std::bit_width(value)) - 1;
  const unsigned shift = octave - (kSubBucketBits - 1);
  return static_cast<std::size_t>(kCoarseExact + (octave - kSubBucketBits) * kCoarseHalf +
                                  ((value >> shift) - kCoarseHalf));
}

std::uint64_t CoarseHistogram::midpoint(std::size_t i) {
  if (i < kCoarseExact) return i;
  const std::size_t rel = i - kCoarseExact;
  const unsigned octave = static_cast<unsigned>(rel / kCoarseHalf) + kSubBucketBits;
  const unsigned shift = octave - (kSubBucketBits - 1);
  const std::uint64_t lo = (kCoarseHalf + rel % kCoarseHalf) << shift;
  return lo + ((std::uint64_t{1} << shift) - 1) / 2;
}

void CoarseHistogram::record(std::uint64_t value_us) {
  ++counts_[index(value_us)];
  if (count_ == 0 || value_us < min_) min_ = value_us;
  max_ = std::max(max_, value_us);
  ++count_;
}

void CoarseHistogram::merge(const CoarseHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
}

std::uint64_t CoarseHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (!(p > 0)) return min_;
  if (p >= 100) return max_;
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(midpoint(i), min_, max_);
  }
  return max_;
}

}  // namespace labour::engine
