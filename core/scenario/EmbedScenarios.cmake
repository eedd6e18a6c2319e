# cmake -DOUTPUT=file.cpp -DFILES="a.toml|b.toml" -P EmbedScenarios.cmake
# Writes the built-in scenarios as a table of {file name, TOML text}.
string(REPLACE "|" ";" FILES "${FILES}")
set(body "// Generated from scenarios/*.toml; do not edit.\n#include \"scenario/builtin.hpp\"\nnamespace labour::scenario {\nconst std::vector<BuiltinScenario>& builtin_scenario_files() {\n  static const std::vector<BuiltinScenario> files = {\n")
foreach(f IN LISTS FILES)
  file(READ "${f}" text)
  get_filename_component(stem "${f}" NAME_WE)
  string(APPEND body "    {\"${stem}\", R\"labour_toml(${text})labour_toml\"},\n")
endforeach()
string(APPEND body "  };\n  return files;\n}\n}  // namespace labour::scenario\n")
file(WRITE "${OUTPUT}" "${body}")
