// LoadOptions::live: the live view of a running load agrees with what run_load returns, and
// moves while the load runs.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "engine/engine.hpp"
#include "test_server.hpp"

using namespace labour::engine;
using labour::test::TestServer;

namespace {

struct Totals {
  std::uint64_t done = 0, innocent_done = 0, innocent_unexpected = 0;
};

Totals totals(const LoadResult& r, const std::vector<bool>& innocent) {
  Totals t;
  for (std::size_t b = 0; b < r.behaviours.size(); ++b) {
    t.done += r.behaviours[b].sent;
    if (innocent[b]) {
      t.innocent_done += r.behaviours[b].sent;
      t.innocent_unexpected += r.behaviours[b].unexpected;
    }
  }
  return t;
}

// Behaviour 0 innocent and judged expected on a 200; behaviour 1 not innocent; behaviour 2
// innocent and answered 404 by the server (unexpected).
Workload three_behaviours() {
  Workload w;
  PreparedRequest a, b, c;
  a.target = "/a";
  b.target = "/b";
  c.target = "/missing";
  w.requests = {a, b, c};
  w.weights = {5, 3, 2};
  w.policy = Policy::Random;
  w.seed = 7;
  w.innocent = {true, false, true};
  return w;
}

TestServer::Handler answer_by_path(std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
  return [delay](int& fd, TestServer& s) {
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
      const bool missing = data.rfind("GET /missing ", 0) == 0;
      data.erase(0, end + 4);
      if (delay.count() > 0) s.sleep_or_stop(delay);
      TestServer::send_all(fd, missing ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                                       : std::string(labour::test::kOk));
    }
  };
}

}  // namespace

TEST_CASE("live counters match the load's totals") {
  TestServer server(answer_by_path());
  const Workload w = three_behaviours();
  for (std::uint32_t threads : {1u, 3u}) {
    INFO("threads " << threads);
    LiveCounters live;
    LoadOptions o;
    o.concurrency = 6;
    o.threads = threads;
    o.requests = 2000;
    o.live = &live;
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
    const Totals t = totals(r, w.innocent);
    // The count, and innocent requests that observed past it while its misbehaviours ended.
    REQUIRE(t.done >= 2000);
    REQUIRE(t.done - t.innocent_done <= 2000);
    CHECK(live.done.load() == t.done);
    CHECK(live.sent.load() == t.done + r.abandoned);
    CHECK(live.innocent_done.load() == t.innocent_done);
    CHECK(live.innocent_unexpected.load() == t.innocent_unexpected);
    CHECK(t.innocent_unexpected == r.behaviours[2].sent);  // every 404, none of the 200s
    CHECK(t.innocent_unexpected > 0);
    CHECK(t.innocent_done < t.done);  // behaviour 1 is not innocent
  }
}

TEST_CASE("live counters move while the load runs, and count abandoned requests as sent") {
  TestServer server(answer_by_path(std::chrono::milliseconds(2)));
  const Workload w = three_behaviours();
  LiveCounters live;
  LoadOptions o;
  o.concurrency = 4;
  o.threads = 2;
  o.duration = std::chrono::milliseconds(600);
  o.live = &live;
  std::atomic<bool> running{true};
  std::vector<std::uint64_t> seen;
  std::thread reader([&] {
    while (running.load()) {
      seen.push_back(live.done.load(std::memory_order_relaxed));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  running = false;
  reader.join();
  const Totals t = totals(r, w.innocent);
  CHECK(live.done.load() == t.done);
  CHECK(live.sent.load() == t.done + r.abandoned);
  CHECK(live.innocent_done.load() == t.innocent_done);
  CHECK(live.innocent_unexpected.load() == t.innocent_unexpected);
  // Seen from another thread during the load: growing, short of the total part of the way.
  REQUIRE(seen.size() >= 5);
  std::size_t between = 0;
  for (std::size_t i = 1; i < seen.size(); ++i) {
    CHECK(seen[i] >= seen[i - 1]);
    if (seen[i] > 0 && seen[i] < t.done) ++between;
  }
  CHECK(between >= 3);
}

TEST_CASE("live counters sum several loads until reset") {
  TestServer server(answer_by_path());
  const Workload w = three_behaviours();
  LiveCounters live;
  LoadOptions o;
  o.concurrency = 2;
  o.requests = 100;
  o.live = &live;
  const LoadResult first = run_load(Target{"127.0.0.1", server.port()}, w, o);
  const LoadResult second = run_load(Target{"127.0.0.1", server.port()}, w, o);
  CHECK(live.done.load() == totals(first, w.innocent).done + totals(second, w.innocent).done);
  CHECK(live.done.load() >= 200);
  live.reset();
  CHECK(live.done.load() == 0);
  CHECK(live.sent.load() == 0);
  o.live = nullptr;  // none: the load runs as before
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  CHECK(totals(r, w.innocent).done >= 100);
  CHECK(live.done.load() == 0);
}
