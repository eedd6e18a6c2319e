// MalformedRequest: bytes that are not a valid HTTP/1.1 request (RFC 9112), of one `kind`. A
// careful server answers 400 (or closes); one that is lenient passes them to the application,
// which is how request smuggling starts when a proxy reads the same bytes another way.
#include <labour/sdk.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace sdk = labour::sdk;

class MalformedRequest : public sdk::ClientBehaviour {
 public:
  static constexpr const char* name = "MalformedRequest";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* summary = "sends a request that breaks HTTP/1.1 in one way (`kind`)";
  static constexpr const char* method = "POST";
  static constexpr const char* kinds =
      "tls_hello|bad_version|no_colon|nul_in_header|two_lengths|negative_length|bad_chunk_size|"
      "length_and_chunked";
  static std::vector<sdk::Param> params() {
    return {
        sdk::Param::integer("connections", 1, 1, 100000, "such clients at once, beside the mix"),
        sdk::Param::choice(
            "kind", "bad_chunk_size", kinds,
            "tls_hello: a TLS ClientHello on the plain port; bad_version: HTTP/7.0; no_colon: a header "
            "line without ':'; nul_in_header: a NUL in a header value; two_lengths: two different "
            "Content-Lengths; negative_length: Content-Length -1; bad_chunk_size: a chunk size that is "
            "not hex; length_and_chunked: Content-Length and chunked (RFC 9112 6.3: chunked wins, a "
            "server may refuse)"),
    };
  }

  MalformedRequest(const sdk::Params& p, const sdk::Host&)
      : connections_(static_cast<std::uint32_t>(p.integer("connections"))), kind_(p.text("kind")) {}

  sdk::Request request() override { return {method, route(), {}, {}}; }

  sdk::Script script() override { return {{sdk::Step::send(bytes()), sdk::Step::read()}, connections_, 100}; }

  // Expected: refused by the server (a 4xx, or the 501 and 505 of RFC 9112 for a transfer
  // coding or a version it does not take) or closed before an answer; for length_and_chunked a
  // 200 too, which RFC 9112 allows. Unexpected: the application reached (a 2xx, or the worker
  // app's own 404 or 405 for bytes whose request line the server made something of), another
  // 5xx, an answer that is not HTTP/1.x (an HTTP/0.9 reply), no answer in time.
  bool judge(const sdk::Outcome& o) const override {
    if (o.http() && kind_ == "length_and_chunked" && o.http_status == 200) return true;
    if (o.http())
      return (o.refused() || o.http_status == 501 || o.http_status == 505) && !from_the_worker_app(o.body);
    return o.closed_before_response();
  }

 private:
  std::string bytes() const {
    const std::string target = route();
    auto head = [&](const std::string& version, const std::string& headers) {
      return "POST " + target + " " + version + "\r\nHost: localhost\r\nUser-Agent: labour\r\n" + headers;
    };
    if (kind_ == "tls_hello")  // the first bytes of a TLS 1.2 ClientHello record
      return std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11) + std::string(32, '\x01') +
             "\r\n\r\n";
    if (kind_ == "bad_version") return head("HTTP/7.0", "Content-Length: 0\r\n\r\n");
    if (kind_ == "no_colon") return head("HTTP/1.1", "X-Labour-Broken\r\nContent-Length: 0\r\n\r\n");
    if (kind_ == "nul_in_header")
      return head("HTTP/1.1", std::string("X-Labour: a") + '\0' + "b\r\nContent-Length: 0\r\n\r\n");
    if (kind_ == "two_lengths")
      return head("HTTP/1.1", "Content-Length: 5\r\nContent-Length: 7\r\n\r\nsmuggle");
    if (kind_ == "negative_length") return head("HTTP/1.1", "Content-Length: -1\r\n\r\n");
    if (kind_ == "bad_chunk_size")
      return head("HTTP/1.1", "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    // length_and_chunked
    return head("HTTP/1.1", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  }

  // The dispatcher's own answers (core/workerapp/labour_app.py): a path or a method it has no
  // behaviour for. A server that sends these passed the malformed request on.
  static bool from_the_worker_app(std::string_view body) {
    return body.rfind("no behaviour at ", 0) == 0 ||
           (body.rfind("method ", 0) == 0 && body.find(" not allowed at ") != std::string_view::npos);
  }

  std::uint32_t connections_;
  std::string kind_;
};

}  // namespace

LABOUR_BEHAVIOUR_PLUGIN(MalformedRequest)
