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

// The shard count the user gave: --shard-count N (`count`, 0: not given), else
// LABOUR_SHARD_COUNT; with the words that name it in a message ("--shard-count 3").
struct GivenCount {
  std::uint32_t value = 0;
  std::string name;
};

std::optional<GivenCount> given_count(const std::string& what, std::uint32_t count, const Env& env) {
  if (count != 0) return GivenCount{count, "--shard-count " + std::to_string(count)};
  const auto text = env("LABOUR_SHARD_COUNT");
  if (!text) return std::nullopt;
  const auto n = parse_count(*text);
  if (!n || *n == 0 || *n > kMaxShards)
    throw UsageError(what + ": LABOUR_SHARD_COUNT='" + *text + "' is not a number of shards (1 to " +
                     std::to_string(kMaxShards) + ")");
  return GivenCount{*n, "LABOUR_SHARD_COUNT=" + *text};
}

// One of Slurm's array variables as a number, or a UsageError naming it.
std::uint32_t slurm_number(const std::string& what, const char* name, const std::string& text) {
  const auto n = parse_count(text);
  if (!n)
    throw UsageError(what + ": " + name + "='" + text +
                     "' is not an array task number (0, 1, ...); is this a Slurm array task?");
  return *n;
}

// Kubernetes' Indexed Job: K from JOB_COMPLETION_INDEX (0-based), N only from the user.
Shard kubernetes_shard(const std::string& what, const std::string& index, std::uint32_t count,
                       const Env& env) {
  const auto k = parse_count(index);
  if (!k) throw UsageError(what + ": JOB_COMPLETION_INDEX='" + index + "' is not a shard index (0, 1, ...)");
  const auto given = given_count(what, count, env);
  if (!given)
    throw UsageError(what +
                     ": the number of shards is not known (give --shard-count N, or set "
                     "LABOUR_SHARD_COUNT to the Job's completions)");
  const Shard shard{*k + 1, given->value};
  if (shard.index > shard.count)
    throw UsageError(what + ": JOB_COMPLETION_INDEX=" + index + " is not below the shard count " +
                     std::to_string(shard.count) + " (set the count to the Job's completions)");
  return shard;
}

// A Slurm job array: K from SLURM_ARRAY_TASK_ID counted from SLURM_ARRAY_TASK_MIN (so
// --array=0-2 and --array=1-3 both give shards 1 to 3), N from the array's size
// (SLURM_ARRAY_TASK_COUNT, or MAX - MIN + 1), which a count the user gave must match.
Shard slurm_shard(const std::string& what, const std::string& id_text, std::uint32_t count, const Env& env) {
  const std::uint32_t id = slurm_number(what, "SLURM_ARRAY_TASK_ID", id_text);
  const auto min_text = env("SLURM_ARRAY_TASK_MIN");
  if (!min_text)
    throw UsageError(what +
                     ": SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not (Slurm sets both in a "
                     "job array's task); run it as a task of sbatch --array, or give --shard K/N");
  const std::uint32_t min = slurm_number(what, "SLURM_ARRAY_TASK_MIN", *min_text);
  if (id < min)
    throw UsageError(what + ": SLURM_ARRAY_TASK_ID=" + id_text + " is below SLURM_ARRAY_TASK_MIN=" +
                     *min_text + " (a partial or hand-made Slurm environment); give --shard K/N");
  std::optional<std::uint32_t> tasks;  // the array's size, as Slurm says it
  std::string tasks_name;
  const auto count_text = env("SLURM_ARRAY_TASK_COUNT");
  if (count_text) {
    tasks = slurm_number(what, "SLURM_ARRAY_TASK_COUNT", *count_text);
    if (*tasks == 0 || *tasks > kMaxShards)
      throw UsageError(what + ": SLURM_ARRAY_TASK_COUNT=" + *count_text +
                       " is not a number of shards (1 to " + std::to_string(kMaxShards) + ")");
    tasks_name = "SLURM_ARRAY_TASK_COUNT=" + *count_text;
  }
  if (const auto max_text = env("SLURM_ARRAY_TASK_MAX")) {
    const std::uint32_t max = slurm_number(what, "SLURM_ARRAY_TASK_MAX", *max_text);
    if (max < id)
      throw UsageError(what + ": SLURM_ARRAY_TASK_ID=" + id_text + " is above SLURM_ARRAY_TASK_MAX=" +
                       *max_text + " (a partial or hand-made Slurm environment); give --shard K/N");
    const std::uint32_t span = max - min + 1;
    if (tasks && *tasks != span)
      throw UsageError(what + ": the Slurm array has gaps or a step (" + tasks_name +
                       ", but its tasks run from SLURM_ARRAY_TASK_MIN=" + *min_text +
                       " to SLURM_ARRAY_TASK_MAX=" + *max_text +
                       "); labour needs one task per shard, numbered without gaps: submit --array=0-" +
                       std::to_string(*tasks - 1));
    if (!tasks) {
      tasks = span;
      tasks_name = "SLURM_ARRAY_TASK_MIN=" + *min_text + " to MAX=" + *max_text;
    }
  }
  const auto given = given_count(what, count, env);
  if (!tasks && !given)
    throw UsageError(what +
                     ": SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor "
                     "SLURM_ARRAY_TASK_MAX is, so the number of shards is not known; give --shard-count N");
  if (tasks && given && given->value != *tasks)
    throw UsageError(what + ": " + given->name + " disagrees with the Slurm array's " +
                     std::to_string(*tasks) + " tasks (" + tasks_name + "); drop it, or submit --array=0-" +
                     std::to_string(given->value - 1));
  const std::uint32_t n = tasks ? *tasks : given->value;
  const std::string n_name = tasks ? tasks_name : given->name;
  if (n > kMaxShards)
    throw UsageError(what + ": the Slurm array's " + std::to_string(n) + " tasks (" + n_name +
                     ") are more than " + std::to_string(kMaxShards) + " shards");
  const Shard shard{id - min + 1, n};
  if (shard.index > shard.count)
    throw UsageError(what + ": SLURM_ARRAY_TASK_ID=" + id_text + " is task " + std::to_string(shard.index) +
                     " counted from SLURM_ARRAY_TASK_MIN=" + *min_text + ", beyond the " + std::to_string(n) +
                     " shards (" + n_name + "); give --shard K/N");
  return shard;
}

// --shard auto: the shard from the scheduler's environment, Kubernetes' or Slurm's, never
// from a guess between them.
Shard shard_from_environment(const std::string& what, std::uint32_t count, const Env& env) {
  const auto k8s = env("JOB_COMPLETION_INDEX");
  const auto slurm = env("SLURM_ARRAY_TASK_ID");
  if (k8s && slurm)
    throw UsageError(what +
                     ": both JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID (Slurm) are set, "
                     "so the shard is ambiguous; unset the one that does not belong, or give --shard K/N");
  if (k8s) return kubernetes_shard(what, *k8s, count, env);
  if (slurm) return slurm_shard(what, *slurm, count, env);
  const bool slurm_job = env("SLURM_JOB_ID").has_value();
  throw UsageError(what +
                   ": neither JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (a "
                   "Slurm job array) is set" +
                   (slurm_job ? "; this Slurm job is not an array task: submit it with sbatch --array=0-(N-1)"
                              : "; elsewhere give --shard K/N"));
}

}  // namespace

Shard parse_shard(const std::string& text, std::uint32_t count, const Env& env) {
  const std::string what = "--shard '" + text + "'";
  if (text.empty())
    throw UsageError(
        "--shard '': the shard is empty (an unset shell variable?); give K/N, shard K of N counted "
        "from 1 (e.g. 2/3), or auto");
  if (text == "auto") return shard_from_environment(what, count, env);
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
