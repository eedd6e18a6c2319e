#include "scenario/scenario.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "common/duration.hpp"
#include "common/errors.hpp"
#include "common/input_file.hpp"
#include "scenario/builtin.hpp"
#include "supervisor/supervisor.hpp"

namespace labour::scenario {

namespace {

std::string where(const std::string& origin, const toml::source_region& at) {
  return origin + ":" + std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column);
}

[[noreturn]] void fail(const std::string& origin, const toml::node& node, const std::string& what) {
  throw UsageError(where(origin, node.source()) + ": " + what);
}

void reject_unknown_keys(const toml::table& table, const std::set<std::string>& known,
                         const std::string& origin, const std::string& context) {
  for (const auto& [key, node] : table) {
    if (!known.count(std::string(key.str()))) {
      std::vector<std::string> valid(known.begin(), known.end());
      fail(origin, node,
           "unknown key '" + std::string(key.str()) + "' in " + context + did_you_mean(key.str(), valid) +
               " (valid: " + join(valid) + ")");
    }
  }
}

// A TOML value as the text a parameter validator reads.
std::string param_text(const toml::node& node, const std::string& origin, const std::string& name) {
  if (auto v = node.as_integer()) return std::to_string(v->get());
  if (auto v = node.as_floating_point()) {
    std::ostringstream s;
    s << v->get();
    return s.str();
  }
  if (auto v = node.as_boolean()) return v->get() ? "true" : "false";
  if (auto v = node.as_string()) return v->get();
  fail(origin, node, "parameter '" + name + "' must be a number, a boolean or a string");
}

template <class T>
T positive_integer(const toml::node& node, const std::string& origin, const std::string& key,
                   bool allow_zero = false) {
  const auto* v = node.as_integer();
  if (!v) fail(origin, node, "'" + key + "' must be an integer");
  const auto value = v->get();
  if (value < (allow_zero ? 0 : 1) || static_cast<std::uint64_t>(value) > std::numeric_limits<T>::max())
    fail(origin, node,
         "'" + key + "' must be " + (allow_zero ? "0 or more" : "a positive integer") + ", not " +
             std::to_string(value));
  return static_cast<T>(value);
}

std::string fmt_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// A number of the scenario, finite and within [lo, hi]: the rules the load settings follow
// (limits.hpp), so nan and inf are named as such, never as "negative".
double number_in(const toml::node& node, const std::string& origin, const std::string& key, double lo,
                 double hi) {
  double value = 0;
  if (auto i = node.as_integer())
    value = static_cast<double>(i->get());
  else if (auto f = node.as_floating_point())
    value = f->get();
  else
    fail(origin, node, "'" + key + "' must be a number");
  const SettingLimit limit{key.c_str(), lo, hi, false, ""};
  if (const std::string error = setting_error(value, limit); !error.empty())
    fail(origin, node, "'" + key + "': " + error);
  return value;
}

double non_negative_number(const toml::node& node, const std::string& origin, const std::string& key) {
  return number_in(node, origin, key, 0, 1e9);
}

const toml::table& as_table(const toml::node& node, const std::string& origin, const std::string& key) {
  const auto* table = node.as_table();
  if (!table) fail(origin, node, "'" + key + "' must be a table ([" + key + "])");
  return *table;
}

void parse_phases(const toml::node& node, const std::string& origin, Phases& p) {
  const auto& t = as_table(node, origin, "phases");
  reject_unknown_keys(
      t, {"baseline_requests", "baseline_duration", "stall", "recovery_duration", "recovered_after"}, origin,
      "[phases]");
  if (auto* n = t.get("baseline_requests"))
    p.baseline_requests = positive_integer<std::uint64_t>(*n, origin, "baseline_requests");
  if (auto* n = t.get("baseline_duration"))
    p.baseline_s = number_in(*n, origin, "baseline_duration", 0.1, 3600);
  if (auto* n = t.get("stall")) p.stall_s = number_in(*n, origin, "stall", 0.1, 3600);
  if (auto* n = t.get("recovery_duration"))
    p.recovery_s = number_in(*n, origin, "recovery_duration", 0.1, 3600);
  if (auto* n = t.get("recovered_after"))
    p.recovered_after = positive_integer<std::uint32_t>(*n, origin, "recovered_after");
}

void parse_thresholds(const toml::node& node, const std::string& origin, Thresholds& v) {
  const auto& t = as_table(node, origin, "verdict");
  reject_unknown_keys(t,
                      {"max_innocent_failure_pct", "max_p50_ratio", "max_p99_ratio", "latency_floor_ms",
                       "min_throughput_pct", "min_misbehaviour", "max_baseline_failure_pct", "confidence",
                       "max_rss_growth_mib", "max_fds_growth", "max_threads_growth", "max_busy_after_pct",
                       "max_respawns", "max_processes_left", "allow_sigkill_stop"},
                      origin, "[verdict]");
  if (auto* n = t.get("max_innocent_failure_pct"))
    v.max_innocent_failure_pct = number_in(*n, origin, "max_innocent_failure_pct", 0, 100);
  if (auto* n = t.get("max_p50_ratio")) v.max_p50_ratio = number_in(*n, origin, "max_p50_ratio", 1, 1e9);
  if (auto* n = t.get("max_p99_ratio")) v.max_p99_ratio = number_in(*n, origin, "max_p99_ratio", 1, 1e9);
  if (auto* n = t.get("latency_floor_ms"))
    v.latency_floor_ms = number_in(*n, origin, "latency_floor_ms", 0, 1e6);
  if (auto* n = t.get("min_throughput_pct"))
    v.min_throughput_pct = number_in(*n, origin, "min_throughput_pct", 0, 100);
  if (auto* n = t.get("min_misbehaviour"))
    v.min_misbehaviour = positive_integer<std::uint64_t>(*n, origin, "min_misbehaviour", true);
  if (auto* n = t.get("max_baseline_failure_pct"))
    v.max_baseline_failure_pct = number_in(*n, origin, "max_baseline_failure_pct", 0, 100);
  if (auto* n = t.get("confidence")) {
    v.confidence = number_in(*n, origin, "confidence", 0.5, 0.999);
    if (v.confidence <= 0.5 || v.confidence >= 0.999)
      fail(origin, *n,
           "'confidence' must be above 0.5 and below 0.999 (e.g. 0.95), not " + fmt_number(v.confidence));
  }
  if (auto* n = t.get("max_rss_growth_mib"))
    v.max_rss_growth_mib = non_negative_number(*n, origin, "max_rss_growth_mib");
  if (auto* n = t.get("max_fds_growth")) v.max_fds_growth = non_negative_number(*n, origin, "max_fds_growth");
  if (auto* n = t.get("max_threads_growth"))
    v.max_threads_growth = non_negative_number(*n, origin, "max_threads_growth");
  if (auto* n = t.get("max_busy_after_pct"))
    v.max_busy_after_pct = number_in(*n, origin, "max_busy_after_pct", 0, 1e6);
  if (auto* n = t.get("max_respawns")) v.max_respawns = non_negative_number(*n, origin, "max_respawns");
  if (auto* n = t.get("max_processes_left"))
    v.max_processes_left = non_negative_number(*n, origin, "max_processes_left");
  if (auto* n = t.get("allow_sigkill_stop")) {
    const auto* b = n->as_boolean();
    if (!b) fail(origin, *n, "'allow_sigkill_stop' must be true or false");
    v.allow_sigkill_stop = b->get();
  }
}

// [thresholds]: FIGURE = "CONDITION" or a list of them, e.g. p99_ratio = "<5",
// verdict = "in robust,degraded"; the figure names are checked by run/gates.
void parse_gates(const toml::node& node, const std::string& origin, std::vector<GateText>& out) {
  const auto& t = as_table(node, origin, "thresholds");
  for (const auto& [key, value] : t) {
    const std::string figure(key.str());
    const auto add = [&](const toml::node& v) {
      const auto* text = v.as_string();
      if (!text)
        fail(origin, v,
             "[thresholds] " + figure +
                 ": write the condition as a string, e.g. \"<1\" or \"in robust,degraded\"");
      out.push_back({figure + " " + text->get(), where(origin, v.source())});
    };
    if (const auto* list = value.as_array()) {
      if (list->empty()) fail(origin, value, "[thresholds] " + figure + ": the list of conditions is empty");
      for (const auto& v : *list) add(v);
    } else {
      add(value);
    }
  }
}

// [[event]]: at = seconds into the fault phase (a number, or "500ms", "5s"), action = ..., and
// the action's own keys.
void parse_events(const toml::node& node, const std::string& origin, std::vector<Event>& out) {
  const auto* list = node.as_array();
  if (!list) fail(origin, node, "'event' must be a list of tables ([[event]])");
  if (list->size() > kMaxEvents)
    fail(origin, node,
         "the scenario has " + std::to_string(list->size()) + " [[event]] tables; at most " +
             std::to_string(kMaxEvents));
  static const std::map<std::string, EventAction> actions = {{"reload", EventAction::Reload},
                                                             {"kill_worker", EventAction::KillWorker},
                                                             {"freeze_worker", EventAction::FreezeWorker},
                                                             {"graceful_stop", EventAction::GracefulStop},
                                                             {"signal", EventAction::Signal}};
  for (const auto& entry : *list) {
    const auto* t = entry.as_table();
    if (!t) fail(origin, entry, "each 'event' must be a table ([[event]])");
    reject_unknown_keys(*t, {"at", "action", "seconds", "signal"}, origin, "an [[event]]");
    Event e;
    e.where = where(origin, entry.source());
    const auto* action = t->get("action");
    if (!action)
      fail(origin, entry,
           "an [[event]] needs an action (reload, kill_worker, freeze_worker, graceful_stop or signal)");
    const auto* name = action->as_string();
    const auto found = name ? actions.find(name->get()) : actions.end();
    if (found == actions.end())
      fail(origin, *action,
           "'action' must be one of reload, kill_worker, freeze_worker, graceful_stop, signal" +
               std::string(name ? ", not '" + name->get() + "'" : ""));
    e.action = found->second;
    const auto* at = t->get("at");
    if (!at) fail(origin, entry, "an [[event]] needs 'at': when, into the fault phase (e.g. at = \"2s\")");
    if (const auto* text = at->as_string()) {
      e.at_s =
          static_cast<double>(parse_duration(text->get(), where(origin, at->source()) + ": 'at'").count()) /
          1000.0;
    } else {
      e.at_s = non_negative_number(*at, origin, "at");
    }
    const auto* seconds = t->get("seconds");
    if (e.action == EventAction::FreezeWorker) {
      if (!seconds) fail(origin, entry, "freeze_worker needs 'seconds': how long the worker stays stopped");
      e.seconds = number_in(*seconds, origin, "seconds", 0.001, 3600);
    } else if (seconds) {
      fail(origin, *seconds, "'seconds' is for freeze_worker only");
    }
    const auto* signal = t->get("signal");
    if (e.action == EventAction::Signal) {
      if (!signal) fail(origin, entry, "a signal event needs 'signal', e.g. signal = \"SIGUSR1\"");
      const auto* sig = signal->as_string();
      const auto number = sig ? supervisor::signal_number(sig->get()) : std::nullopt;
      if (!number)
        fail(origin, *signal,
             "'signal' must be a signal's name such as \"SIGHUP\", \"SIGUSR1\" or \"SIGTERM\"" +
                 std::string(sig ? ", not '" + sig->get() + "'" : ""));
      // A stopped main process would never be resumed: labour could only end it, unjudged.
      if (*number == SIGSTOP || *number == SIGTSTP || *number == SIGTTIN || *number == SIGTTOU)
        fail(origin, *signal,
             "'signal' may not stop the main process (" + sig->get() +
                 "): use action = \"freeze_worker\" with 'seconds', which resumes what it stops");
      e.signal = *number;
    } else if (signal) {
      fail(origin, *signal, "'signal' is for action = \"signal\" only");
    }
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(), [](const Event& a, const Event& b) { return a.at_s < b.at_s; });
}

}  // namespace

std::string_view action_name(EventAction a) {
  switch (a) {
    case EventAction::Reload:
      return "reload";
    case EventAction::KillWorker:
      return "kill_worker";
    case EventAction::FreezeWorker:
      return "freeze_worker";
    case EventAction::GracefulStop:
      return "graceful_stop";
    case EventAction::Signal:
      return "signal";
  }
  return "?";
}

void check_events(const Scenario& s) {
  for (const Event& e : s.events) {
    const std::string which =
        e.where + ": the " + std::string(action_name(e.action)) + " event at " + fmt_number(e.at_s) + " s";
    if (s.duration_s <= 0)
      throw UsageError(which +
                       " is timed into the fault phase, which then needs a duration (set duration, "
                       "or -d, not only a request count)");
    if (e.at_s >= s.duration_s)
      throw UsageError(which + " is not within the fault phase, which lasts " + fmt_number(s.duration_s) +
                       " s (make 'at' smaller or the duration longer)");
  }
}

std::string_view policy_name(engine::Policy p) {
  switch (p) {
    case engine::Policy::Repeat:
      return "repeat";
    case engine::Policy::Spaced:
      return "spaced";
    case engine::Policy::Random:
      break;
  }
  return "random";
}

void Overrides::apply(Scenario& s) const {
  // A request count and a duration are two ways to end the load: the one given wins.
  if (requests) {
    s.requests = *requests;
    s.duration_s = 0;
  }
  if (duration_s) {
    s.duration_s = *duration_s;
    if (!requests) s.requests = 0;
  }
  if (concurrency) s.concurrency = *concurrency;
  if (rate) s.rate = *rate;
  if (threads) s.threads = *threads;
  if (timeout_ms) s.timeout_ms = *timeout_ms;
  if (seed) s.seed = *seed;
  if (policy) s.policy = *policy;
  if (keep_alive) s.keep_alive = *keep_alive;
}

Scenario parse(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw UsageError(where(origin, e.source()) + ": " + std::string(e.description()));
  }
  static const std::set<std::string> top_keys = {
      "name",    "description", "policy",     "requests",  "duration", "concurrency", "rate",       "threads",
      "timeout", "seed",        "keep_alive", "behaviour", "phases",   "verdict",     "thresholds", "event"};
  reject_unknown_keys(root, top_keys, origin, "the scenario");

  Scenario s;
  s.source = origin;
  if (auto n = root["name"].as_string())
    s.name = n->get();
  else
    throw UsageError(origin + ": the scenario needs a name (add name = \"MyScenario\")");
  if (auto d = root["description"].as_string()) s.description = d->get();
  if (auto* p = root.get("policy")) {
    const auto* v = p->as_string();
    if (!v || (v->get() != "random" && v->get() != "repeat" && v->get() != "spaced"))
      fail(origin, *p, "'policy' must be \"random\", \"repeat\" or \"spaced\"");
    s.policy = v->get() == "repeat"   ? engine::Policy::Repeat
               : v->get() == "spaced" ? engine::Policy::Spaced
                                      : engine::Policy::Random;
  }
  // The load settings, within the limits the command line has too (limits::).
  const auto setting = [&](const toml::node& n, const SettingLimit& limit) {
    double value = 0;
    if (auto i = n.as_integer()) {
      // Compared exactly, as the command line does: 2^53 + 1 is refused, not rounded to 2^53.
      if (const std::string error = setting_error(i->get(), limit); !error.empty())
        fail(origin, n, std::string("'") + limit.name + "': " + error);
      value = static_cast<double>(i->get());
    } else if (auto f = n.as_floating_point(); f && !limit.integer)
      value = f->get();
    else
      fail(origin, n,
           std::string("'") + limit.name + "' must be " + (limit.integer ? "an integer" : "a number"));
    return check_setting(value, limit, where(origin, n.source()) + ": '" + limit.name + "'");
  };
  if (auto* n = root.get("requests")) s.requests = static_cast<std::uint64_t>(setting(*n, limits::requests));
  if (auto* n = root.get("duration")) s.duration_s = setting(*n, limits::duration);
  if (!s.requests && s.duration_s <= 0)
    throw UsageError(origin + ": the scenario needs 'requests' or 'duration' (seconds)");
  if (auto* n = root.get("concurrency"))
    s.concurrency = static_cast<std::uint32_t>(setting(*n, limits::concurrency));
  if (auto* n = root.get("threads")) s.threads = static_cast<std::uint32_t>(setting(*n, limits::threads));
  if (auto* n = root.get("rate")) s.rate = setting(*n, limits::rate);
  if (auto* n = root.get("seed")) s.seed = static_cast<std::uint64_t>(setting(*n, limits::seed));
  if (auto* n = root.get("timeout"))
    s.timeout_ms = static_cast<std::uint32_t>(std::lround(setting(*n, limits::timeout) * 1000));
  if (auto* n = root.get("keep_alive")) {
    const auto* b = n->as_boolean();
    if (!b) fail(origin, *n, "'keep_alive' must be true or false");
    s.keep_alive = b->get();
  }

  if (auto* node = root.get("phases")) parse_phases(*node, origin, s.phases);
  if (auto* node = root.get("verdict")) parse_thresholds(*node, origin, s.thresholds);
  if (auto* node = root.get("thresholds")) parse_gates(*node, origin, s.gates);
  if (auto* node = root.get("event")) {
    parse_events(*node, origin, s.events);
    check_events(s);
  }

  const auto* behaviours = root["behaviour"].as_array();
  if (!behaviours || behaviours->empty())
    throw UsageError(origin +
                     ": the scenario has no behaviours (add [[behaviour]] tables with name and weight)");
  if (behaviours->size() > kMaxBehaviours)
    fail(origin, *behaviours,
         "the scenario has " + std::to_string(behaviours->size()) + " [[behaviour]] tables; at most " +
             std::to_string(kMaxBehaviours) +
             " (merge entries of one behaviour and parameters into one weight)");
  static const std::set<std::string> entry_keys = {"name", "weight", "params"};
  for (const auto& node : *behaviours) {
    const auto* table = node.as_table();
    if (!table) fail(origin, node, "each 'behaviour' must be a table ([[behaviour]])");
    reject_unknown_keys(*table, entry_keys, origin, "a behaviour");
    MixEntry e;
    e.where = where(origin, node.source());
    if (auto n = (*table)["name"].as_string())
      e.behaviour = n->get();
    else
      fail(origin, node, "a behaviour needs a name (e.g. name = \"Sleeping\")");
    if (auto* w = table->get("weight")) {
      e.weight = positive_integer<std::uint32_t>(*w, origin, "weight");
      e.weight_given = true;
    }
    if (auto* p = table->get("params")) {
      const auto* params = p->as_table();
      if (!params) fail(origin, *p, "'params' must be a table, e.g. params = { seconds = 0.5 }");
      for (const auto& [key, value] : *params)
        e.params.emplace_back(std::string(key.str()), param_text(value, origin, std::string(key.str())));
    }
    s.mix.push_back(std::move(e));
  }
  return s;
}

std::vector<Scenario> builtin() {
  std::vector<Scenario> out;
  for (const auto& f : builtin_scenario_files()) {
    out.push_back(parse(f.toml, "built-in scenario " + std::string(f.file_stem)));
    out.back().source = "builtin";
  }
  return out;
}

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (const auto& s : builtin()) names.push_back(s.name);
  return names;
}

Scenario load(const std::string& name_or_file) {
  for (auto& s : builtin())
    if (s.name == name_or_file) return s;
  const bool looks_like_file =
      name_or_file.find('/') != std::string::npos ||
      (name_or_file.size() > 5 && name_or_file.substr(name_or_file.size() - 5) == ".toml");
  if (!looks_like_file)
    throw UsageError("unknown scenario '" + name_or_file + "'" + did_you_mean(name_or_file, builtin_names()) +
                     "; built-in scenarios: " + join(builtin_names()) + " (or give a path to a .toml file)");
  return parse(read_input_file(name_or_file, "scenario file", kMaxScenarioBytes), name_or_file);
}

double expected_load_s(const Scenario& s) {
  constexpr double kClosedRate = 1000;  // requests/s a closed loop is assumed to reach
  const double rate = s.rate > 0 ? s.rate : kClosedRate;
  const double baseline =
      std::min(s.phases.baseline_s, static_cast<double>(s.phases.baseline_requests) / kClosedRate);
  double fault = s.requests ? static_cast<double>(s.requests) / rate : s.duration_s;
  if (s.requests && s.duration_s > 0) fault = std::min(fault, s.duration_s);
  return baseline + fault;
}

std::uint32_t timeline_bucket_ms(const Scenario& s) {
  constexpr double kBuckets = 100;
  constexpr double kRecoveryS = 1;  // a recovery that succeeds at once still takes a moment
  const double want_ms = (expected_load_s(s) + kRecoveryS) * 1000 / kBuckets;
  for (const std::uint32_t step : {5u, 10u, 20u, 50u, 100u, 200u, 500u, 1000u, 2000u, 5000u})
    if (step >= want_ms) return step;
  return 10000;
}

}  // namespace labour::scenario
