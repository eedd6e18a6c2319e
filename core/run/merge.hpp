// `labour merge`: the documents of a sharded matrix's shards (`labour matrix --shard K/N`,
// run on as many machines) made one, as if one machine had run the whole plan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace labour::run {

// A shard's document, its plan checked: merge reads only these fields and the tests'
// label and scenario name, all of the right types.
struct ShardDocument {
  struct Cell {
    std::string label, scenario;
    std::uint32_t shard = 0;  // from 1
  };
  std::string path;  // the file read, for messages
  nlohmann::ordered_json document;
  std::string fingerprint, version, commit;
  std::uint32_t index = 0, count = 0;  // shard `index` of `count`, from 1
  std::vector<Cell> cells;             // the whole plan
};

// Checks that `document` is a shard's (schema version, plan, tests, types). Throws
// UsageError naming `path` and what is wrong.
ShardDocument check_shard(std::string path, nlohmann::ordered_json document);

// A shard's results.json, or the --out folder holding one: read (a regular file of at most
// 1 GiB) and checked. Throws UsageError naming the file when it cannot be read, is not JSON
// (e.g. cut short) or is not a shard's document.
ShardDocument read_shard(const std::string& path_or_folder);

struct MergeOutcome {
  nlohmann::ordered_json document;
  std::vector<std::string> missing;  // "label x scenario" of planned cells without a result
};

// Checks that the shards belong together (one plan fingerprint, one shard count, one
// labour version and commit, no shard or cell twice) and merges them: tests in the plan's
// order, the first shard's environment, and, where the shards ran on different kinds of
// machine, "machines" with a "machine" index on each test and a warning. A planned cell
// that no shard finished (missing or interrupted) is listed in `missing` and in a warning.
// Throws UsageError naming the file at fault.
MergeOutcome merge_shards(const std::vector<ShardDocument>& shards);

}  // namespace labour::run
