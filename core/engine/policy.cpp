#include "engine/policy.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

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
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0)
      throw std::invalid_argument("workload: weight of behaviour " + std::to_string(i) +
                                  " is 0 (every weight must be > 0)");
    total += weights[i];
    cumulative_.push_back(total);
  }
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
  if (++position_ == total) {
    position_ = 0;
    current_ = 0;
  } else if (position_ == cumulative_[current_]) {
    ++current_;
  }
  return picked;
}

}  // namespace labour::engine
