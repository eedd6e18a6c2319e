// The one reader of /proc (see proc(5)): the supervisor finds and reaps a server's
// processes with it, the monitor samples them. It lives in the supervisor's library, the
// lowest one both link. Every call copes with a process that is gone meanwhile: it answers
// empty, nullopt or false.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace labour::procfs {

// A whole small file (/proc files have no size to ask for); empty if it cannot be read.
std::string read_small_file(const std::string& path);

// Every process in /proc, in ascending order (callers may binary_search it).
std::vector<pid_t> list_pids();

// The fields of /proc/<pid>/stat that the supervisor or the monitor need.
struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t session = 0;
  std::uint64_t cpu_ticks = 0;       // utime + stime
  std::uint64_t children_ticks = 0;  // cutime + cstime: the children it has reaped
  std::uint32_t threads = 0;
  std::uint64_t start_ticks = 0;  // with the pid, identifies a process across pid reuse
  std::uint64_t rss_pages = 0;
  int exit_code = 0;  // waitpid(2) status; meaningful for a zombie only
};
// Parses the text of /proc/<pid>/stat; the command name may hold spaces and parentheses.
std::optional<ProcStat> parse_stat(std::string_view text);
std::optional<ProcStat> read_stat(pid_t pid);

// Open descriptors of one process; nullopt if they cannot be listed (gone, or another
// user's process).
std::optional<std::uint64_t> count_fds(pid_t pid);

// The command line of a process, its arguments joined by spaces (as ps shows it); empty if it
// is gone, a zombie or a kernel thread.
std::string read_cmdline(pid_t pid);

// The live children of `parent` in its process group, in ascending pid order.
std::vector<pid_t> children_in_group(pid_t parent);

// Does /proc/<pid>/environ hold exactly this entry ("NAME=value")? False if it cannot be
// read: zombies have no environment, other users' processes are not ours to read.
bool environ_has_entry(pid_t pid, std::string_view entry);

}  // namespace labour::procfs
