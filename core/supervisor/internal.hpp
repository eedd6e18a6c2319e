// Pieces shared by the supervisor's source files; not part of its interface.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace labour::supervisor::detail {

// The watchdog learns of every server: "add <pgid> <marker>" (pgid 0 before the spawn, so a
// host killed mid-start still has the marker covered) and "del <pgid> <marker>".
void watchdog_add(pid_t pgid, const std::string& marker);
void watchdog_del(pid_t pgid, const std::string& marker);

// The fields of /proc/<pid>/stat that the supervisor needs.
struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t session = 0;
};
std::optional<ProcStat> read_proc_stat(pid_t pid);

// All numeric entries of /proc.
std::vector<pid_t> list_pids();

// Does /proc/<pid>/environ hold exactly this NUL-separated entry?
bool environ_has_entry(pid_t pid, const std::string& entry);

}  // namespace labour::supervisor::detail
