// A mix of innocent requests and misbehaviours: the two pools of connections, the exact dose,
// misbehaviours held at the end, a judge that throws, and one sequence per thread.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "engine/engine.hpp"
#include "test_server.hpp"

using namespace labour::engine;
using labour::test::TestServer;

namespace {

// Answers every request with 200 on a kept-alive connection; GET /slow only after `slow`.
TestServer::Handler slow_path(std::chrono::milliseconds slow) {
  return [slow](int& fd, TestServer& s) {
    std::string data;
    char buf[4096];
    for (;;) {
      std::size_t end;
      while ((end = data.find("\r\n\r\n")) == std::string::npos) {
        if (!s.wait_readable(fd)) return;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        data.append(buf, static_cast<std::size_t>(n));
      }
      const bool is_slow = data.rfind("GET /slow ", 0) == 0;
      data.erase(0, end + 4);
      if (is_slow) s.sleep_or_stop(slow);
      TestServer::send_all(fd, labour::test::kOk);
    }
  };
}

// Innocent /plain at `plain`, a misbehaving /slow at `bad`, on the spaced policy.
Workload mix(std::uint32_t plain, std::uint32_t bad, std::uint64_t length) {
  Workload w;
  PreparedRequest a, b;
  a.target = "/plain";
  b.target = "/slow";
  w.requests = {a, b};
  w.weights = {plain, bad};
  w.innocent = {true, false};
  w.policy = Policy::Spaced;
  w.schedule = spaced_schedule(w.weights, {}, length);
  return w;
}

}  // namespace

TEST_CASE("innocent requests keep their connection; each misbehaviour gets a fresh one") {
  TestServer server(slow_path(std::chrono::milliseconds(0)));
  const Workload w = mix(95, 5, 100);
  LoadOptions o;
  o.concurrency = 1;
  o.requests = 100;
  const auto r = run_load({"127.0.0.1", server.port()}, w, o);
  CHECK(r.behaviours[0].sent >= 95);  // more if a misbehaviour outlasted the count (observers)
  CHECK(r.behaviours[1].sent == 5);
  // One kept-alive innocent connection, and one connection per misbehaviour, closed after it.
  CHECK(r.connections_opened == 1 + 5);
  CHECK(r.resends == 0);
}

TEST_CASE("innocent requests never wait behind a misbehaviour, and observe until it ends") {
  // The one misbehaviour takes 600 ms; innocent requests go on meanwhile, past their count.
  TestServer server(slow_path(std::chrono::milliseconds(600)));
  const Workload w = mix(199, 1, 200);
  LoadOptions o;
  o.concurrency = 1;
  o.requests = 200;
  o.timeline_bucket_ms = 100;
  const auto r = run_load({"127.0.0.1", server.port()}, w, o);
  REQUIRE(r.behaviours[1].sent == 1);
  CHECK(r.behaviours[0].expected >= 199);
  CHECK(r.behaviours[0].unexpected == 0);
  // Innocent answers arrived in (nearly) every bucket while the misbehaviour ran.
  std::size_t sent_at = 0, done_at = 0, observed = 0;
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    if (r.timeline[i].sent[1]) sent_at = i;
    if (r.timeline[i].completed[1]) done_at = i;
  }
  for (std::size_t i = sent_at + 1; i < done_at; ++i) observed += r.timeline[i].completed[0] > 0 ? 1 : 0;
  CHECK(done_at - sent_at >= 5);
  CHECK(observed + 1 >= done_at - sent_at - 1);
  CHECK(r.behaviours[0].latency.percentile(100) < 600000);
}

TEST_CASE("a misbehaviour in flight when the duration ends was sent: held, not abandoned") {
  TestServer server(slow_path(std::chrono::milliseconds(5000)));
  const Workload w = mix(1, 1, 2);
  LoadOptions o;
  o.concurrency = 1;
  o.duration = std::chrono::milliseconds(300);
  const auto r = run_load({"127.0.0.1", server.port()}, w, o);
  REQUIRE(r.behaviours[1].sent == 1);
  CHECK(r.behaviours[1].outcomes.at("held") == 1);
  CHECK(r.innocent_abandoned == r.abandoned);  // what was abandoned was innocent
}

TEST_CASE("a judge that throws is counted against its behaviour") {
  TestServer server(slow_path(std::chrono::milliseconds(0)));
  Workload w = mix(9, 1, 10);
  w.judge = [](std::size_t behaviour, const Observation&) -> bool {
    if (behaviour == 1) throw std::runtime_error("this judge fails");
    return true;
  };
  LoadOptions o;
  o.concurrency = 2;
  o.requests = 100;
  const auto r = run_load({"127.0.0.1", server.port()}, w, o);
  CHECK(r.behaviours[0].judge_errors == 0);
  CHECK(r.behaviours[1].judge_errors == r.behaviours[1].sent);
  CHECK(r.behaviours[1].sent == 10);
  CHECK(r.behaviours[1].unexpected == 10);
}

TEST_CASE("a seed gives the same sequence whatever the concurrency") {
  TestServer server(labour::test::answer_all());
  Workload w;
  PreparedRequest a, b, c;
  a.target = "/a";
  b.target = "/b";
  c.target = "/c";
  w.requests = {a, b, c};
  w.weights = {5, 3, 2};
  w.seed = 42;
  for (const Policy policy : {Policy::Random, Policy::Repeat}) {
    w.policy = policy;
    std::vector<std::uint64_t> first;
    for (const std::uint32_t concurrency : {1u, 4u, 9u}) {
      INFO("policy " << static_cast<int>(policy) << ", concurrency " << concurrency);
      LoadOptions o;
      o.concurrency = concurrency;
      o.requests = 333;
      const auto r = run_load({"127.0.0.1", server.port()}, w, o);
      std::vector<std::uint64_t> sent;
      for (const auto& s : r.behaviours) sent.push_back(s.sent);
      if (first.empty()) first = sent;
      CHECK(sent == first);
    }
  }
}
