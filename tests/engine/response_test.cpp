// The response parser on byte streams, split at every possible point.
#include <catch2/catch.hpp>
#include <string>

#include "engine/response.hpp"

using labour::engine::classify;
using labour::engine::Ending;
using labour::engine::outcome_key;
using labour::engine::ResponseParser;

namespace {
// Feeds `bytes` in pieces of `step` bytes; returns the total consumed.
std::size_t feed_in_steps(ResponseParser& p, const std::string& bytes, std::size_t step) {
  std::size_t used = 0;
  for (std::size_t i = 0; i < bytes.size() && !p.done() && !p.failed(); i += step)
    used += p.feed(bytes.data() + i, std::min(step, bytes.size() - i));
  return used;
}
}  // namespace

TEST_CASE("parser: Content-Length response, split anywhere") {
  const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: b\r\n\r\nhello world";
  for (std::size_t step = 1; step <= r.size(); ++step) {
    ResponseParser p;
    p.reset();
    INFO("step " << step);
    REQUIRE(feed_in_steps(p, r, step) == r.size());
    REQUIRE(p.done());
    REQUIRE(p.status() == 200);
    REQUIRE(p.body() == "hello world");
    REQUIRE(p.body_length() == 11);
    REQUIRE(p.keep_alive());
  }
}

TEST_CASE("parser: chunked response with extensions and trailers, split anywhere") {
  const std::string r =
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
  for (std::size_t step = 1; step <= r.size(); ++step) {
    ResponseParser p;
    p.reset();
    INFO("step " << step);
    REQUIRE(feed_in_steps(p, r, step) == r.size());
    REQUIRE(p.done());
    REQUIRE(p.status() == 201);
    REQUIRE(p.body() == "hello world");
  }
}

TEST_CASE("parser: garbage is rejected at once, even without a newline") {
  ResponseParser p;
  p.reset();
  const std::string junk = "\x16\x03\x01 definitely not http";
  p.feed(junk.data(), 3);
  REQUIRE(p.failed());
  REQUIRE(classify(Ending::Malformed, p) == LABOUR_OUTCOME_MALFORMED_RESPONSE);

  p.reset();
  const std::string bad_status = "HTTP/1.1 2x0 OK\r\n\r\n";
  p.feed(bad_status.data(), bad_status.size());
  REQUIRE(p.failed());

  p.reset();
  const std::string http2 = "HTTP/2 200\r\n\r\n";
  p.feed(http2.data(), http2.size());
  REQUIRE(p.failed());
}

TEST_CASE("parser: oversized heads are capped") {
  ResponseParser p;
  p.reset();
  std::string head = "HTTP/1.1 200 OK\r\n";
  const std::string header = "X-Filler: " + std::string(1000, 'a') + "\r\n";
  std::size_t fed = 0;
  p.feed(head.data(), head.size());
  while (!p.failed() && fed < 10 * ResponseParser::kMaxHeadBytes) {
    p.feed(header.data(), header.size());
    fed += header.size();
  }
  REQUIRE(p.failed());
  REQUIRE(fed <= ResponseParser::kMaxHeadBytes + header.size());

  // One endless header line without a newline is capped too.
  p.reset();
  p.feed(head.data(), head.size());
  const std::string endless(4096, 'b');
  for (int i = 0; i < 100 && !p.failed(); ++i) p.feed(endless.data(), endless.size());
  REQUIRE(p.failed());
}

TEST_CASE("parser: body kept up to 64 KiB, full length counted") {
  const std::size_t n = 200000;
  const std::string r =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" + std::string(n, 'z');
  ResponseParser p;
  p.reset();
  feed_in_steps(p, r, 16384);
  REQUIRE(p.done());
  REQUIRE(p.body_length() == n);
  REQUIRE(p.body().size() == ResponseParser::kBodyKeep);
}

TEST_CASE("parser: connection reuse rules") {
  auto parse = [](const std::string& r, bool head = false) {
    ResponseParser p;
    p.reset(head);
    p.feed(r.data(), r.size());
    return p;
  };
  REQUIRE_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive());
  REQUIRE_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive());
  REQUIRE(parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").keep_alive());
  REQUIRE(parse("HTTP/1.1 200 OK\r\nConnection: x, keep-alive\r\nContent-Length: 0\r\n\r\n").keep_alive());
  REQUIRE(parse("HTTP/1.1 204 No Content\r\n\r\n").done());
  REQUIRE(parse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", true).done());  // HEAD
  // 100 Continue is skipped; the final response counts.
  auto p = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");
  REQUIRE(p.done());
  REQUIRE(p.status() == 404);
  REQUIRE(p.body() == "no");
  // Extra bytes after a response make the connection unusable.
  p.note_extra_bytes();
  REQUIRE_FALSE(p.keep_alive());
}

TEST_CASE("parser: body delimited by close, and truncations") {
  ResponseParser p;
  p.reset();
  const std::string until_close = "HTTP/1.1 200 OK\r\n\r\nsome bytes";
  p.feed(until_close.data(), until_close.size());
  REQUIRE_FALSE(p.done());
  REQUIRE(p.finish_on_eof());
  REQUIRE(p.body() == "some bytes");
  REQUIRE_FALSE(p.keep_alive());
  REQUIRE(classify(Ending::Eof, p) == LABOUR_OUTCOME_HTTP);

  p.reset();
  const std::string short_body = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  p.feed(short_body.data(), short_body.size());
  REQUIRE_FALSE(p.finish_on_eof());
  REQUIRE(classify(Ending::Eof, p) == LABOUR_OUTCOME_TRUNCATED_BODY);
  REQUIRE(p.body_length() == 3);

  p.reset();
  const std::string short_chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
  p.feed(short_chunks.data(), short_chunks.size());
  REQUIRE_FALSE(p.finish_on_eof());
  REQUIRE(classify(Ending::Eof, p) == LABOUR_OUTCOME_TRUNCATED_BODY);

  p.reset();
  const std::string half_status = "HTTP/1.1 2";
  p.feed(half_status.data(), half_status.size());
  REQUIRE(p.started());
  REQUIRE(classify(Ending::Eof, p) == LABOUR_OUTCOME_MALFORMED_RESPONSE);

  p.reset();
  REQUIRE(classify(Ending::Eof, p) == LABOUR_OUTCOME_EOF_BEFORE_RESPONSE);
}

TEST_CASE("parser: invalid framing is malformed") {
  auto fails = [](const std::string& r) {
    ResponseParser p;
    p.reset();
    p.feed(r.data(), r.size());
    return p.failed();
  };
  REQUIRE(fails("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"));
  REQUIRE(fails("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"));
  REQUIRE(fails("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"));
  REQUIRE(fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
  REQUIRE(fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n"));
  REQUIRE(fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n"));
  REQUIRE(fails("HTTP/1.1 200 OK\r\n folded\r\n\r\n"));
  REQUIRE(fails("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"));
  REQUIRE_FALSE(fails("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"));
}

TEST_CASE("classify maps transport endings") {
  ResponseParser p;
  p.reset();
  REQUIRE(classify(Ending::ConnectError, p, ECONNREFUSED) == LABOUR_OUTCOME_CONNECT_REFUSED);
  REQUIRE(classify(Ending::ConnectError, p, ETIMEDOUT) == LABOUR_OUTCOME_CONNECT_TIMEOUT);
  REQUIRE(classify(Ending::ConnectError, p, EMFILE) == LABOUR_OUTCOME_OTHER_ERROR);
  // A listener that died during the handshake: the server's doing, not labour's.
  REQUIRE(classify(Ending::ConnectError, p, ECONNRESET) == LABOUR_OUTCOME_RESET_BEFORE_RESPONSE);
  REQUIRE(labour::engine::local_failure(EMFILE));
  REQUIRE(labour::engine::local_failure(EADDRNOTAVAIL));
  REQUIRE(labour::engine::local_failure(-1));
  REQUIRE_FALSE(labour::engine::local_failure(ECONNRESET));
  REQUIRE_FALSE(labour::engine::local_failure(0));
  REQUIRE(classify(Ending::ConnectTimeout, p) == LABOUR_OUTCOME_CONNECT_TIMEOUT);
  REQUIRE(classify(Ending::ReadError, p, ECONNRESET) == LABOUR_OUTCOME_RESET_BEFORE_RESPONSE);
  REQUIRE(classify(Ending::Timeout, p) == LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT);
  const std::string part = "HTTP/1.1 200 OK\r\n";
  p.feed(part.data(), part.size());
  REQUIRE(classify(Ending::ReadError, p, ECONNRESET) == LABOUR_OUTCOME_RESET_MID_RESPONSE);
  REQUIRE(classify(Ending::Timeout, p) == LABOUR_OUTCOME_TOTAL_TIMEOUT);
}

TEST_CASE("outcome keys are the stable names") {
  REQUIRE(outcome_key(LABOUR_OUTCOME_HTTP, 200) == "http_200");
  REQUIRE(outcome_key(LABOUR_OUTCOME_HTTP, 503) == "http_503");
  REQUIRE(outcome_key(LABOUR_OUTCOME_CONNECT_REFUSED, 0) == "connect_refused");
  REQUIRE(outcome_key(LABOUR_OUTCOME_CONNECT_TIMEOUT, 0) == "connect_timeout");
  REQUIRE(outcome_key(LABOUR_OUTCOME_RESET_BEFORE_RESPONSE, 0) == "reset_before_response");
  REQUIRE(outcome_key(LABOUR_OUTCOME_RESET_MID_RESPONSE, 0) == "reset_mid_response");
  REQUIRE(outcome_key(LABOUR_OUTCOME_EOF_BEFORE_RESPONSE, 0) == "eof_before_response");
  REQUIRE(outcome_key(LABOUR_OUTCOME_TRUNCATED_BODY, 0) == "truncated_body");
  REQUIRE(outcome_key(LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT, 0) == "first_byte_timeout");
  REQUIRE(outcome_key(LABOUR_OUTCOME_TOTAL_TIMEOUT, 0) == "total_timeout");
  REQUIRE(outcome_key(LABOUR_OUTCOME_MALFORMED_RESPONSE, 0) == "malformed_response");
  REQUIRE(outcome_key(LABOUR_OUTCOME_OTHER_ERROR, 0) == "other_error");
}
