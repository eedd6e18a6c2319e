#!/usr/bin/env bash
# Builds the response-parser fuzz target with clang (a separate build of just this folder)
# and runs it for N seconds (default 60). Exit status: non-zero if the fuzzer found a crash
# (the reproducer is left in the build dir's artifacts/ folder).
#
# usage: tests/fuzz/run-fuzz.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-60}
build=${2:-$here/../../build-fuzz}
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "run-fuzz.sh: SECONDS '$seconds' must be a positive integer" >&2; exit 2; }
command -v clang++ >/dev/null || { echo "run-fuzz.sh: clang++ not found (apt-get install clang)" >&2; exit 2; }

CC=clang CXX=clang++ cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target labour_response_fuzz

corpus="$build/corpus"
mkdir -p "$corpus" "$build/artifacts"
cp -n "$here"/seeds/* "$corpus"/ 2>/dev/null || true
exec "$build/bin/labour_response_fuzz" -max_total_time="$seconds" -max_len=70000 -timeout=10 \
  -artifact_prefix="$build/artifacts/" -print_final_stats=1 "$corpus"
