#include "run/merge.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/errors.hpp"
#include "run/compare.hpp"
#include "run/results.hpp"
#include "run/shard.hpp"

namespace labour::run {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

std::string cell_name(const std::string& label, const std::string& scenario) {
  return label + " x " + scenario;
}

// What makes two machines measure alike; hostnames and start times differ on every run.
json machine_kind(const json& environment) {
  json kind = json::object();
  for (const char* key : {"kernel", "cpus", "cores", "cpu_model", "python_version"})
    if (environment.contains(key)) kind[key] = environment[key];
  if (auto p = environment.find("pinning"); p != environment.end())
    kind["pinning"] = p->is_object() && p->contains("enabled") ? (*p)["enabled"] : *p;
  if (environment.contains("jobs"))
    kind["jobs"] = environment["jobs"];  // cells side by side share the machine
  return kind;
}

}  // namespace

ShardDocument check_shard(std::string path, json document) {
  const auto bad = [&](const std::string& what) { return UsageError("merge: '" + path + "' " + what); };
  const auto text = [&](const json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string())
      throw bad("has no " + where + " text (is it a shard's results.json?)");
    return it->get<std::string>();
  };
  const auto shard_number = [&](const json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > kMaxShards)
      throw bad("has no valid " + where + " (a shard number from 1)");
    return static_cast<std::uint32_t>(it->get<std::int64_t>());
  };
  if (!document.is_object() || !document.contains("schema_version"))
    throw bad("is not a labour results document");
  if (document["schema_version"] != kSchemaVersion)
    throw bad("has schema_version " + document["schema_version"].dump() + ", this labour reads " +
              std::to_string(kSchemaVersion) + " (merge with the labour that ran it)");
  const auto plan = document.find("plan");
  if (plan == document.end() || !plan->is_object())
    throw bad("is not a matrix shard's document (no plan: shards come from labour matrix --shard K/N)");
  const auto shard = plan->find("shard");
  if (shard == plan->end() || !shard->is_object()) throw bad("has no plan.shard");
  if (shard->contains("index") && (*shard)["index"].is_null())
    throw bad("is a merged document, not a shard (merge the shards themselves)");
  ShardDocument d;
  d.fingerprint = text(*plan, "fingerprint", "plan.fingerprint");
  d.index = shard_number(*shard, "index", "plan.shard.index");
  d.count = shard_number(*shard, "count", "plan.shard.count");
  if (d.index > d.count) throw bad("is shard " + std::to_string(d.index) + " of " + std::to_string(d.count));
  const auto tool = document.find("tool");
  if (tool == document.end() || !tool->is_object()) throw bad("has no tool block");
  d.version = text(*tool, "version", "tool.version");
  if (tool->contains("commit")) d.commit = text(*tool, "commit", "tool.commit");
  const auto cells = plan->find("cells");
  if (cells == plan->end() || !cells->is_array()) throw bad("has no plan.cells list");
  for (const auto& c : *cells) {
    if (!c.is_object()) throw bad("has a plan cell that is not an object");
    d.cells.push_back({text(c, "label", "plan cell label"), text(c, "scenario", "plan cell scenario"),
                       shard_number(c, "shard", "plan cell shard")});
    if (d.cells.back().shard > d.count)
      throw bad("plans a cell for shard " + std::to_string(d.cells.back().shard));
  }
  const auto tests = document.find("tests");
  if (tests == document.end() || !tests->is_array()) throw bad("has no tests list");
  for (const auto& t : *tests) {
    if (!t.is_object() || !t.contains("scenario") || !t["scenario"].is_object())
      throw bad("has a malformed test");
    text(t, "label", "test label");
    text(t["scenario"], "name", "test scenario name");
    if (t.contains("status") && !t["status"].is_string()) throw bad("has a test whose status is not text");
  }
  if (document.contains("environment") && !document["environment"].is_object())
    throw bad("has an environment that is not an object");
  d.path = std::move(path);
  d.document = std::move(document);
  return d;
}

ShardDocument read_shard(const std::string& given) {
  // A shard's folder without results.json is a shard that has not finished (interrupted,
  // killed, still running): "does not exist" would send the user looking for a lost file.
  std::error_code ec;
  const fs::path folder = given;
  if (fs::is_directory(folder, ec) && !fs::exists(folder / "results.json", ec) &&
      (fs::exists(folder / "cells.jsonl", ec) || fs::exists(folder / "plan.json", ec)))
    throw UsageError("merge: '" + given +
                     "' is an unfinished shard (it has cells.jsonl but no results.json): finish it with "
                     "labour matrix ... --resume --out " +
                     given + " (the options it was started with), then merge");
  return check_shard(results_path(given), read_results_document(given, "merge"));
}

MergeOutcome merge_shards(const std::vector<ShardDocument>& shards) {
  if (shards.empty()) throw UsageError("merge: no shards given");
  const ShardDocument& first = shards.front();

  std::map<std::uint32_t, std::string> shard_files;           // index -> path
  std::map<std::string, std::pair<std::string, json>> found;  // cell -> (path, test)
  std::map<std::string, std::uint32_t> planned;               // cell -> shard, of the plan
  for (const auto& c : first.cells) planned[cell_name(c.label, c.scenario)] = c.shard;
  std::vector<json> kinds;
  std::vector<std::size_t> kind_of_shard;
  for (const auto& shard : shards) {
    if (shard.fingerprint != first.fingerprint)
      throw UsageError("merge: '" + shard.path + "' is a shard of another matrix (plan " + shard.fingerprint +
                       ", '" + first.path + "' has " + first.fingerprint +
                       "): every shard must be run with the same servers, scenarios and options");
    if (shard.count != first.count)
      throw UsageError("merge: '" + shard.path + "' is one of " + std::to_string(shard.count) + " shards, '" +
                       first.path + "' one of " + std::to_string(first.count) + " (give the same --shard N)");
    if (shard.version != first.version || shard.commit != first.commit)
      throw UsageError("merge: '" + shard.path + "' was written by labour " + shard.version + " " +
                       shard.commit + ", '" + first.path + "' by " + first.version + " " + first.commit +
                       ": run every shard with one build");
    if (auto [it, fresh] = shard_files.emplace(shard.index, shard.path); !fresh)
      throw UsageError("merge: '" + shard.path + "' and '" + it->second + "' are both shard " +
                       std::to_string(shard.index) + "/" + std::to_string(first.count) +
                       " (give each shard once)");
    const json kind = machine_kind(shard.document.value("environment", json::object()));
    auto k = std::find(kinds.begin(), kinds.end(), kind);
    if (k == kinds.end()) k = kinds.insert(kinds.end(), kind);
    kind_of_shard.push_back(static_cast<std::size_t>(k - kinds.begin()));
    for (const auto& test : shard.document["tests"]) {
      const std::string name =
          cell_name(test["label"].get<std::string>(), test["scenario"]["name"].get<std::string>());
      const auto plan_shard = planned.find(name);
      if (plan_shard == planned.end())
        throw UsageError("merge: '" + shard.path + "' holds cell " + name + ", which its plan does not have");
      if (plan_shard->second != shard.index)
        throw UsageError("merge: '" + shard.path + "' holds cell " + name + ", which the plan gives shard " +
                         std::to_string(plan_shard->second));
      if (auto [it, fresh] = found.emplace(name, std::make_pair(shard.path, test)); !fresh)
        throw UsageError("merge: cell " + name + " is in both '" + it->second.first + "' and '" + shard.path +
                         "' (give each shard once)");
      found[name].second["machine"] = kind_of_shard.back() + 1;
    }
  }

  MergeOutcome out;
  json& doc = out.document;
  doc = {{"schema_version", kSchemaVersion},
         {"tool", first.document["tool"]},
         {"environment", first.document.value("environment", json::object())}};
  json merged_plan = first.document["plan"];
  merged_plan["shard"] = {{"index", nullptr}, {"count", first.count}};
  json from = json::array();
  for (std::size_t i = 0; i < shards.size(); ++i)
    from.push_back({{"path", shards[i].path},
                    {"shard", shards[i].index},
                    {"machine", kind_of_shard[i] + 1},
                    {"environment", shards[i].document.value("environment", json::object())}});
  merged_plan["merged_from"] = from;
  doc["plan"] = merged_plan;
  json warnings = json::array();
  if (kinds.size() > 1) {
    std::set<std::string> differ;
    for (const auto& kind : kinds)
      for (const auto& [key, value] : kind.items())
        if (!kinds.front().contains(key) || kinds.front()[key] != value) differ.insert(key);
    std::string keys;
    for (const auto& key : differ) keys += (keys.empty() ? "" : ", ") + key;
    doc["machines"] = kinds;
    warnings.push_back(
        "the figures come from " + std::to_string(kinds.size()) + " kinds of machine (" + keys +
        " differ): each test names its machine; compare tests of different machines with care");
  }
  doc["tests"] = json::array();
  for (const auto& cell : first.cells) {
    const std::string name = cell_name(cell.label, cell.scenario);
    auto it = found.find(name);
    if (it == found.end()) {
      out.missing.push_back(name + " (shard " + std::to_string(cell.shard) + ")");
      continue;
    }
    json test = it->second.second;
    if (kinds.size() == 1) test.erase("machine");  // one kind of machine: nothing to tell apart
    if (test.value("status", "") == "interrupted") out.missing.push_back(name + " (interrupted)");
    doc["tests"].push_back(std::move(test));
  }
  if (!out.missing.empty())
    warnings.push_back(std::to_string(out.missing.size()) +
                       " planned cells have no result: " + join(out.missing));
  if (!warnings.empty()) doc["warnings"] = warnings;
  return out;
}

}  // namespace labour::run
