// Every outcome category, produced for real by a misbehaving server on 127.0.0.1.
#include <sys/resource.h>
#include <unistd.h>

#include <boost/system/system_error.hpp>

#include <catch2/catch.hpp>

#include "engine/engine.hpp"
#include "test_server.hpp"

using namespace labour::engine;
using labour::test::TestServer;

namespace {

// One request against `port`; returns the outcome key it produced, checking the counts add up.
std::string one_request(std::uint16_t port, std::uint32_t timeout_ms = 2000,
                        std::uint32_t connect_timeout_ms = 2000, Observation* seen = nullptr,
                        std::uint64_t* client_errors = nullptr) {
  Workload w;
  PreparedRequest r;
  r.target = "/probe?x=1";
  r.timeout_ms = timeout_ms;
  w.requests = {r};
  w.weights = {1};
  w.judge = [seen](std::size_t, const Observation& o) {
    if (seen) {
      *seen = o;
      seen->body = {};  // not valid after the call
    }
    return o.kind == LABOUR_OUTCOME_HTTP;
  };
  LoadOptions o;
  o.concurrency = 1;
  o.requests = 1;
  o.connect_timeout_ms = connect_timeout_ms;
  const LoadResult result = run_load(Target{"127.0.0.1", port}, w, o);
  if (client_errors) *client_errors = result.client_errors;
  REQUIRE(result.behaviours.size() == 1);
  const BehaviourStats& s = result.behaviours[0];
  REQUIRE(s.sent == 1);
  REQUIRE(s.outcomes.size() == 1);
  REQUIRE(s.outcomes.begin()->second == 1);
  return s.outcomes.begin()->first;
}

std::uint16_t closed_port() {
  // A port that was just bound and released: nobody listens there.
  TestServer s([](int&, TestServer&) {}, 1, false);
  return s.port();
}

}  // namespace

TEST_CASE("outcome http_200 and the body reaches the judge") {
  TestServer server(labour::test::answer_all());
  Observation o;
  REQUIRE(one_request(server.port(), 2000, 2000, &o) == "http_200");
  REQUIRE(o.http_status == 200);
  REQUIRE(o.body_length == 5);
}

TEST_CASE("outcome http_503 with a chunked body") {
  TestServer server(labour::test::answer_all(
      "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbusy\r\n0\r\n\r\n"));
  REQUIRE(one_request(server.port()) == "http_503");
}

TEST_CASE("outcome connect_refused") { REQUIRE(one_request(closed_port()) == "connect_refused"); }

TEST_CASE("outcome connect_timeout") {
  // A listener that never accepts, with a full accept queue: further SYNs are dropped.
  TestServer server([](int&, TestServer&) {}, 0, false);
  const labour::test::FullAcceptQueue full(server.port(), 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(one_request(server.port(), 2000, 300) == "connect_timeout");
}

TEST_CASE("outcome eof_before_response") {
  TestServer server([](int& fd, TestServer& s) { s.read_request(fd); });  // then closes
  REQUIRE(one_request(server.port()) == "eof_before_response");
}

TEST_CASE("outcome reset_before_response") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    TestServer::reset(fd);
  });
  REQUIRE(one_request(server.port()) == "reset_before_response");
}

TEST_CASE("outcome reset_mid_response") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    TestServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
    s.sleep_or_stop(std::chrono::milliseconds(200));  // let the client read it first
    TestServer::reset(fd);
  });
  REQUIRE(one_request(server.port()) == "reset_mid_response");
}

TEST_CASE("outcome truncated_body with Content-Length") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    TestServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
  });
  Observation o;
  REQUIRE(one_request(server.port(), 2000, 2000, &o) == "truncated_body");
  REQUIRE(o.body_length == 9);
}

TEST_CASE("outcome truncated_body with chunks") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    TestServer::send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort");
  });
  REQUIRE(one_request(server.port()) == "truncated_body");
}

TEST_CASE("outcome first_byte_timeout") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    s.stall();
  });
  REQUIRE(one_request(server.port(), 200) == "first_byte_timeout");
}

TEST_CASE("outcome total_timeout (stalls mid-body)") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    TestServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
    s.stall();
  });
  REQUIRE(one_request(server.port(), 200) == "total_timeout");
}

TEST_CASE("outcome total_timeout (a body that never ends)") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    TestServer::send_all(fd, "HTTP/1.1 200 OK\r\n\r\n");
    while (!s.stopping()) {
      TestServer::send_all(fd, std::string(1024, 'x'));
      s.sleep_or_stop(std::chrono::milliseconds(10));
    }
  });
  REQUIRE(one_request(server.port(), 300) == "total_timeout");
}

TEST_CASE("outcome malformed_response (garbage bytes)") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    TestServer::send_all(fd, "\x01\x02garbage that is not HTTP\r\n\r\n");
    s.stall();  // decided from the bytes alone, not from the close
  });
  REQUIRE(one_request(server.port(), 5000) == "malformed_response");
}

TEST_CASE("outcome malformed_response (half a status line, then close)") {
  TestServer server([](int& fd, TestServer& s) {
    s.read_request(fd);
    TestServer::send_all(fd, "HTTP/1.1 20");
  });
  REQUIRE(one_request(server.port()) == "malformed_response");
}

TEST_CASE("outcome other_error (no file descriptor left for the socket)") {
#ifdef __SANITIZE_ADDRESS__
  // Starved of descriptors, the sanitizer runtime and Boost.Asio's own error paths fail
  // before the engine's socket does (UBSan flags them): this case runs in the plain build.
  WARN("skipped under AddressSanitizer");
  return;
#endif
  TestServer server(labour::test::answer_all());
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  // A new descriptor takes the lowest free number and must stay below the limit, so a
  // limit at the lowest free number leaves no room at all. Raise it one slot at a time:
  // the first run whose event loop gets made has no slot left for its socket, a local
  // error. Counting open descriptors instead is wrong when the parent left holes.
  const int lowest_free = ::dup(0);
  REQUIRE(lowest_free >= 0);
  ::close(lowest_free);
  struct RestoreLimit {
    rlimit saved;
    ~RestoreLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  } restore{saved};
  std::string key;
  std::uint64_t client_errors = 0;
  for (int extra = 0; extra < 32 && key.empty(); ++extra) {
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(lowest_free + extra);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
    try {
      key = one_request(server.port(), 2000, 2000, nullptr, &client_errors);
    } catch (const boost::system::system_error&) {
      // not even the event loop could be made; allow one more descriptor
    }
    ::setrlimit(RLIMIT_NOFILE, &saved);
  }
  REQUIRE(key == "other_error");
  REQUIRE(client_errors == 1);  // labour's own failure, so a verdict can be inconclusive
}

TEST_CASE("a request whose server went away with it is its close, not the refused resend") {
  // A kept-alive connection that closes before any byte of the answer is resent once on a
  // fresh connection (a keep-alive close from the server is not the request's outcome). When
  // nothing listens for the resend, the server died with the request: that close is the
  // outcome, as for a worker that crashed on it.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread server([listener] {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    auto read_head = [fd] {
      std::string data;
      char buf[4096];
      while (data.find("\r\n\r\n") == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) return false;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        data.append(buf, static_cast<std::size_t>(n));
      }
      return true;
    };
    if (read_head()) TestServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    if (read_head()) ::close(listener);  // the second request takes the server down with it
    ::close(fd);
  });
  Workload w;
  PreparedRequest r;
  r.target = "/crash-on-the-second";
  w.requests = {r};
  w.weights = {1};
  LoadOptions o;
  o.concurrency = 1;
  o.requests = 2;
  const LoadResult result = run_load(Target{"127.0.0.1", ntohs(addr.sin_port)}, w, o);
  server.join();
  const auto& outcomes = result.behaviours[0].outcomes;
  CHECK(outcomes.at("http_200") == 1);
  CHECK(outcomes.at("eof_before_response") == 1);
  CHECK(outcomes.count("connect_refused") == 0);
}
