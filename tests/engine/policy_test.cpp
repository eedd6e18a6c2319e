#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <map>
#include <stdexcept>
#include <vector>

#include "engine/policy.hpp"

using labour::engine::Policy;
using labour::engine::Selector;

namespace {
std::vector<std::size_t> draw(Selector s, int n) {
  std::vector<std::size_t> out;
  for (int i = 0; i < n; ++i) out.push_back(s.next());
  return out;
}
}  // namespace

TEST_CASE("random policy is reproducible from the seed, per connection") {
  const std::vector<std::uint32_t> w{3, 1, 1};
  const auto a = draw(Selector(w, Policy::Random, 99, 0, 4), 1000);
  REQUIRE(a == draw(Selector(w, Policy::Random, 99, 0, 4), 1000));
  REQUIRE(a != draw(Selector(w, Policy::Random, 100, 0, 4), 1000));  // another seed
  REQUIRE(a != draw(Selector(w, Policy::Random, 99, 1, 4), 1000));   // another connection
  // The sequence of a connection does not depend on how many connections there are.
  REQUIRE(a == draw(Selector(w, Policy::Random, 99, 0, 16), 1000));
}

TEST_CASE("random policy respects the weights") {
  const std::vector<std::uint32_t> w{70, 20, 9, 1};
  Selector s(w, Policy::Random, 5, 2, 8);
  std::map<std::size_t, int> counts;
  const int n = 200000;
  for (int i = 0; i < n; ++i) ++counts[s.next()];
  REQUIRE(counts.size() == 4);
  for (std::size_t b = 0; b < w.size(); ++b) {
    const double expected = n * w[b] / 100.0;
    INFO("behaviour " << b);
    // 5 standard deviations of a binomial: fails with negligible probability for a fair RNG.
    const double sd = std::sqrt(n * (w[b] / 100.0) * (1 - w[b] / 100.0));
    REQUIRE(std::abs(counts[b] - expected) < 5 * sd);
  }
}

TEST_CASE("random policy with many behaviours uses all of them") {
  std::vector<std::uint32_t> w(20, 1);
  Selector s(w, Policy::Random, 1, 0, 1);
  std::map<std::size_t, int> counts;
  for (int i = 0; i < 20000; ++i) ++counts[s.next()];
  REQUIRE(counts.size() == 20);
  for (auto& [b, c] : counts) REQUIRE(c > 800);
}

TEST_CASE("repeat policy cycles Labour's deterministic pattern") {
  const std::vector<std::uint32_t> w{99, 1};
  Selector s(w, Policy::Repeat, 1, 0, 1);
  for (int cycle = 0; cycle < 3; ++cycle) {
    for (int i = 0; i < 99; ++i) REQUIRE(s.next() == 0);
    REQUIRE(s.next() == 1);
  }
}

TEST_CASE("repeat policy starts each connection at a different offset") {
  const std::vector<std::uint32_t> w{2, 1, 1};  // pattern 0 0 1 2
  REQUIRE(draw(Selector(w, Policy::Repeat, 1, 0, 4), 6) == std::vector<std::size_t>{0, 0, 1, 2, 0, 0});
  REQUIRE(draw(Selector(w, Policy::Repeat, 1, 1, 4), 6) == std::vector<std::size_t>{0, 1, 2, 0, 0, 1});
  REQUIRE(draw(Selector(w, Policy::Repeat, 1, 2, 4), 6) == std::vector<std::size_t>{1, 2, 0, 0, 1, 2});
  REQUIRE(draw(Selector(w, Policy::Repeat, 1, 3, 4), 6) == std::vector<std::size_t>{2, 0, 0, 1, 2, 0});
  // Over whole cycles every connection sends exactly the weights.
  for (std::uint32_t c = 0; c < 7; ++c) {
    std::map<std::size_t, int> counts;
    Selector s(w, Policy::Repeat, 1, c, 7);
    for (int i = 0; i < 4 * 25; ++i) ++counts[s.next()];
    REQUIRE(counts[0] == 50);
    REQUIRE(counts[1] == 25);
    REQUIRE(counts[2] == 25);
  }
  // The seed does not matter for Repeat.
  REQUIRE(draw(Selector(w, Policy::Repeat, 1, 2, 4), 10) == draw(Selector(w, Policy::Repeat, 77, 2, 4), 10));
}

TEST_CASE("selector rejects empty or all-zero weights, and never picks a weight of 0") {
  REQUIRE_THROWS_AS(Selector({}, Policy::Random, 1, 0, 1), std::invalid_argument);
  REQUIRE_THROWS_AS(Selector({0, 0}, Policy::Repeat, 1, 0, 1), std::invalid_argument);
  // A client-driven behaviour has weight 0: it runs its own connections, never in the mix.
  for (const auto policy : {Policy::Random, Policy::Repeat}) {
    Selector s({0, 3, 0, 1, 0}, policy, 7, 1, 3);
    std::array<int, 5> counts{};
    for (int i = 0; i < 400; ++i) ++counts[s.next()];
    CHECK(counts[0] == 0);
    CHECK(counts[2] == 0);
    CHECK(counts[4] == 0);
    CHECK(counts[1] + counts[3] == 400);
    if (policy == Policy::Repeat) CHECK(counts[1] == 300);
  }
}

TEST_CASE("spaced schedule: counts by weight, minimums kept, occurrences spread evenly") {
  using labour::engine::spaced_schedule;
  auto count = [](const std::vector<std::size_t>& s, std::size_t b) {
    return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), b));
  };
  // 99:1 over 400 requests: exactly 4 of the rare one, 100 apart.
  const auto s = spaced_schedule({99, 1}, {}, 400);
  REQUIRE(s.size() == 400);
  CHECK(count(s, 1) == 4);
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == 1) at.push_back(i);
  for (std::size_t i = 1; i < at.size(); ++i) CHECK(at[i] - at[i - 1] == 100);
  // Ten requests would send it 0.1 times; the minimum makes it once, in the middle.
  const auto few = spaced_schedule({99, 1}, {0, 1}, 10);
  CHECK(count(few, 1) == 1);
  CHECK(count(few, 0) == 9);
  CHECK(few.front() == 0);
  CHECK(few.back() == 0);
  // Exact shares when they divide, and the same schedule every time.
  const auto half = spaced_schedule({50, 50}, {}, 40);
  CHECK(count(half, 0) == 20);
  CHECK(count(half, 1) == 20);
  CHECK(half == spaced_schedule({50, 50}, {}, 40));
  // Too short for every minimum: keeps what fits, never more than the length.
  const auto tight = spaced_schedule({1, 1, 1}, {0, 5, 5}, 4);
  CHECK(tight.size() == 4);
  CHECK(count(tight, 0) == 0);
  CHECK_THROWS_AS(spaced_schedule({}, {}, 3), std::invalid_argument);
  CHECK_THROWS_AS(spaced_schedule({0, 0}, {}, 3), std::invalid_argument);
  // A weight of 0 never appears, even with a minimum.
  const auto without = spaced_schedule({3, 0, 1}, {0, 5, 1}, 40);
  CHECK(count(without, 1) == 0);
  CHECK(count(without, 0) == 30);
  CHECK(count(without, 2) == 10);
  CHECK_THROWS_AS(spaced_schedule({1}, {}, 0), std::invalid_argument);
}
