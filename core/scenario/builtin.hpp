#pragma once
#include <string_view>
#include <vector>

namespace labour::scenario {
// The TOML files under scenarios/, embedded at build time (core/scenario/EmbedScenarios.cmake).
struct BuiltinScenario {
  std::string_view file_stem;
  std::string_view toml;
};
const std::vector<BuiltinScenario>& builtin_scenario_files();
}  // namespace labour::scenario
