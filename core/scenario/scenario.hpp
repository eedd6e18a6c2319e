// Scenarios: a weighted mix of parametrised behaviours, a selection policy, a load model and
// timeouts. Built-in ones carry Labour's turnkey tests; users write their own as TOML
// (docs/scenarios.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "plugins/params.hpp"

namespace labour::scenario {

struct MixEntry {
  std::string behaviour;      // plugin name
  plugins::RawParams params;  // as written; validated against the plugin when the test runs
  std::uint32_t weight = 1;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string source = "builtin";  // or the TOML file's path
  std::vector<MixEntry> mix;
  engine::Policy policy = engine::Policy::Random;
  std::uint64_t requests = 0;  // 0: use duration_s
  double duration_s = 0;       // 0: use requests
  std::uint32_t concurrency = 4;
  double rate = 0;  // > 0: open model (requests/s)
  std::uint32_t threads = 1;
  std::uint32_t timeout_ms = 10000;
  std::uint64_t seed = 1;
  bool keep_alive = true;
};

// Command-line overrides of a scenario's load settings.
struct Overrides {
  std::optional<std::uint64_t> requests;
  std::optional<double> duration_s;
  std::optional<std::uint32_t> concurrency;
  std::optional<double> rate;
  std::optional<std::uint32_t> threads;
  std::optional<std::uint32_t> timeout_ms;
  std::optional<std::uint64_t> seed;
  std::optional<engine::Policy> policy;
  std::optional<bool> keep_alive;
  void apply(Scenario& s) const;
};

// Parses TOML text; `origin` names it in errors ("file.toml" or "built-in scenario X").
// Throws UsageError "origin:line:col: what is wrong".
Scenario parse(std::string_view toml_text, const std::string& origin);

// A built-in scenario by name, or a TOML file by path (anything with a '/' or ending .toml).
Scenario load(const std::string& name_or_file);

std::vector<Scenario> builtin();
std::vector<std::string> builtin_names();

std::string_view policy_name(engine::Policy p);

}  // namespace labour::scenario
