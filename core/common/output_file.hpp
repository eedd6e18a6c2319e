// The one way labour writes a file a user asked for (results documents, reports, plans):
// whole or not at all. A regular file (or a new one) is written to a temporary file created
// exclusively, with an unpredictable name, in the target's folder, flushed to disk and
// renamed over the target, so a reader never sees half a file and a failed write leaves the
// previous one intact. A symbolic link stays: the file it leads to is the one replaced (or
// created). A target that is not a regular file (a FIFO, a terminal), and any path under
// /dev/ or /proc/ (/dev/stdout, /dev/fd/N), is written in place and never replaced.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace labour {

// A FIFO without a reader is waited for, and a full pipe drained, in short steps: Ctrl-C that
// arrives meanwhile throws Interrupted (one that came before the write began does not stop it).
// Throws RunError "<what>: cannot write '<path>': <reason>" (what: e.g. "--report json:x.json").
void write_output_file(const std::filesystem::path& path, std::string_view bytes, std::string_view what);

// A file a command reads, named as its errors name it ("shard", "OLD", "scenario file").
struct InputFile {
  std::filesystem::path path;
  std::string what;
};

// An output may never be one of the command's inputs: writing it would replace what the
// command was asked to read (`merge s1 s2 --out s1`, `compare OLD NEW --report json:OLD`).
// Checked before anything is written, by what the paths lead to (the same file through a
// link, another spelling or a hard link is the same file). Throws UsageError
// "<what>: '<output>' is <input.what> '<input>', an input of this command; write to another path".
void refuse_input_as_output(const std::filesystem::path& output, const std::vector<InputFile>& inputs,
                            std::string_view what);

// Why a file could not be written at `path` (a new one made, or the one there replaced), or ""
// when it can: found before a run by trying (a temporary file made and removed in the target's
// folder), since permissions alone do not say it for root, /proc or /sys.
std::string output_file_problem(const std::filesystem::path& path);

}  // namespace labour
