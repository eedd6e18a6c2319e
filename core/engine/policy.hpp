// Behaviour selection policies (Labour's Random and Repeat), one Selector per connection.
#pragma once

#include <cstdint>
#include <vector>

namespace labour::engine {

// Random and Repeat pick per connection; Spaced follows one schedule for the whole load
// (Workload::schedule, made by spaced_schedule), so a rare behaviour is sent at an even
// spacing and a guaranteed number of times whatever the concurrency.
enum class Policy { Random, Repeat, Spaced };

// Small, fast, platform-independent PRNG (xoshiro256**, seeded through splitmix64), so a
// seed gives the same sequence on every machine and standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  // Uniform in [0, bound), bound > 0, without modulo bias.
  std::uint64_t below(std::uint64_t bound);

 private:
  std::uint64_t s_[4];
};

// Picks the behaviour index of each next request of one connection.
//  - Random: weighted random; the sequence depends only on (seed, connection).
//  - Repeat: the deterministic pattern "weights[0] times behaviour 0, weights[1] times
//    behaviour 1, ..." cycled; connection c of n starts at offset c * total / n of the
//    pattern, so connections do not all send the same behaviour at the same moment.
// A weight of 0 is a behaviour never picked. Throws std::invalid_argument if weights is
// empty or every weight is 0.
class Selector {
 public:
  Selector(const std::vector<std::uint32_t>& weights, Policy policy, std::uint64_t seed,
           std::uint32_t connection, std::uint32_t connection_count);

  std::size_t next();

 private:
  std::vector<std::uint64_t> cumulative_;  // cumulative_[i] = sum of weights[0..i]
  Policy policy_;
  Rng rng_;
  std::uint64_t position_ = 0;  // Repeat: position in the pattern, < total
  std::size_t current_ = 0;     // Repeat: behaviour at position_
};

// The Spaced policy's schedule: `length` behaviour indices in which behaviour b appears in
// proportion to weights[b] (largest remainder), at least minimums[b] times (taken from the
// behaviours with the most requests; minimums may be shorter than weights, or empty), each
// one's occurrences spread evenly over the schedule; a weight of 0 never appears.
// Deterministic. Throws std::invalid_argument for empty weights, all of them 0, or length 0.
std::vector<std::size_t> spaced_schedule(const std::vector<std::uint32_t>& weights,
                                         const std::vector<std::uint64_t>& minimums, std::uint64_t length);

}  // namespace labour::engine
