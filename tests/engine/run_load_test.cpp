// run_load as a whole: exact counts, keep-alive, threads, the open model, stop, validation.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <numeric>
#include <thread>

#include "engine/engine.hpp"
#include "test_server.hpp"

using namespace labour::engine;
using labour::test::TestServer;

namespace {

Workload two_behaviours(Policy policy = Policy::Random) {
  Workload w;
  PreparedRequest a, b;
  a.target = "/a";
  b.target = "/b";
  b.method = "POST";
  b.body = "payload";
  w.requests = {a, b};
  w.weights = {3, 1};
  w.policy = policy;
  w.seed = 11;
  return w;
}

std::uint64_t total_sent(const LoadResult& r) {
  std::uint64_t n = 0;
  for (const auto& b : r.behaviours) n += b.sent;
  return n;
}

std::uint64_t timeline_sent(const LoadResult& r) {
  std::uint64_t n = 0;
  for (const auto& bucket : r.timeline)
    n += std::accumulate(bucket.sent.begin(), bucket.sent.end(), std::uint64_t{0});
  return n;
}

}  // namespace

TEST_CASE("closed model sends exactly the requested count over threads and connections") {
  TestServer server(labour::test::answer_all());
  for (bool keep_alive : {true, false}) {
    INFO("keep_alive " << keep_alive);
    LoadOptions o;
    o.concurrency = 7;
    o.threads = 2;
    o.requests = 1001;
    o.keep_alive = keep_alive;
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, two_behaviours(), o);
    REQUIRE(total_sent(r) == 1001);
    REQUIRE(r.behaviours[0].outcomes.at("http_200") + r.behaviours[1].outcomes.at("http_200") == 1001);
    REQUIRE(r.behaviours[0].expected + r.behaviours[1].expected == 1001);
    REQUIRE(r.behaviours[0].latency.count() == r.behaviours[0].expected);
    // Weighted 3:1, random: behaviour 0 clearly dominates.
    REQUIRE(r.behaviours[0].sent > 2 * r.behaviours[1].sent);
    REQUIRE(timeline_sent(r) == 1001);
    REQUIRE_FALSE(r.interrupted);
    REQUIRE(r.abandoned == 0);
    if (keep_alive)
      REQUIRE(r.connections_opened == 7);  // every connection reused
    else
      REQUIRE(r.connections_opened == 1001);  // one per request
  }
}

TEST_CASE("a 'Connection: close' response makes the client reconnect") {
  TestServer server(
      labour::test::answer_all("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"));
  LoadOptions o;
  o.concurrency = 2;
  o.requests = 50;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, two_behaviours(), o);
  REQUIRE(total_sent(r) == 50);
  REQUIRE(r.connections_opened == 50);
  REQUIRE(r.behaviours[0].unexpected + r.behaviours[1].unexpected == 0);
}

TEST_CASE("repeat policy sends the exact pattern") {
  TestServer server(labour::test::answer_all());
  LoadOptions o;
  o.concurrency = 1;
  o.requests = 40;  // 10 whole cycles of 3:1
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, two_behaviours(Policy::Repeat), o);
  REQUIRE(r.behaviours[0].sent == 30);
  REQUIRE(r.behaviours[1].sent == 10);
}

TEST_CASE("judge decides expected; latency holds expected outcomes only") {
  TestServer server(labour::test::answer_all());
  Workload w = two_behaviours(Policy::Repeat);
  w.judge = [](std::size_t behaviour, const Observation& o) {
    return behaviour == 0 && o.kind == LABOUR_OUTCOME_HTTP && o.body == "hello";
  };
  LoadOptions o;
  o.concurrency = 2;
  o.requests = 80;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  REQUIRE(r.behaviours[0].expected == r.behaviours[0].sent);
  REQUIRE(r.behaviours[1].unexpected == r.behaviours[1].sent);
  REQUIRE(r.behaviours[1].expected == 0);
  REQUIRE(r.behaviours[1].latency.count() == 0);
  REQUIRE(r.behaviours[0].latency.count() == r.behaviours[0].sent);
}

TEST_CASE("duration-bounded closed model ends and counts what finished") {
  TestServer server(labour::test::answer_all(std::string(labour::test::kOk), std::chrono::milliseconds(5)));
  LoadOptions o;
  o.concurrency = 4;
  o.duration = std::chrono::milliseconds(300);
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, two_behaviours(), o);
  REQUIRE(total_sent(r) > 0);
  REQUIRE(r.abandoned <= 4);
  REQUIRE(timeline_sent(r) == total_sent(r));
  REQUIRE_FALSE(r.timeline.empty());
  REQUIRE(r.timeline_bucket_ms == 100);
}

TEST_CASE("open model: latency from the intended time, late sends counted") {
  // A slow server (50 ms per request) and 2 connections can serve ~40 requests/s; at 200/s
  // requests queue for a connection, so the corrected latency exceeds the service time.
  TestServer server(labour::test::answer_all(std::string(labour::test::kOk), std::chrono::milliseconds(50)));
  Workload w = two_behaviours();
  LoadOptions o;
  o.concurrency = 2;
  o.requests = 30;
  o.rate = 200;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  REQUIRE(total_sent(r) == 30);
  REQUIRE(r.late_sends > 0);
  Histogram corrected, service;
  for (const auto& b : r.behaviours) {
    corrected.merge(b.latency);
    service.merge(b.service_latency);
  }
  REQUIRE(corrected.count() == 30);
  REQUIRE(service.count() == 30);
  REQUIRE(corrected.max() > service.max());
  REQUIRE(corrected.mean() > service.mean());
  for (double p : {50.0, 90.0, 99.0}) REQUIRE(corrected.percentile(p) >= service.percentile(p));
}

TEST_CASE("open model against a fast server sends on schedule with a bounded count") {
  TestServer server(labour::test::answer_all());
  LoadOptions o;
  o.concurrency = 4;
  o.threads = 2;
  o.requests = 50;
  o.rate = 500;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, two_behaviours(), o);
  REQUIRE(total_sent(r) == 50);
  for (const auto& b : r.behaviours) REQUIRE(b.unexpected == 0);
}

TEST_CASE("stop flag ends the load promptly and keeps what was measured") {
  // Every 10th request stalls forever; the rest answer. Stop comes from another thread.
  std::atomic<int> seen{0};
  TestServer server([&seen](int& fd, TestServer& s) {
    while (s.read_request(fd)) {
      if (++seen % 10 == 0) return s.stall();
      TestServer::send_all(fd, labour::test::kOk);
    }
  });
  std::atomic<bool> stop{false};
  std::jthread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  LoadOptions o;
  o.concurrency = 3;
  o.requests = 1000000;  // would take far longer than the stop
  Workload w = two_behaviours();
  w.requests[0].timeout_ms = w.requests[1].timeout_ms = 600000;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o, &stop);
  REQUIRE(r.interrupted);
  REQUIRE(r.abandoned == 3);  // every connection ended up stalled
  REQUIRE(total_sent(r) > 0);
  REQUIRE(total_sent(r) < 1000000);
}

TEST_CASE("errors close the connection and the next request reconnects") {
  // Odd requests on a connection get a reset, even ones an answer.
  TestServer server([](int& fd, TestServer& s) {
    if (!s.read_request(fd)) return;
    TestServer::reset(fd);
  });
  LoadOptions o;
  o.concurrency = 2;
  o.requests = 20;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, two_behaviours(), o);
  REQUIRE(total_sent(r) == 20);
  REQUIRE(r.connections_opened == 20);
  std::uint64_t resets = 0;
  for (const auto& b : r.behaviours)
    resets += b.outcomes.count("reset_before_response") ? b.outcomes.at("reset_before_response") : 0;
  REQUIRE(resets == 20);
}

TEST_CASE("bad options and targets are refused") {
  Workload w = two_behaviours();
  LoadOptions o;
  const Target local{"127.0.0.1", 8080};
  o.requests = 0;
  o.duration = std::chrono::milliseconds(0);
  REQUIRE_THROWS_AS(run_load(local, w, o), std::invalid_argument);
  o.requests = 10;
  REQUIRE_THROWS_AS(run_load(Target{"127.0.0.1", 0}, w, o), std::invalid_argument);
  REQUIRE_THROWS_AS(run_load(Target{"10.1.2.3", 80}, w, o), std::invalid_argument);
  REQUIRE_THROWS_AS(run_load(Target{"192.168.0.1", 80}, w, o), std::invalid_argument);
  LoadOptions zero = o;
  zero.concurrency = 0;
  REQUIRE_THROWS_AS(run_load(local, w, zero), std::invalid_argument);
  for (const double rate : {1e-10, 1e-300, -1.0}) {  // 1/rate would overflow the schedule's clock
    LoadOptions slow = o;
    slow.rate = rate;
    REQUIRE_THROWS_AS(run_load(local, w, slow), std::invalid_argument);
  }
  Workload bad = w;
  bad.weights = {1};
  REQUIRE_THROWS_AS(run_load(local, bad, o), std::invalid_argument);
  bad = w;
  bad.weights = {0, 0};  // nothing in the mix to count requests of
  REQUIRE_THROWS_AS(run_load(local, bad, o), std::invalid_argument);
  bad = w;
  bad.requests[0].target = "/a b";
  REQUIRE_THROWS_AS(run_load(local, bad, o), std::invalid_argument);
  bad = w;
  bad.requests[0].target = "/x\r\nInjected: 1";
  REQUIRE_THROWS_AS(run_load(local, bad, o), std::invalid_argument);
  try {
    run_load(Target{"10.1.2.3", 80}, w, o);
  } catch (const std::invalid_argument& e) {
    REQUIRE(std::string(e.what()).find("10.1.2.3") != std::string::npos);
  }
}

TEST_CASE("a behaviour's own headers are sent after Host, and framing headers stay labour's") {
  std::mutex mutex;
  std::string head;
  TestServer server([&](int& fd, TestServer& s) {
    std::string data;
    char buf[4096];
    while (data.find("\r\n\r\n") == std::string::npos && s.wait_readable(fd)) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
    }
    {
      std::lock_guard lock(mutex);
      head = data.substr(0, data.find("\r\n\r\n") + 4);
    }
    TestServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  });
  Workload w;
  PreparedRequest r;
  r.method = "POST";
  r.target = "/upload";
  r.body = "abc";
  r.headers = {{"X-Labour-Test", "one two"}, {"Content-Type", "text/plain"}};
  w.requests = {r};
  w.weights = {1};
  LoadOptions o;
  o.concurrency = 1;
  o.requests = 1;
  const LoadResult result = run_load(Target{"127.0.0.1", server.port()}, w, o);
  REQUIRE(result.behaviours[0].outcomes.at("http_200") == 1);
  std::lock_guard lock(mutex);
  CHECK(head.find("POST /upload HTTP/1.1\r\nHost: 127.0.0.1:") == 0);
  CHECK(head.find("\r\nX-Labour-Test: one two\r\n") != std::string::npos);
  CHECK(head.find("\r\nContent-Type: text/plain\r\n") != std::string::npos);
  CHECK(head.find("application/octet-stream") == std::string::npos);  // the behaviour's type, not a default
  CHECK(head.find("\r\nContent-Length: 3\r\n") != std::string::npos);

  const Target local{"127.0.0.1", server.port()};
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"Content-Length", "9"},
                                                        {"transfer-encoding", "chunked"},
                                                        {"Host", "x"},
                                                        {"Connection", "close"},
                                                        {"Bad Name", "x"},
                                                        {"", "x"},
                                                        {"X-Split", "a\r\nInjected: 1"},
                                                        {"X-Nul", std::string("a\0b", 3)}}) {
    INFO(name);
    Workload bad = w;
    bad.requests[0].headers = {{name, value}};
    REQUIRE_THROWS_AS(run_load(local, bad, o), std::invalid_argument);
  }
}

TEST_CASE("loopback names and IPv6 loopback are accepted") {
  TestServer server(labour::test::answer_all());
  LoadOptions o;
  o.concurrency = 1;
  o.requests = 3;
  const LoadResult r = run_load(Target{"localhost", server.port()}, two_behaviours(), o);
  // localhost may resolve to ::1 first, where the IPv4-only test server is not listening.
  REQUIRE(total_sent(r) == 3);
}

TEST_CASE("an idle kept-alive connection closed by the server is not blamed on the next request") {
  // The server promises keep-alive (HTTP/1.1, no "Connection: close") but closes after one
  // response, like a server whose keep-alive timeout expired. At 20 requests/s the connection
  // is idle between requests, so the client notices the close and reconnects first.
  TestServer server([](int& fd, TestServer& s) {
    if (s.read_request(fd)) TestServer::send_all(fd, labour::test::kOk);
  });
  LoadOptions o;
  o.concurrency = 1;
  o.requests = 5;
  o.rate = 20;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, two_behaviours(), o);
  REQUIRE(total_sent(r) == 5);
  REQUIRE(r.behaviours[0].unexpected + r.behaviours[1].unexpected == 0);
  REQUIRE(r.connections_opened == 5);
}

TEST_CASE("the timeline counts a request by its send time, and its outcome by when it came") {
  // The first connection's first answer takes 350 ms; everything else is immediate.
  std::atomic<int> connections{0};
  TestServer server([&connections](int& fd, TestServer& s) {
    const bool slow = connections++ == 0;
    bool first = true;
    while (s.read_request(fd)) {
      if (slow && first) s.sleep_or_stop(std::chrono::milliseconds(350));
      first = false;
      TestServer::send_all(fd, labour::test::kOk);
    }
  });
  Workload w;
  w.requests = {PreparedRequest{}};
  w.weights = {1};
  LoadOptions o;
  o.concurrency = 2;
  o.requests = 3;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  REQUIRE(r.timeline.size() >= 4);
  CHECK(r.timeline[0].sent[0] == 3);       // all three went out at once ...
  CHECK(r.timeline[0].completed[0] == 2);  // ... two came back at once ...
  std::uint64_t late = 0;
  for (std::size_t i = 3; i < r.timeline.size(); ++i) late += r.timeline[i].completed[0];
  CHECK(late == 1);  // ... and the slow one 300+ ms later, still counted as sent in bucket 0
  CHECK(r.timeline[0].expected[0] == 3);
}

TEST_CASE("spaced policy follows the schedule over all connections") {
  TestServer server(labour::test::answer_all());
  Workload w = two_behaviours(Policy::Spaced);
  w.schedule = spaced_schedule(w.weights, {0, 5}, 12);  // 3:1 would give 3; the minimum says 5
  LoadOptions o;
  o.concurrency = 3;
  o.requests = 12;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  CHECK(r.behaviours[1].sent == 5);
  CHECK(r.behaviours[0].sent == 7);
  w.schedule.clear();
  CHECK_THROWS_AS(run_load(Target{"127.0.0.1", server.port()}, w, o), std::invalid_argument);
}

TEST_CASE("early ends: stalled, recovered, and ended by the host") {
  Workload w;
  w.requests = {PreparedRequest{}};
  w.weights = {1};
  w.innocent = {true};
  LoadOptions o;
  o.concurrency = 2;
  o.duration = std::chrono::seconds(5);

  SECTION("stalled: innocent requests fail and none succeeds") {
    TestServer server([](int& fd, TestServer& s) {
      if (s.read_request(fd)) TestServer::reset(fd);
    });
    o.end_when_stalled = std::chrono::milliseconds(200);
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
    CHECK(r.ended_by == LoadEnd::Stalled);
    CHECK(r.duration_s < 2.0);
    CHECK(r.behaviours[0].unexpected > 0);
    CHECK(r.behaviours[0].responses == 0);
  }
  SECTION("recovered: enough innocent successes in a row") {
    TestServer server(labour::test::answer_all());
    o.end_after_successes = 10;
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
    CHECK(r.ended_by == LoadEnd::Recovered);
    CHECK(r.duration_s < 2.0);
    CHECK(r.behaviours[0].expected >= 10);
    REQUIRE(r.recovered_at_s);
    CHECK(*r.recovered_at_s >= 0);
    CHECK(*r.recovered_at_s < r.duration_s);
  }
  SECTION("recovered needs answers within the latency limit") {
    TestServer server(
        labour::test::answer_all(std::string(labour::test::kOk), std::chrono::milliseconds(30)));
    o.end_after_successes = 3;
    o.recovered_latency_us = 5000;  // every answer takes 30 ms: never "back"
    o.duration = std::chrono::milliseconds(500);
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
    CHECK(r.ended_by == LoadEnd::Duration);
    CHECK_FALSE(r.recovered_at_s);
    CHECK(r.behaviours[0].expected > 3);
  }
  SECTION("ended by the host") {
    TestServer server(labour::test::answer_all(std::string(labour::test::kOk), std::chrono::milliseconds(2)));
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    o.end_now = [until] { return std::chrono::steady_clock::now() >= until; };
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
    CHECK(r.ended_by == LoadEnd::EndNow);
    CHECK(r.duration_s < 2.0);
  }
}

TEST_CASE("unexpected outcomes keep their own latency, and responses count HTTP answers only") {
  TestServer server(labour::test::answer_all());
  Workload w = two_behaviours(Policy::Repeat);
  w.judge = [](std::size_t behaviour, const Observation&) { return behaviour == 0; };
  LoadOptions o;
  o.concurrency = 2;
  o.requests = 40;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  CHECK(r.behaviours[1].unexpected_latency.count() == r.behaviours[1].sent);
  CHECK(r.behaviours[0].unexpected_latency.count() == 0);
  CHECK(r.behaviours[0].responses + r.behaviours[1].responses == 40);
}
