#include "common/cpus.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>

#include "common/errors.hpp"

namespace labour {

CpuList allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CpuList cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

CpuList parse_cpu_list(const std::string& text, const std::string& what, const CpuList& allowed) {
  const std::string valid = "this machine allows " + format_cpu_list(allowed);
  const UsageError bad(what + ": not a CPU list (write e.g. 0, 0-2 or 0,2-3; " + valid + ")");
  auto number = [&](std::string_view s) {
    int value = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value < 0) throw bad;
    return value;
  };
  CpuList cpus;
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const auto dash = item.find('-');
    const int first = number(item.substr(0, dash));
    const int last = dash == std::string_view::npos ? first : number(item.substr(dash + 1));
    if (last < first) throw bad;
    for (int cpu = first; cpu <= last; ++cpu) {
      if (!std::binary_search(allowed.begin(), allowed.end(), cpu))
        throw UsageError(what + ": CPU " + std::to_string(cpu) + " is not available (" + valid + ")");
      cpus.push_back(cpu);
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(const CpuList& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

CpuSplit split_cpus(const CpuList& allowed, unsigned client_threads) {
  if (allowed.size() < 2) return {};
  const std::size_t client = std::clamp<std::size_t>(client_threads, 1, allowed.size() / 2);
  const auto cut = allowed.end() - static_cast<std::ptrdiff_t>(client);
  return {CpuList(allowed.begin(), cut), CpuList(cut, allowed.end())};
}

CpuSplit Pinning::plan(unsigned client_threads) const {
  if (!enabled) return {};
  if (!server && !client) return split_cpus(allowed, client_threads);
  auto rest = [&](const CpuList& taken) {
    CpuList out;
    std::set_difference(allowed.begin(), allowed.end(), taken.begin(), taken.end(), std::back_inserter(out));
    return out;
  };
  return {server ? *server : rest(*client), client ? *client : rest(*server)};
}

namespace {
bool set_thread_cpus(const CpuList& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus)
    if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0;
}
}  // namespace

ThreadPin::ThreadPin(const CpuList& cpus) {
  if (cpus.empty()) return;
  saved_ = allowed_cpus();
  pinned_ = !saved_.empty() && set_thread_cpus(cpus);
}

ThreadPin::~ThreadPin() {
  if (pinned_) set_thread_cpus(saved_);
}

}  // namespace labour
