// Pieces shared by the supervisor's source files; not part of its interface. /proc is read
// through supervisor/procfs.hpp.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <filesystem>
#include <string>

namespace labour::supervisor::detail {

// The watchdog learns of every server: "add <pgid> <marker>" (pgid 0 before the spawn, so a
// host killed mid-start still has the marker covered) and "del <pgid> <marker>". `run_dir`:
// the server's run dir (labour-XXXXXX, where its log is), removed by the watchdog once it has
// killed the server when the host died; empty: none.
void watchdog_add(pid_t pgid, const std::string& marker, const std::filesystem::path& run_dir = {});
void watchdog_del(pid_t pgid, const std::string& marker);

// Raises labour's soft RLIMIT_NOFILE to the hard limit, once, remembering the one it was
// given; inherited_descriptor_limit() is that one (null when unknown), for the servers.
void raise_descriptor_limit();
const struct rlimit* inherited_descriptor_limit();

}  // namespace labour::supervisor::detail
