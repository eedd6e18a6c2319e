// `labour load --url http://127.0.0.1:PORT/path -c C (-n N | -d D) ...`: the engine alone,
// without a server to supervise: for comparing labour's client with wrk, or a quick probe.
#include "cli/load_command.hpp"

#include "cli/cli.hpp"

#include <labour/printable.hpp>

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/duration.hpp"
#include "common/errors.hpp"
#include "engine/engine.hpp"
#include "run/gates.hpp"
#include "run/serialize.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::cli {

namespace {

using json = nlohmann::ordered_json;

// What a gate of `labour load` may name: the run's counts and its latency percentiles (of
// expected outcomes, in milliseconds, as printed).
const std::vector<std::string> kLoadFigures = {
    "requests", "requests_per_second", "errors", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"};

struct LoadFlags {
  std::string url;
  std::uint32_t connections = 10;
  std::uint64_t requests = 0;
  std::string duration;
  double rate = 0;
  std::uint32_t threads = 1;
  std::uint32_t timeout_ms = 10000;
  bool no_keepalive = false;
  bool allow_remote = false;
  bool json = false;
  std::vector<std::string> fail_on;
};

struct Url {
  std::string host;
  std::uint16_t port = 80;
  std::string path = "/";
};

Url parse_url(const std::string& text) {
  const std::string fix = " (use http://127.0.0.1:PORT/path)";
  auto bad = [&](const std::string& why) { return UsageError("--url '" + text + "': " + why + fix); };
  const std::string scheme = "http://";
  if (text.rfind("https://", 0) == 0) throw bad("https is not supported");
  if (text.rfind(scheme, 0) != 0) throw bad("must start with http://");
  std::string rest = text.substr(scheme.size());
  const std::size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  Url url;
  if (slash != std::string::npos) url.path = rest.substr(slash);
  if (!url.path.empty() && url.path.front() == '?') url.path = "/" + url.path;
  if (const auto hash = url.path.find('#'); hash != std::string::npos) url.path.erase(hash);
  if (authority.find('@') != std::string::npos) throw bad("user info is not supported");
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) throw bad("unclosed '[' in the host");
    url.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) throw bad("no host");
  if (!port_text.empty() || authority.find(':') != std::string::npos) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      throw bad("port '" + port_text + "' is not a number in 1..65535");
    url.port = static_cast<std::uint16_t>(port);
  }
  for (char c : url.path)
    if (c <= 32 || c >= 127) throw bad("the path holds a space or control character (percent-encode it)");
  return url;
}

std::string human_us(std::uint64_t us) {
  char buf[32];
  if (us < 1000)
    std::snprintf(buf, sizeof buf, "%luus", static_cast<unsigned long>(us));
  else if (us < 1000000)
    std::snprintf(buf, sizeof buf, "%.2fms", static_cast<double>(us) / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(us) / 1e6);
  return buf;
}

int run(const LoadFlags& f) {
  const Url url = parse_url(f.url);
  // A descriptor per connection, a few per client thread's event loop.
  supervisor::check_descriptors(std::uint64_t{f.connections} + 4 * std::uint64_t{f.threads},
                                "-c " + std::to_string(f.connections));
  engine::LoadOptions options;
  if (!f.duration.empty()) {
    const std::string what = "-d '" + f.duration + "'";
    options.duration = parse_duration(f.duration, what);
    scenario::check_setting(static_cast<double>(options.duration.count()) / 1000.0,
                            scenario::limits::duration, what);
  }
  options.requests = f.requests;
  if (options.requests == 0 && options.duration.count() == 0)
    throw UsageError("give -n REQUESTS or -d DURATION (e.g. -n 100000 or -d 10s)");
  options.concurrency = f.connections;
  options.threads = f.threads;
  options.rate = f.rate;
  options.keep_alive = !f.no_keepalive;
  options.allow_remote = f.allow_remote;
  options.connect_timeout_ms = std::min<std::uint32_t>(f.timeout_ms, 2000);

  std::vector<run::Gate> gates;
  for (const auto& text : f.fail_on)
    gates.push_back(run::parse_gate(text, kLoadFigures, "--fail-on " + quote_input(text), false));

  engine::Workload workload;
  engine::PreparedRequest get;
  get.target = url.path;
  get.timeout_ms = f.timeout_ms;
  workload.requests = {get};
  workload.weights = {1};

  engine::LoadResult result;
  {
    // Ctrl-C/SIGTERM (handlers installed by main) stop the load; what was measured is printed.
    try {
      result = engine::run_load(engine::Target{url.host, url.port}, workload, options,
                                &supervisor::interrupt_flag());
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      if (what.rfind("target", 0) == 0)
        throw UsageError("--url '" + f.url + "': " + what +
                         " (use http://127.0.0.1:PORT/path, or --allow-remote)");
      throw UsageError(what);
    }
  }

  const engine::BehaviourStats& s = result.behaviours.at(0);
  const auto gates_hold = [&](double rps, std::uint64_t errors) {
    // The run as a one-test document, so that gates read it as they read a matrix's.
    const auto ms = [&](double q) {
      return s.latency.count() ? json(s.latency.percentile(q) / 1000.0) : json(nullptr);
    };
    const json doc = {{"tests", json::array({{{"label", f.url},
                                              {"scenario", {{"name", "load"}}},
                                              {"status", result.interrupted ? "interrupted" : "completed"},
                                              {"figures",
                                               {{"requests", s.sent},
                                                {"requests_per_second", rps},
                                                {"errors", errors},
                                                {"p50_ms", ms(50)},
                                                {"p90_ms", ms(90)},
                                                {"p99_ms", ms(99)},
                                                {"p999_ms", ms(99.9)},
                                                {"max_ms", s.latency.count() ? json(s.latency.max() / 1000.0)
                                                                             : json(nullptr)}}}}})}};
    return run::print_gates(run::check_gates(gates, doc));
  };
  // Throughput is of answers: a refused or reset connection is an error, never a request served
  // (a closed port otherwise "serves" tens of thousands of requests a second), as wrk counts.
  std::uint64_t answered = 0;
  for (const auto& [key, count] : s.outcomes)
    if (key.rfind("http_", 0) == 0) answered += count;
  const double rps = result.duration_s > 0 ? static_cast<double>(answered) / result.duration_s : 0;
  // Errors are the engine's unexpected outcomes: with no judge, everything but a complete
  // response below 400.
  const std::uint64_t errors = s.unexpected;
  std::string error_list;
  for (const auto& [key, count] : s.unexpected_outcomes)
    error_list += " " + key + " " + std::to_string(count);

  if (f.json) {
    nlohmann::ordered_json out = {
        {"url", f.url},
        {"threads", std::min(f.threads, f.connections)},
        {"connections", f.connections},
        {"model", f.rate > 0 ? "open" : "closed"},
        {"rate", f.rate},
        {"keep_alive", !f.no_keepalive},
        {"requests", s.sent},
        {"answered", answered},
        {"duration_s", result.duration_s},
        {"requests_per_second", rps},
        {"latency_us", run::latency_json(s.latency)},
        {"service_latency_us", run::latency_json(s.service_latency)},
        {"outcomes", s.outcomes},
        {"errors", errors},
        {"late_sends", result.late_sends},
        {"abandoned", result.abandoned},
        {"connections_opened", result.connections_opened},
        {"interrupted", result.interrupted},
    };
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("labour load %s\n  %u threads and %u connections, %s model%s\n", printable(f.url).c_str(),
                std::min(f.threads, f.connections), f.connections, f.rate > 0 ? "open" : "closed",
                f.rate > 0 ? (", " + std::to_string(static_cast<long long>(f.rate)) + " req/s").c_str() : "");
    auto row = [](const char* name, const engine::Histogram& h) {
      std::printf("  %-8s %10s %10s %10s %10s %10s %10s\n", name,
                  human_us(static_cast<std::uint64_t>(h.mean())).c_str(), human_us(h.percentile(50)).c_str(),
                  human_us(h.percentile(90)).c_str(), human_us(h.percentile(99)).c_str(),
                  human_us(h.percentile(99.9)).c_str(), human_us(h.max()).c_str());
    };
    std::printf("  %-8s %10s %10s %10s %10s %10s %10s\n", "", "mean", "p50", "p90", "p99", "p99.9", "max");
    row("Latency", s.latency);
    if (f.rate > 0) row("Service", s.service_latency);
    std::printf("  %lu requests in %.2fs, %lu answered\n", static_cast<unsigned long>(s.sent),
                result.duration_s, static_cast<unsigned long>(answered));
    std::printf("Requests/sec: %.2f\n", rps);
    if (f.rate > 0) std::printf("Late sends:   %lu\n", static_cast<unsigned long>(result.late_sends));
    if (errors == 0)
      std::printf("Errors:       none\n");
    else
      std::printf("Errors:       %lu:%s\n", static_cast<unsigned long>(errors), error_list.c_str());
    std::printf("Outcomes:    ");
    for (const auto& [key, count] : s.outcomes)
      std::printf(" %s %lu", key.c_str(), static_cast<unsigned long>(count));
    std::printf("\n");
    if (result.interrupted)
      std::printf("Interrupted: %lu requests in flight were abandoned\n",
                  static_cast<unsigned long>(result.abandoned));
  }
  std::fflush(stdout);
  const bool passed = gates_hold(rps, errors);
  if (result.interrupted) return kExitInterrupted;
  // Nothing was measured when no request got an HTTP response at all (refused, reset, timed
  // out): a failed run, not a result. A server that answers 500 was measured: gate on errors.
  const bool any_response = std::any_of(s.outcomes.begin(), s.outcomes.end(),
                                        [](const auto& o) { return o.first.rfind("http_", 0) == 0; });
  if (s.sent > 0 && !any_response) {
    std::fprintf(stderr, "labour load: no request got an HTTP response (%s); is a server answering at %s?\n",
                 error_list.empty() ? "none" : error_list.substr(1).c_str(), printable(f.url).c_str());
    return kExitRunFailed;
  }
  return passed ? kExitOk : kExitRunFailed;
}

}  // namespace

void add_load_command(CLI::App& root, std::function<int()>& action) {
  auto flags = std::make_shared<LoadFlags>();
  CLI::App* cmd =
      root.add_subcommand("load", "Drive plain GETs at one URL and print throughput and latency (like wrk)");
  cmd->add_option("--url", flags->url,
                  "Target, e.g. http://127.0.0.1:8080/ (loopback only unless --allow-remote)")
      ->required();
  cmd->add_option("-c,--connections", flags->connections,
                  "Connections (closed model) / max in flight (open model)")
      ->capture_default_str()
      ->transform(within(scenario::limits::concurrency));
  cmd->add_option("-n,--requests", flags->requests, "Stop after this many requests")
      ->transform(within(scenario::limits::requests));
  cmd->add_option("-d,--duration", flags->duration, "Stop after this long: 10s, 500ms, 2m");
  cmd->add_option("--rate", flags->rate,
                  "Open model: requests per second on a fixed schedule (0: closed model)")
      ->transform(within(scenario::limits::rate));
  cmd->add_option("-t,--threads", flags->threads, "Client threads, one event loop each")
      ->capture_default_str()
      ->transform(within(scenario::limits::threads));
  cmd->add_option("--timeout", flags->timeout_ms, "Per-request timeout in milliseconds")
      ->capture_default_str()
      ->transform(within(scenario::limits::timeout_ms));
  cmd->add_flag("--no-keepalive", flags->no_keepalive, "One connection per request");
  cmd->add_flag("--allow-remote", flags->allow_remote, "Allow a target that is not a loopback address");
  cmd->add_flag("--json", flags->json, "Print the results as JSON");
  cmd->add_option("--fail-on", flags->fail_on,
                  "Gate for CI (repeatable): exit 1 when breached, e.g. errors<1, p99_ms<20, "
                  "requests_per_second>=1000");
  cmd->callback([flags, &action] {
    action = [flags]() -> int {
      try {
        return run(*flags);
      } catch (const UsageError& e) {
        std::fprintf(stderr, "labour load: %s\n", e.what());
        return kExitUsage;
      }
    };
  });
}

}  // namespace labour::cli
