// What the process tests share (supervisor, monitor): fake servers are small Python
// scripts in a private temp dir, and every test cleans up through RAII.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "supervisor/supervisor.hpp"

namespace labour::test {

namespace sv = labour::supervisor;
using namespace std::chrono_literals;

inline const std::string python = LABOUR_TEST_PYTHON;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "labour-sv-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Bounded polling; the limits are generous safety nets, not timing assertions.
template <typename Done>
inline bool eventually(Done done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Kills and reaps whatever still carries a marker when a test ends, pass or fail.
struct MarkerSweep {
  std::string marker;
  std::vector<pid_t> also_reap;
  ~MarkerSweep() {
    for (pid_t pid : sv::find_marked_processes(marker)) ::kill(pid, SIGKILL);
    for (pid_t pid : also_reap) {
      eventually([&] { return ::waitpid(pid, nullptr, WNOHANG) != 0; }, 3s);
    }
  }
};

inline sv::LaunchSpec python_server(const TempDir& dir, const std::string& script,
                                    std::vector<std::string> args = {}) {
  write_file(dir / "server.py", script);
  sv::LaunchSpec spec;
  spec.argv = {python, (dir / "server.py").string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.workdir = dir.path;
  spec.stdout_path = spec.stderr_path = dir / "server.log";
  return spec;
}

}  // namespace labour::test
