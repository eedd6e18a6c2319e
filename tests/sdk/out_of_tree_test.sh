#!/usr/bin/env bash
# Installs labour into a scratch prefix, compiles a reader of results documents against the
# installed <labour/results.hpp>, builds tests/sdk/example_behaviour against the installed
# SDK only (find_package), and runs the new behaviour through `labour run`.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null

# The plugin author's guide, the worker contract with it, is installed with the SDK.
grep -q "^## The worker contract" "$work/prefix/share/doc/labour-sdk/writing-plugins.md"

# The results document's reader is part of the installed SDK: a reporter built out of tree
# compiles against it (C++17, as the SDK promises; nlohmann/json from the system).
test -f "$work/prefix/include/labour/results.hpp"
cat > "$work/reader.cpp" <<'CPP'
#include <labour/results.hpp>
int main() {
  const auto doc = labour::reporters::read_document(R"({"schema_version": 2, "tests": []})");
  return doc.tests.empty() && labour::reporters::kSchemaVersion == 2 ? 0 : 1;
}
CPP
"${CXX:-c++}" -std=c++17 -Wall -Wextra -Werror -I"$work/prefix/include" "$work/reader.cpp" -o "$work/reader"
"$work/reader"

cmake -S "$source_dir/tests/sdk/example_behaviour" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
plugin=$(ls "$work"/build/labour_behaviour_teapot.so)
mkdir "$work/plugins"
cp "$plugin" "$work/plugins/"

"$work/prefix/bin/labour" --plugin-dir "$work/plugins" list behaviours | grep -q "Teapot"
cat > "$work/tea.toml" <<'TOML'
name = "Tea"
requests = 10
concurrency = 2
[[behaviour]]
name = "Teapot"
params = { cups = 3 }
TOML
"$work/prefix/bin/labour" --plugin-dir "$work/plugins" run --server wsgiref --no-innocent --scenario "$work/tea.toml" \
  --report "json:$work/out.json" >/dev/null
/usr/bin/python3 - "$work/out.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
(test,) = doc["tests"]
(b,) = test["behaviours"]
assert b["name"] == "Teapot" and b["params"] == {"cups": "3"}, b
assert b["sent"] == 10 and b["expected"] == 10 and b["outcomes"] == {"http_418": 10}, b
print("out-of-tree Teapot plugin: 10/10 expected")
PY

# The package is versioned by the ABI: a plugin that asks for SDK 1 does not get this one.
mkdir "$work/sdk1"
cat > "$work/sdk1/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(wants_sdk1 CXX)
find_package(LabourSDK 1.0 REQUIRED)
CMAKE
if cmake -S "$work/sdk1" -B "$work/sdk1/build" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/sdk1.log" 2>&1; then
  echo "find_package(LabourSDK 1.0) accepted an SDK of ABI 2" >&2
  exit 1
fi
grep -q "version: 2\.[0-9]" "$work/sdk1.log" || { cat "$work/sdk1.log" >&2; exit 1; }
echo "find_package(LabourSDK 1.0) refuses the ABI 2 SDK"

# A worker half that is not valid Python fails the plugin's build, with Python's own line.
mkdir "$work/broken"
cp "$source_dir/tests/sdk/example_behaviour/teapot.cpp" "$source_dir/tests/sdk/example_behaviour/CMakeLists.txt" \
  "$work/broken/"
printf 'def handle(environ, start_response, params, ctx)\n    return []\n' > "$work/broken/teapot.py"
cmake -S "$work/broken" -B "$work/broken/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
if cmake --build "$work/broken/build" >"$work/broken.log" 2>&1; then
  echo "a worker half with a syntax error was built into a plugin" >&2
  exit 1
fi
grep -q "teapot.py\", line 1" "$work/broken.log" && grep -q "SyntaxError" "$work/broken.log" \
  || { cat "$work/broken.log" >&2; exit 1; }
echo "a worker half with a syntax error fails the build, naming its line"
