#!/usr/bin/env bash
# Fails if any C/C++ source differs from the repo's .clang-format (fix: clang-format -i FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
find core sdk plugins tests bench -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' \) -print0 |
  xargs -0 clang-format --dry-run -Werror
