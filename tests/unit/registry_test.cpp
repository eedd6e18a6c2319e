// The registry against deliberately broken plugins (tests/plugins): every rejection names the
// file and the reason, and never stops the scan.
#include <catch2/catch.hpp>

#include <elf.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/errors.hpp"
#include "plugins/params.hpp"
#include "plugins/registry.hpp"
#include "scenario/scenario.hpp"
#include "temp_dir.hpp"

using labour::plugins::Kind;
using labour::plugins::Registry;
namespace fs = std::filesystem;

namespace {
fs::path broken(const std::string& file) { return fs::path(LABOUR_TEST_BROKEN_PLUGIN_DIR) / file; }

std::string rejection(const std::string& file) {
  Registry registry;
  auto why = registry.load_file(broken(file));
  REQUIRE(why.has_value());
  REQUIRE(registry.rejections().size() == 1);
  CHECK(registry.rejections()[0].file == broken(file));
  CHECK(registry.plugins().empty());
  return *why;
}
}  // namespace

TEST_CASE("a well-formed plugin loads with its descriptor", "[registry]") {
  Registry registry;
  REQUIRE_FALSE(registry.load_file(broken("labour_behaviour_good.so")).has_value());
  const auto* p = registry.find(Kind::Behaviour, "Good");
  REQUIRE(p != nullptr);
  CHECK(p->version == "0.0.1");
  CHECK(p->file == broken("labour_behaviour_good.so"));
}

TEST_CASE("registry rejects a file that is not a library", "[registry]") {
  CHECK_THAT(rejection("labour_behaviour_garbage.so"), Catch::Contains("not a loadable library"));
}

// Issue 21: dlopen says "No such file or directory" for a library of another machine.
TEST_CASE("registry names a plugin built for another machine as such", "[registry]") {
  TempDir dir;
  const fs::path copy = dir.path / "labour_behaviour_good.so";
  fs::copy_file(broken("labour_behaviour_good.so"), copy);
  {
    std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
    std::uint16_t machine = 0;
    f.seekg(18);
    f.read(reinterpret_cast<char*>(&machine), 2);
    machine = machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;  // whichever this machine is not
    f.seekp(18);
    f.write(reinterpret_cast<const char*>(&machine), 2);
  }
  Registry registry;
  const auto why = registry.load_file(copy);
  REQUIRE(why.has_value());
  CHECK_THAT(*why, Catch::Contains("built for another machine (") && Catch::Contains("this labour is ") &&
                       Catch::Contains("rebuild it for this one"));
  CHECK_THAT(*why, !Catch::Contains("No such file"));
}

TEST_CASE("registry rejects a library without the entry symbol", "[registry]") {
  CHECK_THAT(rejection("labour_behaviour_noentry.so"), Catch::Contains("no labour_plugin_entry symbol"));
}

TEST_CASE("registry rejects another ABI major, naming both versions", "[registry]") {
  const auto why = rejection("labour_behaviour_abimajor.so");
  CHECK_THAT(why, Catch::Contains("built for ABI " + std::to_string(LABOUR_ABI_MAJOR + 1) + ".") &&
                      Catch::Contains("labour speaks ABI " + std::to_string(LABOUR_ABI_MAJOR) + ".") &&
                      Catch::Contains("major versions differ"));
}

TEST_CASE("a plugin built against SDK 1 is rejected with both versions named", "[registry]") {
  CHECK_THAT(rejection("labour_behaviour_sdkone.so"),
             Catch::Equals("built for ABI 1.0, this labour speaks ABI " + std::to_string(LABOUR_ABI_MAJOR) +
                           "." + std::to_string(LABOUR_ABI_MINOR) +
                           ": major versions differ, rebuild the plugin against this SDK"));
}

TEST_CASE("a schema with a field appended is read by its stride, as are older ones", "[registry]") {
  Registry registry;
  REQUIRE_FALSE(registry.load_file(broken("labour_behaviour_grownschema.so")).has_value());
  REQUIRE_FALSE(registry.load_file(broken("labour_behaviour_good.so")).has_value());
  const auto* grown = registry.find(Kind::Behaviour, "GrownSchema");
  REQUIRE(grown != nullptr);
  REQUIRE(grown->params.size() == 3);
  const char* const names[] = {"first", "second", "third"};
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(grown->params[i].name == names[i]);
    CHECK(grown->params[i].default_value == std::to_string(i + 1));
    CHECK(grown->params[i].type == LABOUR_PARAM_INT);
    CHECK(grown->params[i].max == 100.0);
  }
  // A plugin of this host's own layout, beside it, is read as before.
  const auto* good = registry.find(Kind::Behaviour, "Good");
  REQUIRE(good != nullptr);
  CHECK(good->params.empty());
  CHECK(good->worker.method == "GET");
}

TEST_CASE("registry rejects a newer ABI minor", "[registry]") {
  const auto why = rejection("labour_behaviour_abiminor.so");
  CHECK_THAT(why,
             Catch::Contains("." + std::to_string(LABOUR_ABI_MINOR + 1) + ", newer than this labour's ABI"));
}

TEST_CASE("registry rejects a missing required function, naming it", "[registry]") {
  CHECK_THAT(rejection("labour_behaviour_missing.so"), Catch::Contains("behaviour_on_judge is missing"));
}

TEST_CASE("registry rejects a file whose plugin lacks the group its name promises", "[registry]") {
  CHECK_THAT(rejection("labour_server_kindmismatch.so"),
             Catch::Equals("a server file must provide the server group; this plugin provides behaviour"));
}

TEST_CASE("registry rejects a plugin whose create fails, with its reason", "[registry]") {
  CHECK_THAT(rejection("labour_behaviour_createfails.so"),
             Catch::Contains("this plugin refuses to be created"));
}

TEST_CASE("the SDK turns a throwing constructor into a rejection, not a crash", "[registry]") {
  CHECK_THAT(rejection("labour_behaviour_throws.so"), Catch::Contains("constructor exploded"));
}

TEST_CASE("a scan keeps going past bad files and rejects duplicates", "[registry]") {
  Registry registry;
  registry.scan({LABOUR_TEST_BROKEN_PLUGIN_DIR});
  REQUIRE(registry.names(Kind::Behaviour) == std::vector<std::string>{"Good", "GrownSchema"});
  bool duplicate_seen = false;
  for (const auto& r : registry.rejections()) {
    CHECK_FALSE(r.reason.empty());
    if (r.file.filename() == "labour_behaviour_zz_duplicate.so") {
      duplicate_seen = true;
      CHECK_THAT(r.reason, Catch::Contains("duplicate behaviour 'Good'") &&
                               Catch::Contains("labour_behaviour_good.so"));
    }
  }
  CHECK(duplicate_seen);
  CHECK(registry.rejections().size() == 13);  // every file there but the two good ones
}

TEST_CASE("require names the known plugins and why a same-named file was rejected", "[registry]") {
  Registry registry;
  registry.scan({LABOUR_TEST_BROKEN_PLUGIN_DIR});
  try {
    registry.require(Kind::Behaviour, "AbiMajor");
    FAIL("require should have thrown");
  } catch (const labour::UsageError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("unknown behaviour 'AbiMajor'") &&
                         Catch::Contains("was rejected: built for ABI") &&
                         Catch::Contains("known behaviours: Good"));
  }
}

TEST_CASE("the real plugins: behaviours, servers and six reporters, each from its own file", "[registry]") {
  Registry registry;
  registry.scan({LABOUR_TEST_PLUGIN_DIR});
  for (const auto& r : registry.rejections()) FAIL_CHECK(r.file.string() + ": " + r.reason);
  CHECK(registry.names(Kind::Behaviour) ==
        std::vector<std::string>{"Abort",         "AbortMidRequest",  "BadContentLength", "ChildLeak",
                                 "Deadlock",      "EndlessBody",      "ExitProcess",      "FDLeak",
                                 "HugeBody",      "IOBound",          "IdleHog",          "IgnoreTermination",
                                 "LeakMemory",    "MalformedRequest", "MemoryHog",        "NativeSleep",
                                 "NativeWedge",   "OutputFlood",      "OversizedHeaders", "Pipelining",
                                 "PlainResponse", "PythonWedge",      "RaiseException",   "ReadInput",
                                 "SIGSEGV",       "Sleeping",         "SlowBody",         "SlowRead",
                                 "SlowUpload",    "Slowloris",        "ThreadLeak",       "WSGIViolation"});
  // The client-driven ones carry a connection script (ABI 2.1); the others do not.
  for (const auto& p : registry.plugins())
    if (p.kind == Kind::Behaviour)
      CHECK((labour::plugins::build_script_function(p) != nullptr) ==
            (std::set<std::string>{"AbortMidRequest", "IdleHog", "MalformedRequest", "OversizedHeaders",
                                   "Pipelining", "SlowRead", "SlowUpload", "Slowloris"}
                 .count(p.name) == 1));
  // ReadInput is the one that posts: its method crosses the ABI and reaches the worker app.
  const auto* post = registry.find(Kind::Behaviour, "ReadInput");
  REQUIRE(post != nullptr);
  CHECK(post->worker.method == "POST");
  // IOBound's data file is its own declaration, read from its file, not the host's special case.
  const auto* io = registry.find(Kind::Behaviour, "IOBound");
  REQUIRE(io != nullptr);
  REQUIRE(io->worker.files.size() == 1);
  CHECK(io->worker.files[0].first == "data");
  CHECK(io->worker.files[0].second.size() == 1024 * 1024);
  const auto servers = registry.names(Kind::Server);
  CHECK(std::find(servers.begin(), servers.end(), "wsgiref") != servers.end());
  CHECK(std::find(servers.begin(), servers.end(), "gunicorn") != servers.end());
  CHECK(registry.names(Kind::Reporter) ==
        std::vector<std::string>{"console", "csv", "html", "json", "junit", "markdown"});
  std::set<fs::path> files;
  for (const auto& p : registry.plugins()) CHECK(files.insert(p.file).second);
}

TEST_CASE("a plugin that crashes or exits while it is loaded is rejected, named, and labour goes on",
          "[registry]") {
  // Loaded in this process, either file would end the test binary; the registry loads each
  // file first in a child.
  CHECK_THAT(rejection("labour_behaviour_crashonload.so"),
             Catch::Equals("crashes while it is loaded (killed by SIGSEGV): remove it or rebuild it"));
  CHECK_THAT(rejection("labour_behaviour_exitonload.so"),
             Catch::Equals("exits while it is loaded (exit status 7): remove it or rebuild it"));
  // exit(0) is no clean load either: labour would end, with success, in the middle of a run.
  CHECK_THAT(rejection("labour_behaviour_exitzeroonload.so"),
             Catch::Equals("exits while it is loaded (exit status 0): remove it or rebuild it"));
  Registry registry;
  registry.scan({fs::path(LABOUR_TEST_BROKEN_PLUGIN_DIR)});  // the scan goes on past them
  CHECK(registry.find(Kind::Behaviour, "Good") != nullptr);
  CHECK(registry.find(Kind::Behaviour, "CrashOnLoad") == nullptr);
}

TEST_CASE("every built-in scenario names real behaviours with parameters their schemas accept",
          "[registry]") {
  Registry registry;
  registry.scan({LABOUR_TEST_PLUGIN_DIR});
  std::set<std::string> used;
  for (const auto& name : labour::scenario::builtin_names()) {
    for (const auto& entry : labour::scenario::load(name).mix) {
      const auto* plugin = registry.find(Kind::Behaviour, entry.behaviour);
      INFO(name << " names " << entry.behaviour);
      REQUIRE(plugin != nullptr);
      CHECK_NOTHROW(labour::plugins::validate(*plugin, entry.params, name));
      used.insert(entry.behaviour);
    }
  }
  // The families of docs/scenarios.md cover the catalogue but for the behaviours that need a
  // server option or a long stop to show anything (and the plain sleeps of Labour's own).
  for (const char* b : {"SIGSEGV",        "Abort",      "ExitProcess", "PythonWedge",      "NativeWedge",
                        "Deadlock",       "LeakMemory", "FDLeak",      "ThreadLeak",       "ChildLeak",
                        "SlowBody",       "HugeBody",   "EndlessBody", "BadContentLength", "WSGIViolation",
                        "RaiseException", "Slowloris",  "SlowUpload",  "SlowRead",         "IdleHog"})
    CHECK(used.count(b) == 1);
}
