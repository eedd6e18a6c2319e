#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds labour, and runs the robustness matrix: every server
# available here x Labour's turnkey scenarios. Extra arguments go to `labour matrix`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh all
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)"
build/bin/labour doctor
exec build/bin/labour matrix --servers all --scenarios all --repeat auto --repeat-budget 60s --out "${LABOUR_OUT:-out/matrix-$(date +%Y%m%d-%H%M%S)}" "$@"
