// PlainResponse: the innocent request. The worker answers `status` with a body of exactly
// `bytes` bytes; the client expects precisely that.
#include <labour/sdk.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

class PlainResponse : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "PlainResponse";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "answers a given status with a body of a given size";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer(
            "status", 200, 100, 599,
            "HTTP status the worker answers with (200..599; 204 and 304 need bytes=0)"),
        labour::sdk::Param::integer("bytes", 6, 0, 100 * kMiB, "exact size of the response body in bytes"),
    };
  }

  PlainResponse(const labour::sdk::Params& p, const labour::sdk::Host&)
      : status_(p.integer("status")), bytes_(p.integer("bytes")) {
    // The worker refuses these too; failing here names the problem before any load.
    if (status_ < 200)
      throw std::invalid_argument("PlainResponse: status " + std::to_string(status_) +
                                  " is an interim (1xx) status; use 200..599");
    if ((status_ == 204 || status_ == 304) && bytes_ != 0)
      throw std::invalid_argument("PlainResponse: a " + std::to_string(status_) +
                                  " response has no body; set bytes=0");
  }

  bool judge(const labour::sdk::Outcome& o) const override {
    return o.http() && o.http_status == status_ && o.body_length == static_cast<std::uint64_t>(bytes_);
  }

  bool innocent() const override { return status_ == 200; }

 private:
  std::int64_t status_;
  std::int64_t bytes_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(PlainResponse)
