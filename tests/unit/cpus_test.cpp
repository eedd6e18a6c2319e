// CPU lists and the server/client split (common/cpus.hpp).
#include <catch2/catch.hpp>

#include "common/cpus.hpp"
#include "common/errors.hpp"

using labour::CpuList;

namespace {
const CpuList eight{0, 1, 2, 3, 4, 5, 6, 7};

std::string usage_error(const std::string& text, const CpuList& allowed) {
  try {
    labour::parse_cpu_list(text, "--server-cpus '" + text + "'", allowed);
  } catch (const labour::UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("CPU lists are read in taskset's syntax and written back in it") {
  CHECK(labour::parse_cpu_list("3", "x", eight) == CpuList{3});
  CHECK(labour::parse_cpu_list("0-2,5", "x", eight) == CpuList{0, 1, 2, 5});
  CHECK(labour::parse_cpu_list("5,0-2,1", "x", eight) == CpuList{0, 1, 2, 5});
  CHECK(labour::format_cpu_list({0, 1, 2, 5}) == "0-2,5");
  CHECK(labour::format_cpu_list({1, 3, 4}) == "1,3-4");
  CHECK(labour::format_cpu_list({}) == "");
}

TEST_CASE("a bad CPU list is refused naming the input and what the machine allows") {
  for (const std::string bad : {"", "a", "1-", "-1", "2-1", "1,,2", "1.5"}) {
    const std::string why = usage_error(bad, eight);
    INFO(bad);
    CHECK(why.find("--server-cpus '" + bad + "': not a CPU list") == 0);
    CHECK(why.find("this machine allows 0-7") != std::string::npos);
  }
  CHECK(usage_error("1,9", eight) == "--server-cpus '1,9': CPU 9 is not available (this machine allows 0-7)");
  CHECK(usage_error("0", {1, 2}).find("CPU 0 is not available (this machine allows 1-2)") !=
        std::string::npos);
}

TEST_CASE("the automatic split gives the client the last CPUs, one per thread, at most half") {
  CHECK(labour::split_cpus({0, 1}, 1).server == CpuList{0});
  CHECK(labour::split_cpus({0, 1}, 1).client == CpuList{1});
  CHECK(labour::split_cpus({0, 1}, 4).client == CpuList{1});
  CHECK(labour::split_cpus(eight, 2).server == CpuList{0, 1, 2, 3, 4, 5});
  CHECK(labour::split_cpus(eight, 2).client == CpuList{6, 7});
  CHECK(labour::split_cpus(eight, 64).client == CpuList{4, 5, 6, 7});
  CHECK(labour::split_cpus({3}, 1).server.empty());
  CHECK(labour::split_cpus({3}, 1).client.empty());
}

TEST_CASE("pinning: one side given, the other gets the rest; --no-pin pins nothing") {
  labour::Pinning pin;
  pin.allowed = {0, 1, 2, 3};
  pin.server = CpuList{0, 1};
  CHECK(pin.plan(1).client == CpuList{2, 3});
  pin.server.reset();
  pin.client = CpuList{0};
  CHECK(pin.plan(1).server == CpuList{1, 2, 3});
  pin.server = CpuList{0};  // both given: taken as they are, even overlapping
  CHECK(pin.plan(1).server == CpuList{0});
  CHECK(pin.plan(1).client == CpuList{0});
  pin.enabled = false;
  CHECK(pin.plan(1).server.empty());
  CHECK(pin.plan(1).client.empty());
}

TEST_CASE("a thread pin lasts as long as its scope, then the thread gets its CPUs back") {
  const CpuList before = labour::allowed_cpus();
  REQUIRE_FALSE(before.empty());
  {
    labour::ThreadPin pin({before.back()});
    CHECK(pin.pinned());
    CHECK(labour::allowed_cpus() == CpuList{before.back()});
    labour::ThreadPin nothing({});
    CHECK_FALSE(nothing.pinned());
  }
  CHECK(labour::allowed_cpus() == before);
}
