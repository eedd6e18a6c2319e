// Splitting a planned matrix: into shards that run on other machines (`--shard K/N`, merged
// later by `labour merge`), and into jobs that run side by side on this one (`--jobs J`).
// Both are deterministic functions of the plan, so every shard computes the same split.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/cpus.hpp"
#include "scenario/scenario.hpp"

namespace labour::run {

// More shards than this is a typing error, not a plan (each shard is a machine).
inline constexpr std::uint32_t kMaxShards = 100000;

// Shard `index` (1-based) of `count`; {1, 1} is the whole matrix.
struct Shard {
  std::uint32_t index = 1;
  std::uint32_t count = 1;
  bool whole() const { return count == 1; }
};

// Looks an environment variable up: getenv in production, a map in tests.
using Env = std::function<std::optional<std::string>(const char*)>;

// "K/N", or "auto": the shard from the scheduler's environment, from exactly one of
// - Kubernetes' Indexed Job: K from JOB_COMPLETION_INDEX (0-based), N from `count`
//   (--shard-count, 0: not given) or LABOUR_SHARD_COUNT;
// - a Slurm job array: K from SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (so the array may
//   count from 0 or 1), N from SLURM_ARRAY_TASK_COUNT (or MAX - MIN + 1; --shard-count or
//   LABOUR_SHARD_COUNT, when given, must agree, and stand in when Slurm gives neither).
// Both set, an empty text, a partial or gapped array: UsageError, one line naming the input.
Shard parse_shard(const std::string& text, std::uint32_t count, const Env& env);

// What one cell of `scenario` is expected to cost, in seconds, for balancing shards: a
// fixed 3 s per run (start, warm-up, recovery, stop) plus the baseline and the fault phase
// at the scenario's rate (1000 requests/s when closed-loop), times `repeat`. A server that
// hangs costs more; nothing knows that before the run.
double expected_cost_s(const scenario::Scenario& scenario, std::uint32_t repeat);

// Which shard (0-based) each cell goes to, balancing the expected costs: the most expensive
// cell first, each to the shard with the least cost so far (ties: the lower shard, then
// the earlier cell), so the split depends only on the costs and their order.
std::vector<std::uint32_t> assign_shards(const std::vector<double>& costs, std::uint32_t count);

// 64-bit FNV-1a of `text` as 16 hex digits: the plan's fingerprint (a check that shards
// belong together, not a defence against someone forging one).
std::string fingerprint(const std::string& text);

// The pinning of each of `jobs` cells run side by side: the allowed CPUs cut into `jobs`
// equal slices, each split between server and client as for one cell. Pinning off: all
// jobs unpinned. Throws UsageError when the machine has too few CPUs for the isolation, or
// when --server-cpus/--client-cpus were given with more than one job.
std::vector<Pinning> job_pinnings(const Pinning& pinning, std::uint32_t jobs);

}  // namespace labour::run
