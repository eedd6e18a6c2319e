// Pieces shared by the supervisor's source files; not part of its interface. /proc is read
// through supervisor/procfs.hpp.
#pragma once

#include <sys/types.h>

#include <string>

namespace labour::supervisor::detail {

// The watchdog learns of every server: "add <pgid> <marker>" (pgid 0 before the spawn, so a
// host killed mid-start still has the marker covered) and "del <pgid> <marker>".
void watchdog_add(pid_t pgid, const std::string& marker);
void watchdog_del(pid_t pgid, const std::string& marker);

}  // namespace labour::supervisor::detail
