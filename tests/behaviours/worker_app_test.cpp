// write_worker_app: the layout, privacy and behaviours.json it writes, its refusals, and a
// real import of the written app (with the six real worker halves) by /usr/bin/python3.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "plugin_fixture.hpp"
#include "plugins/registry.hpp"
#include "run/runner.hpp"
#include "workerapp/worker_app.hpp"

namespace fs = std::filesystem;
namespace wa = labour::workerapp;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Removes the run dir at the end of a test, whatever happens.
struct RunDir {
  fs::path path = wa::make_run_dir();
  ~RunDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Exit {
  int status = -1;
  std::string output;
};

// Runs argv (no shell) with stdout+stderr to `log`, no core dumps; waits for it.
Exit run(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) ::_exit(126);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  Exit e;
  while (::waitpid(pid, &e.status, 0) < 0 && errno == EINTR) {
  }
  e.output = read_all(log);
  return e;
}

// The six real behaviours as the host reads them (the registry, then what the run gives the
// writer), in a fixed order.
std::vector<wa::BehaviourSource> real_behaviours() {
  labour::plugins::Registry registry(false);
  registry.scan({LABOUR_TEST_PLUGIN_DIR});
  std::vector<wa::BehaviourSource> out;
  for (const char* name : {"PlainResponse", "Sleeping", "IOBound", "LeakMemory", "PythonWedge", "SIGSEGV"}) {
    const auto* b = registry.find(labour::plugins::Kind::Behaviour, name);
    REQUIRE(b != nullptr);
    out.push_back(labour::run::behaviour_source(*b));  // copies: safe after the unload
  }
  return out;
}

// Imports the app from argv[1] and calls each route through wsgiref.validate, printing one
// JSON object per request.
const char* const kCallScript = R"PY(
import json, sys, wsgiref.util, wsgiref.validate
sys.path.insert(0, sys.argv[1])
import labour_app
app = wsgiref.validate.validator(labour_app.application)
for target in sys.argv[2:]:
    path, _, query = target.partition("?")
    environ = {"SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query}
    wsgiref.util.setup_testing_defaults(environ)
    seen = {}
    def start_response(status, headers, exc_info=None):
        seen["status"] = status
        return lambda data: None
    it = app(environ, start_response)
    try:
        body = b"".join(it)
    finally:
        it.close()
    print(json.dumps({"target": target, "status": int(seen["status"][:3]),
                      "length": len(body), "text": body[:200].decode("latin-1")}))
)PY";

}  // namespace

TEST_CASE("make_run_dir makes a private labour-XXXXXX folder under TMPDIR") {
  RunDir dir;
  CHECK(fs::is_directory(dir.path));
  CHECK(dir.path.filename().string().rfind("labour-", 0) == 0);
  CHECK(dir.path.filename().string().size() == std::string("labour-XXXXXX").size());
  CHECK(mode_of(dir.path) == 0700);
  RunDir other;
  CHECK(other.path != dir.path);
}

TEST_CASE("write_worker_app writes the documented layout and behaviours.json") {
  RunDir dir;
  const auto behaviours = real_behaviours();
  const auto layout = wa::write_worker_app(dir.path, behaviours);
  CHECK(layout.app_dir == dir.path / "app");
  CHECK(layout.module == "labour_app");
  CHECK(layout.callable == "application");
  CHECK(layout.ready_path == "/__labour__/ready");
  CHECK(mode_of(layout.app_dir) == 0700);
  CHECK(read_all(layout.app_dir / "labour_app.py") == wa::dispatcher_source());
  CHECK(wa::dispatcher_source().find("def application(environ, start_response)") != std::string::npos);
  // IOBound's declared data file, in its own folder; every other behaviour's folder is empty.
  CHECK(fs::file_size(layout.app_dir / "labour_files" / "IOBound" / "data") == 1024 * 1024);
  for (const auto& b : behaviours) {
    CHECK(read_all(layout.app_dir / "labour_behaviours" / (b.name + ".py")) == b.source);
    CHECK(fs::is_directory(layout.app_dir / "labour_files" / b.name));
    if (b.name != "IOBound") CHECK(fs::is_empty(layout.app_dir / "labour_files" / b.name));
  }

  const auto doc = nlohmann::json::parse(read_all(layout.app_dir / "behaviours.json"));
  CHECK(doc["format"] == 2);
  REQUIRE(doc["behaviours"].size() == behaviours.size());
  const auto& plain = doc["behaviours"][0];
  CHECK(plain["name"] == "PlainResponse");
  CHECK(plain["module"] == "labour_behaviours/PlainResponse.py");
  CHECK(plain["method"] == "GET");
  CHECK(plain["files_dir"] == "labour_files/PlainResponse");
  CHECK(plain["params"][0] ==
        nlohmann::json::parse(R"({"name":"status","type":"int","min":100,"max":599,"choices":[]})"));
  const auto& io = doc["behaviours"][2];
  CHECK(io["name"] == "IOBound");
  CHECK(io["params"][1] ==
        nlohmann::json::parse(
            R"({"name":"source","type":"enum","min":null,"max":null,"choices":["zero","file"]})"));
  const auto& sleeping = doc["behaviours"][1];
  CHECK(sleeping["params"][0]["type"] == "float");
  CHECK(sleeping["params"][0]["max"] == 3600);
  CHECK(doc["behaviours"][5]["name"] == "SIGSEGV");
  CHECK(doc["behaviours"][5]["params"].empty());
  CHECK(wa::behaviours_json(behaviours) == read_all(layout.app_dir / "behaviours.json"));

  // A second app in the same run dir would mix two tests: refused.
  CHECK_THROWS_WITH(wa::write_worker_app(dir.path, behaviours), Catch::Contains("app"));
}

TEST_CASE("write_worker_app refuses bad names and specs before writing anything") {
  RunDir dir;
  wa::BehaviourSource good;
  good.name = "Good";
  good.source = "def handle(e, s, p, c):\n    pass\n";
  for (const std::string bad : {"", "1abc", "a b", "../x", "x/y", "x.py", "caf\xc3\xa9"}) {
    INFO(bad);
    auto b = good;
    b.name = bad;
    CHECK_THROWS_WITH(wa::write_worker_app(dir.path, {b}), Catch::Contains("is not valid"));
  }
  CHECK_THROWS_WITH(wa::write_worker_app(dir.path, {good, good}), Catch::Contains("twice"));
  auto bad_param = good;
  bad_param.params.push_back({"Bad-Name", LABOUR_PARAM_INT, {}, {}, {}});
  CHECK_THROWS_WITH(wa::write_worker_app(dir.path, {bad_param}), Catch::Contains("Bad-Name"));
  auto empty_enum = good;
  empty_enum.params.push_back({"mode", LABOUR_PARAM_ENUM, {}, {}, {}});
  CHECK_THROWS_WITH(wa::write_worker_app(dir.path, {empty_enum}), Catch::Contains("without choices"));
  auto empty_source = good;
  empty_source.source.clear();
  CHECK_THROWS_WITH(wa::write_worker_app(dir.path, {empty_source}), Catch::Contains("empty worker half"));
  auto bad_method = good;
  bad_method.method = "get";
  CHECK_THROWS_WITH(wa::write_worker_app(dir.path, {bad_method}), Catch::Contains("declares method 'get'"));
  auto escaping_file = good;
  escaping_file.files = {{"../outside", "x"}};
  CHECK_THROWS_WITH(wa::write_worker_app(dir.path, {escaping_file}), Catch::Contains("outside its folder"));
  CHECK_FALSE(fs::exists(dir.path / "app"));
  CHECK_THROWS_WITH(wa::write_worker_app(dir.path / "missing", {good}), Catch::Contains("does not exist"));
}

TEST_CASE("the written app imports under /usr/bin/python3 and answers through wsgiref.validate") {
  RunDir dir;
  const auto layout = wa::write_worker_app(dir.path, real_behaviours());
  const std::vector<std::string> targets = {
      "/__labour__/ready",
      "/PlainResponse?status=200&bytes=6",
      "/PlainResponse?status=418&bytes=70000",
      "/Sleeping?seconds=0",
      "/IOBound?bytes=3000000&source=file&block=65536",
      "/IOBound?bytes=1000&source=zero&block=512",
      "/LeakMemory?bytes=8192",
      "/PythonWedge?seconds=0.01",
      "/PlainResponse?status=200&bytes=6&extra=1",
      "/Sleeping?seconds=-1",
      "/Nope",
  };
  std::vector<std::string> argv = {LABOUR_TEST_PYTHON, "-c", kCallScript, layout.app_dir.string()};
  argv.insert(argv.end(), targets.begin(), targets.end());
  const auto e = run(argv, dir.path / "python.log");
  INFO(e.output);
  REQUIRE(WIFEXITED(e.status));
  REQUIRE(WEXITSTATUS(e.status) == 0);

  std::vector<nlohmann::json> answers;
  std::istringstream lines(e.output);
  for (std::string line; std::getline(lines, line);) answers.push_back(nlohmann::json::parse(line));
  REQUIRE(answers.size() == targets.size());
  CHECK(answers[0]["status"] == 200);
  CHECK(answers[0]["text"].get<std::string>().rfind("ready ", 0) == 0);
  CHECK(answers[1]["status"] == 200);
  CHECK(answers[1]["length"] == 6);
  CHECK(answers[2]["status"] == 418);
  CHECK(answers[2]["length"] == 70000);
  CHECK(answers[3]["status"] == 200);
  CHECK(answers[4]["text"] == "read 3000000 bytes\n");
  CHECK(answers[5]["text"] == "read 1000 bytes\n");
  CHECK(answers[6]["text"] == "kept 8192 bytes in 1 blocks\n");
  CHECK(answers[7]["status"] == 200);
  CHECK(answers[8]["status"] == 400);
  CHECK(answers[8]["text"].get<std::string>().find("extra") != std::string::npos);
  CHECK(answers[9]["status"] == 400);
  CHECK(answers[9]["text"].get<std::string>().find("seconds") != std::string::npos);
  CHECK(answers[10]["status"] == 404);
}

TEST_CASE("the written SIGSEGV worker half kills its process with a real SIGSEGV") {
  RunDir dir;
  const auto layout = wa::write_worker_app(dir.path, real_behaviours());
  const auto e = run({LABOUR_TEST_PYTHON, "-c", kCallScript, layout.app_dir.string(), "/SIGSEGV"},
                     dir.path / "python.log");
  INFO(e.output);
  REQUIRE(WIFSIGNALED(e.status));
  CHECK(WTERMSIG(e.status) == SIGSEGV);
}
