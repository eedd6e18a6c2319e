#include "run/shard.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <numeric>

#include "common/errors.hpp"

namespace labour::run {

namespace {

// A whole positive decimal number below 2^31, or nothing: no signs, no spaces, no wrapping.
std::optional<std::uint32_t> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      std::any_of(text.begin(), text.end(), [](unsigned char c) { return !std::isdigit(c); }))
    return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(text));
}

}  // namespace

Shard parse_shard(const std::string& text, std::uint32_t count,
                  const std::function<std::optional<std::string>(const char*)>& env) {
  const std::string what = "--shard '" + text + "'";
  Shard shard;
  if (text == "auto") {
    const auto index = env("JOB_COMPLETION_INDEX");
    if (!index)
      throw UsageError(what +
                       ": JOB_COMPLETION_INDEX is not set (it is set in a Kubernetes Indexed Job; "
                       "elsewhere give --shard K/N)");
    const auto k = parse_count(*index);
    if (!k)
      throw UsageError(what + ": JOB_COMPLETION_INDEX='" + *index + "' is not a shard index (0, 1, ...)");
    if (count == 0) {
      const auto from_env = env("LABOUR_SHARD_COUNT");
      if (!from_env)
        throw UsageError(what +
                         ": the number of shards is not known (give --shard-count N, or set "
                         "LABOUR_SHARD_COUNT to the Job's completions)");
      const auto n = parse_count(*from_env);
      if (!n || *n == 0 || *n > kMaxShards)
        throw UsageError(what + ": LABOUR_SHARD_COUNT='" + *from_env + "' is not a number of shards (1 to " +
                         std::to_string(kMaxShards) + ")");
      count = *n;
    }
    shard = {*k + 1, count};
    if (shard.index > shard.count)
      throw UsageError(what + ": JOB_COMPLETION_INDEX=" + *index + " is not below the shard count " +
                       std::to_string(count) + " (set the count to the Job's completions)");
    return shard;
  }
  if (count != 0)
    throw UsageError("--shard-count: only with --shard auto (--shard K/N names the count itself)");
  const auto slash = text.find('/');
  const auto k = slash == std::string::npos ? std::nullopt : parse_count(text.substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : parse_count(text.substr(slash + 1));
  if (!k || !n) throw UsageError(what + ": write K/N, shard K of N counted from 1 (e.g. 2/3), or auto");
  if (*n == 0) throw UsageError(what + ": the number of shards must be 1 or more");
  if (*n > kMaxShards)
    throw UsageError(what + ": at most " + std::to_string(kMaxShards) + " shards (one machine each)");
  if (*k == 0 || *k > *n)
    throw UsageError(what + ": shard numbers run from 1 to " + std::to_string(*n) + " (e.g. 1/" +
                     std::to_string(*n) + ")");
  return {*k, *n};
}

double expected_cost_s(const scenario::Scenario& s, std::uint32_t repeat) {
  constexpr double kFixed = 3.0;  // start, warm-up, recovery, stop
  return (kFixed + scenario::expected_load_s(s)) * std::max<std::uint32_t>(repeat, 1);
}

std::vector<std::uint32_t> assign_shards(const std::vector<double>& costs, std::uint32_t count) {
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  std::vector<double> load(std::max<std::uint32_t>(count, 1), 0.0);
  std::vector<std::uint32_t> shard(costs.size(), 0);
  for (const std::size_t cell : order) {
    const auto least = std::min_element(load.begin(), load.end());  // the first of equals
    shard[cell] = static_cast<std::uint32_t>(least - load.begin());
    *least += costs[cell];
  }
  return shard;
}

std::string fingerprint(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::vector<Pinning> job_pinnings(const Pinning& pinning, std::uint32_t jobs) {
  std::vector<Pinning> out(jobs, pinning);
  if (jobs <= 1 || !pinning.enabled) return out;
  const std::string what = "--jobs " + std::to_string(jobs);
  if (pinning.server || pinning.client)
    throw UsageError(what +
                     ": cannot be combined with --server-cpus or --client-cpus (each job gets its own "
                     "CPUs; drop them, or run one job)");
  const std::size_t per_job = pinning.allowed.size() / jobs;
  if (per_job < 2)
    throw UsageError(what + ": needs " + std::to_string(2 * jobs) +
                     " CPUs to keep each cell's server and client on CPUs of their own, and labour may use " +
                     std::to_string(pinning.allowed.size()) + " (" + format_cpu_list(pinning.allowed) +
                     "); run fewer jobs, or add --no-pin to let the cells share CPUs");
  for (std::uint32_t j = 0; j < jobs; ++j) {
    const auto first = pinning.allowed.begin() + static_cast<std::ptrdiff_t>(j * per_job);
    out[j].allowed = CpuList(first, first + static_cast<std::ptrdiff_t>(per_job));
  }
  return out;
}

}  // namespace labour::run
