// The one way labour reads a file a user gave it (scenario files, results documents,
// cells.jsonl, plan.json): a regular file, at most `max_bytes`, read whole. A FIFO, a
// device or a folder is refused before anything is read: reading one could block for ever
// or never end (/dev/zero). The file is checked after it is opened, so it cannot be swapped
// for another in between, and a file that grows past the limit while it is read is refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace labour {

// Limits of what labour reads (docs/cli.md, "Limits of what labour reads").
constexpr std::uintmax_t kMaxScenarioBytes = 1 << 20;      // 1 MiB: thousands of behaviours
constexpr std::uintmax_t kMaxDocumentBytes = 1ULL << 30;   // 1 GiB: far above any real matrix's
constexpr std::uintmax_t kMaxPlanBytes = 64ULL << 20;      // plan.json: 64 MiB
constexpr std::uintmax_t kMaxCellsFileBytes = 1ULL << 30;  // cells.jsonl: as a document

// "1 MiB", "64 MiB", "1 GiB": a limit as an error names it.
std::string size_text(std::uintmax_t bytes);

// Throws UsageError "<what> '<path>': <what is wrong>; <how to fix it>".
std::string read_input_file(const std::filesystem::path& path, std::string_view what,
                            std::uintmax_t max_bytes);

}  // namespace labour
