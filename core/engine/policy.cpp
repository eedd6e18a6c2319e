#include "engine/policy.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace labour::engine {

namespace {
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (auto& word : s_) word = splitmix64(seed);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t bound) {
  // Reject the lowest 2^64 mod bound values, so the rest is a multiple of bound and every
  // residue is equally likely.
  const std::uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const std::uint64_t x = next();
    if (x >= threshold) return x % bound;
  }
}

namespace {
std::uint64_t mix_seed(std::uint64_t seed, std::uint32_t connection) {
  std::uint64_t state = seed ^ (0xd1b54a32d192ed03ULL * (std::uint64_t{connection} + 1));
  return splitmix64(state);
}
}  // namespace

Selector::Selector(const std::vector<std::uint32_t>& weights, Policy policy, std::uint64_t seed,
                   std::uint32_t connection, std::uint32_t connection_count)
    : policy_(policy), rng_(mix_seed(seed, connection)) {
  if (weights.empty()) throw std::invalid_argument("workload: no behaviours to select from");
  std::uint64_t total = 0;
  cumulative_.reserve(weights.size());
  for (const std::uint32_t w : weights) {  // a 0 is a behaviour never picked
    total += w;
    cumulative_.push_back(total);
  }
  if (total == 0) throw std::invalid_argument("workload: every weight is 0, so there is nothing to pick");
  if (policy_ == Policy::Repeat) {
    const std::uint64_t n = std::max<std::uint32_t>(connection_count, 1);
    // total < 2^32 * 2^32 would overflow only with > 4 billion behaviours; use 128-bit anyway.
    position_ = static_cast<std::uint64_t>((static_cast<unsigned __int128>(connection % n) * total) / n);
    current_ = static_cast<std::size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), position_) -
                                        cumulative_.begin());
  }
}

std::size_t Selector::next() {
  const std::uint64_t total = cumulative_.back();
  if (policy_ == Policy::Random) {
    const std::uint64_t x = rng_.below(total);
    if (cumulative_.size() <= 8) {  // the usual case: a few behaviours, a linear scan wins
      std::size_t i = 0;
      while (x >= cumulative_[i]) ++i;
      return i;
    }
    return static_cast<std::size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), x) -
                                    cumulative_.begin());
  }
  const std::size_t picked = current_;
  if (++position_ == total) position_ = 0;
  // The behaviour at the new position (past any of weight 0).
  if (position_ == 0) current_ = 0;
  while (position_ >= cumulative_[current_]) ++current_;
  return picked;
}

std::vector<std::size_t> spaced_schedule(const std::vector<std::uint32_t>& weights,
                                         const std::vector<std::uint64_t>& minimums, std::uint64_t length) {
  if (weights.empty()) throw std::invalid_argument("workload: no behaviours to select from");
  if (length == 0) throw std::invalid_argument("spaced schedule: length is 0");
  const std::size_t n = weights.size();
  const std::uint64_t total = std::accumulate(weights.begin(), weights.end(), std::uint64_t{0});
  if (total == 0) throw std::invalid_argument("workload: every weight is 0, so there is nothing to schedule");

  // Counts by largest remainder, so they add up to `length` exactly.
  std::vector<std::uint64_t> counts(n);
  std::vector<std::pair<unsigned __int128, std::size_t>> remainders;
  std::uint64_t placed = 0;
  for (std::size_t b = 0; b < n; ++b) {
    const auto share = static_cast<unsigned __int128>(length) * weights[b];
    counts[b] = static_cast<std::uint64_t>(share / total);
    placed += counts[b];
    remainders.emplace_back(share % total, b);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  // (Only behaviours with a remainder get one, so a weight of 0 never does.)
  for (std::size_t i = 0; placed < length; ++i, ++placed) ++counts[remainders[i % n].second];

  // Minimums, each request taken from the behaviour that has the most above its own minimum.
  auto minimum = [&](std::size_t b) { return b < minimums.size() ? minimums[b] : 0; };
  for (std::size_t b = 0; b < n; ++b)
    while (weights[b] > 0 && counts[b] < minimum(b)) {
      std::size_t donor = n;
      for (std::size_t d = 0; d < n; ++d)
        if (d != b && counts[d] > minimum(d) && (donor == n || counts[d] > counts[donor])) donor = d;
      if (donor == n) break;  // too short for every minimum: keep what fits
      --counts[donor];
      ++counts[b];
    }

  // The j-th of c occurrences belongs at (j + 1/2) * length / c; order all by that place.
  std::vector<std::pair<double, std::size_t>> places;
  places.reserve(length);
  for (std::size_t b = 0; b < n; ++b)
    for (std::uint64_t j = 0; j < counts[b]; ++j)
      places.emplace_back(
          (static_cast<double>(j) + 0.5) * static_cast<double>(length) / static_cast<double>(counts[b]), b);
  std::stable_sort(places.begin(), places.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::size_t> schedule;
  schedule.reserve(length);
  for (const auto& p : places) schedule.push_back(p.second);
  return schedule;
}

}  // namespace labour::engine
