// The one bounded reader (core/common/input_file): regular files only, a size limit named in
// the error, and nothing that could block or never end.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "common/input_file.hpp"
#include "scenario/scenario.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using labour::read_input_file;

namespace {

std::string error_of(const fs::path& path, std::uintmax_t limit = 1 << 20) {
  try {
    read_input_file(path, "scenario file", limit);
  } catch (const labour::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the bounded reader reads a regular file whole", "[input]") {
  TempDir dir;
  std::ofstream(dir.path / "a.toml", std::ios::binary) << std::string(100000, 'x') << '\0' << "end";
  const std::string text = read_input_file(dir.path / "a.toml", "scenario file", 1 << 20);
  CHECK(text.size() == 100004);
  CHECK(text.substr(100001) == "end");
}

TEST_CASE("the bounded reader refuses what is not a regular file, before reading", "[input]") {
  TempDir dir;
  CHECK_THAT(error_of(dir.path / "none.toml"),
             Catch::Equals("scenario file '" + (dir.path / "none.toml").string() +
                           "': does not exist; check the path"));
  REQUIRE(::mkfifo((dir.path / "fifo").c_str(), 0600) ==
          0);  // no writer: a blocking open would wait for ever
  CHECK_THAT(error_of(dir.path / "fifo"), Catch::EndsWith("': is a FIFO, not a regular file; give a file"));
  CHECK_THAT(error_of("/dev/zero"), Catch::Contains("'/dev/zero': is a character device"));  // never ends
  CHECK_THAT(error_of(dir.path), Catch::Contains("is a folder, not a regular file"));
  fs::create_symlink("/dev/zero", dir.path / "zero.toml");  // followed, then refused for what it is
  CHECK_THAT(error_of(dir.path / "zero.toml"), Catch::Contains("is a character device"));
}

TEST_CASE("the bounded reader names its size limit", "[input]") {
  TempDir dir;
  std::ofstream(dir.path / "big.toml") << std::string(2048, 'x');
  CHECK_THAT(error_of(dir.path / "big.toml", 1024),
             Catch::EndsWith("big.toml': is larger than 1 KiB, the limit of what labour reads here"));
  CHECK(error_of(dir.path / "big.toml", 2048).empty());  // the limit itself is allowed
  CHECK(labour::size_text(1 << 20) == "1 MiB");
  CHECK(labour::size_text(1ULL << 30) == "1 GiB");
  CHECK(labour::size_text(1000) == "1000 bytes");
}

TEST_CASE("a scenario file is read by the bounded reader, its mix bounded", "[input][scenario]") {
  TempDir dir;
  const fs::path big = dir.path / "big.toml";
  {
    std::ofstream out(big);
    out << "name = \"big\"\nrequests = 1\n";
    for (std::size_t i = 0; i <= labour::scenario::kMaxBehaviours; ++i)
      out << "[[behaviour]]\nname = \"PlainResponse\"\nweight = 1\n";
  }
  CHECK_THROWS_WITH(labour::scenario::load(big.string()),
                    Catch::Contains("the scenario has 1001 [[behaviour]] tables; at most 1000"));
  std::ofstream(dir.path / "huge.toml") << std::string(labour::kMaxScenarioBytes + 1, '#');
  CHECK_THROWS_WITH(labour::scenario::load((dir.path / "huge.toml").string()),
                    Catch::Contains("is larger than 1 MiB"));
  CHECK_THROWS_WITH(labour::scenario::load("/dev/zero.toml"), Catch::Contains("does not exist"));
}
