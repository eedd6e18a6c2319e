// ReadInput: the request is a POST with a body, and the application reads all of it, the
// partner of slow uploads. mode=length reads CONTENT_LENGTH bytes, as PEP 3333 asks;
// mode=all calls wsgi.input.read() with no size, a common bug: servers that hand the
// application the raw socket (wsgiref, werkzeug) then wait for an end of input that never
// comes, while those that bound wsgi.input (gunicorn, uWSGI, waitress, cheroot) answer.
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

class ReadInput : public labour::sdk::Behaviour {
 public:
  static constexpr const char* name = "ReadInput";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "reads the whole request body of a POST, answers 200 with its size";
  static constexpr const char* method = "POST";
  static std::vector<labour::sdk::Param> params() {
    return {
        labour::sdk::Param::integer("bytes", 65536, 0, 256 * kMiB, "bytes of the request body"),
        labour::sdk::Param::choice("mode", "length", "length|all",
                                   "length: read(CONTENT_LENGTH); all: read() with no size"),
    };
  }

  ReadInput(const labour::sdk::Params& p, const labour::sdk::Host&)
      : bytes_(static_cast<std::size_t>(p.integer("bytes"))),
        answer_("read " + std::to_string(bytes_) + " bytes\n") {}

  labour::sdk::Request request() override {
    return {method, route(), std::string(bytes_, 'u'), {{"Content-Type", "application/octet-stream"}}};
  }

  // Expected: 200 with every byte of the body read.
  bool judge(const labour::sdk::Outcome& o) const override {
    return o.http() && o.http_status == 200 && o.body == answer_;
  }

 private:
  std::size_t bytes_;
  std::string answer_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(ReadInput)
