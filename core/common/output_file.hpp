// The one way labour writes a file a user asked for (results documents, reports, plans):
// whole or not at all. A regular file (or a new one) is written to a temporary file created
// exclusively, with an unpredictable name, in the target's folder, flushed to disk and
// renamed over the target, so a reader never sees half a file and a failed write leaves the
// previous one intact. A symbolic link stays: the file it leads to is the one replaced (or
// created). A target that is not a regular file (a FIFO, a terminal), and any path under
// /dev/ or /proc/ (/dev/stdout, /dev/fd/N), is written in place and never replaced.
#pragma once

#include <filesystem>
#include <string_view>

namespace labour {

// Throws RunError "<what>: cannot write '<path>': <reason>" (what: e.g. "--report json:x.json").
void write_output_file(const std::filesystem::path& path, std::string_view bytes, std::string_view what);

}  // namespace labour
