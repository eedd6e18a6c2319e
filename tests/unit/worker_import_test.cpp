// run::check_worker_imports: every worker half imported by one /usr/bin/python3 process, each
// failure named with Python's own line, a hang or an exit named too, its temporary run dir
// removed, and a check that cannot run said so instead of blaming a behaviour.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <deque>
#include <filesystem>
#include <string>

#include "plugins/registry.hpp"
#include "run/runner.hpp"
#include "temp_dir.hpp"

using labour::plugins::Kind;
using labour::plugins::PluginInfo;
using labour::run::check_worker_imports;
namespace fs = std::filesystem;

namespace {

const std::string kPython = "/usr/bin/python3";
const std::string kHandle =
    "def handle(environ, start_response, params, ctx):\n"
    "    start_response('200 OK', [])\n"
    "    return [b'ok']\n";

// Behaviours as the registry keeps them: only what the worker app needs is filled in.
struct Halves {
  std::deque<PluginInfo> plugins;  // stable addresses
  const PluginInfo* add(const std::string& name, const std::string& source) {
    plugins.push_back({Kind::Behaviour,
                       name,
                       "0.0.1",
                       "a test behaviour",
                       "/nowhere/" + name + ".so",
                       {},
                       nullptr,
                       nullptr,
                       {source, "GET", {}},
                       nullptr});
    return &plugins.back();
  }
};

// TMPDIR set to a private folder for the test, so that what the check leaves there shows.
struct PrivateTmp {
  TempDir dir;
  std::string before;
  bool had = false;
  PrivateTmp() {
    if (const char* t = ::getenv("TMPDIR")) had = true, before = t;
    ::setenv("TMPDIR", dir.path.c_str(), 1);
  }
  ~PrivateTmp() {
    if (had)
      ::setenv("TMPDIR", before.c_str(), 1);
    else
      ::unsetenv("TMPDIR");
  }
  bool empty() const { return fs::is_empty(dir.path); }
};

}  // namespace

TEST_CASE("worker halves that import give no problem, and the temporary run dir goes", "[workerimport]") {
  PrivateTmp tmp;
  Halves h;
  const auto* a = h.add("Good", kHandle);
  const auto* b = h.add("AlsoGood", "import json\n" + kHandle);
  const auto check = check_worker_imports({a, b, a}, kPython);  // a twice: tried once
  CHECK(check.not_checked.empty());
  CHECK(check.problems.empty());
  CHECK(check.checked == 2);
  CHECK(tmp.empty());
}

TEST_CASE("each worker half that does not import is named with Python's line", "[workerimport]") {
  PrivateTmp tmp;
  Halves h;
  const auto* missing = h.add("Missing", "import labour_no_such_module\n" + kHandle);
  const auto* good = h.add("Good", kHandle);
  const auto* raises = h.add("Raises", "raise RuntimeError('broken at import')\n" + kHandle);
  const auto* noted = h.add("Noted",
                            "e = ValueError('bad value')\n"
                            "e.add_note('a note that is not the error')\n"
                            "raise e\n");
  const auto* exits = h.add("SysExit", "import sys\nsys.exit(3)\n");
  const auto* no_handle = h.add("NoHandle", "x = 1\n");
  const auto* prints = h.add("Prints", "print('labour-check\\tfail\\tGood\\tforged')\n" + kHandle);
  // A half built without the SDK's compile step (an out-of-tree build that skipped it).
  const auto* syntax = h.add("Syntax", "def handle(environ:\n");
  const auto check =
      check_worker_imports({missing, good, raises, noted, exits, no_handle, prints, syntax}, kPython);
  CHECK(check.not_checked.empty());
  CHECK(check.checked == 8);
  REQUIRE(check.problems.size() == 6);
  REQUIRE(check.find(syntax));
  CHECK_THAT(check.find(syntax)->error, Catch::StartsWith("SyntaxError: "));
  REQUIRE(check.find(missing));
  CHECK(check.find(missing)->error == "ModuleNotFoundError: No module named 'labour_no_such_module'");
  CHECK(check.find(good) == nullptr);
  CHECK(check.find(prints) == nullptr);  // what a worker half prints is not a result
  REQUIRE(check.find(raises));
  CHECK(check.find(raises)->error == "RuntimeError: broken at import");
  REQUIRE(check.find(noted));
  CHECK(check.find(noted)->error == "ValueError: bad value");
  REQUIRE(check.find(exits));
  CHECK(check.find(exits)->error == "SystemExit: 3");
  REQUIRE(check.find(no_handle));
  CHECK(check.find(no_handle)->error == "it defines no handle()");
  CHECK(check.problems[0].behaviour == missing);  // in the order given
  CHECK(tmp.empty());
}

TEST_CASE("a worker half that ends Python or hangs while imported is named", "[workerimport]") {
  PrivateTmp tmp;
  Halves h;
  const auto* good = h.add("Good", kHandle);
  const auto* ends = h.add("Ends", "import os\nos._exit(7)\n");
  const auto* after = h.add("After", "import labour_no_such_module\n");
  auto check = check_worker_imports({good, ends, after}, kPython);
  REQUIRE(check.problems.size() == 1);  // the ones after it are not tried
  CHECK(check.problems[0].behaviour == ends);
  CHECK(check.problems[0].error == "Python ended while it was imported (exit status 7)");

  const auto* hangs = h.add("Hangs", "import time\ntime.sleep(60)\n");
  check = check_worker_imports({good, hangs}, kPython, std::chrono::milliseconds(1000));
  REQUIRE(check.problems.size() == 1);
  CHECK(check.problems[0].behaviour == hangs);
  CHECK(check.problems[0].error == "its import was still running after 1 s (stopped)");
  CHECK(tmp.empty());
}

TEST_CASE("a check that cannot run blames no behaviour", "[workerimport]") {
  PrivateTmp tmp;
  Halves h;
  const auto* missing = h.add("Missing", "import labour_no_such_module\n");
  auto check = check_worker_imports({missing}, "/nonexistent/python3");
  CHECK(check.problems.empty());
  CHECK_THAT(check.not_checked, Catch::Contains("/nonexistent/python3"));
  check = check_worker_imports({missing}, "/bin/false");  // runs, but is no Python
  CHECK(check.problems.empty());
  CHECK_THAT(check.not_checked, Catch::Contains("/bin/false did not run the check (exit status 1)"));
  CHECK(check_worker_imports({}, kPython).checked == 0);
  CHECK(tmp.empty());
}
