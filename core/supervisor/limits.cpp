// Labour's descriptor limit: raised for its own connections, given back to the servers.
#include <sys/resource.h>

#include <mutex>

#include "common/errors.hpp"
#include "supervisor/internal.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::supervisor {

namespace {

std::once_flag raised;
rlimit inherited{};  // as labour was started: what every server gets
bool known = false;

}  // namespace

namespace detail {

void raise_descriptor_limit() {
  std::call_once(raised, [] {
    if (::getrlimit(RLIMIT_NOFILE, &inherited) != 0) return;
    known = true;
    rlimit raised_limit = inherited;
    raised_limit.rlim_cur = inherited.rlim_max;  // as far as allowed, never past the hard limit
    ::setrlimit(RLIMIT_NOFILE, &raised_limit);
  });
}

const rlimit* inherited_descriptor_limit() { return known ? &inherited : nullptr; }

}  // namespace detail

std::uint64_t descriptor_limit() {
  rlimit now{};
  if (::getrlimit(RLIMIT_NOFILE, &now) != 0 || now.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  return now.rlim_cur;
}

void check_descriptors(std::uint64_t connections, const std::string& what) {
  constexpr std::uint64_t kOwn = 64;  // logs, /proc, the watchdog, the monitor, stdio
  const std::uint64_t limit = descriptor_limit();
  if (connections + kOwn > limit)
    throw UsageError(what + ": needs about " + std::to_string(connections + kOwn) +
                     " file descriptors, but this process may open " + std::to_string(limit) +
                     " (raise ulimit -n, or use fewer connections)");
}

}  // namespace labour::supervisor
