// Splitting a matrix into shards and jobs (run/shard.hpp), merging the shards back
// (run/merge.hpp), and the one writer of output files (common/output_file.hpp).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "common/errors.hpp"
#include "common/output_file.hpp"
#include "run/merge.hpp"
#include "run/results.hpp"
#include "run/shard.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using labour::run::Shard;
using json = nlohmann::ordered_json;

namespace {

using Env = std::map<std::string, std::string>;

std::function<std::optional<std::string>(const char*)> lookup(const Env& env) {
  return [env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::string shard_error(const std::string& text, std::uint32_t count = 0, const Env& env = {}) {
  try {
    labour::run::parse_shard(text, count, lookup(env));
  } catch (const labour::UsageError& e) {
    return e.what();
  }
  return "";
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A shard's document as labour matrix writes it, cut down to what merge reads.
json shard_json(unsigned index, unsigned count, const std::vector<std::string>& cells_here,
                const std::string& fingerprint = "f00d", const std::string& cpu = "EPYC") {
  json cells = json::array();
  const std::vector<std::string> all = {"a", "b", "c", "d"};
  for (std::size_t i = 0; i < all.size(); ++i)
    cells.push_back({{"label", all[i]}, {"scenario", "Plain"}, {"shard", i % count + 1}});
  json tests = json::array();
  for (const auto& label : cells_here)
    tests.push_back({{"label", label}, {"scenario", {{"name", "Plain"}}}, {"status", "completed"}});
  json doc = {
      {"schema_version", labour::run::kSchemaVersion},
      {"tool", {{"name", "labour"}, {"version", "0.1.0"}, {"commit", "abc"}}},
      {"environment", {{"hostname", "host" + std::to_string(index)}, {"cpus", 2}, {"cpu_model", cpu}}},
      {"plan",
       {{"fingerprint", fingerprint}, {"shard", {{"index", index}, {"count", count}}}, {"cells", cells}}},
      {"tests", tests}};
  return doc;
}

labour::run::ShardDocument shard_doc(unsigned index, unsigned count,
                                     const std::vector<std::string>& cells_here,
                                     const std::string& fingerprint = "f00d",
                                     const std::string& cpu = "EPYC") {
  return labour::run::check_shard("shard" + std::to_string(index) + ".json",
                                  shard_json(index, count, cells_here, fingerprint, cpu));
}

std::string check_error(json doc) {
  try {
    labour::run::check_shard("odd.json", std::move(doc));
  } catch (const labour::UsageError& e) {
    return e.what();
  }
  return "";
}

std::string merge_error(const std::vector<labour::run::ShardDocument>& shards) {
  try {
    labour::run::merge_shards(shards);
  } catch (const labour::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("shard K/N counts from 1 and refuses what is not a shard, naming it") {
  const Shard two = labour::run::parse_shard("2/3", 0, lookup({}));
  CHECK(two.index == 2);
  CHECK(two.count == 3);
  CHECK(labour::run::parse_shard("1/1", 0, lookup({})).whole());
  CHECK_THAT(shard_error("0/3"), Catch::Contains("--shard '0/3'") && Catch::Contains("from 1 to 3"));
  CHECK_THAT(shard_error("4/3"), Catch::Contains("from 1 to 3"));
  CHECK_THAT(shard_error("x/y"), Catch::Contains("write K/N"));
  CHECK_THAT(shard_error("-1/3"), Catch::Contains("write K/N"));
  CHECK_THAT(shard_error("1/0"), Catch::Contains("1 or more"));
  CHECK_THAT(shard_error("99999999999/99999999999"), Catch::Contains("write K/N"));  // never wraps
  CHECK_THAT(shard_error("2/3", 3), Catch::Contains("--shard-count: only with --shard auto"));
}

TEST_CASE("shard auto reads Kubernetes' 0-based completion index and the count") {
  const Shard first = labour::run::parse_shard(
      "auto", 0, lookup({{"JOB_COMPLETION_INDEX", "0"}, {"LABOUR_SHARD_COUNT", "3"}}));
  CHECK(first.index == 1);
  CHECK(first.count == 3);
  const Shard last = labour::run::parse_shard("auto", 3, lookup({{"JOB_COMPLETION_INDEX", "2"}}));
  CHECK(last.index == 3);
  CHECK_THAT(shard_error("auto"), Catch::Contains("neither JOB_COMPLETION_INDEX") &&
                                      Catch::Contains("nor SLURM_ARRAY_TASK_ID") &&
                                      Catch::Contains("give --shard K/N"));
  CHECK_THAT(shard_error("auto", 0, {{"JOB_COMPLETION_INDEX", "1"}}), Catch::Contains("--shard-count N"));
  CHECK_THAT(shard_error("auto", 3, {{"JOB_COMPLETION_INDEX", "3"}}),
             Catch::Contains("not below the shard count 3"));
  CHECK_THAT(shard_error("auto", 3, {{"JOB_COMPLETION_INDEX", "one"}}), Catch::Contains("not a shard index"));
  CHECK_THAT(shard_error("auto", 0, {{"JOB_COMPLETION_INDEX", "0"}, {"LABOUR_SHARD_COUNT", "0"}}),
             Catch::Contains("LABOUR_SHARD_COUNT='0'"));
}

TEST_CASE("an empty --shard, as an unset shell variable gives, is refused, not the whole matrix") {
  CHECK_THAT(shard_error(""), Catch::Contains("--shard ''") && Catch::Contains("empty") &&
                                  Catch::Contains("unset shell variable") && Catch::Contains("K/N"));
  CHECK_THAT(shard_error("", 3), Catch::Contains("empty"));
}

TEST_CASE("shard auto reads a Slurm array task: K from the task id counted from MIN, N from the array") {
  const Env array = {{"SLURM_ARRAY_TASK_ID", "0"},
                     {"SLURM_ARRAY_TASK_MIN", "0"},
                     {"SLURM_ARRAY_TASK_MAX", "2"},
                     {"SLURM_ARRAY_TASK_COUNT", "3"},
                     {"SLURM_ARRAY_JOB_ID", "41"}};
  const auto shard = [](Env env, std::uint32_t count = 0) {
    return labour::run::parse_shard("auto", count, lookup(env));
  };
  const auto with = [&array](std::initializer_list<std::pair<const std::string, std::string>> changes) {
    Env env = array;
    for (const auto& [name, value] : changes) env[name] = value;
    return env;
  };
  // sbatch --array=0-2: tasks 0, 1, 2 are shards 1/3, 2/3, 3/3.
  for (std::uint32_t id = 0; id < 3; ++id) {
    const Shard s = shard(with({{"SLURM_ARRAY_TASK_ID", std::to_string(id)}}));
    CHECK(s.index == id + 1);
    CHECK(s.count == 3);
  }
  // sbatch --array=1-3: the array counts from 1, the shards still from 1 to 3.
  const Env one_based = with({{"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "3"}});
  for (std::uint32_t id = 1; id <= 3; ++id) {
    Env env = one_based;
    env["SLURM_ARRAY_TASK_ID"] = std::to_string(id);
    const Shard s = shard(env);
    CHECK(s.index == id);
    CHECK(s.count == 3);
  }
  // The count agrees with --shard-count or LABOUR_SHARD_COUNT when they are given.
  CHECK(shard(array, 3).count == 3);
  CHECK(shard(with({{"LABOUR_SHARD_COUNT", "3"}})).count == 3);
  // Without COUNT, MAX - MIN + 1 is the array's size.
  Env no_count = one_based;
  no_count.erase("SLURM_ARRAY_TASK_COUNT");
  no_count["SLURM_ARRAY_TASK_ID"] = "3";
  CHECK(shard(no_count).index == 3);
  CHECK(shard(no_count).count == 3);
  // Without COUNT and MAX, --shard-count gives N.
  const Env bare = {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "0"}};
  CHECK(shard(bare, 2).index == 2);
  CHECK(shard(bare, 2).count == 2);
}

TEST_CASE("shard auto refuses an ambiguous or partial scheduler environment in one line naming it") {
  const Env array = {{"SLURM_ARRAY_TASK_ID", "1"},
                     {"SLURM_ARRAY_TASK_MIN", "0"},
                     {"SLURM_ARRAY_TASK_MAX", "2"},
                     {"SLURM_ARRAY_TASK_COUNT", "3"}};
  const auto with = [&array](std::initializer_list<std::pair<const std::string, std::string>> changes) {
    Env env = array;
    for (const auto& [name, value] : changes) env[name] = value;
    return env;
  };
  const auto without = [&array](std::initializer_list<std::string> names) {
    Env env = array;
    for (const auto& name : names) env.erase(name);
    return env;
  };
  // Kubernetes and Slurm at once: which index is meant cannot be told.
  CHECK_THAT(shard_error("auto", 3, with({{"JOB_COMPLETION_INDEX", "0"}})),
             Catch::Contains("--shard 'auto'") && Catch::Contains("both JOB_COMPLETION_INDEX") &&
                 Catch::Contains("SLURM_ARRAY_TASK_ID") && Catch::Contains("ambiguous"));
  // A task id without the rest of the array.
  CHECK_THAT(shard_error("auto", 0, without({"SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MAX"})),
             Catch::Contains("neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX") &&
                 Catch::Contains("--shard-count N"));
  CHECK_THAT(shard_error("auto", 3, without({"SLURM_ARRAY_TASK_MIN"})),
             Catch::Contains("SLURM_ARRAY_TASK_MIN is not"));
  // A count the user gave that is not the array's.
  CHECK_THAT(shard_error("auto", 4, array),
             Catch::Contains("--shard-count 4 disagrees with the Slurm array's 3 tasks") &&
                 Catch::Contains("SLURM_ARRAY_TASK_COUNT=3"));
  CHECK_THAT(shard_error("auto", 0, with({{"LABOUR_SHARD_COUNT", "2"}})),
             Catch::Contains("LABOUR_SHARD_COUNT=2 disagrees"));
  CHECK_THAT(shard_error("auto", 0, with({{"LABOUR_SHARD_COUNT", "x"}})),
             Catch::Contains("LABOUR_SHARD_COUNT='x'"));
  // Gaps or a step (--array=0,2,4 or 0-4:2): task ids are not shards.
  CHECK_THAT(shard_error("auto", 0, with({{"SLURM_ARRAY_TASK_MAX", "4"}})),
             Catch::Contains("gaps or a step") && Catch::Contains("--array=0-2"));
  // Numbers that are not, and ids outside the array.
  CHECK_THAT(shard_error("auto", 0, with({{"SLURM_ARRAY_TASK_ID", "1_2"}})),
             Catch::Contains("SLURM_ARRAY_TASK_ID='1_2' is not an array task number"));
  CHECK_THAT(shard_error("auto", 0, with({{"SLURM_ARRAY_TASK_ID", ""}})),
             Catch::Contains("SLURM_ARRAY_TASK_ID=''"));
  CHECK_THAT(shard_error("auto", 0, with({{"SLURM_ARRAY_TASK_COUNT", "0"}})),
             Catch::Contains("SLURM_ARRAY_TASK_COUNT=0 is not a number of shards"));
  CHECK_THAT(shard_error("auto", 0, with({{"SLURM_ARRAY_TASK_MIN", "2"}})), Catch::Contains("below"));
  CHECK_THAT(shard_error("auto", 0, with({{"SLURM_ARRAY_TASK_ID", "3"}})), Catch::Contains("above"));
  CHECK_THAT(shard_error("auto", 2, {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_MIN", "0"}}),
             Catch::Contains("beyond the 2 shards"));
  // A Slurm job that is not an array task is told how to become one.
  CHECK_THAT(shard_error("auto", 3, {{"SLURM_JOB_ID", "7"}}), Catch::Contains("sbatch --array"));
  // Every refusal is one line.
  for (const auto& env : {with({{"JOB_COMPLETION_INDEX", "0"}}), with({{"SLURM_ARRAY_TASK_MAX", "4"}}),
                          without({"SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MAX"})})
    CHECK(shard_error("auto", 0, env).find('\n') == std::string::npos);
}

TEST_CASE("shards are balanced by expected cost, the same way every time") {
  const std::vector<double> costs = {10, 1, 1, 1, 9, 2, 2, 4};
  const auto shards = labour::run::assign_shards(costs, 3);
  REQUIRE(shards.size() == costs.size());
  std::vector<double> load(3, 0);
  for (std::size_t i = 0; i < costs.size(); ++i) load[shards[i]] += costs[i];
  // 30 s of cells over 3 shards: largest first onto the least loaded gives 10/10/10.
  CHECK(load == std::vector<double>{10, 10, 10});
  CHECK(labour::run::assign_shards(costs, 3) == shards);
  // Equal costs go round the shards in the plan's order.
  CHECK(labour::run::assign_shards({1, 1, 1, 1}, 3) == std::vector<std::uint32_t>{0, 1, 2, 0});
  CHECK(labour::run::assign_shards({5, 5}, 1) == std::vector<std::uint32_t>{0, 0});
}

TEST_CASE("a cell's expected cost follows the scenario's load and repetitions") {
  labour::scenario::Scenario s;
  s.requests = 2000;
  const double once = labour::run::expected_cost_s(s, 1);
  CHECK(once == Approx(3 + 1 + 2));  // fixed, baseline 1000 requests, 2000 requests at 1000/s
  CHECK(labour::run::expected_cost_s(s, 3) == Approx(3 * once));
  s.requests = 0;
  s.duration_s = 30;
  CHECK(labour::run::expected_cost_s(s, 1) == Approx(3 + 1 + 30));
  s.requests = 100;
  s.rate = 10;  // open model: 10 s, below the 30 s bound
  CHECK(labour::run::expected_cost_s(s, 1) == Approx(3 + 1 + 10));
}

TEST_CASE("the fingerprint tells plans apart and is stable") {
  CHECK(labour::run::fingerprint("plan") == labour::run::fingerprint("plan"));
  CHECK(labour::run::fingerprint("plan") != labour::run::fingerprint("plan "));
  CHECK(labour::run::fingerprint("").size() == 16);
  CHECK(labour::run::fingerprint("") == "cbf29ce484222325");  // FNV-1a 64's offset basis
}

TEST_CASE("jobs side by side get CPUs of their own, or a reason why not") {
  labour::Pinning pin;
  pin.allowed = {0, 1, 2, 3, 4, 5};
  const auto jobs = labour::run::job_pinnings(pin, 3);
  REQUIRE(jobs.size() == 3);
  CHECK(jobs[0].allowed == labour::CpuList{0, 1});
  CHECK(jobs[2].allowed == labour::CpuList{4, 5});
  CHECK(jobs[1].plan(1).server == labour::CpuList{2});
  CHECK(jobs[1].plan(1).client == labour::CpuList{3});
  pin.allowed = {0, 1};
  CHECK_THROWS_WITH(labour::run::job_pinnings(pin, 2),
                    Catch::Contains("--jobs 2: needs 4 CPUs") && Catch::Contains("--no-pin"));
  CHECK(labour::run::job_pinnings(pin, 1).size() == 1);
  pin.enabled = false;
  CHECK(labour::run::job_pinnings(pin, 2).size() == 2);  // unpinned: they share the machine
  pin.enabled = true;
  pin.allowed = {0, 1, 2, 3};
  pin.server = labour::CpuList{0};
  CHECK_THROWS_WITH(labour::run::job_pinnings(pin, 2), Catch::Contains("--server-cpus"));
}

TEST_CASE("merge puts shards back in the plan's order and refuses shards that do not belong") {
  const auto merged = labour::run::merge_shards({shard_doc(2, 2, {"b", "d"}), shard_doc(1, 2, {"a", "c"})});
  CHECK(merged.missing.empty());
  std::vector<std::string> order;
  for (const auto& t : merged.document["tests"]) order.push_back(t["label"]);
  CHECK(order == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(merged.document["plan"]["shard"]["index"].is_null());
  CHECK_FALSE(merged.document.contains("warnings"));
  CHECK_FALSE(merged.document["tests"][0].contains("machine"));  // one kind of machine

  const auto partial = labour::run::merge_shards({shard_doc(1, 2, {"a", "c"})});
  CHECK(partial.missing == std::vector<std::string>{"b x Plain (shard 2)", "d x Plain (shard 2)"});
  CHECK_THAT(partial.document["warnings"][0].get<std::string>(),
             Catch::Contains("2 planned cells have no result"));

  CHECK_THAT(merge_error({shard_doc(1, 2, {"a", "c"}), shard_doc(2, 2, {"b"}, "beef")}),
             Catch::Contains("'shard2.json' is a shard of another matrix"));
  CHECK_THAT(merge_error({shard_doc(1, 2, {"a"}), shard_doc(1, 2, {"c"})}),
             Catch::Contains("both shard 1/2"));
  CHECK_THAT(merge_error({shard_doc(1, 2, {"a"}), shard_doc(2, 3, {"b"})}),
             Catch::Contains("one of 3 shards"));
  CHECK_THAT(merge_error({shard_doc(1, 2, {"a", "a"})}), Catch::Contains("cell a x Plain is in both"));
  CHECK_THAT(merge_error({shard_doc(1, 2, {"a"}), shard_doc(2, 2, {"b", "c"})}),
             Catch::Contains("holds cell c x Plain, which the plan gives shard 1"));
  json other_build = shard_json(2, 2, {"b"});
  other_build["tool"]["commit"] = "def";
  CHECK_THAT(merge_error({shard_doc(1, 2, {"a"}), labour::run::check_shard("b.json", other_build)}),
             Catch::Contains("'b.json' was written by labour 0.1.0 def") && Catch::Contains("one build"));
  auto stranger = shard_doc(2, 2, {"e"});
  CHECK_THAT(merge_error({shard_doc(1, 2, {"a"}), stranger}),
             Catch::Contains("which its plan does not have"));
}

TEST_CASE("a shard document of the wrong shape is one line naming the file, never a crash") {
  const json good = shard_json(1, 2, {"a"});
  CHECK(check_error(good).empty());
  const auto with = [&](auto change) {
    json d = good;
    change(d);
    return check_error(d);
  };
  CHECK_THAT(with([](json& d) { d["plan"]["shard"] = "1/2"; }),
             Catch::Contains("'odd.json' has no plan.shard"));
  CHECK_THAT(with([](json& d) { d["plan"]["shard"]["index"] = "1"; }), Catch::Contains("plan.shard.index"));
  CHECK_THAT(with([](json& d) { d["plan"]["shard"]["index"] = -1; }), Catch::Contains("plan.shard.index"));
  CHECK_THAT(with([](json& d) { d["plan"]["shard"]["index"] = nullptr; }),
             Catch::Contains("is a merged document"));
  CHECK_THAT(with([](json& d) { d["plan"]["shard"]["count"] = 0; }), Catch::Contains("plan.shard.count"));
  CHECK_THAT(with([](json& d) { d["plan"]["shard"]["index"] = 3; }), Catch::Contains("is shard 3 of 2"));
  CHECK_THAT(with([](json& d) { d["plan"]["cells"] = "all"; }), Catch::Contains("no plan.cells list"));
  CHECK_THAT(with([](json& d) { d["plan"]["cells"][0]["shard"] = 7; }),
             Catch::Contains("plans a cell for shard 7"));
  CHECK_THAT(with([](json& d) { d["plan"]["cells"][0].erase("label"); }), Catch::Contains("plan cell label"));
  CHECK_THAT(with([](json& d) { d["tests"][0] = "a"; }), Catch::Contains("malformed test"));
  CHECK_THAT(with([](json& d) { d["tests"][0]["label"] = 5; }), Catch::Contains("test label"));
  CHECK_THAT(with([](json& d) { d["tests"][0]["scenario"] = "Plain"; }), Catch::Contains("malformed test"));
  CHECK_THAT(with([](json& d) { d["tool"] = "labour"; }), Catch::Contains("no tool block"));
  CHECK_THAT(with([](json& d) { d["tool"]["version"] = 1; }), Catch::Contains("tool.version"));
  CHECK_THAT(with([](json& d) { d["environment"] = 1; }),
             Catch::Contains("environment that is not an object"));
  CHECK_THAT(with([](json& d) { d["plan"]["fingerprint"] = 7; }), Catch::Contains("plan.fingerprint"));
  // A merged document is not a shard; a pinning written as a plain boolean is still a kind.
  json odd_env = good;
  odd_env["environment"]["pinning"] = true;
  CHECK(labour::run::merge_shards({labour::run::check_shard("p.json", odd_env)}).missing.size() == 3);
}

TEST_CASE("merge flags figures from different kinds of machine, not different hosts") {
  // Hostnames differ (host1, host2) on every run: alone they are not another kind of machine.
  const auto same = labour::run::merge_shards({shard_doc(1, 2, {"a", "c"}), shard_doc(2, 2, {"b", "d"})});
  CHECK_FALSE(same.document.contains("machines"));
  const auto mixed =
      labour::run::merge_shards({shard_doc(1, 2, {"a", "c"}), shard_doc(2, 2, {"b", "d"}, "f00d", "Xeon")});
  REQUIRE(mixed.document.contains("machines"));
  CHECK(mixed.document["machines"].size() == 2);
  CHECK_THAT(mixed.document["warnings"][0].get<std::string>(),
             Catch::Contains("2 kinds of machine") && Catch::Contains("cpu_model"));
  CHECK(mixed.document["tests"][0]["machine"] == 1);  // a, shard 1
  CHECK(mixed.document["tests"][1]["machine"] == 2);  // b, shard 2
}

TEST_CASE("read_shard names the file that is not a shard") {
  TempDir dir;
  const auto error = [](const std::string& path) {
    try {
      labour::run::read_shard(path);
    } catch (const labour::UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error((dir.path / "none").string()), Catch::Contains("does not exist"));
  std::ofstream(dir.path / "cut.json") << R"({"schema_version": 2, "tests": [)";
  CHECK_THAT(error((dir.path / "cut.json").string()), Catch::Contains("cut.json' is not valid JSON"));
  std::ofstream(dir.path / "run.json") << R"({"schema_version": 2, "tests": []})";
  CHECK_THAT(error((dir.path / "run.json").string()), Catch::Contains("not a matrix shard's document"));
  std::ofstream(dir.path / "v1.json") << R"({"schema_version": 1, "tests": []})";
  CHECK_THAT(error((dir.path / "v1.json").string()), Catch::Contains("schema_version 1"));
  fs::create_directory(dir.path / "shard");
  std::ofstream(dir.path / "shard" / "results.json") << shard_doc(1, 1, {"a"}).document.dump();
  CHECK(labour::run::read_shard((dir.path / "shard").string()).path ==
        (dir.path / "shard" / "results.json").string());
  ::mkfifo((dir.path / "fifo").c_str(), 0600);
  CHECK_THAT(error((dir.path / "fifo").string()), Catch::Contains("not a regular file"));  // and no hang
}

TEST_CASE("output files are written whole, never through a planted link, devices written in place") {
  TempDir dir;
  const fs::path target = dir.path / "results.json";
  labour::write_output_file(target, "first\n", "--out x");
  CHECK(read(target) == "first\n");
  labour::write_output_file(target, "second\n", "--out x");
  CHECK(read(target) == "second\n");
  // A link the user made stays a link; the file it points to is replaced.
  const fs::path real = dir.path / "real.json";
  std::ofstream(real) << "old";
  fs::create_symlink(real, dir.path / "link.json");
  labour::write_output_file(dir.path / "link.json", "report", "--report json:link.json");
  CHECK(fs::is_symlink(dir.path / "link.json"));
  CHECK(read(real) == "report");
  // A link planted where a temporary file could be is never followed: the names are not
  // predictable, and mkostemp creates exclusively.
  const fs::path victim = dir.path / "victim";
  std::ofstream(victim) << "keep";
  fs::create_symlink(victim, dir.path / "results.json.tmp");
  labour::write_output_file(target, "third\n", "--out x");
  CHECK(read(victim) == "keep");
  CHECK(read(target) == "third\n");
  fs::remove(dir.path / "results.json.tmp");
  // No temporary file is left behind.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.path().filename().string()[0] == '.';
  CHECK(files == 0);
  // A character device is written to, not replaced.
  labour::write_output_file("/dev/null", "gone", "--report json:/dev/null");
  struct stat st {};
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  // A folder that does not exist: one line naming the input and the path.
  CHECK_THROWS_WITH(labour::write_output_file(dir.path / "no" / "such.json", "x", "--out no"),
                    Catch::Contains("--out no: cannot write '") && Catch::Contains("No such file"));
  CHECK_THROWS_WITH(labour::write_output_file(dir.path, "x", "--report json:DIR"),
                    Catch::Contains("Is a directory"));
}
