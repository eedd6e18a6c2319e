// Connection scripts (client-driven behaviours): run on their own connections beside the mix,
// against small servers in this process that record what they received and how.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>

#include "engine/engine.hpp"
#include "test_server.hpp"

using namespace labour::engine;
using labour::test::TestServer;
using namespace std::chrono_literals;

namespace {

using Kind = ScriptStep::Kind;

ScriptStep step(Kind kind, std::string bytes = {}) {
  ScriptStep s;
  s.kind = kind;
  s.bytes = std::move(bytes);
  return s;
}

// The mix (behaviour 0: a plain GET) plus one client-driven behaviour (1) running `script`.
Workload with_script(ConnectionScript script, std::uint32_t timeout_ms = 2000) {
  Workload w;
  PreparedRequest mix, scripted;
  mix.target = "/mix";
  scripted.target = "/scripted";
  scripted.timeout_ms = timeout_ms;
  scripted.script = std::move(script);
  w.requests = {mix, scripted};
  w.weights = {1, 0};
  w.innocent = {true, false};
  return w;
}

LoadOptions for_duration(std::chrono::milliseconds d, std::uint32_t concurrency = 1) {
  LoadOptions o;
  o.duration = d;
  o.concurrency = concurrency;
  return o;
}

std::uint64_t count(const BehaviourStats& s, const std::string& key) {
  const auto it = s.outcomes.find(key);
  return it == s.outcomes.end() ? 0 : it->second;
}

// A server whose connections on /scripted run `on_script`; every other request is answered.
TestServer::Handler split(std::function<void(int&, TestServer&, const std::string& first_bytes)> on_script) {
  return [on_script](int& fd, TestServer& s) {
    std::string head;
    char buf[4096];
    while (head.find("\r\n") == std::string::npos) {
      if (!s.wait_readable(fd)) return;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      head.append(buf, static_cast<std::size_t>(n));
    }
    if (head.rfind("GET /mix", 0) == 0) {
      while (head.find("\r\n\r\n") == std::string::npos) {
        if (!s.wait_readable(fd)) return;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        head.append(buf, static_cast<std::size_t>(n));
      }
      TestServer::send_all(fd, labour::test::kOk);
      labour::test::answer_all()(fd, s);  // the rest of the kept-alive connection
      return;
    }
    on_script(fd, s, head);
  };
}

}  // namespace

TEST_CASE("an endless pause is held to the end of the load, beside the mix, not in its slots") {
  std::atomic<int> held_open{0};
  TestServer server(split([&](int& fd, TestServer& s, const std::string&) {
    ++held_open;
    s.wait_readable(fd);  // the client sends nothing more: wait for its close
  }));
  ConnectionScript idle;
  idle.steps = {step(Kind::Send, "IDLE /scripted\r\n"), step(Kind::Pause)};
  idle.connections = 5;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, with_script(idle), for_duration(400ms));
  // Five connections held for the whole load, each counted once, at the end, as held.
  CHECK(r.behaviours[1].sent == 5);
  CHECK(count(r.behaviours[1], "held") == 5);
  CHECK(held_open == 5);
  // The one mix connection kept going: the scripts took none of its concurrency.
  CHECK(r.behaviours[0].expected > 50);
  CHECK(r.behaviours[0].unexpected == 0);
  CHECK(r.connections_opened >= 6);
}

TEST_CASE("the server's answer ends a trickle at once: its 408 is the outcome") {
  std::atomic<int> pieces{0};
  TestServer server(split([&](int& fd, TestServer& s, const std::string&) {
    // Takes two more pieces, then gives up on the slow client as a server with a header
    // timeout does.
    char buf[64];
    while (pieces < 2 && s.wait_readable(fd))
      if (::recv(fd, buf, sizeof buf, 0) > 0) ++pieces;
    TestServer::send_all(fd,
                         "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  }));
  ConnectionScript slow;
  ScriptStep trickle = step(Kind::Trickle, "X-Slow: 1\r\n");
  trickle.chunk = 11;
  trickle.interval = 50ms;
  slow.steps = {step(Kind::Send, "GET /scripted HTTP/1.1\r\n"), trickle};
  slow.repeat_after = 10s;  // one run only
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, with_script(slow), for_duration(800ms));
  CHECK(r.behaviours[1].sent == 1);
  CHECK(count(r.behaviours[1], "http_408") == 1);
  CHECK(pieces >= 2);
}

TEST_CASE("a trickle sends exactly its total, piece by piece, then reads the answer") {
  std::string received;
  std::mutex m;
  std::chrono::steady_clock::duration took{};
  TestServer server(split([&](int& fd, TestServer& s, const std::string& first) {
    std::string body = first.substr(first.find("\r\n") + 2);
    const auto start = std::chrono::steady_clock::now();
    char buf[64];
    while (body.size() < 40 && s.wait_readable(fd)) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      body.append(buf, static_cast<std::size_t>(n));
    }
    {
      std::lock_guard lock(m);
      received = body;
      took = std::chrono::steady_clock::now() - start;
    }
    TestServer::send_all(fd, labour::test::kOk);
  }));
  ConnectionScript upload;
  ScriptStep trickle = step(Kind::Trickle, "abc");
  trickle.total = 40;
  trickle.chunk = 8;
  trickle.interval = 30ms;
  upload.steps = {step(Kind::Send, "POST /scripted\r\n"), trickle};
  upload.repeat_after = 10s;
  const LoadResult r =
      run_load(Target{"127.0.0.1", server.port()}, with_script(upload), for_duration(1000ms));
  CHECK(count(r.behaviours[1], "http_200") == 1);
  std::lock_guard lock(m);
  CHECK(received == std::string("abcabcabcabcabcabcabcabcabcabcabcabcabca"));  // 40 bytes of the pattern
  CHECK(took >= 3 * 30ms);  // five pieces (the first may come with the head): at least three intervals
}

TEST_CASE("a reset is an RST the server sees, and the outcome is client_abort") {
  std::atomic<int> resets{0};
  TestServer server(split([&](int& fd, TestServer& s, const std::string&) {
    char buf[64];
    while (s.wait_readable(fd)) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == ECONNRESET) ++resets;
      if (n <= 0) break;
    }
  }));
  ConnectionScript abort;
  ScriptStep pause = step(Kind::Pause);
  pause.interval = 50ms;
  abort.steps = {step(Kind::Send, "POST /scripted HTTP/1.1\r\nContent-Length: 100\r\n\r\nhalf"), pause,
                 step(Kind::Reset)};
  abort.repeat_after = 100ms;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, with_script(abort), for_duration(600ms));
  CHECK(r.behaviours[1].sent >= 2);
  CHECK(count(r.behaviours[1], "client_abort") == r.behaviours[1].sent);
  CHECK(resets >= 2);
}

TEST_CASE("pipelined requests: every response read, or the count the server answered before it closed") {
  const auto pipelined = [] {
    ConnectionScript s;
    ScriptStep read = step(Kind::Read);
    read.count = 3;
    s.steps = {
        step(Kind::Send, "GET /scripted HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n"),
        read};
    s.repeat_after = 10s;
    return s;
  };
  SECTION("all three, in one write from the server") {
    TestServer server(split([](int& fd, TestServer&, const std::string&) {
      const std::string ok(labour::test::kOk);
      TestServer::send_all(fd, ok + ok + ok);
    }));
    Workload w = with_script(pipelined());
    std::atomic<std::uint32_t> seen{0};
    w.judge = [&](std::size_t b, const Observation& o) {
      if (b == 1) seen = o.responses;
      return o.kind == LABOUR_OUTCOME_HTTP;
    };
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, for_duration(300ms));
    CHECK(count(r.behaviours[1], "http_200") == 1);
    CHECK(seen == 3);
  }
  SECTION("one, then a close: the second never came") {
    TestServer server(split([](int& fd, TestServer&, const std::string&) {
      TestServer::send_all(fd, "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    }));
    Workload w = with_script(pipelined());
    std::atomic<std::uint32_t> seen{0};
    w.judge = [&](std::size_t b, const Observation& o) {
      if (b == 1) seen = o.responses;
      return o.kind == LABOUR_OUTCOME_HTTP;
    };
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, for_duration(300ms));
    CHECK(count(r.behaviours[1], "eof_before_response") == 1);
    CHECK(seen == 1);
  }
}

TEST_CASE("a capped read takes its time and gets every byte; held when the load ends first") {
  const std::string body(48 * 1024, 'r');
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  TestServer server(
      split([&](int& fd, TestServer&, const std::string&) { TestServer::send_all(fd, response); }));
  ConnectionScript reader;
  ScriptStep read = step(Kind::Read);
  read.rate = 64 * 1024;  // 48 KiB at 64 KiB/s: about 0.75 s
  read.chunk = 4096;
  reader.steps = {step(Kind::Send, "GET /scripted HTTP/1.1\r\n\r\n"), read};
  reader.repeat_after = 10s;
  Workload w = with_script(reader);
  std::atomic<std::uint64_t> length{0}, elapsed_us{0};
  w.judge = [&](std::size_t b, const Observation& o) {
    if (b == 1) {
      length = o.body_length;
      elapsed_us = o.elapsed_us;
    }
    return true;
  };
  SECTION("read to the end") {
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, for_duration(2000ms));
    CHECK(count(r.behaviours[1], "http_200") == 1);
    CHECK(length == body.size());
    CHECK(elapsed_us >= 600000);  // the cap held it back (it cannot be faster than 48/64 s)
  }
  SECTION("the load ends mid-body: held, with what was read") {
    const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, for_duration(300ms));
    CHECK(count(r.behaviours[1], "held") == 1);
    CHECK(length > 0);
    CHECK(length < body.size());
  }
}

TEST_CASE("nobody listening: connect_refused, and the script tries again after repeat_after") {
  int port = 0;
  {
    TestServer gone(labour::test::answer_all());
    port = gone.port();
  }
  ConnectionScript s;
  s.steps = {step(Kind::Send, "GET /scripted HTTP/1.1\r\n\r\n")};
  s.repeat_after = 100ms;
  Workload w = with_script(s);
  // The whole load goes to the dead port: the mix is refused too.
  const LoadResult r =
      run_load(Target{"127.0.0.1", static_cast<std::uint16_t>(port)}, w, for_duration(450ms));
  CHECK(count(r.behaviours[1], "connect_refused") >= 3);
  CHECK(count(r.behaviours[1], "connect_refused") <= 6);
}

TEST_CASE("scripts run only where the workload says: none in a load without run_scripts") {
  std::atomic<int> scripted{0};
  TestServer server(split([&](int&, TestServer&, const std::string&) { ++scripted; }));
  ConnectionScript s;
  s.steps = {step(Kind::Send, "GET /scripted HTTP/1.1\r\n\r\n")};
  Workload w = with_script(s);
  w.run_scripts = false;
  LoadOptions o;
  o.requests = 20;
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  CHECK(r.behaviours[0].expected == 20);
  CHECK(r.behaviours[1].sent == 0);
  CHECK(scripted == 0);
}

TEST_CASE("lifecycle events: innocent outcomes count towards the latest event fired") {
  TestServer server(labour::test::answer_all());
  Workload w;
  PreparedRequest ok;
  ok.target = "/ok";
  w.requests = {ok};
  w.weights = {1};
  w.innocent = {true};
  std::atomic<std::uint32_t> fired{0};
  LoadOptions o = for_duration(600ms, 2);
  o.events_fired = &fired;
  o.event_count = 2;
  std::thread events([&] {
    std::this_thread::sleep_for(200ms);
    fired = 1;
    std::this_thread::sleep_for(200ms);
    fired = 2;
  });
  const LoadResult r = run_load(Target{"127.0.0.1", server.port()}, w, o);
  events.join();
  REQUIRE(r.events.size() == 2);
  CHECK(r.events[0].answered > 10);
  CHECK(r.events[1].answered > 10);
  CHECK(r.events[0].failed == 0);
  // Before the first event fired, outcomes belong to none: together they are fewer than all.
  CHECK(r.events[0].answered + r.events[1].answered < r.behaviours[0].expected);
  CHECK(r.events[0].last_innocent_answer_s < r.events[1].last_innocent_answer_s);
}

TEST_CASE("scripts are checked: empty, oversized, or a trickle without a pace") {
  ConnectionScript s;
  CHECK_THAT(check_script(s), Catch::Contains("no steps"));
  s.steps = {step(Kind::Send)};
  CHECK_THAT(check_script(s), Catch::Contains("sends no bytes"));
  ScriptStep trickle = step(Kind::Trickle, "x");
  trickle.chunk = 1;
  s.steps = {trickle};
  CHECK_THAT(check_script(s), Catch::Contains("no interval"));
  trickle.interval = 10ms;
  s.steps = {trickle};
  CHECK(check_script(s).empty());
  s.steps = {trickle, step(Kind::Send, "x")};  // the trickle has no total: it never ends
  CHECK_THAT(check_script(s),
             Catch::Contains("step 1 of the connection script: it lasts until the load ends"));
  trickle.total = 5;
  s.steps = {trickle, step(Kind::Send, "x")};
  CHECK(check_script(s).empty());
  s.steps = {step(Kind::Pause), step(Kind::Reset)};  // a pause of 0: until the end
  CHECK_THAT(check_script(s), Catch::Contains("must be the last step"));
  s.steps = {trickle};
  s.connections = 0;
  CHECK_THAT(check_script(s), Catch::Contains("1 to 100000"));
  s.connections = 1;
  s.steps.assign(kMaxScriptSteps + 1, trickle);
  CHECK_THAT(check_script(s), Catch::Contains("at most 64"));
  // And run_load refuses a script that takes a weight in the mix.
  Workload w = with_script(ConnectionScript{{step(Kind::Send, "x")}, 1, {}});
  w.weights = {1, 1};
  CHECK_THROWS_WITH(run_load(Target{"127.0.0.1", 9}, w, for_duration(10ms)),
                    Catch::Contains("takes no weight"));
}

TEST_CASE("a connect the server's full accept queue holds fails within the request's own timeout") {
  // A listener that never accepts, its queue filled: new connects wait for a SYN-ACK that
  // does not come. The request's 200 ms bounds the connect too, so the load's 700 ms see
  // outcomes, not requests abandoned unjudged at the end.
  TestServer stuck(labour::test::answer_all(), 1, false);
  const labour::test::FullAcceptQueue full(stuck.port(), 8);
  Workload w;
  PreparedRequest r;
  r.target = "/";
  r.timeout_ms = 200;
  w.requests = {r};
  w.weights = {1};
  LoadOptions o = for_duration(700ms);
  o.connect_timeout_ms = 2000;
  const LoadResult result = run_load(Target{"127.0.0.1", stuck.port()}, w, o);
  CHECK(count(result.behaviours[0], "connect_timeout") >= 2);
}
