// IOBound: the worker reads a given amount of data from /dev/zero or from a file the
// writer put into the app folder, then answers 200. Never a path from the request.
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

class IOBound : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "IOBound";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary =
      "reads data from /dev/zero or a file in the worker, then answers 200";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer("bytes", 1048576, 1, kGiB, "how many bytes the worker reads"),
        labour::sdk::Param::choice("source", "zero", "zero|file",
                                   "zero: /dev/zero; file: its 1 MiB data file, re-read "
                                   "from its start as needed"),
        labour::sdk::Param::integer("block", 65536, 512, 16 * kMiB, "size of each read in bytes"),
    };
  }

  // 1 MiB that is not zeros, so reading the file is distinguishable from reading /dev/zero.
  static std::vector<labour::sdk::File> files() {
    std::string data(1024 * 1024, '\0');
    std::uint32_t x = 0x9e3779b9u;  // xorshift32
    for (auto& c : data) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      c = static_cast<char>(x & 0xff);
    }
    return {{"data", std::move(data)}};
  }

  IOBound(const labour::sdk::Params&, const labour::sdk::Host&) {}

  bool judge(const labour::sdk::Outcome& o) const override { return o.http() && o.http_status == 200; }
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(IOBound)
