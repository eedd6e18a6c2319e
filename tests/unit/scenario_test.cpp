// Scenario TOML: the built-in turnkey tests and every kind of bad file.
#include <catch2/catch.hpp>
#include <csignal>

#include "common/errors.hpp"
#include "scenario/scenario.hpp"

using namespace labour;

namespace {
std::string error_of(const std::string& toml) {
  try {
    scenario::parse(toml, "my.toml");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}
const char* kValid = R"(
name = "Mine"
policy = "repeat"
requests = 50
concurrency = 3
timeout = 2.5
seed = 7
[[behaviour]]
name = "PlainResponse"
weight = 9
[[behaviour]]
name = "Sleeping"
weight = 1
params = { seconds = 0.25, flag = true, label = "x", n = 3 }
)";
}  // namespace

TEST_CASE("a valid scenario parses completely", "[scenario]") {
  const auto s = scenario::parse(kValid, "my.toml");
  CHECK(s.name == "Mine");
  CHECK(s.policy == engine::Policy::Repeat);
  CHECK(s.requests == 50);
  CHECK(s.concurrency == 3);
  CHECK(s.timeout_ms == 2500);
  CHECK(s.seed == 7);
  REQUIRE(s.mix.size() == 2);
  CHECK(s.mix[0].weight == 9);
  CHECK(s.mix[1].params == plugins::RawParams{{"flag", "true"},
                                              {"label", "x"},
                                              {"n", "3"},
                                              {"seconds", "0.25"}});  // TOML tables are ordered by key
}

TEST_CASE("Labour's turnkey scenarios are built in with their mixes", "[scenario]") {
  CHECK(scenario::builtin_names() ==
        std::vector<std::string>{"Crash", "Exception", "FreezeWorker", "GracefulStop", "Hang", "HeavySleep",
                                 "IdleHog", "KillWorker", "Leak", "LightSleep", "Plain", "Protocol", "Reload",
                                 "SIGSEGV", "SlowRead", "SlowUpload", "Slowloris", "Stream"});
  // The lifecycle ones carry their event, inside their fault phase.
  for (const auto& [name, action] : std::vector<std::pair<std::string, scenario::EventAction>>{
           {"Reload", scenario::EventAction::Reload},
           {"KillWorker", scenario::EventAction::KillWorker},
           {"FreezeWorker", scenario::EventAction::FreezeWorker},
           {"GracefulStop", scenario::EventAction::GracefulStop}}) {
    const auto s = scenario::load(name);
    REQUIRE(s.events.size() == 1);
    CHECK(s.events[0].action == action);
    CHECK(s.events[0].at_s < s.duration_s);
  }
  const auto plain = scenario::load("Plain");
  REQUIRE(plain.mix.size() == 2);
  CHECK(plain.policy == engine::Policy::Spaced);  // so every run sends its misbehaviour
  CHECK(plain.mix[0].weight == 99);
  CHECK(plain.mix[1].params == plugins::RawParams{{"status", "404"}});
  const auto light = scenario::load("LightSleep");
  CHECK(light.mix[1].behaviour == "Sleeping");
  CHECK(light.mix[1].params == plugins::RawParams{{"seconds", "0.5"}});
  const auto heavy = scenario::load("HeavySleep");
  CHECK(heavy.mix[0].weight == 95);
  CHECK(heavy.mix[1].weight == 5);
  CHECK(heavy.mix[1].params == plugins::RawParams{{"seconds", "2"}});
  const auto segv = scenario::load("SIGSEGV");
  CHECK(segv.mix[0].weight == 50);
  CHECK(segv.mix[1].behaviour == "SIGSEGV");
}

TEST_CASE("malformed TOML is reported with file:line:col", "[scenario]") {
  CHECK_THAT(error_of("name = \"x\"\nrequests = = 3\n"), Catch::StartsWith("my.toml:2:"));
}

TEST_CASE("bad scenario content gets a precise one-line error", "[scenario]") {
  const std::string ok_mix = "\n[[behaviour]]\nname = \"PlainResponse\"\n";
  CHECK_THAT(error_of("requests = 5" + ok_mix), Catch::Contains("needs a name"));
  CHECK_THAT(error_of("name = \"x\"" + ok_mix), Catch::Contains("needs 'requests' or 'duration'"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 0" + ok_mix),
             Catch::Contains("'requests': must be 1 to 1000000000000, not 0"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\npolicy = \"chaos\"" + ok_mix),
             Catch::Contains("\"random\", \"repeat\" or \"spaced\""));
  // Phase and verdict keys are checked like every other key, with file:line:col.
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\n[phases]\nbaseline = 3\n" + ok_mix),
             Catch::StartsWith("my.toml:4:12:") && Catch::Contains("unknown key 'baseline' in [phases]") &&
                 Catch::Contains("baseline_requests"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\n[verdict]\nmax_p99 = 3\n" + ok_mix),
             Catch::Contains("unknown key 'max_p99' in [verdict]") && Catch::Contains("max_p99_ratio"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\n[verdict]\nmax_innocent_failure_pct = 200\n" + ok_mix),
             Catch::Contains("my.toml:4:28:") &&
                 Catch::Contains("'max_innocent_failure_pct': must be 0 to 100, not 200"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\n[phases]\nrecovered_after = 0\n" + ok_mix),
             Catch::Contains("'recovered_after' must be a positive integer, not 0"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\nphases = 3\n" + ok_mix),
             Catch::Contains("'phases' must be a table"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\nrequets = 5" + ok_mix),
             Catch::Contains("unknown key 'requets'"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\n"), Catch::Contains("has no behaviours"));
  CHECK_THAT(
      error_of("name = \"x\"\nrequests = 5" + ok_mix + "weight = 0\n"),
      Catch::Contains("my.toml:5:10:") && Catch::Contains("'weight' must be a positive integer, not 0"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5" + ok_mix + "weight = -3\n"), Catch::Contains("not -3"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5" + ok_mix + "params = 3\n"),
             Catch::Contains("'params' must be a table"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\ntimeout = 0" + ok_mix),
             Catch::Contains("'timeout': must be 0.001 to 3600 s, not 0"));
}

TEST_CASE("lifecycle events: times in seconds or with a unit, sorted, each action's own keys", "[scenario]") {
  const std::string head = "name = \"x\"\nduration = 10\n[[behaviour]]\nname = \"PlainResponse\"\n";
  const auto s = scenario::parse(head +
                                     "[[event]]\nat = \"4s\"\naction = \"graceful_stop\"\n"
                                     "[[event]]\nat = 1.5\naction = \"freeze_worker\"\nseconds = 2\n"
                                     "[[event]]\nat = \"500ms\"\naction = \"signal\"\nsignal = \"USR1\"\n",
                                 "my.toml");
  REQUIRE(s.events.size() == 3);
  CHECK(s.events[0].action == scenario::EventAction::Signal);
  CHECK(s.events[0].at_s == Approx(0.5));
  CHECK(s.events[0].signal == SIGUSR1);
  CHECK(s.events[1].action == scenario::EventAction::FreezeWorker);
  CHECK(s.events[1].seconds == Approx(2));
  CHECK(s.events[2].at_s == Approx(4));
  CHECK(s.events[2].where == "my.toml:5:1");
  // The phase's end moved under an event by an override is found after it.
  scenario::Scenario shorter = s;
  scenario::Overrides o;
  o.duration_s = 3;
  o.apply(shorter);
  CHECK_THROWS_WITH(
      scenario::check_events(shorter),
      Catch::Contains("my.toml:5:1: the graceful_stop event at 4 s") && Catch::Contains("lasts 3 s"));
  CHECK_THAT(error_of(head + "[[event]]\nat = 11\naction = \"reload\"\n"),
             Catch::Contains("is not within the fault phase, which lasts 10 s"));
  std::string many = head;
  for (int i = 0; i < 101; ++i) many += "[[event]]\nat = 1\naction = \"reload\"\n";
  CHECK_THAT(error_of(many), Catch::Contains("101 [[event]] tables; at most 100"));
  CHECK_THAT(error_of(head + "[[event]]\nat = 1\naction = \"signal\"\nsignal = \"SIGSTOP\"\n"),
             Catch::Contains("may not stop the main process (SIGSTOP)") && Catch::Contains("freeze_worker"));
  CHECK_THAT(error_of(head + "[[event]]\nat = 1\naction = \"signal\"\nsignal = \"TSTP\"\n"),
             Catch::Contains("may not stop the main process (TSTP)"));
}

TEST_CASE("unknown scenario names list the built-in ones; missing files are named", "[scenario]") {
  CHECK_THROWS_WITH(scenario::load("Nope"), Catch::Contains("unknown scenario 'Nope'") &&
                                                Catch::Contains("HeavySleep, Leak, LightSleep, Plain"));
  CHECK_THROWS_WITH(scenario::load("/nonexistent/x.toml"),
                    Catch::Contains("scenario file '/nonexistent/x.toml': does not exist"));
}

TEST_CASE("command-line overrides replace the scenario's load settings", "[scenario]") {
  auto s = scenario::parse(kValid, "my.toml");
  scenario::Overrides o;
  o.duration_s = 3;
  o.concurrency = 9;
  o.apply(s);
  CHECK(s.requests == 0);
  CHECK(s.duration_s == 3);
  CHECK(s.concurrency == 9);
  scenario::Overrides r;
  r.requests = 11;
  r.apply(s);
  CHECK(s.requests == 11);
  CHECK(s.duration_s == 0);
}

TEST_CASE("phase and verdict keys size the phases and set the thresholds", "[scenario]") {
  const std::string toml = std::string(kValid) + R"(
[phases]
baseline_requests = 50
baseline_duration = 1.5
stall = 2
recovery_duration = 3
recovered_after = 4
[verdict]
max_innocent_failure_pct = 1
max_p50_ratio = 3
max_p99_ratio = 5
latency_floor_ms = 2
min_throughput_pct = 40
min_misbehaviour = 2
max_baseline_failure_pct = 0.5
)";
  const auto s = scenario::parse(toml, "my.toml");
  CHECK(s.phases.baseline_requests == 50);
  CHECK(s.phases.baseline_s == 1.5);
  CHECK(s.phases.stall_s == 2);
  CHECK(s.phases.recovery_s == 3);
  CHECK(s.phases.recovered_after == 4);
  CHECK(s.thresholds.max_innocent_failure_pct == 1);
  CHECK(s.thresholds.max_p50_ratio == 3);
  CHECK(s.thresholds.max_p99_ratio == 5);
  CHECK(s.thresholds.latency_floor_ms == 2);
  CHECK(s.thresholds.min_throughput_pct == 40);
  CHECK(s.thresholds.min_misbehaviour == 2);
  CHECK(s.thresholds.max_baseline_failure_pct == 0.5);
  // Defaults where a scenario says nothing.
  const auto d = scenario::parse(kValid, "my.toml");
  CHECK(d.phases.recovered_after == scenario::Phases{}.recovered_after);
  CHECK(d.thresholds.min_misbehaviour == 1);
}

TEST_CASE("requests and duration together: whichever comes first", "[scenario]") {
  const auto s = scenario::parse(
      "name = \"x\"\nrequests = 5\nduration = 3\n[[behaviour]]\nname = \"PlainResponse\"\n", "my.toml");
  CHECK(s.requests == 5);
  CHECK(s.duration_s == 3);
}

TEST_CASE("the timeline's bucket is sized to the test's expected length", "[scenario]") {
  scenario::Scenario s;
  s.phases.baseline_s = 0;  // no baseline: only the fault phase and the recovery's moment
  s.duration_s = 0.2;       // 1.2 s / 100 -> 12 ms -> the next round step
  CHECK(scenario::timeline_bucket_ms(s) == 20);
  s.duration_s = 9;  // 10 s -> 100 ms, Labour's classic bucket
  CHECK(scenario::timeline_bucket_ms(s) == 100);
  s.duration_s = 199;  // 200 s -> 2 s: a hundred bars, not 2 000 hairlines
  CHECK(scenario::timeline_bucket_ms(s) == 2000);
  s.duration_s = 1e6;  // capped
  CHECK(scenario::timeline_bucket_ms(s) == 10000);
  s.duration_s = 0;
  s.requests = 60;  // closed loop: 60 requests at the assumed 1000/s
  CHECK(scenario::expected_load_s(s) == Approx(0.06));
  CHECK(scenario::timeline_bucket_ms(s) == 20);
  s.phases.baseline_s = 2;  // the baseline counts too: min(2 s, 1000 requests at 1000/s)
  CHECK(scenario::expected_load_s(s) == Approx(1.06));
}

// Issue 21: a number is finite and in its documented range everywhere it is read.
TEST_CASE("numbers in a scenario are finite and within their range, integers compared exactly",
          "[scenario]") {
  const std::string mix = "\n[[behaviour]]\nname = \"PlainResponse\"\n";
  // nan and inf are named as what they are, not as "negative".
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\n[phases]\nstall = nan\n" + mix),
             Catch::Contains("my.toml:4:9:") &&
                 Catch::Contains("'stall': must be a finite number, 0.1 to 3600, not nan"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\n[verdict]\nmax_p99_ratio = inf\n" + mix),
             Catch::Contains("'max_p99_ratio': must be a finite number"));
  // A seed of 2^53 + 1 would be rounded to 2^53 as a double: the command line refuses it, so does TOML.
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\nseed = 9007199254740993\n" + mix),
             Catch::Contains("'seed': must be 0 to 9007199254740992, not 9007199254740993"));
  CHECK(scenario::parse("name = \"x\"\nrequests = 5\nseed = 9007199254740992\n" + mix, "my.toml").seed ==
        9007199254740992ULL);
  // A rate whose period overflows the engine's 64-bit nanoseconds is refused, 0 stays the closed model.
  CHECK_THAT(
      error_of("name = \"x\"\nrequests = 5\nrate = 1e-10\n" + mix),
      Catch::Contains("'rate': must be 0 to 10000000 requests/s (0: the closed model; otherwise at least "
                      "0.001), not 1e-10"));
  CHECK_THAT(error_of("name = \"x\"\nrequests = 5\nrate = 1e-300\n" + mix), Catch::Contains("not 1e-300"));
  CHECK(scenario::parse("name = \"x\"\nrequests = 5\nrate = 0\n" + mix, "my.toml").rate == 0);
  CHECK(scenario::parse("name = \"x\"\nrequests = 5\nrate = 0.001\n" + mix, "my.toml").rate == 0.001);
}

TEST_CASE("command-line numbers: the rate's floor, nan, and long values cut in the message", "[scenario]") {
  using scenario::setting_error;
  std::string tiny = "1e-10";
  CHECK_THAT(setting_error(tiny, scenario::limits::rate), Catch::Contains("otherwise at least 0.001"));
  std::string zero = "0";
  CHECK(setting_error(zero, scenario::limits::rate).empty());
  std::string nan = "nan";
  CHECK_THAT(setting_error(nan, scenario::limits::tolerance), Catch::Contains("must be a finite number"));
  std::string huge(200000, '7');
  const std::string error = setting_error(huge, scenario::limits::requests);
  CHECK(error.size() < 200);
  CHECK_THAT(error, Catch::Contains("(200000 characters)"));
}

TEST_CASE("a scenario file that names no policy gets the built-ins' policy", "[scenario]") {
  const auto s =
      scenario::parse("name = \"x\"\nrequests = 5\n[[behaviour]]\nname = \"PlainResponse\"\n", "my.toml");
  CHECK(s.policy == engine::Policy::Spaced);
  for (const auto& b : scenario::builtin()) CHECK(b.policy == s.policy);
}
