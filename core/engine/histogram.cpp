#include "engine/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace labour::engine {

namespace {
template <unsigned Bits>
constexpr std::uint64_t kExact = std::uint64_t{1} << Bits;  // exact values below this
template <unsigned Bits>
constexpr std::uint64_t kHalf = kExact<Bits> / 2;  // linear buckets per power of two
}  // namespace

template <unsigned B, class C>
std::size_t BasicHistogram<B, C>::bucket_count() {
  return kExact<B> + (kMaxBits - B) * kHalf<B>;
}

template <unsigned B, class C>
std::size_t BasicHistogram<B, C>::bucket_index(std::uint64_t value) {
  if (value > kMaxValue) value = kMaxValue;
  if (value < kExact<B>) return static_cast<std::size_t>(value);
  const unsigned octave = static_cast<unsigned>(std::bit_width(value)) - 1;  // >= B
  const unsigned shift = octave - (B - 1);
  const std::uint64_t sub = (value >> shift) - kHalf<B>;
  return static_cast<std::size_t>(kExact<B> + (octave - B) * kHalf<B> + sub);
}

template <unsigned B, class C>
std::uint64_t BasicHistogram<B, C>::bucket_lowest(std::size_t index) {
  if (index < kExact<B>) return index;
  const std::size_t rel = index - kExact<B>;
  const unsigned octave = static_cast<unsigned>(rel / kHalf<B>) + B;
  const std::uint64_t sub = rel % kHalf<B>;
  const unsigned shift = octave - (B - 1);
  return (kHalf<B> + sub) << shift;
}

template <unsigned B, class C>
std::uint64_t BasicHistogram<B, C>::bucket_highest(std::size_t index) {
  if (index < kExact<B>) return index;
  const std::size_t rel = index - kExact<B>;
  const unsigned octave = static_cast<unsigned>(rel / kHalf<B>) + B;
  const unsigned shift = octave - (B - 1);
  return bucket_lowest(index) + (std::uint64_t{1} << shift) - 1;
}

template <unsigned B, class C>
BasicHistogram<B, C>::BasicHistogram() : counts_(bucket_count(), 0) {}

template <unsigned B, class C>
void BasicHistogram<B, C>::record(std::uint64_t value_us) {
  ++counts_[bucket_index(value_us)];
  if (count_ == 0 || value_us < min_) min_ = value_us;
  if (value_us > max_) max_ = value_us;
  ++count_;
  sum_ += value_us;
}

template <unsigned B, class C>
void BasicHistogram<B, C>::merge(const BasicHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

template <unsigned B, class C>
void BasicHistogram<B, C>::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = min_ = max_ = sum_ = 0;
}

template <unsigned B, class C>
std::uint64_t BasicHistogram<B, C>::percentile(double p) const {
  if (count_ == 0) return 0;
  if (!(p > 0)) return min();  // also NaN
  if (p >= 100) return max_;
  // Rank of the wanted record, 1-based: the smallest value with at least p % at or below it.
  return value_at_rank(static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))));
}

namespace {
// A bucket reports its midpoint, within the records' own extremes.
template <class H>
std::uint64_t reported(const H& h, std::size_t i) {
  const std::uint64_t lo = H::bucket_lowest(i), hi = H::bucket_highest(i);
  return std::clamp(lo + (hi - lo) / 2, h.min(), h.max());
}
}  // namespace

template <unsigned B, class C>
std::uint64_t BasicHistogram<B, C>::value_at_rank(std::uint64_t rank) const {
  if (count_ == 0) return 0;
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return reported(*this, i);
  }
  return max_;
}

template <unsigned B, class C>
std::uint64_t BasicHistogram<B, C>::count_above(std::uint64_t value) const {
  std::uint64_t above = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i] && reported(*this, i) > value) above += counts_[i];
  return above;
}

template <unsigned B, class C>
std::vector<typename BasicHistogram<B, C>::Bin> BasicHistogram<B, C>::bins() const {
  std::vector<Bin> out;
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i]) out.push_back({reported(*this, i), counts_[i]});
  return out;
}

template class BasicHistogram<8, std::uint64_t>;
template class BasicHistogram<4, std::uint32_t>;

}  // namespace labour::engine
