#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds labour (warnings are errors here), and runs every test
# under ctest: unit, engine, supervisor, behaviours, reporters, server adapters, Python
# worker-app tests, integration tests against real servers, the out-of-tree SDK test, and a
# bounded fuzz run. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh all
cmake --preset default -DCMAKE_CXX_FLAGS="-Werror" >/dev/null
cmake --build --preset default -j"$(nproc)"
# The fuzz run is bounded in time; it goes first so that ctest's summary closes the output.
tests/fuzz/run-fuzz.sh "${LABOUR_FUZZ_SECONDS:-60}" >build/fuzz.log 2>&1 || { tail -50 build/fuzz.log; exit 1; }
echo "fuzz: response parser survived ${LABOUR_FUZZ_SECONDS:-60} s of libFuzzer (log: build/fuzz.log)"
ctest --preset default -j1 --timeout 900
